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


# ---- 2. type promotion as torch.result_type --------------------------------------------------------------

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.needs_cuda)]
I32, I64 = torch.int32, torch.int64
PROMOTION = {  # name: f(lib, make) with make(values, dtype) a tensor of that library
    "int_plus_float": lambda m, t: t([1, 2]) + 0.5,
    "float_times_int": lambda m, t: 1.5 * t([1, 2]),
    "int32_plus_float": lambda m, t: t([1, 2], I32) + 1.5,
    "int32_plus_int_stays_int32": lambda m, t: t([1, 2], I32) + 7,
    "int32_plus_int64": lambda m, t: t([1, 2], I32) + t([3, 4]),
    "float32_plus_int64_tensor": lambda m, t: t([1.0, 2.0]) + t([3, 4]),
    "float16_plus_float_stays_float16": lambda m, t: t([1.0, 2.0], torch.float16) + 1.5,
    "float32_plus_0d_float64": lambda m, t: t([1.0, 2.0]) * t(2.0, torch.float64),
    "int_plus_0d_float": lambda m, t: t([1, 2]) + t(0.5),
    "int_div_int": lambda m, t: t([1, 2]) / t([2, 4]),
    "int_div_number": lambda m, t: t([1, 3]) / 2,
    "number_div_int": lambda m, t: 2 / t([1, 4]),
    "exp_of_int": lambda m, t: t([1, 2]).exp(),
    "log_of_int": lambda m, t: t([1, 2]).log(),
    "log1p_of_int": lambda m, t: t([1, 2]).log1p(),
    "sqrt_of_int": lambda m, t: t([1, 4]).sqrt(),
    "cos_of_int": lambda m, t: t([1, 4]).cos(),
    "sin_of_int": lambda m, t: t([1, 4]).sin(),
    "tanh_of_int": lambda m, t: t([1, 4]).tanh(),
    "sigmoid_of_int": lambda m, t: t([1, 4]).sigmoid(),
    "int_pow_float": lambda m, t: t([1, 4]) ** 1.5,
    "int_pow_int_stays_int": lambda m, t: t([1, 4]) ** 2,
    "float_pow_int_tensor": lambda m, t: 2.5 ** t([1, 4]),
    "float32_pow_int_tensor": lambda m, t: t([1.0, 2.0]) ** t([2, 3]),
    "bool_plus_int": lambda m, t: t([True, False]) + 1,
    "bool_times_float": lambda m, t: t([True, False]) * 2.5,
    "bool_plus_bool_stays_bool": lambda m, t: t([True, False]) + t([True, True]),
    "int_maximum_float": lambda m, t: m.maximum(t([1, 2]), t([1.5, 1.0])),
    "int_minimum_float": lambda m, t: m.minimum(t([1, 2]), t([1.5, 1.0])),
    "int32_minimum_at_most_negative": lambda m, t: m.minimum(t([0, -2 ** 31], I32), t([1, 1], I32)),
    "int64_minimum_at_most_negative": lambda m, t: m.minimum(t([0, -2 ** 63], I64), t([1, 1], I64)),
    "int32_min_at_most_negative": lambda m, t: t([0, -2 ** 31], I32).min(),
    "int64_min_at_most_negative": lambda m, t: t([5, -2 ** 63, 3], I64).min(),
    "int32_argmin_at_most_negative": lambda m, t: t([0, -2 ** 31, 4], I32).argmin(),
    "int_min_along_axis": lambda m, t: t([[0, -2 ** 31], [-2 ** 31, 5]], I32).min(1),
    "bool_min": lambda m, t: t([True, False]).min(),
    "bool_max": lambda m, t: t([True, False]).max(),
    "int_clip_float": lambda m, t: t([1, 2]).clip(min=1.5),
    "int_equals_float": lambda m, t: t([1, 2]) == 1.5,
    "where_two_ints": lambda m, t: m.where(t([True, False]), 1, 3),
    "where_float_and_int": lambda m, t: m.where(t([True, False]), 1.0, 3),
    "where_int_tensor_and_float": lambda m, t: m.where(t([True, False]), t([1, 2]), 2.5),
    "where_float_tensor_and_int": lambda m, t: m.where(t([True, False]), 4, t([1.0, 2.0])),
}


def _dtype_name(d):
    return str(d).replace("torch.", "")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", PROMOTION)
