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


def lecture_inputs():
    return mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")


def test_forward_frames_are_the_trace_steps(frames, svg, numbers, lecture_fn):
    table = mg.trace(lecture_fn, *lecture_inputs())
    forward = frames("forward")
    shown = [svg(f) for f in forward]
    assert [r.name for r in table.forward_rows] == ["x", "y", "a", "b", "c", "f"] and len(shown) == 6
    for k, (row, drawing) in enumerate(zip(table.forward_rows, shown)):
        title = " ".join(drawing.title)
        assert title.startswith(f"Forward mode · step {k}: ") and forward.captions[k] == title
        nodes = drawing.by_name()
        done = [r.name for r in table.forward_rows[:k + 1]]
        for name, node in nodes.items():
            if name in done:
                assert approx(node.row("value"), numbers["values"][name])
                dx, dy = numbers["tangents"][name]
                assert approx(node.row("∂/∂x").split("=")[-1], dx) and approx(node.row("∂/∂y").split("=")[-1], dy)
            else:
                assert node.row("value") == "?"
    assert "b = y · a = 2.197" in " ".join(shown[3].title)


def test_forward_edges_carry_local_times_tangent_and_the_node_their_sum(frames, svg, numbers):
    shown = [svg(f) for f in frames("forward")]
    last = shown[-1]
    names = {n.id: n.texts[0] for n in last.nodes.values()}
    ops = {e.tail: names[e.head] for e in last.edges if e.tail.startswith("op")}   # op -> the node it makes
    labelled = [e for e in last.edges if e.head.startswith("op") and names[e.tail] != ""]
    assert len(labelled) == 6                       # x→log, y→·, a→·, b→√, b→+, c→+
    sums = {}
    for e in labelled:
        assert len(e.texts) == 2                    # one line per direction
        for line in e.texts:
            direction, arithmetic = line.split(": ")
            local, rest = arithmetic.split(" × ")
            tangent, product = rest.split(" = ")
            source = names[e.tail]
            d = {"∂/∂x": 0, "∂/∂y": 1}[direction]
            assert approx(tangent, numbers["tangents"][source][d])
            assert approx(product, float(local) * float(tangent))
            sums[(ops[e.head], d)] = sums.get((ops[e.head], d), 0.0) + float(product)
    for (node, d), total in sums.items():
        assert total == pytest.approx(numbers["tangents"][node][d], rel=2e-3, abs=1e-4)
    assert last.by_name()["f"].row("∂/∂x") == "0.2249 + 0.6667 = 0.8915"


def test_a_seed_gives_one_tangent_row_per_node(lecture_fn, svg, numbers):
    frames = viz.steps(lecture_fn, *lecture_inputs(), mode="forward", seed={"y": 1.0})
    table = mg.trace(lecture_fn, *lecture_inputs(), seed={"y": 1.0})
    assert table.direction_labels == {"seed": "∂/∂y"}
    last = svg(frames[-1]).by_name()
    for name, node in last.items():
        tangent_rows = [t for t in node.texts if t.startswith("∂/∂")]
        assert tangent_rows == ["∂/∂y"], name
        assert approx(node.row("∂/∂y").split("=")[-1], numbers["tangents"][name][1])
    along = mg.trace(lecture_fn, *lecture_inputs(), seed=(1.0, 2.0))
    expected = numbers["tangents"]["f"][0] + 2 * numbers["tangents"]["f"][1]
    assert along.direction_labels == {"seed": "J·seed"}
    assert along.forward_rows[-1].tangents["seed"].data == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("seed, message", [((1.0,), "one tangent per input"), ({"z": 1.0}, "not inputs"),
                                           (("one", 0.0), "must be a number")])
def test_a_bad_seed_is_refused(lecture_fn, seed, message):
    with pytest.raises((ValueError, TypeError), match=message):
        viz.steps(lecture_fn, *lecture_inputs(), mode="forward", seed=seed)


