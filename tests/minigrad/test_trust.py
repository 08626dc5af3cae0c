"""Trust under bad input (issue 11), one section per class of silent wrong answer:
in-place changes through aliases, type promotion, axis and size checks, transforms, Scalars as numbers.

PyTorch 2.13 is the oracle wherever it defines the behaviour.
"""
import math

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


# ---- 1. an in-place change is seen through every alias ------------------------------------------------

ALIASES = {  # name: (shape of the base, alias of it with 4 elements, how to use it with x of shape (4,))
    "slice": ((6,), lambda w: w[:4]),
    "basic_index": ((2, 4), lambda w: w[1]),
    "int_index_0d": ((4,), lambda w: w[2].expand(4)),
    "reshape": ((2, 2), lambda w: w.reshape(4)),
    "view": ((2, 2), lambda w: w.view(-1)),
    "flatten": ((2, 2), lambda w: w.flatten()),
    "transpose": ((2, 2), lambda w: w.transpose(0, 1).reshape(4)),
    "permute": ((2, 2), lambda w: w.permute(1, 0).reshape(4)),
    "T": ((2, 2), lambda w: w.T.reshape(4)),
    "expand": ((1,), lambda w: w.expand(4)),
    "squeeze": ((1, 4), lambda w: w.squeeze(0)),
    "unsqueeze": ((4,), lambda w: w.unsqueeze(0)[0]),
    "detach": ((4,), lambda w: w.detach()),
    "view_of_view": ((3, 4), lambda w: w[1:].reshape(8)[:4]),
}
THROUGH = ["base", "alias", "detached_alias", "second_alias"]


def _modify(base, alias, through):
    target = {"base": base, "alias": alias, "detached_alias": alias.detach(),
              "second_alias": base.detach().reshape(-1)}[through]
    target.add_(100.0)


@pytest.mark.parametrize("through", THROUGH)
@pytest.mark.parametrize("alias", ALIASES, ids=list(ALIASES))
def test_inplace_change_through_any_alias_of_a_saved_value_raises(alias, through):
    shape, make_alias = ALIASES[alias]
    x = mg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    w = mg.tensor(np.arange(1.0, 1.0 + math.prod(shape)).reshape(shape))
    v = make_alias(w)
    z = (x * v).sum()
    with pytest.raises(RuntimeError, match="in-place"):  # an expanded alias refuses the write itself, as torch
        _modify(w, v, through)
        z.backward()


@pytest.mark.parametrize("make", [
    lambda y: y.detach(), lambda y: y.detach().reshape(2, 2), lambda y: y.detach()[1:], lambda y: y.detach().T])
def test_inplace_change_of_a_saved_output_through_a_detached_alias_raises(make):
    x = mg.tensor([0.5, 1.0, 1.5, 2.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    make(y).mul_(0.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward(mg.ones(4))  # Exp's own saved output, with no op after it


def test_issue_examples_raise_like_torch():
    """The three examples of issue 11; PyTorch raises on each."""
    def examples(lib, tensor):
        def sliced():
            x, w = tensor([1.0, 2.0, 3.0], requires_grad=True), tensor([1.0, 2.0, 3.0, 4.0])
            v = w[:3]
            z = (x * v).sum()
            w.add_(100.0)
            z.backward()

        def detached():
            x = tensor([1.0, 2.0], requires_grad=True)
            y = x.exp()
            y.detach().mul_(0.0)
            y.sum().backward()

        def reshaped():
            x, w = tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True), tensor([[1.0, 2.0], [3.0, 4.0]])
            v = w.reshape(4)
            z = (x * v).sum()
            w.add_(100.0)
            z.backward()
        return [sliced, detached, reshaped]

    for ours, theirs in zip(examples(mg, mg.tensor), examples(torch, torch.tensor)):
        with pytest.raises(RuntimeError):
            theirs()
        with pytest.raises(RuntimeError, match="modified by an in-place operation"):
            ours()


def test_alias_change_made_before_the_graph_is_fine_and_gradients_match_torch():
    x, w = mg.tensor([1.0, 2.0, 3.0], requires_grad=True), mg.tensor([1.0, 2.0, 3.0, 4.0])
    w[:3].add_(100.0)
    (x * w[:3]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [101.0, 102.0, 103.0])


def test_inplace_through_an_integer_index_changes_the_base_as_in_torch():
    w, tw = mg.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    w[1].add_(10.0)
    tw[1].add_(10.0)
    np.testing.assert_array_equal(w.numpy(), tw.numpy())
    assert w._version == 1


def test_clone_is_not_an_alias():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    with mg.no_grad():
        c.add_(1.0)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])
    assert x._version == 0