def test_dtype_and_values_match_torch(name, device):
    f = PROMOTION[name]
    to_np = {I32: np.int32, I64: np.int64, torch.float16: np.float16, torch.float64: np.float64}
    ours = f(mg, lambda v, d=None: mg.tensor(v, dtype=to_np.get(d), device=device))
    theirs = f(torch, lambda v, d=None: torch.tensor(v, dtype=d))
    theirs = theirs if isinstance(theirs, torch.Tensor) else theirs.values  # min(axis) also returns indices
    assert str(ours.dtype) == _dtype_name(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_bool_minus_number_is_an_integer():
    """PyTorch refuses bool - 1; the issue asks for it to work, as True - 1 does in Python: int64."""
    out = mg.tensor([True, False]) - 1
    assert out.dtype == mg.int64 and out.tolist() == [0, -1]
    assert (1 - mg.tensor([True, False])).tolist() == [0, 1]


def test_bool_argmin_and_argmax_work():
    """PyTorch refuses argmin/argmax of bool tensors; minigrad answers as for 0/1 integers."""
    x = mg.tensor([True, False, True, False])
    assert x.argmin().item() == 1 and x.argmax().item() == 0
    assert x.argmin().item() == torch.tensor([1, 0, 1, 0]).argmin().item()


@pytest.mark.parametrize("reduction", ["mean", "var", "std"])
def test_mean_of_an_integer_tensor_raises_like_torch(reduction):
    with pytest.raises(RuntimeError):
        getattr(torch.tensor([1, 2]), reduction)()
    with pytest.raises(TypeError, match="floating-point"):
        getattr(mg.tensor([1, 2]), reduction)()


def test_where_needs_a_boolean_condition_like_torch():
    with pytest.raises(RuntimeError):
        torch.where(torch.tensor([1.0, 0.0]), 1.0, 2.0)
    with pytest.raises(TypeError, match="boolean"):
        mg.where(mg.tensor([1.0, 0.0]), 1.0, 2.0)


def test_promoted_operations_keep_their_gradients():
    x = mg.tensor([0.5, 1.5], dtype=mg.float16, requires_grad=True)
    y = mg.tensor([2.0, 3.0], requires_grad=True)
    ((x * y) / mg.tensor([1, 2])).sum().backward()
    tx = torch.tensor([0.5, 1.5], dtype=torch.float16, requires_grad=True)
    ty = torch.tensor([2.0, 3.0], requires_grad=True)
    ((tx * ty) / torch.tensor([1, 2])).sum().backward()
    assert x.grad.dtype == mg.float16 and y.grad.dtype == mg.float32
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-3)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-6)


INTEGER_INPUTS = {
    "requires_grad_": lambda x: x.requires_grad_(),
    "grad": lambda x: mg.grad(lambda v: (v * v).sum())(x),
    "value_and_grad": lambda x: mg.value_and_grad(lambda v: (v * v).sum())(x),
    "jacrev": lambda x: mg.jacrev(lambda v: v * v)(x),
    "jacfwd": lambda x: mg.jacfwd(lambda v: v * v)(x),
    "jvp": lambda x: mg.jvp(lambda v: v * v, (x,), (x,)),
    "vjp": lambda x: mg.vjp(lambda v: v * v, x),
}


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
@pytest.mark.parametrize("name", INTEGER_INPUTS)
def test_differentiating_at_an_integer_input_raises_like_the_constructor(name, dtype):
    with pytest.raises(RuntimeError, match="floating point"):
        torch.tensor([1, 0]).to(getattr(torch, dtype)).requires_grad_()
    x = mg.tensor(np.array([1, 0]).astype(dtype))
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        INTEGER_INPUTS[name](x)
    assert not x.requires_grad


# ---- 3. axes and sizes are validated, never wrapped or truncated -----------------------------------------

def _z(m):
    return m.zeros(2, 3)


