"""Gradient flow: the gradient along every edge (our own reverse pass, no backward needed) against
the lecture's numbers and against backward(); colours ordered by norm on viridis; alarms marked."""
import shutil

import matplotlib
import matplotlib.colors
import numpy as np
import pytest

import minigrad as mg
import viz
from viz.flow import gradient_flow
from viz.graph import read_graph

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")

VIRIDIS = np.array([matplotlib.colors.to_rgb(c) for c in matplotlib.colormaps["viridis"](np.linspace(0, 1, 256))])


def viridis_position(hex_colour: str) -> float:
    """Where a colour sits on viridis, 0..1 (nearest of 256 samples)."""
    rgb = np.array(matplotlib.colors.to_rgb(hex_colour))
    return float(np.argmin(((VIRIDIS - rgb) ** 2).sum(axis=1)) / 255)


def test_edge_gradients_are_the_lecture_adjoints_without_backward(lecture, numbers):
    x, y, f = lecture
    graph = read_graph(f)
    flow = gradient_flow(graph)
    for node in graph.values:
        assert flow.adjoints[id(node)].data == pytest.approx(numbers["adjoints"][node.name], rel=1e-12)
    assert x.grad is None and y.grad is None and all(not op.freed for op in graph.ops)


def test_flow_colours_are_distinct_and_ordered_by_gradient_norm(lecture, svg, numbers):
    *_, f = lecture
    drawing = svg(viz.draw(f, flow=True))
    names = {node_id: node.texts[0] for node_id, node in drawing.nodes.items()}
    adjoints = numbers["adjoints"]
    # the gradient along an edge: into an op, what the op passes back to that input; out of an op, the
    # adjoint of its output
    along = {("x", "log"): adjoints["x"], ("log", "a"): adjoints["a"], ("y", "·"): adjoints["y"],
             ("a", "·"): adjoints["a"], ("·", "b"): adjoints["b"], ("b", "√"): adjoints["b"] - 1.0,
             ("√", "c"): 1.0, ("c", "+"): 1.0, ("b", "+"): 1.0, ("+", "f"): 1.0}
    edges = {(names[e.tail], names[e.head]): e for e in drawing.edges}
    assert set(edges) == set(along)
    by_norm = sorted(along, key=along.get)
    positions = [viridis_position(edges[k].stroke) for k in by_norm]
    widths = [edges[k].width for k in by_norm]
    assert positions == sorted(positions) and widths == sorted(widths)
    assert positions[0] == pytest.approx(0.0, abs=0.01) and positions[-1] > 0.8
    distinct = {round(along[k], 6): edges[k].stroke for k in along}
    assert len(set(distinct.values())) == len(distinct) == 6


def test_vanishing_and_exploding_gradients_are_marked(svg):
    x, y = mg.Scalar(1.0, name="x"), mg.Scalar(1.0, name="y")
    big = (x * 1e4).named("big")
    tiny = (y * 1e-9).named("tiny")
    f = (big + tiny).named("f")
    drawing = svg(viz.draw(f, flow=True))
    names = {node_id: node.texts[0] for node_id, node in drawing.nodes.items()}
    edges = {names[e.tail]: e for e in drawing.edges if names[e.head] == "·"}
    assert edges["x"].stroke == viz.style.ALARM and not edges["x"].dashed
    assert edges["x"].width > 6 and any("exploding" in t for t in edges["x"].texts)
    assert edges["y"].stroke == viz.style.ALARM and edges["y"].dashed
    assert any("vanishing" in t for t in edges["y"].texts)
    legend = " ".join(drawing.nodes["legend"].texts)
    assert "vanishing" in legend and "exploding" in legend and "log scale" in legend


def test_tensor_flow_matches_backward():
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.normal(size=(6, 4)))
    w1 = mg.tensor(rng.normal(size=(4, 5)), requires_grad=True)
    w2 = mg.tensor(rng.normal(size=(5, 2)), requires_grad=True)
    loss = ((x @ w1).tanh() @ w2).logsumexp(axis=1).mean()
    flow = gradient_flow(read_graph(loss))
    assert w1.grad is None
    loss.backward()
    for w in (w1, w2):
        np.testing.assert_allclose(flow.adjoints[id(w)].numpy(), w.grad.numpy(), rtol=1e-6)


def test_flow_works_after_backward():
    w = mg.randn(3, requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    graph = viz.draw(loss, flow=True)
    assert "legend" in graph.source


def test_edges_that_carry_no_gradient_are_dotted(svg):
    x = mg.Scalar(2.0, name="x")
    f = (x * mg.Scalar(3.0, name="k", requires_grad=False)).named("f")
    drawing = svg(viz.draw(f, flow=True))
    names = {node_id: node.texts[0] for node_id, node in drawing.nodes.items()}
    constant_edge = next(e for e in drawing.edges if names[e.tail] == "k")
    assert constant_edge.dashed and constant_edge.stroke == viz.style.NO_GRADIENT_EDGE


def test_folded_drawings_scale_colours_over_the_edges_they_show(svg):
    from minigrad import nn
    model = nn.Sequential(nn.Linear(4, 4), nn.Sigmoid(), nn.Linear(4, 1))
    loss = (model(mg.randn(8, 4)) * 100.0).mean()
    shown = svg(viz.draw(loss, flow=True, modules=model, depth=1))
    scale = shown.nodes["legend"].texts
    low, high = [t for t in scale[scale.index("gradient norm along edges (log scale)") + 1:] if "█" not in t]
    # the largest drawn edge carries ∂loss/∂(model output) = 100/8 in each of 8 rows; inside the folded
    # Linear layers, ∂loss/∂bias = 100 is larger but not drawn
    assert float(high) == pytest.approx(12.5 * np.sqrt(8), rel=0.02)
    hidden = max(np.linalg.norm(g.numpy()) for g in gradient_flow(read_graph(loss)).edges.values())
    assert hidden >= 100 * (1 - 1e-6)
