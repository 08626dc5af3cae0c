"""viz.draw on Scalar and Tensor graphs: the nodes of the lecture's slide, and the numbers in their labels
(rendered to SVG by dot and read back), checked against the lecture's values computed with math."""
import math
import shutil

import numpy as np
import pytest

import minigrad as mg
import viz

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def approx(text, expected):
    return float(text) == pytest.approx(expected, rel=2e-3, abs=1e-9)


def test_lecture_graph_has_exactly_the_nodes_of_the_slide(lecture, svg):
    *_, f = lecture
    drawing = svg(viz.draw(f))
    assert sorted(drawing.by_name()) == ["a", "b", "c", "f", "x", "y"]
    assert sorted(op.texts[0] for op in drawing.ops()) == sorted(["log", "·", "√", "+"])
    assert set(drawing.nodes) == {n for n in drawing.nodes if n.startswith(("v", "op"))} | {"legend"}
    names = {node_id: node.texts[0] for node_id, node in drawing.nodes.items()}
    wiring = sorted((names[e.tail], names[e.head]) for e in drawing.edges)
    assert wiring == sorted([("x", "log"), ("log", "a"), ("y", "·"), ("a", "·"), ("·", "b"), ("b", "√"),
                             ("√", "c"), ("c", "+"), ("b", "+"), ("+", "f")])


def test_before_backward_grads_show_a_dash_not_zero(lecture, svg, numbers):
    *_, f = lecture
    nodes = svg(viz.draw(f)).by_name()
    for name, value in numbers["values"].items():
        assert approx(nodes[name].row("value"), value)
        assert nodes[name].row("grad") == "—"


def test_after_backward_nodes_show_the_lecture_gradients(lecture, svg, numbers):
    *_, f = lecture
    f.backward()
    nodes = svg(viz.draw(f)).by_name()
    for name, adjoint in numbers["adjoints"].items():
        assert approx(nodes[name].row("grad"), adjoint), name
        assert approx(nodes[name].row("value"), numbers["values"][name]), name