BAD_AXES = {  # name: f(lib) that PyTorch refuses with an IndexError
    "unsqueeze_77": lambda m: _z(m).unsqueeze(77),
    "unsqueeze_-4": lambda m: _z(m).unsqueeze(-4),
    "stack_77": lambda m: m.stack([_z(m), _z(m)], 77),
    "stack_-4": lambda m: m.stack([_z(m), _z(m)], -4),
    "concat_5": lambda m: m.cat([_z(m), _z(m)], 5),
    "concat_-3": lambda m: m.cat([_z(m), _z(m)], -3),
    "flatten_0_5": lambda m: _z(m).flatten(0, 5),
    "flatten_-3": lambda m: _z(m).flatten(-3),
    "transpose_0_9": lambda m: _z(m).transpose(0, 9),
    "permute_0_5": lambda m: _z(m).permute(0, 5),
    "squeeze_5": lambda m: _z(m).squeeze(5),
    "split_axis_5": lambda m: _z(m).split(1, 5),
    "chunk_axis_2": lambda m: _z(m).chunk(2, 2),
    "sum_5": lambda m: _z(m).sum(5),
    "sum_-3": lambda m: _z(m).sum(-3),
    "max_2": lambda m: _z(m).amax(2) if m is torch else _z(m).max(2),
    "mean_2": lambda m: _z(m).mean(2),
    "var_2": lambda m: _z(m).var(2),
    "logsumexp_2": lambda m: _z(m).logsumexp(2),
    "softmax_2": lambda m: _z(m).softmax(2),
    "log_softmax_-3": lambda m: _z(m).log_softmax(-3),
    "argmax_2": lambda m: _z(m).argmax(2),
    "argmin_2": lambda m: _z(m).argmin(2),
    "scalar_sum_1": lambda m: m.tensor(3.0).sum(1),
    "scalar_unsqueeze_2": lambda m: m.tensor(3.0).unsqueeze(2),
}


@pytest.mark.parametrize("name", BAD_AXES)
def test_out_of_range_axis_raises_index_error_naming_the_range(name):
    with pytest.raises(IndexError):
        BAD_AXES[name](torch)
    with pytest.raises(IndexError, match=r"axis -?\d+ is out of range .* \(expected an axis in \[-\d+, \d+\]\)"):
        BAD_AXES[name](mg)


ZERO_D_AXES = {  # a 0-d tensor accepts axis 0 and -1, as in PyTorch
    "sum_0": lambda m: m.tensor(3.0).sum(0),
    "sum_-1": lambda m: m.tensor(3.0).sum(-1),
    "mean_0": lambda m: m.tensor(3.0).mean(0),
    "max_0": lambda m: m.tensor(3.0).amax(0) if m is torch else m.tensor(3.0).max(0),
    "min_-1": lambda m: m.tensor(3.0).amin(-1) if m is torch else m.tensor(3.0).min(-1),
    "softmax": lambda m: m.tensor(3.0).softmax(-1),
    "log_softmax_0": lambda m: m.tensor(3.0).log_softmax(0),
    "logsumexp_0": lambda m: m.tensor(3.0).logsumexp(0),
    "argmax_0": lambda m: m.tensor(3.0).argmax(0),
    "unsqueeze_-1": lambda m: m.tensor(3.0).unsqueeze(-1),
    "flatten": lambda m: m.tensor(3.0).flatten(0, -1),
    "transpose_0_-1": lambda m: m.tensor(3.0).transpose(0, -1),
    "squeeze_0": lambda m: m.tensor(3.0).squeeze(0),
}


@pytest.mark.parametrize("name", ZERO_D_AXES)
def test_0d_tensor_takes_axis_0_and_minus_1_like_torch(name):
    ours, theirs = ZERO_D_AXES[name](mg), ZERO_D_AXES[name](torch)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


