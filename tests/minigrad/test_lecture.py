"""The lecture's example f(x, y) = y·log x + √(y·log x) at x = 3, y = 2, in both modes and as step tables.

Expected numbers are the lecture's steps, evaluated with ``math``:
a = log 3, b = 2 log 3, c = √(2 log 3), f = c + b,
∂f/∂x = (1 + 1/(2√(2 log 3)))·2/3 ≈ 0.89154,  ∂f/∂y = (1 + 1/(2√(2 log 3)))·log 3 ≈ 1.46918.
"""
import math
import subprocess
import sys
from pathlib import Path

import pytest

import minigrad as mg

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "autodiff_modes.py"

LOG3 = math.log(3)
ROOT_B = math.sqrt(2 * LOG3)
F = 2 * LOG3 + ROOT_B
DF_DX = (1 + 1 / (2 * ROOT_B)) * 2 / 3
DF_DY = (1 + 1 / (2 * ROOT_B)) * LOG3

# node: (value, ∂/∂x, ∂/∂y), the forward-mode steps of the lecture
FORWARD_STEPS = {
    "x": (3.0, 1.0, 0.0),
    "y": (2.0, 0.0, 1.0),
    "a": (LOG3, 1 / 3, 0.0),
    "b": (2 * LOG3, 2 / 3, LOG3),
    "c": (ROOT_B, 1 / (3 * ROOT_B), 0.5 * math.sqrt(LOG3 / 2)),
    "f": (F, DF_DX, DF_DY),
}
# node: adjoint ∂f/∂node, the reverse-mode steps (b collects from c and from f)
ADJOINTS = {
    "f": 1.0,
    "c": 1.0,
    "b": 1 + 1 / (2 * ROOT_B),
    "a": 2 * (1 + 1 / (2 * ROOT_B)),
    "x": DF_DX,
    "y": DF_DY,
}


def f_inline(x, y):
    return y * x.log() + (y * x.log()).sqrt()


def f_named(x, y):
    a = x.log().named("a")
    b = (y * a).named("b")
    c = b.sqrt().named("c")
    return (c + b).named("f")


def inputs():
    return mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")


def close(actual, expected):
    return actual == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_analytic_values_match_the_lecture_rounding():
    assert round(DF_DX, 5) == 0.89154 and math.floor(DF_DY * 1e5) / 1e5 == 1.46918


@pytest.mark.parametrize("f", [f_inline, f_named], ids=["inline", "named"])
def test_reverse_mode_backward(f):
    x, y = inputs()
    out = f(x, y)
    out.backward()
    assert close(out.data, F)
    assert close(x.grad.data, DF_DX) and close(y.grad.data, DF_DY)


@pytest.mark.parametrize("f", [f_inline, f_named], ids=["inline", "named"])
def test_forward_mode_jvp(f):
    out, dx = mg.jvp(f, inputs(), (1.0, 0.0))
    _, dy = mg.jvp(f, inputs(), (0.0, 1.0))
    assert close(out.data, F)
    assert close(dx.data, DF_DX) and close(dy.data, DF_DY)


def test_transforms_give_the_same_gradient():
    gx, gy = mg.grad(f_inline, argnums=(0, 1))(3.0, 2.0)
    assert close(gx.data, DF_DX) and close(gy.data, DF_DY)


def test_trace_forward_rows_are_the_lecture_steps():
    steps = mg.trace(f_named, *inputs())
    assert [r.name for r in steps.forward_rows] == list(FORWARD_STEPS)
    assert [r.formula for r in steps.forward_rows] == ["input", "input", "log(x)", "y · a", "√b", "c + b"]
    for row in steps.forward_rows:
        value, d_dx, d_dy = FORWARD_STEPS[row.name]
        assert close(row.value.data, value), row.name
        assert close(row.tangents["x"].data, d_dx), row.name
        assert close(row.tangents["y"].data, d_dy), row.name


def test_trace_reverse_rows_are_the_backprop_steps():
    steps = mg.trace(f_named, *inputs())
    rows = {r.name: r for r in steps.reverse_rows}
    assert [r.name for r in steps.reverse_rows] == ["f", "c", "b", "a", "x", "y"]
    for name, adjoint in ADJOINTS.items():
        assert close(rows[name].adjoint.data, adjoint), name
    # g[i] += g[l] · ∂f_l/∂y_i, one contribution per edge
    edges = {(r.name, c.input): c for r in steps.reverse_rows for c in r.contributions}
    local = {("f", "c"): 1.0, ("f", "b"): 1.0, ("c", "b"): 1 / (2 * ROOT_B), ("b", "y"): LOG3, ("b", "a"): 2.0,
             ("a", "x"): 1 / 3}
    assert set(edges) == set(local)
    for (node, parent), d in local.items():
        c = edges[node, parent]
        assert close(c.upstream.data, ADJOINTS[node])
        assert close(c.local.data, d)
        assert close(c.downstream.data, ADJOINTS[node] * d)
    assert rows["x"].contributions == [] and rows["y"].contributions == []
    gradients = steps.gradients()
    assert close(gradients["x"].data, DF_DX) and close(gradients["y"].data, DF_DY)


