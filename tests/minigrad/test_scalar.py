"""Scalar ops against the ``math`` module and their derivatives written out by hand."""
import math

import pytest

import minigrad as mg

SQRT_PI = math.sqrt(math.pi)

# name, f, point, value by math, partial derivatives by hand
CASES = [
    ("add", lambda x, y: x + y, (1.5, -0.5), lambda x, y: x + y, lambda x, y: (1, 1)),
    ("sub", lambda x, y: x - y, (1.5, -0.5), lambda x, y: x - y, lambda x, y: (1, -1)),
    ("mul", lambda x, y: x * y, (1.5, -0.5), lambda x, y: x * y, lambda x, y: (y, x)),
    ("div", lambda x, y: x / y, (1.5, -0.5), lambda x, y: x / y, lambda x, y: (1 / y, -x / y ** 2)),
    ("pow", lambda x, y: x ** y, (1.5, -0.5), lambda x, y: x ** y, lambda x, y: (y * x ** (y - 1), x ** y * math.log(x))),
    ("same_input_twice", lambda x: x * x, (1.5,), lambda x: x * x, lambda x: (2 * x,)),
    ("radd", lambda x: 2 + x, (1.5,), lambda x: 2 + x, lambda x: (1,)),
    ("rsub", lambda x: 2 - x, (1.5,), lambda x: 2 - x, lambda x: (-1,)),
    ("rmul", lambda x: 2 * x, (1.5,), lambda x: 2 * x, lambda x: (2,)),
    ("rtruediv", lambda x: 2 / x, (1.5,), lambda x: 2 / x, lambda x: (-2 / x ** 2,)),
    ("rpow", lambda x: 2 ** x, (1.5,), lambda x: 2 ** x, lambda x: (2 ** x * math.log(2),)),
    ("pow_int", lambda x: x ** 3, (-1.5,), lambda x: x ** 3, lambda x: (3 * x ** 2,)),
    ("pow_half", lambda x: x ** 0.5, (1.5,), math.sqrt, lambda x: (0.5 / math.sqrt(x),)),
    ("neg", lambda x: -x, (1.5,), lambda x: -x, lambda x: (-1,)),
    ("exp", lambda x: x.exp(), (0.7,), math.exp, lambda x: (math.exp(x),)),
    ("log", lambda x: x.log(), (0.7,), math.log, lambda x: (1 / x,)),
    ("log1p", lambda x: x.log1p(), (0.7,), math.log1p, lambda x: (1 / (1 + x),)),
    ("sqrt", lambda x: x.sqrt(), (0.7,), math.sqrt, lambda x: (1 / (2 * math.sqrt(x)),)),
    ("sin", lambda x: x.sin(), (0.7,), math.sin, lambda x: (math.cos(x),)),
    ("cos", lambda x: x.cos(), (0.7,), math.cos, lambda x: (-math.sin(x),)),
    ("tanh", lambda x: x.tanh(), (0.7,), math.tanh, lambda x: (1 - math.tanh(x) ** 2,)),
    ("sigmoid", lambda x: x.sigmoid(), (0.7,), lambda x: 1 / (1 + math.exp(-x)),
     lambda x: (math.exp(-x) / (1 + math.exp(-x)) ** 2,)),
    ("relu_positive", lambda x: x.relu(), (0.7,), lambda x: x, lambda x: (1,)),
    ("relu_negative", lambda x: x.relu(), (-0.7,), lambda x: 0.0, lambda x: (0,)),
    ("abs_positive", lambda x: x.abs(), (0.7,), abs, lambda x: (1,)),
    ("abs_negative", lambda x: x.abs(), (-0.7,), abs, lambda x: (-1,)),
    ("erf", lambda x: x.erf(), (0.7,), math.erf, lambda x: (2 / SQRT_PI * math.exp(-x * x),)),
    ("composite", lambda x, y: (x * y).sin() + (x / y).exp(), (0.4, 1.3),
     lambda x, y: math.sin(x * y) + math.exp(x / y),
     lambda x, y: (y * math.cos(x * y) + math.exp(x / y) / y, x * math.cos(x * y) - x / y ** 2 * math.exp(x / y))),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, f, point, value, partials", CASES, ids=IDS)
def test_value_matches_math(name, f, point, value, partials):
    out = f(*[mg.Scalar(p) for p in point])
    assert isinstance(out, mg.Scalar)
    assert out.data == pytest.approx(value(*point), rel=1e-15, abs=1e-15)


@pytest.mark.parametrize("name, f, point, value, partials", CASES, ids=IDS)
def test_reverse_mode_matches_hand_derivatives(name, f, point, value, partials):
    xs = [mg.Scalar(p) for p in point]
    f(*xs).backward()
    for x, expected in zip(xs, partials(*point)):
        assert x.grad.data == pytest.approx(expected, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name, f, point, value, partials", CASES, ids=IDS)
def test_forward_mode_matches_hand_derivatives(name, f, point, value, partials):
    for i, expected in enumerate(partials(*point)):
        seed = [1.0 if j == i else 0.0 for j in range(len(point))]
        out, tangent = mg.jvp(f, point, seed)
        assert out.data == pytest.approx(value(*point), rel=1e-15, abs=1e-15)
        assert tangent.data == pytest.approx(expected, rel=1e-12, abs=1e-15)


UNARY = [c for c in CASES if len(c[2]) == 1 and not c[0].startswith(("relu", "abs"))]


@pytest.mark.parametrize("name, f, point, value, partials", UNARY, ids=[c[0] for c in UNARY])
def test_second_derivative_matches_difference_of_hand_first_derivative(name, f, point, value, partials):
    (x,) = point
    h = 1e-5
    expected = (partials(x + h)[0] - partials(x - h)[0]) / (2 * h)
    assert mg.grad(mg.grad(f))(x).data == pytest.approx(expected, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("op, expected", [
    (lambda x: x < 2, True), (lambda x: x <= 1.5, True), (lambda x: x > 2, False), (lambda x: x >= 1.5, True),
], ids=["lt", "le", "gt", "ge"])
def test_comparisons_return_plain_bools(op, expected):
    assert op(mg.Scalar(1.5)) is expected


def test_names_repr_and_float():
    x = mg.Scalar(3.0, name="x")
    y = x * 2
    y.backward()
    assert repr(x) == "Scalar(x=3, grad=2)"
    assert float(y) == 6.0 and y.item() == 6.0


@pytest.mark.parametrize("bad", ["3", True, [1.0], mg.tensor([1.0])], ids=["str", "bool", "list", "tensor"])
def test_rejects_non_numbers(bad):
    with pytest.raises(TypeError, match="Scalar"):
        mg.Scalar(bad)
    with pytest.raises(TypeError, match="Scalar"):
        mg.Scalar(1.0) + bad


def test_constants_do_not_get_gradients():
    x, c = mg.Scalar(2.0), mg.Scalar(5.0, requires_grad=False)
    (x * c).backward()
    assert x.grad.data == 5.0 and c.grad is None
