"""Module clusters and folding: ops grouped by the nn.Module that recorded them; ``depth`` folds a module
into one node with its class, parameter count and output shape (counts checked against the layer
formulas: Linear in·out + out, 3×3 conv c_in·c_out·9, BatchNorm 2·c)."""
import re
import shutil
import warnings

import numpy as np
import pytest

import minigrad as mg
import viz
from minigrad import nn

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.Tanh()

    def forward(self, x):
        return self.act(self.fc(x)) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(3, 4)
        self.body = nn.Sequential(Block(4), Block(4))
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(self.stem(x)))


@pytest.fixture
def net_and_loss():
    model = Net()
    x = mg.tensor(np.random.default_rng(0).normal(size=(5, 3)))
    return model, model(x).sum()


def test_clusters_follow_module_scopes(net_and_loss, svg):
    model, loss = net_and_loss
    drawing = svg(viz.draw(loss, modules=model))
    assert {"cluster_stem", "cluster_body", "cluster_body_0", "cluster_body_0_fc", "cluster_body_1_act",
            "cluster_head"} <= set(drawing.clusters)
    values = drawing.by_name()
    assert {"stem.weight", "body.0.fc.weight", "body.1.fc.bias", "head.weight"} <= set(values)
    assert values["stem.weight"].texts[1] == "4×3 float32"


def test_clusters_without_the_model_use_scope_names(net_and_loss, svg):
    _, loss = net_and_loss
    drawing = svg(viz.draw(loss, modules=True))
    assert {"cluster_stem", "cluster_body_0_fc", "cluster_head"} <= set(drawing.clusters)
    assert not any(c.startswith("cluster_Net") for c in drawing.clusters)


@pytest.mark.parametrize("depth, blocks", [
    (1, {"stem": 16, "body": 40, "head": 10}),
    (2, {"stem": 16, "body.0": 20, "body.1": 20, "head": 10}),
])
def test_depth_folds_modules_into_blocks(net_and_loss, svg, depth, blocks):
    model, loss = net_and_loss
    drawing = svg(viz.draw(loss, modules=model, depth=depth))
    folded = {n.texts[0]: n.texts[1:] for n in drawing.nodes.values() if n.id.startswith("m_")}
    assert set(folded) == set(blocks)
    for name, count in blocks.items():
        assert f"{count} params" in folded[name]
    assert "Sequential" in folded.get("body", ["Sequential"]) and "Linear" in folded["stem"]
    assert "→ 5×4" in folded["stem"] and "→ 5×2" in folded["head"]
    assert [op.texts[0] for op in drawing.ops()] == ["Σ"]


def test_depth_without_the_model_counts_the_folded_parameters(net_and_loss, svg):
    _, loss = net_and_loss
    drawing = svg(viz.draw(loss, modules=True, depth=2))
    folded = {n.texts[0]: n.texts[1:] for n in drawing.nodes.values() if n.id.startswith("m_")}
    assert "20 params" in folded["body.0"] and "16 params" in folded["stem"]


def test_ops_a_parent_runs_itself_stay_in_its_cluster(net_and_loss, svg):
    model, loss = net_and_loss
    drawing = svg(viz.draw(loss, modules=model, depth=3))
    folded = {n.texts[0] for n in drawing.nodes.values() if n.id.startswith("m_")}
    assert {"body.0.fc", "body.0.act", "body.1.fc"} <= folded and "body.0" not in folded
    assert sorted(op.texts[0] for op in drawing.ops()) == ["+", "+", "Σ"]
    assert "cluster_body_0" in drawing.clusters


@pytest.fixture(scope="module")
def resnet18():
    from minigrad import models
    mg.manual_seed(0)
    model = models.ResNet18()
    out = model(mg.randn(1, 3, 32, 32))
    return model, out


