"""Slide-ready drawings: aspect="16:9" wraps into rows and pads to the ratio exactly, for graphs and for
every frame of a step-through alike; font_scale enlarges every font; legend placement; bad values refused."""
import re
import shutil

import pytest

import minigrad as mg
import viz
from viz.rendering import pipe

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


def size_of(graph) -> tuple:
    svg = pipe(graph, "svg").decode()
    w, h = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    return float(w), float(h)


def test_a_16_9_graph_is_16_9_and_has_larger_text_than_one_long_row(lecture):
    *_, f = lecture
    wide = size_of(viz.draw(f))
    fitted = size_of(viz.draw(f, aspect="16:9"))
    assert wide[0] / wide[1] > 3                                   # one long row: text tiny on a slide
    assert fitted[0] / fitted[1] == pytest.approx(16 / 9, rel=0.03)
    assert min(16 / fitted[0], 9 / fitted[1]) >= 0.97 * min(16 / wide[0], 9 / wide[1])   # never smaller text


def test_a_long_chain_is_wrapped_into_rows_for_16_9(svg):
    x = mg.Scalar(0.5, name="x")
    y = x
    for _ in range(12):
        y = y.sin()
    wide, fitted = svg(viz.draw(y, legend=False)), svg(viz.draw(y, legend=False, aspect="16:9"))
    rows = lambda d: len({round(n.y) for n in d.ops()})  # noqa: E731
    assert rows(wide) == 1 and rows(fitted) >= 2
    w, h = size_of(viz.draw(y, legend=False, aspect="16:9"))
    assert w / h == pytest.approx(16 / 9, rel=0.03)


def test_every_frame_of_a_16_9_step_through_keeps_one_layout(lecture_fn, svg):
    frames = viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="reverse",
                       aspect="16:9")
    sizes = {size_of(f) for f in frames}
    assert len(sizes) == 1 and next(iter(sizes))[0] / next(iter(sizes))[1] == pytest.approx(16 / 9, rel=0.03)
    positions = [{n.id: (round(n.x), round(n.y)) for n in svg(f).nodes.values()} for f in frames]
    assert all(p == positions[0] for p in positions)


def test_font_scale_enlarges_every_font(lecture):
    *_, f = lecture
    plain, big = viz.draw(f).source, viz.draw(f, font_scale=1.5).source
    sizes = lambda src: [float(s) for s in re.findall(r'(?:fontsize=|POINT-SIZE=)"?([\d.]+)', src)]  # noqa: E731
    assert len(sizes(plain)) == len(sizes(big)) > 5
    assert all(b == pytest.approx(1.5 * p) for p, b in zip(sizes(plain), sizes(big)))


def test_the_legend_goes_where_asked(lecture, svg):
    *_, f = lecture
    left, right = svg(viz.draw(f, legend="left")), svg(viz.draw(f, legend="right"))
    assert left.nodes["legend"].x < min(n.x for n in left.by_name().values())
    assert right.nodes["legend"].x > max(n.x for n in right.by_name().values())
    assert "legend" not in svg(viz.draw(f, legend=False)).nodes


@pytest.mark.parametrize("kwargs, message", [
    (dict(aspect="wide"), "aspect must be"), (dict(aspect=0), "aspect must be"), (dict(aspect="16:0"), "aspect"),
    (dict(font_scale=0), "font_scale must be"), (dict(font_scale="big"), "font_scale"),
    (dict(legend="top"), "legend must be"), (dict(digits=0), "digits must be"),
])
def test_bad_slide_options_are_refused(lecture, kwargs, message):
    *_, f = lecture
    with pytest.raises(ValueError, match=message):
        viz.draw(f, **kwargs)


def edge_paths(graph) -> list:
    """(tail, head, points of its path) for every edge of the laid-out drawing."""
    import xml.etree.ElementTree as ET
    from conftest import SVG, _PAIR

    out = []
    for g in ET.fromstring(pipe(graph, "svg")).iter(f"{SVG}g"):
        if g.get("class") == "edge":
            tail, head = (end.split(":")[0] for end in g.findtext(f"{SVG}title").split("->"))
            d = g.find(f"{SVG}path").get("d")
            out.append((tail, head, [(float(x), float(y)) for x, y in _PAIR.findall(d)]))
    return out


@pytest.mark.parametrize("fit", [dict(aspect="16:9"), dict(aspect=viz.BEAMER_BODY, title=False, shared_layout=False)])
def test_wrapped_lecture_frames_run_every_edge_straight_between_its_ends(lecture_fn, svg, fit):
    """No edge loops round the picture: each stays inside the box spanned by the two nodes it joins,
    an edge into the next row included; the drawing is wrapped into rows and reads left to right."""
    frames = viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="reverse", **fit)
    nodes = svg(frames[2]).nodes
    paths = edge_paths(frames[2])
    assert len(paths) == 10 and len(set(frames[2].rows.values())) >= 2
    for tail, head, points in paths:
        a, b = nodes[tail], nodes[head]
        left, right = min(a.left, b.left) - 6, max(a.right, b.right) + 6
        top, bottom = min(a.top, b.top) - 6, max(a.bottom, b.bottom) + 6
        assert all(left <= x <= right and top <= y <= bottom for x, y in points), (a.texts[:1], b.texts[:1])
