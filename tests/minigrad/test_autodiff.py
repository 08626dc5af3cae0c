"""The graph core: backprop order and accumulation, graph freeing, grad mode, in-place checks, errors."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.autodiff import Op, module_scope

torch = pytest.importorskip("torch")


# ---- backprop over the graph ---------------------------------------------------------------------

def test_long_chain_backprops_without_recursion_error():
    x = mg.tensor(1.0, dtype=mg.float64, requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 20_000, rel=1e-9)


def test_long_scalar_chain_backprops_without_recursion_error():
    x = mg.Scalar(0.5)
    y = x
    for _ in range(10_000):  # two ops per step
        y = y + x * 2.0
    y.backward()
    assert x.grad.data == 1 + 2 * 10_000


@pytest.mark.parametrize("make", [lambda v: mg.tensor(v, requires_grad=True), mg.Scalar], ids=["tensor", "scalar"])
def test_shared_subexpressions_accumulate(make):
    a = make(1.5)
    b = a + a
    c = b + b
    c.backward()
    assert float(a.grad.data) == 4.0


def test_diamond_graph_matches_torch(assert_close, to_torch):
    def f(x, lib):
        s = lib.sin(x)
        return (s * x.exp() + s * s).sum()

    x = mg.tensor([0.3, -1.2, 2.0], requires_grad=True)
    t = to_torch(x, requires_grad=True)
    f(x, mg).backward()
    f(t, torch).backward()
    assert_close(x.grad, t.grad)


def test_gradients_accumulate_across_backward_calls():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 + 2 * np.array([1.0, 2.0]))


def test_non_leaf_gradients_only_with_retain_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).retain_grad()
    k = x * 3
    (h * k).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [3.0, 6.0])
    assert k.grad is None


def test_scalars_keep_gradients_on_every_node():
    x = mg.Scalar(2.0)
    h = x * x
    (h * 3).backward()
    assert h.grad.data == 3.0 and x.grad.data == 12.0


def test_backward_with_explicit_gradient(assert_close):
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).backward(mg.tensor([1.0, 0.0, -1.0]))
    assert_close(x.grad, np.array([2.0, 0.0, -6.0], dtype=np.float32))


def test_grad_function_returns_gradients_without_touching_grad_and_zeros_for_unused():
    x, y = mg.tensor(2.0, requires_grad=True), mg.tensor(5.0, requires_grad=True)
    gx, gy = mg.autodiff.grad(x * x, [x, y])
    assert gx.item() == 4.0 and gy.item() == 0.0
    assert x.grad is None and y.grad is None


def test_second_backward_through_freed_graph_names_retain_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_create_graph_gives_higher_order_derivatives():
    x = mg.tensor(2.0, dtype=mg.float64, requires_grad=True)
    (x ** 4).backward(create_graph=True)
    first = x.grad
    assert first.requires_grad and first.item() == 4 * 2.0 ** 3
    (second,) = mg.autodiff.grad(first, [x], create_graph=True)
    (third,) = mg.autodiff.grad(second, [x])
    assert second.item() == 12 * 2.0 ** 2 and third.item() == 24 * 2.0


def test_create_graph_matches_torch_double_backward(assert_close):
    values = np.array([[0.5, -1.0], [2.0, 0.1]], dtype=np.float32)

    def loss(w, lib):
        return (lib.tanh(w) ** 2).sum()

    w, t = mg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    (gw,) = mg.autodiff.grad(loss(w, mg), [w], create_graph=True)
    (gt,) = torch.autograd.grad(loss(t, torch), [t], create_graph=True)
    (ggw,) = mg.autodiff.grad((gw * gw).sum(), [w])
    (ggt,) = torch.autograd.grad((gt * gt).sum(), [t])
    assert_close(ggw, ggt)


# ---- grad mode, requires_grad, detach ---------------------------------------------------------------

def test_no_grad_records_nothing_and_enable_grad_turns_it_back_on():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
        with mg.enable_grad():
            z = x * 2
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf
    assert z.requires_grad and not z.is_leaf


def test_no_grad_as_decorator_restores_mode_after_an_exception():
    @mg.no_grad()
    def double(x):
        return x * 2

    @mg.no_grad()
    def fail():
        raise KeyError("boom")

    x = mg.tensor([1.0], requires_grad=True)
    assert not double(x).requires_grad
    with pytest.raises(KeyError):
        fail()
    assert mg.is_grad_enabled()


@pytest.mark.parametrize("flags, expected", [((False, False), False), ((True, False), True), ((False, True), True),
                                             ((True, True), True)])
def test_requires_grad_propagates_when_any_input_requires_it(flags, expected):
    a, b = (mg.tensor([1.0, 2.0], requires_grad=f) for f in flags)
    out = (a * b).exp().sum()
    assert out.requires_grad is expected
    assert out.is_leaf is not expected


def test_only_float_tensors_can_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        mg.tensor([1, 2], requires_grad=True)


def test_casts_to_integers_are_constants_and_float_casts_carry_the_gradient():
    x = mg.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad and x.long().tolist() == [1, 2]
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == mg.float32 and x.grad.tolist() == [2.0, 2.0]


def test_detach_cuts_the_graph_and_shares_values():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 3).detach()
    assert not d.requires_grad and d.is_leaf
    (x * d).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 6.0])


def test_requires_grad_false_only_on_leaves():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaves"):
        (x * 2).requires_grad_(False)


def test_module_scope_is_recorded_on_ops():
    x = mg.tensor([1.0], requires_grad=True)
    with module_scope("encoder"), module_scope("encoder.layer1"):
        y = x * 2
    z = y + 1
    assert y._op.scope == ("encoder", "encoder.layer1")
    assert z._op.scope == ()


# ---- in-place updates and the version counter --------------------------------------------------------

def test_inplace_change_of_a_saved_input_is_caught():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    y = (w * c).sum()
    c.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified by an in-place operation.*version 1.*saved version 0"):
        y.backward()


def test_inplace_change_of_a_parameter_under_no_grad_is_caught():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    with mg.no_grad():
        w.mul_(0.5)
    with pytest.raises(RuntimeError, match="in-place"):
        y.backward()


def test_inplace_update_after_backward_is_fine():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with mg.no_grad():
        w.sub_(w.grad, alpha=0.1)
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)


@pytest.mark.parametrize("update", [lambda t: t.add_(1.0), lambda t: t.mul_(2.0), lambda t: t.zero_(),
                                    lambda t: t.copy_(mg.tensor([0.0, 0.0]))], ids=["add_", "mul_", "zero_", "copy_"])
def test_inplace_on_graph_tensors_is_refused_while_recording(update):
    leaf = mg.tensor([1.0, 2.0], requires_grad=True)
    inner = leaf * 2
    for t in (leaf, inner):
        with pytest.raises(RuntimeError, match="no_grad"):
            update(t)
        assert t._version == 0


# ---- error messages ----------------------------------------------------------------------------------

def test_backward_on_non_scalar_without_gradient_says_so():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar output.*shape \(2,\)"):
        (x * 2).backward()


def test_backward_gradient_of_wrong_shape_names_both_shapes():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        (x * 2).backward(mg.ones(3))


def test_backward_without_any_input_requiring_grad_says_so():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        (mg.ones(2) * 2).sum().backward()


@pytest.mark.parametrize("fn, op", [
    (lambda a, b: a + b, "Add"),
    (lambda a, b: a * b, "Mul"),
    (lambda a, b: a @ b, "Matmul"),
], ids=["add", "mul", "matmul"])
def test_shape_mismatch_names_the_op_and_both_shapes(fn, op):
    a, b = mg.ones(2, 3, requires_grad=True), mg.ones(4, 5)
    with pytest.raises(ValueError, match=rf"{op}.*\(2, 3\) and \(4, 5\)"):
        fn(a, b)


class _WrongSquare(Op):
    """z = x²  with a deliberately wrong reverse rule (x instead of 2x)."""

    def forward(self, x):
        return x * x

    def vjp(self, g):
        return g * self.inputs[0]

    def jvp(self, dx):
        return dx * 2 * self.inputs[0]


def test_gradcheck_catches_a_wrong_rule_and_names_the_mode():
    x = np.array([0.5, 1.5])
    with pytest.raises(mg.GradcheckError, match="reverse mode"):
        mg.gradcheck(lambda t: _WrongSquare.apply(t), [x])
    assert mg.gradcheck(lambda t: _WrongSquare.apply(t), [x], modes=("forward",))


def test_numerical_jacobian_of_a_known_function():
    x = mg.tensor([0.3, 0.7], dtype=mg.float64)
    jac = mg.numerical_jacobian(lambda t: t.sin(), [x], 0)
    np.testing.assert_allclose(jac, np.diag(np.cos([0.3, 0.7])), atol=1e-9)
    assert math.isclose(mg.numerical_jacobian(lambda s: s * s, [mg.Scalar(3.0)], 0)[0, 0], 6.0, rel_tol=1e-9)