def test_folded_resnet18_is_small_and_names_its_blocks(resnet18, svg):
    model, out = resnet18
    full = viz.draw(out, modules=model)
    folded = viz.draw(out, modules=model, depth=2)
    full_edges, folded_edges = full.source.count(" -> "), folded.source.count(" -> ")
    assert folded_edges < full_edges / 3
    drawing = svg(folded)
    blocks = {n.texts[0]: n.texts[1:] for n in drawing.nodes.values() if n.id.startswith("m_")}
    names = [f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
    assert set(names) <= set(blocks)
    assert all("BasicBlock" in blocks[n] for n in names)
    assert "74.0K params" in blocks["layer1.0"]   # 2 convs 64·64·9 + 2 BN 2·64 = 73,984
    assert "230.1K params" in blocks["layer2.0"]  # 64·128·9 + 128·128·9 + 1×1 64·128 + 3 BN 2·128 = 230,144
    assert "→ 1×512×4×4" in blocks["layer4.1"]
    assert {"cluster_layer1", "cluster_layer4"} <= set(drawing.clusters)
    assert sorted(drawing.by_name()) == ["input", "output"]


@pytest.fixture(scope="module")
def lenet5():
    from minigrad import models
    mg.manual_seed(0)
    model = models.LeNet5()
    return model, model(mg.randn(1, 1, 28, 28))


def folded_names(model, depth: int) -> list:
    """The model's modules that fold into one node at ``depth``, in the order they were registered (and run)."""
    names = [n for n, _ in model.named_modules() if n]
    parents = {n.rsplit(".", 1)[0] for n in names if "." in n}
    return [n for n in names if n.count(".") == depth - 1 or n.count(".") < depth - 1 and n not in parents]


def reads_before(a, b) -> bool:
    """In reading order a comes first: b lies in a lower row, or in the same row (overlapping in height)
    to the right of a."""
    return b.top > a.bottom or (b.bottom > a.top and a.bottom > b.top and b.left > a.left)


@pytest.mark.parametrize("model_name, wrap", [("lenet5", 5), ("resnet18", 4)])
def test_wrapped_models_read_like_lines_of_text(request, svg, model_name, wrap):
    model, out = request.getfixturevalue(model_name)
    drawing = svg(viz.draw(out, modules=model, depth=2, wrap=wrap))
    at = {n.texts[0]: n for n in drawing.nodes.values() if n.id.startswith(("m_", "v"))}
    order = ["input"] + folded_names(model, 2) + ["output"]
    assert sorted(at) == sorted(order)
    rows = [order[k:k + wrap] for k in range(0, len(order), wrap)]
    for row in rows:
        lefts = [at[n].left for n in row]
        assert lefts == sorted(lefts), row
        for left, right in zip(row, row[1:]):
            assert at[left].right < at[right].left, (left, right)
    for upper, lower in zip(rows, rows[1:]):
        assert max(at[n].bottom for n in upper) < min(at[n].top for n in lower), (upper, lower)


def test_resnet18_depth3_fits_16_by_9_in_reading_order(resnet18, parse):
    model, out = resnet18
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # it wraps: no fallback to one row
        graph = viz.draw(out, modules=model, depth=3, aspect="16:9")
    data = viz.rendering.pipe(graph, "svg")
    width, height = (float(v) for v in re.search(rb'width="([\d.]+)pt" height="([\d.]+)pt"', data).groups())
    assert width / height == pytest.approx(16 / 9, rel=0.03)
    drawing = parse(data)
    assert "cluster_row_1" in drawing.clusters
    at = {n.texts[0]: n for n in drawing.nodes.values() if n.id.startswith(("m_", "v"))}
    chain = ["input"] + [n for n in folded_names(model, 3) if "downsample" not in n] + ["output"]
    for first, then in zip(chain, chain[1:]):
        assert reads_before(at[first], at[then]), (first, then)


@pytest.mark.parametrize("wrap", [3, 4, 5, 6, 7])
def test_the_wrapped_lecture_graph_reads_in_order(lecture, svg, wrap):
    """At wraps 4 to 7 dot puts the second row on top by itself: row markers must hold it below."""
    *_, f = lecture
    drawing = svg(viz.draw(f, wrap=wrap))
    at = drawing.by_name()
    ops = {n.texts[0]: n for n in drawing.ops()}
    chain = [at["x"], ops["log"], at["a"], ops["·"], at["b"], ops["√"], at["c"], ops["+"], at["f"]]
    for first, then in zip(chain, chain[1:]):
        assert reads_before(first, then), (first.texts[0], then.texts[0])


def test_aspect_fitting_warns_about_layouts_dot_cannot_draw():
    from viz.rendering import Digraph
    from viz.slides import fit_aspect

    def make(wrap, markers=False):
        dot = Digraph()
        dot.edge("a", "b")
        if wrap is not None:
            dot.body.append("this is not dot source {")
        return dot

    with pytest.warns(RuntimeWarning, match=r"could not wrap .*wrap=5 \(.*one row padded"):
        wrap, dot = fit_aspect(make, 10, 16 / 9)
    assert wrap is None and "ratio=" in dot.source


def drawn_edges(graph) -> list:
    """(tail, head) of the visible edges in a Digraph's source (ports dropped)."""
    return [(a, b) for a, b, rest in re.findall(r"^\s*(\w+)(?::\w+)? -> (\w+)(?::\w+)?(.*)$", graph.source, re.M)
            if "invis" not in rest]


def has_cycle(edges) -> bool:
    succ, state = {}, {}
    for a, b in edges:
        succ.setdefault(a, []).append(b)
    for start in list(succ):
        if start in state:
            continue
        stack, state[start] = [(start, iter(succ.get(start, [])))], 1
        while stack:
            node, following = stack[-1]
            for nxt in following:
                if state.get(nxt) == 1:
                    return True
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(succ.get(nxt, []))))
                    break
            else:
                state[node] = 2
                stack.pop()
    return False


@pytest.mark.parametrize("depth", [2, 3])
def test_each_call_of_a_module_is_its_own_node_so_resnet18_stays_acyclic(resnet18, depth):
    model, out = resnet18
    graph = viz.draw(out, modules=model, depth=depth)
    assert not has_cycle(drawn_edges(graph))
    if depth == 3:   # BasicBlock calls self.relu twice: two nodes, in the order they run
        assert 'm_layer1_0_relu ' in graph.source and 'm_layer1_0_relu__2 ' in graph.source
        edges = drawn_edges(graph)
        assert ("m_layer1_0_bn1", "m_layer1_0_relu") in edges and ("m_layer1_0_relu", "m_layer1_0_conv2") in edges
        assert not any(a == "m_layer1_0_relu" and b == "m_layer1_0_relu__2" for a, b in edges)
