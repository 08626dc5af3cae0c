"""mg.listing: one line per recorded op, like a jaxpr; with backward=True the gradient program, whose
lines, run by a tiny interpreter with math's functions, give the lecture's analytic gradients."""
import math
import re

import pytest

import minigrad as mg

LOG3 = math.log(3)
DF_DX = (2 / 3) * (1 + 1 / (2 * math.sqrt(2 * LOG3)))
DF_DY = LOG3 * (1 + 1 / (2 * math.sqrt(2 * LOG3)))
OPS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b, "sub": lambda a, b: a - b,
       "log": math.log, "sqrt": math.sqrt, "neg": lambda a: -a}


def lecture(x, y):
    a = x.log().named("a")
    b = (y * a).named("b")
    c = b.sqrt().named("c")
    return (c + b).named("f")


def run(listing, env):
    """Evaluate the listing's lines in order with OPS; return the environment of every value."""
    env = dict(env)
    for line in listing.lines + listing.backward_lines:
        out, op, *args = re.match(r"(\S+) = (\w+) (.*)", line).group(1, 2, 3)
        values = [env[a] if a in env else float(a) for a in args[0].split()]
        env[out] = OPS[op](*values)
    return env


def test_the_lecture_program_is_one_line_per_op():
    x, y = mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")
    listing = mg.listing(lecture, x, y)
    assert listing.lines == ["a = log x", "b = mul y a", "c = sqrt b", "f = add c b"]
    text = str(listing)
    assert text.splitlines()[0] == "{ lambda x y." and text.splitlines()[-1] == "  in f }"
    env = run(listing, {"x": 3.0, "y": 2.0})
    assert env["f"] == pytest.approx(math.sqrt(2 * LOG3) + 2 * LOG3, rel=1e-12)
    assert x.grad is None and y.grad is None


def test_the_backward_program_computes_the_gradient_and_shows_the_accumulation():
    listing = mg.listing(lecture, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), backward=True)
    env = run(listing, {"x": 3.0, "y": 2.0})
    results = dict(r.split(" = ") for r in listing.results[1:])
    assert env[results["∂f/∂x"]] == pytest.approx(DF_DX, rel=1e-12)
    assert env[results["∂f/∂y"]] == pytest.approx(DF_DY, rel=1e-12)
    adds = [line for line in listing.backward_lines if " = add " in line]
    assert len(adds) == 1 and adds[0].split(" = add ")[1].split()[0] == "1"   # ∂f/∂b = 1 + (from √)


def test_x_times_x_plus_x_sums_three_terms():
    listing = mg.listing(lambda x: x * x + x, mg.Scalar(3.0, name="x"), backward=True)
    env = run(listing, {"x": 3.0})
    gradient = listing.results[1].split(" = ")[1]
    assert env[gradient] == 7.0
    assert sum(" = add " in line for line in listing.backward_lines) == 2    # 1 + 3 + 3: two adds


def test_tensor_ops_show_their_attributes():
    listing = mg.listing(lambda w: (w ** 2).sum(), mg.tensor([1.0, 2.0], name="w"))
    assert listing.lines == ["v1 = powconst w [c=2]", "v2 = sum v1 [axes=(0,), keepdims=False]"]


@pytest.mark.parametrize("call, message", [
    (lambda: mg.listing(lambda x: x, 3.0), "Scalars or Tensors"),
    (lambda: mg.listing(lambda x: x * 2, mg.tensor([1.0, 2.0]), backward=True), "one-element result"),
    (lambda: mg.listing(lambda x: 3.0, mg.Scalar(1.0)), "must return a Scalar or Tensor"),
])
def test_bad_calls_are_refused(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()