# ---- 5. a Scalar reads like a number ------------------------------------------------------------------

def _micrograd_example():
    """micrograd's test_more_ops, with the values PyTorch gives (float64)."""
    def build(a, b):
        c = a + b
        d = a * b + b ** 3
        c = c + c + 1
        c = c + 1 + c + (-a)
        d = d + d * 2 + (b + a).relu()
        d = d + 3 * d + (b - a).relu()
        e = c - d
        f = e ** 2
        g = f / 2.0
        return g + 10.0 / f

    a, b = mg.Scalar(-4.0), mg.Scalar(2.0)
    build(a, b).backward()
    ta, tb = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True), torch.tensor(2.0, dtype=torch.float64,
                                                                                       requires_grad=True)
    build(ta, tb).backward()
    return a, b, ta.grad.item(), tb.grad.item()


def test_scalar_grad_compares_formats_and_rounds_like_a_float():
    a, b, ga, gb = _micrograd_example()
    assert (a.grad == ga) is True and (a.grad != ga) is False
    assert abs(a.grad - ga) < 1e-9 and abs(b.grad - gb) < 1e-9
    assert isinstance(abs(mg.Scalar(-2.0)), mg.Scalar) and abs(mg.Scalar(-2.0)) == 2.0
    assert f"{a.grad:.4f}" == f"{ga:.4f}" and f"{b.grad:.3e}" == f"{gb:.3e}"
    assert math.isclose(a.grad, ga) and math.isclose(b.grad, gb, rel_tol=1e-12)
    assert a.grad == pytest.approx(ga) and pytest.approx(gb) == b.grad
    assert a.grad != pytest.approx(ga + 1.0)
    assert mg.Scalar(2.0) == mg.Scalar(2.0) and mg.Scalar(1.0) < mg.Scalar(2.0) <= 2.0
    assert int(mg.Scalar(3.7)) == 3 and bool(mg.Scalar(0.0)) is False


def test_equal_scalars_stay_distinct_graph_nodes():
    x, y = mg.Scalar(2.0), mg.Scalar(2.0)
    assert x == y and len({x, y}) == 2 and {x: 1, y: 2}[x] == 1
    f = x * y + x
    f.backward()
    assert x.grad == 3.0 and y.grad == 2.0


def test_scalar_grad_stays_differentiable_for_higher_order():
    x = mg.Scalar(1.5)
    assert mg.grad(mg.grad(lambda x: x ** 3 * x.sin()))(x) == pytest.approx(
        torch.func.grad(torch.func.grad(lambda t: t ** 3 * t.sin()))(torch.tensor(1.5, dtype=torch.float64)).item())


def test_a_scalar_never_silently_becomes_a_constant():
    x, e = mg.Scalar(2.0), mg.Scalar(3.0)
    (x ** e).backward()
    assert e.grad == pytest.approx(8.0 * math.log(2.0))  # the exponent kept its gradient
    with pytest.raises(TypeError, match="Scalar"):
        mg.tensor([1.0]) * x


@pytest.mark.parametrize("name, f, point", [
    ("log_at_0", lambda x: x.log(), 0.0),
    ("sqrt_of_negative", lambda x: x.sqrt(), -1.0),
    ("sqrt_at_0", lambda x: x.sqrt(), 0.0),
    ("reciprocal_at_0", lambda x: 1.0 / x, 0.0),
    ("negative_reciprocal_at_0", lambda x: -1.0 / x, 0.0),
    ("pow_negative_at_0", lambda x: x ** -1.0, 0.0),
    ("fractional_pow_of_negative", lambda x: x ** (1 / 3), -8.0),
    ("exp_overflow", lambda x: x.exp(), 1000.0),
    ("log1p_below_minus_1", lambda x: x.log1p(), -2.0),
    ("sin_of_inf", lambda x: x.sin(), math.inf),
])
def test_scalar_gives_ieee_results_like_a_float64_tensor(name, f, point):
    x = mg.Scalar(point)
    out = f(x)
    out.backward()
    t = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    tout = f(t)
    tout.backward()
    np.testing.assert_equal(out.data, tout.item())
    np.testing.assert_equal(x.grad.data, t.grad.item())