def test_reverse_frames_are_the_trace_steps(frames, svg, numbers, lecture_fn):
    table = mg.trace(lecture_fn, *lecture_inputs())
    order = [r.name for r in table.reverse_rows]
    reverse = frames("reverse")
    shown = [svg(f) for f in reverse]
    assert order == ["f", "c", "b", "a", "x", "y"] and len(shown) == 6
    for k, (name, drawing) in enumerate(zip(order, shown)):
        assert " ".join(drawing.title).startswith(f"Reverse mode · step {k}: ∂f/∂{name} = ")
        nodes = drawing.by_name()
        assert approx(nodes[name].row(f"∂f/∂{name}").split("=")[-1], numbers["adjoints"][name])
        for row in table.reverse_rows[k + 1:]:   # not yet processed: pending until its last term arrives
            shown_adjoint = nodes[row.name].row(f"∂f/∂{row.name}")
            arrived = [t for t in row.terms if t.step <= k]
            if len(arrived) < len(row.terms):
                assert shown_adjoint.endswith(("?", "…")), (k, row.name)
            else:
                assert approx(shown_adjoint.split("=")[-1], numbers["adjoints"][row.name]), (k, row.name)


def test_reverse_frames_sum_what_arrives_term_by_term(frames, svg):
    shown = [svg(f) for f in frames("reverse")]
    b = [d.by_name()["b"].row("∂f/∂b") for d in shown]
    assert b[0] == "1 + …"                       # from +; the term from √ has not arrived
    assert b[1] == b[2] == "1 + 0.3373 = 1.337"    # the last term arrived at step 1: no longer pending
    assert "∂f/∂b = 1 + 0.3373 = 1.337" in " ".join(shown[2].title)



def test_the_trace_table_sums_term_by_term_too(lecture_fn):
    table = mg.trace(lecture_fn, *lecture_inputs())
    assert "1 + 0.337313 = 1.33731" in str(table)
    assert "1 + 0.3373 = 1.337" in str(mg.trace(lecture_fn, *lecture_inputs(), digits=4))


def test_x_times_x_plus_x_draws_every_contribution(svg):
    reverse = viz.steps(lambda x: x * x + x, mg.Scalar(3.0, name="x"), mode="reverse")
    last = svg(reverse[-1])
    symbol = {op.id: op.texts[0] for op in last.ops()}
    from_x = [e for e in last.edges if last.nodes[e.tail].texts[0] == "x"]
    assert sorted(symbol[e.head] for e in from_x) == ["+", "·", "·"]
    downstream = [float(e.texts[0].split(" = ")[-1]) for e in from_x]
    assert sorted(downstream) == [1.0, 3.0, 3.0] and sum(downstream) == 7.0
    assert last.by_name()["x"].row("∂v2/∂x") == "1 + 3 + 3 = 7"


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
        (line,) = labels[edge]
        product, result = line.split(" = ")
        u, l = product.split(" × ")
        assert approx(u, upstream) and approx(l, local) and approx(result, downstream)


def test_frames_of_both_modes_keep_one_layout(frames, svg):
    positions = [{n.id: (round(n.x), round(n.y)) for n in svg(f).nodes.values()}
                 for mode in ("forward", "reverse") for f in frames(mode)]
    assert len(positions) == 12 and all(p == positions[0] for p in positions)


@pytest.mark.parametrize("mode, rows", [("forward", ["value", "∂/∂x", "∂/∂y"]), ("reverse", ["value", "∂f/∂b"])])
def test_a_layout_of_its_own_keeps_one_mode_still_and_drops_the_other_modes_rows(lecture_fn, svg, mode, rows):
    frames = viz.steps(lecture_fn, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode=mode,
                       shared_layout=False)
    drawn = [svg(f) for f in frames]
    positions = [{n.id: (round(n.x), round(n.y)) for n in d.nodes.values()} for d in drawn]
    assert len(positions) == 6 and all(p == positions[0] for p in positions)
    (b,) = [n for n in drawn[-1].nodes.values() if n.texts[:1] == ["b"]]
    assert [t for t in b.texts if t in ("value", "∂/∂x", "∂/∂y", "∂f/∂b")] == rows