def test_tangents_from_a_forward_mode_trace(svg, numbers, lecture_fn):
    table = mg.trace(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"))
    tangents = {row.node: row.tangents for row in table.forward_rows}
    nodes = svg(viz.draw(table.output, show=("value", "tangent"), tangents=tangents)).by_name()
    for name, (dx, dy) in numbers["tangents"].items():
        assert approx(nodes[name].row("∂/∂x"), dx), name
        assert approx(nodes[name].row("∂/∂y"), dy), name
        assert "grad" not in nodes[name].texts


def test_a_single_direction_tangent_is_one_row(lecture, svg):
    x, y, f = lecture
    nodes = svg(viz.draw(f, tangents={x: 1.0 + 0 * x, f: mg.Scalar(0.5)})).by_name()
    assert nodes["f"].row("tangent") == "0.5"
    assert "tangent" not in nodes["a"].texts


def test_edge_labels_are_the_local_derivatives(lecture, svg):
    *_, f = lecture
    drawing = svg(viz.draw(f, edge_labels=True))
    labels = dict(text.split(" = ") for e in drawing.edges for text in e.texts)
    expected = {"∂a/∂x": 1 / 3, "∂b/∂y": math.log(3), "∂b/∂a": 2.0, "∂c/∂b": 1 / (2 * math.sqrt(2 * math.log(3))),
                "∂f/∂c": 1.0, "∂f/∂b": 1.0}
    assert set(labels) == set(expected)
    for name, value in expected.items():
        assert approx(labels[name], value), name


def test_edge_labels_are_refused_for_tensor_graphs():
    w = mg.randn(2, 2, requires_grad=True)
    with pytest.raises(ValueError, match="Scalar graphs"):
        viz.draw((w * w).sum(), edge_labels=True)


def test_constants_are_drawn_as_their_number(svg):
    x = mg.Scalar(1.5, name="x")
    f = (x * 2 + 1).named("f")
    drawing = svg(viz.draw(f))
    constants = [n for n in drawing.nodes.values() if n.id.startswith("v") and "grad" not in n.texts]
    assert sorted(n.texts for n in constants) == [["1"], ["2"]]
    assert approx(drawing.by_name()["f"].row("value"), 4.0)


def test_tensor_nodes_show_shape_dtype_and_summaries(svg):
    rng = np.random.default_rng(0)
    x_np, w_np = rng.normal(size=(8, 5)), rng.normal(size=(5, 3))
    x = mg.tensor(x_np, name="x")
    w = mg.tensor(w_np, requires_grad=True, name="W")
    b = mg.tensor([0.5, -1.0, 2.0], requires_grad=True, name="b")
    loss = (x @ w + b).relu().sum().named("loss")
    loss.backward()
    nodes = svg(viz.draw(loss)).by_name()
    assert nodes["W"].texts[1] == "5×3 float32"
    assert nodes["x"].texts[1] == "8×5 float32"
    mean, std = nodes["W"].row("value").split("σ")
    assert approx(mean.replace("μ", ""), w_np.astype(np.float32).mean())
    assert approx(std, w_np.astype(np.float32).std())
    assert nodes["b"].row("value") == "[0.5, -1, 2]"
    grad_w = np.where(x_np @ w_np + [0.5, -1.0, 2.0] > 0, 1.0, 0.0)
    norm, max_abs = nodes["W"].row("grad").replace("norm", "").split("max|·|")
    assert approx(norm, np.linalg.norm(x_np.T @ grad_w)) and approx(max_abs, np.abs(x_np.T @ grad_w).max())
    assert approx(nodes["loss"].row("value"), np.maximum(x_np @ w_np + [0.5, -1.0, 2.0], 0).sum())
    assert "grad" not in nodes["x"].texts


@pytest.mark.parametrize("build, symbol", [
    (lambda a, b: a @ b, "@"), (lambda a, b: a - b, "−"), (lambda a, b: -a, "neg"), (lambda a, b: a / b, "/"),
    (lambda a, b: (a ** 2).sum(), "Σ"), (lambda a, b: a.exp(), "exp"), (lambda a, b: a.abs(), "abs"),
])
def test_op_nodes_show_their_symbol(build, symbol, svg):
    a = mg.randn(3, 3, requires_grad=True)
    b = mg.rand(3, 3, requires_grad=True) + 1
    ops = [op.texts[0] for op in svg(viz.draw(build(a, b))).ops()]
    assert symbol in ops


def test_an_input_used_twice_gets_an_edge_per_use_and_the_labels_add_up_to_the_gradient(svg):
    x = mg.Scalar(3.0, name="x")
    f = x * x + x
    f.backward()
    drawing = svg(viz.draw(f, edge_labels=True))
    symbol = {op.id: op.texts[0] for op in drawing.ops()}
    from_x = [e for e in drawing.edges if drawing.nodes[e.tail].texts[0] == "x"]
    into = sorted(symbol[e.head] for e in from_x)
    assert into == ["+", "·", "·"]
    local = [float(e.texts[0].split("=")[1]) for e in from_x]   # ∂out/∂x along each edge, upstream 1 here
    assert sorted(local) == [1.0, 3.0, 3.0] and sum(local) == x.grad.data == 7.0


@pytest.mark.parametrize("build, tags", [(lambda a, b: a - b, ["1", "2"]), (lambda a, b: a / b, ["1", "2"]),
                                         (lambda a, b: a * b, [])])
def test_non_commutative_ops_tag_their_operands(build, tags, svg):
    a, b = mg.Scalar(3.0, name="a"), mg.Scalar(2.0, name="b")
    drawing = svg(viz.draw(build(a, b)))
    names = {n.id: n.texts[0] for n in drawing.nodes.values()}
    into_op = {names[e.tail]: e.texts for e in drawing.edges if e.head.startswith("op")}
    assert [t for name in ("a", "b") for t in into_op[name]] == tags


def test_unnamed_nodes_are_numbered_like_trace_when_only_inputs_are_named(svg):
    x = mg.Scalar(2.0, name="x")
    names = sorted(svg(viz.draw((x.exp() * x).sin())).by_name())
    table = mg.trace(lambda x: (x.exp() * x).sin(), mg.Scalar(2.0, name="x"))
    assert names == sorted(["x", "output"] + [r.name for r in table.forward_rows[1:-1]])


def test_draw_changes_nothing_in_the_graph(lecture, numbers):
    x, y, f = lecture
    viz.draw(f, flow=True, edge_labels=True)
    assert x.grad is None and f.grad is None
    f.backward()
    assert x.grad.data == pytest.approx(numbers["adjoints"]["x"])
    assert y.grad.data == pytest.approx(numbers["adjoints"]["y"])


def test_a_graph_bigger_than_max_elements_is_refused_with_a_hint():
    x = mg.Scalar(1.0, name="x")
    y = x
    for _ in range(30):
        y = y * 1.01
    with pytest.raises(ValueError, match="max_elements=20.*depth"):
        viz.draw(y, max_elements=20)


@pytest.mark.parametrize("kwargs, message", [
    (dict(show=("value", "hessian")), "show"), (dict(rankdir="XY"), "rankdir"), (dict(depth=0), "depth"),
    (dict(max_elements=0), "max_elements"), (dict(modules="yes"), "modules"), (dict(wrap=0), "wrap"),
])
def test_bad_options_raise_clear_errors(lecture, kwargs, message):
    *_, f = lecture
    with pytest.raises((ValueError, TypeError), match=message):
        viz.draw(f, **kwargs)


def test_draw_takes_only_graph_nodes():
    with pytest.raises(TypeError, match="Scalar or Tensor"):
        viz.draw(3.0)


def test_digraphs_display_inline_in_jupyter(lecture):
    *_, f = lecture
    bundle = viz.draw(f)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]


def test_show_saved_lists_what_each_op_keeps_for_backward(svg):
    x, y = mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")
    a = x.log().named("a")
    f = (y * a).sqrt().named("f")
    drawing = svg(viz.draw(f, show_saved=True))
    saved = {op.texts[0]: op.texts[1] for op in drawing.ops()}
    assert saved == {"log": "saved: x", "·": "saved: y, a", "√": "saved: output"}
    f.backward()
    freed = svg(viz.draw(f, show_saved=True))
    assert {op.texts[1] for op in freed.ops()} == {"saved: freed"}
    images = mg.randn(1, 1, 4, 4, requires_grad=True)
    pooled = mg.nn.MaxPool2d(2)(images).sum()
    texts = [t for op in svg(viz.draw(pooled, show_saved=True)).ops() for t in op.texts]
    assert any(t.startswith("saved: ") and t.endswith("argmax 1×1×2×2") for t in texts)   # the pooling indices


def test_show_full_and_digits_print_every_entry_at_the_chosen_precision(svg):
    w = mg.tensor([[1.23456, -2.5], [0.125, 3.0], [7.0, 8.0]], requires_grad=True, name="w")
    loss = (w * w).sum().named("loss")
    loss.backward()
    summary = svg(viz.draw(loss)).by_name()["w"]
    full = svg(viz.draw(loss, show="full", digits=3)).by_name()["w"]
    assert summary.row("value").startswith("μ")
    assert full.row("value") == "[[1.23, -2.5], [0.125, 3], [7, 8]]"
    assert full.row("grad") == "[[2.47, -5], [0.25, 6], [14, 16]]"      # 2w
    assert summary.row("grad").startswith("norm")
