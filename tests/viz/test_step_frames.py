"""Step-through frames of the lecture example: forward mode gives the lecture's steps 0-4 (inputs, then
a, b, c, f with their tangents), reverse mode one frame per node with upstream × local = downstream;
frames keep one layout; save_steps writes PDF pages, GIF frames and PNG sequences atomically."""
import os
import re
import shutil

import pytest
from PIL import Image

import minigrad as mg
import viz

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")


@pytest.fixture
def frames(lecture_fn):
    def make(mode):
        return viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode=mode)
    return make


def approx(text, expected):
    return float(text.rstrip(" …")) == pytest.approx(expected, rel=2e-3, abs=1e-9)


def test_forward_mode_has_the_lectures_five_steps(frames, svg, numbers):
    shown = [svg(f) for f in frames("forward")]
    assert len(shown) == 5
    computed_at = [["x", "y"], ["a"], ["b"], ["c"], ["f"]]
    for k, drawing in enumerate(shown):
        title = " ".join(drawing.title)
        assert title.startswith(f"Forward mode · step {k}")
        nodes = drawing.by_name()
        done = {n for step in computed_at[:k + 1] for n in step}
        for name, node in nodes.items():
            if name in done:
                assert approx(node.row("value"), numbers["values"][name])
                dx, dy = numbers["tangents"][name]
                assert approx(node.row("∂/∂x"), dx) and approx(node.row("∂/∂y"), dy)
            else:
                assert node.row("value") == "?"
    assert "b = y · a = 2.197" in " ".join(shown[2].title)


def test_reverse_mode_has_one_frame_per_node(frames, svg, numbers):
    shown = [svg(f) for f in frames("reverse")]
    order = [re.search(r"∂f/∂(\w)", " ".join(d.title)).group(1) for d in shown]
    assert sorted(order) == ["a", "b", "c", "f", "x", "y"] and order[:4] == ["f", "c", "b", "a"]
    for k, (name, drawing) in enumerate(zip(order, shown)):
        nodes = drawing.by_name()
        assert approx(nodes[name].row(f"∂f/∂{name}"), numbers["adjoints"][name])
        for later in order[k + 1:]:
            assert nodes[later].row(f"∂f/∂{later}").endswith(("?", "…"))


def test_reverse_frames_label_edges_upstream_times_local(frames, svg, numbers):
    last = svg(frames("reverse")[-1])
    names = {node_id: node.texts[0] for node_id, node in last.nodes.items()}
    labels = {(names[e.tail], names[e.head]): e.texts for e in last.edges if e.texts}
    b, a = numbers["adjoints"]["b"], numbers["adjoints"]["a"]
    expected = {("y", "·"): (b, numbers["values"]["a"], numbers["adjoints"]["y"]),
                ("a", "·"): (b, 2.0, a),
                ("x", "log"): (a, 1 / 3, numbers["adjoints"]["x"]),
                ("b", "√"): (1.0, 1 / (2 * numbers["values"]["c"]), b - 1)}
    for edge, (upstream, local, downstream) in expected.items():
        product, result = labels[edge]
        u, l = product.split(" × ")
        assert approx(u, upstream) and approx(l, local) and approx(result.lstrip("= "), downstream)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_frames_keep_one_layout(frames, svg, mode):
    positions = [{n.id: (round(n.x), round(n.y)) for n in svg(f).nodes.values()} for f in frames(mode)]
    assert all(p == positions[0] for p in positions)


def test_tensor_functions_step_too(svg):
    w = mg.tensor([1.0, -2.0, 0.5], name="w")
    fn = lambda w: ((w * w).sum() * 2).named("loss")  # noqa: E731
    forward, reverse = (viz.steps(fn, w, mode=m) for m in ("forward", "reverse"))
    assert len(forward) == 4 and len(reverse) == 4   # w, w·w, Σ, loss
    last = svg(reverse[-1]).by_name()
    assert last["w"].row("∂loss/∂w") == "[4, -8, 2]"   # 2 · 2w
    assert svg(forward[-1]).by_name()["loss"].row("value") == "10.5"


def test_steps_rejects_an_unknown_mode(lecture_fn):
    with pytest.raises(ValueError, match="forward' or 'reverse"):
        viz.steps(lecture_fn, mg.Scalar(3.0), mg.Scalar(2.0), mode="sideways")


def test_save_steps_writes_a_page_per_frame(frames, tmp_path):
    forward = frames("forward")
    pdf = viz.save_steps(forward, tmp_path / "forward.pdf")
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", open(pdf, "rb").read())
    assert len(pages) == 5
    gif = viz.save_steps(forward, tmp_path / "forward.gif")
    with Image.open(gif) as image:
        assert image.n_frames == 5
    assert sorted(os.listdir(tmp_path)) == ["forward.gif", "forward.pdf"]


@pytest.mark.parametrize("pattern", ["frame_{}.png", "frames"])
def test_save_steps_writes_png_sequences(frames, tmp_path, pattern):
    written = viz.save_steps(frames("reverse"), tmp_path / pattern)
    assert len(written) == 6 and all(open(p, "rb").read(4) == b"\x89PNG" for p in written)
    folder = os.path.dirname(written[0])
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(p) for p in written)
    sizes = {Image.open(p).size for p in written}
    assert len(sizes) == 1


def test_save_steps_refuses_unknown_formats_before_rendering(frames, tmp_path):
    with pytest.raises(ValueError, match=r"\.pdf, \.gif"):
        viz.save_steps(frames("forward"), tmp_path / "steps.mp4")
    with pytest.raises(ValueError, match="no frames"):
        viz.save_steps([], tmp_path / "steps.pdf")
    assert os.listdir(tmp_path) == []