BAD_SIZES = {  # name: (f(lib), exception minigrad raises, what its message says); PyTorch refuses each too
    "sum_duplicate_axes": (lambda m: _z(m).sum((0, 0)), ValueError, "same axis more than once"),
    "sum_duplicate_negative_axes": (lambda m: _z(m).sum((1, -1)), ValueError, "same axis more than once"),
    "mean_duplicate_axes": (lambda m: _z(m).mean((0, -2)), ValueError, "same axis more than once"),
    "sum_float_axis": (lambda m: _z(m).sum(1.5), TypeError, "axis must be an integer"),
    "permute_repeated": (lambda m: _z(m).permute(0, 0), ValueError, "not a permutation"),
    "reshape_float": (lambda m: m.zeros(6).reshape((2.9, 3)), TypeError, r"sizes must be integers, got \(2.9, 3\)"),
    "reshape_negative": (lambda m: m.zeros(6).reshape(-2, -3), ValueError, "non-negative"),
    "zeros_float": (lambda m: m.zeros(2.5), TypeError, "zeros: sizes must be integers"),
    "zeros_negative": (lambda m: m.zeros(-1), ValueError, "zeros: sizes must be non-negative"),
    "ones_negative": (lambda m: m.ones(2, -1), ValueError, "ones: sizes must be non-negative"),
    "randn_float": (lambda m: m.randn(2.5), TypeError, "randn: sizes must be integers"),
    "full_float": (lambda m: m.full(2.5, 1.0), TypeError, "full: sizes must be integers"),
    "expand_float": (lambda m: m.zeros(1).expand(2.5), TypeError, "expand: sizes must be integers"),
    "split_0": (lambda m: _z(m).split(0), ValueError, "piece size must be a positive integer"),
    "split_negative": (lambda m: _z(m).split(-1), ValueError, "piece size must be a positive integer"),
    "chunk_0": (lambda m: _z(m).chunk(0), ValueError, "number of chunks must be a positive integer"),
    "concat_0d": (lambda m: m.cat([m.zeros(()), m.zeros(())]), ValueError, "position 0 is 0-d"),
    "flatten_start_after_end": (lambda m: _z(m).flatten(1, 0), ValueError, "start_dim 1 comes after end_dim 0"),
    "ragged_list": (lambda m: m.tensor([[1.0, 2.0], [3.0]]), ValueError, "ragged"),
    "ragged_deep_list": (lambda m: m.tensor([[[1.0], [2.0]], [[3.0]]]), ValueError, "ragged"),
    "add_shape": (lambda m: m.zeros(3).add_(m.ones(2, 3)), ValueError, r"add_: .*\(2, 3\).*\(3,\)"),
    "mul_shape": (lambda m: m.zeros(3).mul_(m.ones(4)), ValueError, r"mul_: .*\(4,\).*\(3,\)"),
    "copy_shape": (lambda m: m.zeros(3).copy_(m.ones(4)), ValueError, r"copy_: .*\(4,\).*\(3,\)"),
    "add_float_into_int": (lambda m: m.zeros(3, dtype=m.int64).add_(0.5), TypeError, "float32.*int64"),
    "add_float_alpha_into_int": (lambda m: m.zeros(3, dtype=m.int64).add_(m.ones(3, dtype=m.int64), alpha=0.5),
                                 TypeError, "float32.*int64"),
    "mul_float_tensor_into_int": (lambda m: m.zeros(3, dtype=m.int64).mul_(m.ones(3)), TypeError, "float32.*int64"),
    "div_int": (lambda m: m.ones(3, dtype=m.int64).div_(2), TypeError, "float32.*int64"),
    "add_int_into_bool": (lambda m: m.zeros(3, dtype=torch.bool if m is torch else "bool").add_(2), TypeError, "int64.*bool"),
}


@pytest.mark.parametrize("name", BAD_SIZES)
def test_bad_sizes_and_operands_raise_a_clear_error_before_any_change(name):
    f, error, message = BAD_SIZES[name]
    with pytest.raises((RuntimeError, TypeError, ValueError, IndexError)):
        f(torch)
    with pytest.raises(error, match=message):
        f(mg)


def test_failed_inplace_update_leaves_the_tensor_as_it_was():
    x = mg.tensor([1, 2, 3])
    with pytest.raises(TypeError):
        x.add_(0.5)
    with pytest.raises(ValueError):
        x.add_(mg.ones(2, 3, dtype=mg.int64))
    assert x.tolist() == [1, 2, 3] and x._version == 0


def test_nested_lists_of_tensors_are_refused_with_a_pointer_to_stack():
    """PyTorch converts a list of one-element tensors to numbers, silently cutting them from the graph;
    minigrad refuses and points to mg.stack, which keeps the gradients."""
    a = mg.tensor([1.0], requires_grad=True)
    for data in ([a, a], [[a], [a]], [mg.tensor(1.0), 2.0], [mg.Scalar(1.0)]):
        with pytest.raises(TypeError, match="mg.stack"):
            mg.tensor(data)