def test_trace_of_unnamed_nodes_numbers_them():
    steps = mg.trace(f_inline, *inputs())
    names = [r.name for r in steps.forward_rows]
    assert names[:2] == ["x", "y"] and all(n.startswith("v") for n in names[2:])
    assert close(steps.forward_rows[-1].tangents["x"].data, DF_DX)


def test_trace_text_and_markdown():
    steps = mg.trace(f_named, *inputs())
    text, md = str(steps), steps.markdown()
    for needle in ("Forward mode", "Reverse mode", "∂/∂x", "log(x)", "y · a", "√b", "c + b", "0.891542", "1.46919",
                   "→ x: 2.67463 × 0.333333 = 0.891542"):
        assert needle in text and needle in md, needle
    md_lines = md.splitlines()
    assert "| step | node | formula | value | ∂/∂x | ∂/∂y |" in md_lines
    assert "| 3 | b | y · a | 2.19722 | 0 + 0.666667 = 0.666667 | 1.09861 + 0 = 1.09861 |" in md_lines
    assert "|---|---|---|---|---|---|" in md_lines
    assert not any(line.startswith("|") for line in text.splitlines())
    assert steps._repr_markdown_() == md


@pytest.mark.parametrize("flag", [[], ["--markdown"]], ids=["text", "markdown"])
def test_example_script_prints_both_tables(flag):
    result = subprocess.run([sys.executable, str(EXAMPLE), *flag], capture_output=True, text=True, timeout=60,
                            check=True)
    out = result.stdout
    assert "Forward mode" in out and "Reverse mode" in out
    assert ("| 5 | f | c + b | 3.67953 | 0.224875 + 0.666667 = 0.891542 | 0.370576 + 1.09861 = 1.46919 |" in out) \
        == bool(flag)
    assert f"∂f/∂x = {DF_DX:.10f}" in out and f"∂f/∂y = {DF_DY:.10f}" in out and f"= {F:.10f}" in out


def test_trace_of_tensors_keeps_one_line_per_row_and_gives_the_gradient():
    def f(x, w):
        return (w @ x).tanh().sum()

    x, w = mg.tensor([1.0, 2.0]), mg.tensor([[0.5, -1.0], [2.0, 0.1]])
    steps = mg.trace(f, x, w)
    text = str(steps)
    assert len(text.splitlines()) == 2 * (3 + 5) + 1  # per table: title, head, rule, 5 rows; a blank line between
    assert "[[0.5, -1], [2, 0.1]]" in text and "[[0.5, -1], [2, 0.1]]" in steps.markdown()
    assert "∂/∂x2[0,1]" in text and "∂/∂x2 " not in text   # one column per element of a small tensor input
    last = steps.forward_rows[-1]
    for key, tangent in last.tangents.items():   # per-element forward columns = the reverse-mode gradient
        name, index = key.split("[")
        expected = steps.gradients()[name].numpy()[tuple(int(i) for i in index.rstrip("]").split(","))]
        assert float(tangent.numpy()) == pytest.approx(float(expected), rel=1e-5), key
    big = mg.trace(lambda v: (v * v).sum(), mg.arange(6.0).named("v"))
    assert "J·𝟙_v" in str(big) and "∂/∂v" not in str(big)   # along all ones: a directional derivative
    assert "6: norm 7.4162 max|·| 5" in str(big)   # too many entries: norm and largest |entry|, never a mean
    full = str(mg.trace(lambda v: (v * v).sum(), mg.arange(6.0).named("v"), show="full", digits=3))
    assert "[0, 1, 2, 3, 4, 5]" in full and "[0, 2, 4, 6, 8, 10]" in full
    xr, wr = x.detach().requires_grad_(), w.detach().requires_grad_()
    f(xr, wr).backward()
    grads = steps.gradients()
    assert grads["x1"].numpy().tolist() == xr.grad.numpy().tolist()
    assert grads["x2"].numpy().tolist() == wr.grad.numpy().tolist()