def test_tensor_functions_step_too(svg):
    w = mg.tensor([1.0, -2.0, 0.5], name="w")
    fn = lambda w: ((w * w).sum() * 2).named("loss")  # noqa: E731
    forward, reverse = (viz.steps(fn, w, mode=m) for m in ("forward", "reverse"))
    assert len(forward) == 4 and len(reverse) == 4   # w, w·w, Σ, loss
    last = svg(reverse[-1]).by_name()
    assert last["w"].row("∂loss/∂w") == "[2, -4, 1] + [2, -4, 1] = [4, -8, 2]"   # 2 · 2w, one term per use
    final = svg(forward[-1]).by_name()
    assert final["loss"].row("value") == "10.5"
    assert [final["loss"].row(f"∂/∂w[{i}]") for i in range(3)] == ["4", "-8", "2"]   # one column per element


def test_steps_rejects_an_unknown_mode(lecture_fn):
    with pytest.raises(ValueError, match="forward' or 'reverse"):
        viz.steps(lecture_fn, mg.Scalar(3.0), mg.Scalar(2.0), mode="sideways")


def test_save_steps_writes_a_vector_page_per_frame(frames, tmp_path):
    from pypdf import PdfReader
    forward = frames("forward")
    pdf = viz.save_steps(forward, tmp_path / "forward.pdf")
    reader = PdfReader(pdf)
    assert len(reader.pages) == 6
    assert len({(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}) == 1
    page = reader.pages[3]
    assert "b = y · a = 2.197" in page.extract_text()           # text, not pixels
    resources = page["/Resources"]
    assert "/XObject" not in resources or not any(
        x.get_object().get("/Subtype") == "/Image" for x in resources["/XObject"].values())
    fonts = [f.get_object() for f in resources["/Font"].values()]
    assert fonts and all(f.get("/FontDescriptor") is None or any(k in f["/FontDescriptor"] for k in
                         ("/FontFile", "/FontFile2", "/FontFile3")) for f in fonts)   # embedded
    gif = viz.save_steps(forward, tmp_path / "forward.gif", dpi=40)
    with Image.open(gif) as image:
        assert image.n_frames == 6
    assert sorted(os.listdir(tmp_path)) == ["forward.gif", "forward.pdf"]


@pytest.mark.parametrize("pattern, magic", [("frame_{}.png", b"\x89PNG"), ("frames", b"\x89PNG"),
                                            ("frame_{}.svg", b"<?xml"), ("frame_{}.pdf", b"%PDF")])
def test_save_steps_writes_sequences(frames, tmp_path, pattern, magic):
    written = viz.save_steps(frames("reverse"), tmp_path / pattern)
    assert len(written) == 6 and all(open(p, "rb").read(len(magic)) == magic for p in written)
    if magic != b"\x89PNG":
        return
    folder = os.path.dirname(written[0])
    assert sorted(os.listdir(folder)) == sorted(os.path.basename(p) for p in written)
    sizes = {Image.open(p).size for p in written}
    assert len(sizes) == 1


def test_save_steps_png_resolution_follows_dpi(frames, tmp_path):
    reverse = frames("reverse")[:1]
    small, = viz.save_steps(reverse, tmp_path / "small_{}.png", dpi=60)
    large, = viz.save_steps(reverse, tmp_path / "large_{}.png", dpi=180)
    assert Image.open(large).size[0] == pytest.approx(3 * Image.open(small).size[0], rel=0.02)
    with pytest.raises(ValueError, match="dpi must be a number"):
        viz.save_steps(reverse, tmp_path / "bad_{}.png", dpi=0)


def test_save_steps_refuses_unknown_formats_before_rendering(frames, tmp_path):
    with pytest.raises(ValueError, match=r"\.pdf, \.gif"):
        viz.save_steps(frames("forward"), tmp_path / "steps.mp4")
    with pytest.raises(ValueError, match="no frames"):
        viz.save_steps([], tmp_path / "steps.pdf")
    assert os.listdir(tmp_path) == []