def test_squeeze_of_an_axis_longer_than_1_raises():
    """PyTorch returns the tensor unchanged; minigrad raises, since the caller expected an axis of length 1."""
    assert torch.zeros(2, 3).squeeze(0).shape == (2, 3)
    with pytest.raises(ValueError, match="axis 0 of shape \\(2, 3\\) has size 2"):
        mg.zeros(2, 3).squeeze(0)


@pytest.mark.parametrize("make", [lambda m: m.zeros(2, 3).split(2, 1), lambda m: m.zeros(5, 2).chunk(3),
                                  lambda m: m.zeros(0, 2).split(0), lambda m: m.zeros(4).split([1, 3])])
def test_valid_splits_match_torch(make):
    assert [p.shape for p in make(mg)] == [tuple(p.shape) for p in make(torch)]


# ---- 4. transforms: argnums, and second order where a first derivative is infinite ------------------------

def _f64(lib, v):
    return mg.tensor(v, dtype=mg.float64) if lib is mg else torch.tensor(v, dtype=torch.float64)


def _nested_numpy(result):
    if isinstance(result, tuple):
        return [_nested_numpy(r) for r in result]
    return np.asarray(result.detach().numpy() if isinstance(result, torch.Tensor) else result.numpy())


def _assert_same_structure_and_values(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _assert_same_structure_and_values(o, t)
        return
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


ARGNUMS = {  # name: (transform name, f, argnums, points)
    "hessian_tuple": ("hessian", lambda x, y: (x ** 2 * y).sum() + (x * y).sin().sum(), (0, 1), ([1.0, 2.0], 3.0)),
    "hessian_second_only": ("hessian", lambda x, y: (x ** 2 * y ** 3).sum(), (1,), ([1.0, 2.0], 3.0)),
    "jacfwd_tuple": ("jacfwd", lambda x, y: x * y.exp(), (0, 1), ([1.0, 2.0], 0.5)),
    "jacrev_tuple": ("jacrev", lambda x, y: x * y.exp(), (0, 1), ([1.0, 2.0], 0.5)),
    "jacrev_reversed": ("jacrev", lambda x, y: x * y.exp(), (1, 0), ([1.0, 2.0], 0.5)),
    "jacfwd_tuple_output": ("jacfwd", lambda x, y: (x * y, y.sin()), (0, 1), ([1.0, 2.0], 0.5)),
    "jacrev_tuple_output": ("jacrev", lambda x, y: (x * y, y.sin()), (0, 1), ([1.0, 2.0], 0.5)),
    "jacrev_tuple_output_int": ("jacrev", lambda x, y: (x * y, y.sin()), 1, ([1.0, 2.0], 0.5)),
    "grad_tuple": ("grad", lambda x, y: (x * y.exp()).sum(), (1, 0), ([1.0, 2.0], 0.5)),
}


@pytest.mark.parametrize("name", ARGNUMS)
def test_argnums_tuples_match_torch_func(name):
    transform, f, argnums, points = ARGNUMS[name]
    ours = getattr(mg, transform)(f, argnums=argnums)(*[_f64(mg, p) for p in points])
    theirs = getattr(torch.func, transform)(f, argnums=argnums)(*[_f64(torch, p) for p in points])
    _assert_same_structure_and_values(ours, theirs)


def test_negative_argnums_count_from_the_end():
    """(torch.func.hessian(f, argnums=-1) gives 0 here, a PyTorch bug; its argnums=1 gives the right 90.)"""
    def f(x, y):
        return (x ** 2 * y ** 3).sum()
    points = ([1.0, 2.0], 3.0)
    ours = mg.hessian(f, argnums=-1)(*[_f64(mg, p) for p in points])
    theirs = torch.func.hessian(f, argnums=1)(*[_f64(torch, p) for p in points])
    assert ours.item() == theirs.item() == 90.0


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "jacrev", "jacfwd", "hessian"])
@pytest.mark.parametrize("argnums", [(0, 0), (1, -1), (0, 1, 0)])
def test_repeated_argnums_raise_like_torch(transform, argnums):
    def f(x, y):
        return (x * y).sum()
    torch_transform = getattr(torch.func, "grad_and_value" if transform == "value_and_grad" else transform)
    with pytest.raises(RuntimeError, match="unique"):
        torch_transform(f, argnums=argnums)(_f64(torch, [1.0]), _f64(torch, [2.0]))
    with pytest.raises(ValueError, match="same argument more than once"):
        getattr(mg, transform)(f, argnums=argnums)(_f64(mg, [1.0]), _f64(mg, [2.0]))


@pytest.mark.parametrize("argnums", [(), 1.5, [0], True])
def test_malformed_argnums_raise(argnums):
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple"):
        mg.grad(lambda x, y: x * y, argnums=argnums)(mg.Scalar(1.0), mg.Scalar(2.0))


SINGULAR = {  # functions whose derivatives at 0 are infinite, zero or undefined
    "sqrt": lambda x: x.sqrt(),
    "log": lambda x: x.log(),
    "reciprocal": lambda x: 1 / x,
    "x_times_sqrt": lambda x: x * x.sqrt(),
    "sqrt_squared": lambda x: x.sqrt() * x.sqrt(),
    "exp_of_sqrt": lambda x: x.sqrt().exp(),
}
for _c in (0, 1, 2, 3, -1, -2, 0.5, 1.5, 2.5, -0.5):
    SINGULAR[f"pow_const_{_c}"] = lambda x, c=_c: x ** c
    SINGULAR[f"pow_tensor_exponent_{_c}"] = lambda x, c=_c: x ** (x * 0 + c)
    SINGULAR[f"zero_base_pow_{_c}"] = lambda x, c=_c: (x * 0) ** (x * 0 + c) + 0 * x
    SINGULAR[f"rpow_{_c}"] = lambda x, c=_c: float(c) ** x

DERIVATIVES = {  # how: (ours, theirs) -> the derivative at x0, as a function of (transforms module, f, x)
    "grad": lambda T, f, x: T.grad(f)(x),
    "jvp": lambda T, f, x: T.jvp(f, (x,), (x * 0 + 1,))[1],
    "jvp_of_grad": lambda T, f, x: T.jvp(T.grad(f), (x,), (x * 0 + 1,))[1],
    "grad_of_grad": lambda T, f, x: T.grad(T.grad(f))(x),
    "hessian": lambda T, f, x: T.hessian(f)(x),
    "jacfwd_of_jacrev": lambda T, f, x: T.jacfwd(T.jacrev(f))(x),
    "jacrev_of_jacrev": lambda T, f, x: T.jacrev(T.jacrev(f))(x),
}


@pytest.mark.parametrize("how", DERIVATIVES)
@pytest.mark.parametrize("name", SINGULAR)
def test_derivatives_at_a_singular_point_match_torch(name, how):
    f, derivative = SINGULAR[name], DERIVATIVES[how]
    x0 = 1.0 if name.startswith("rpow") else 0.0
    theirs = derivative(torch.func, f, _f64(torch, x0)).item()
    with np.errstate(all="ignore"):
        ours = derivative(mg, f, _f64(mg, x0)).item()
    np.testing.assert_equal(ours, theirs)


@pytest.mark.parametrize("how", ["grad", "jvp_of_grad", "grad_of_grad"])
@pytest.mark.parametrize("name", ["sqrt", "log", "pow_const_0", "pow_const_-1", "pow_const_0.5", "x_times_sqrt"])
def test_scalars_agree_with_torch_at_singular_points(name, how):
    f, derivative = SINGULAR[name], DERIVATIVES[how]
    if how == "jvp_of_grad":
        ours = mg.jvp(mg.grad(f), (mg.Scalar(0.0),), (1.0,))[1].data
    else:
        ours = derivative(mg, f, mg.Scalar(0.0)).data
    with np.errstate(all="ignore"):
        np.testing.assert_equal(ours, derivative(torch.func, f, _f64(torch, 0.0)).item())


def test_scalar_pow_picks_its_branch_without_torchs_nan():
    """Where PyTorch's pow rule selects 0 with ``where``, the other branch's ``0 · inf`` still reaches the
    second derivative as nan (Tensors reproduce that, test above). A Scalar picks its branch with a
    Python ``if``, so d²/dx² x^(0·x) at 0 is the true 0: the blackboard engine is not bound to
    PyTorch's graph and gives the mathematically right value."""
    f = SINGULAR["pow_tensor_exponent_0"]
    assert np.isnan(torch.func.grad(torch.func.grad(f))(_f64(torch, 0.0)).item())
    assert mg.grad(mg.grad(f))(mg.Scalar(0.0)) == 0.0
