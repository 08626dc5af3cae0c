"""kernels.cuda.elementwise against the NumPy ufuncs (erf: its CPU twin): tiny shapes under the
CUDA simulator (NUMBA_ENABLE_CUDASIM=1, as `make test` sets), full sizes on a real GPU
(pytest -m cuda)."""
import numpy as np
import pytest
from numba import cuda

from kernels.cpu.elementwise import erf as cpu_erf
from kernels.cuda import elementwise as ew
from minigrad.backend import cpu as cpu_backend

pytestmark = pytest.mark.needs_cuda


def _sigmoid(x):
    return 1 / (1 + np.exp(-x.astype(np.float64)))


def _positive(rng, shape, dtype):
    return rng.uniform(0.1, 3.0, shape).astype(dtype)


def _normal(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


UNARY = [
    ("negative", np.negative, _normal), ("exp", np.exp, _normal), ("log", np.log, _positive),
    ("log1p", np.log1p, _positive), ("sqrt", np.sqrt, _positive),
    ("absolute", np.absolute, _normal), ("sin", np.sin, _normal), ("cos", np.cos, _normal),
    ("tanh", np.tanh, _normal), ("sigmoid", _sigmoid, _normal),
    ("relu", lambda x: np.maximum(x, 0), _normal), ("erf", cpu_erf, _normal),
    ("sign", np.sign, _normal), ("copy", np.copy, _normal),
]
BINARY = [("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
          ("divide", np.divide), ("maximum", np.maximum), ("minimum", np.minimum),
          ("relu_backward", cpu_backend.relu_backward), ("tanh_backward", cpu_backend.tanh_backward)]
COMPARISONS = [("greater", np.greater), ("greater_equal", np.greater_equal), ("less", np.less),
               ("less_equal", np.less_equal), ("equal", np.equal), ("not_equal", np.not_equal)]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((2, 1, 5), (4, 1)), ((6,), ()), ((5,), (3, 1)),
                    ((1, 3, 1, 2, 1, 2), (2, 1, 2, 1, 2, 1))]


def _run(op, *arrays, **kwargs):
    operands = [cuda.to_device(x) if isinstance(x, np.ndarray) else x for x in arrays]
    return getattr(ew, op)(*operands, **kwargs).copy_to_host()


def _check(got, want, dtype):
    assert got.shape == want.shape and got.dtype == want.dtype
    rtol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op, twin, sample", UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_numpy(op, twin, sample, dtype, rng):
    x = sample(rng, (3, 5), dtype)
    _check(_run(op, x), twin(x).astype(dtype), dtype)


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("op, twin", BINARY, ids=[b[0] for b in BINARY])
def test_binary_broadcasts_like_numpy(op, twin, shapes, rng):
    a, b = (_normal(rng, s, np.float32) for s in shapes)
    _check(_run(op, a, b), twin(a, b), np.float32)


def test_power_of_positive_base(rng):
    a, b = _positive(rng, (4, 3), np.float32), _normal(rng, (3,), np.float32)
    _check(_run("power", a, b), np.power(a, b), np.float32)


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES[:3], ids=str)
@pytest.mark.parametrize("op, twin", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparisons_give_bool(op, twin, shapes, rng):
    a, b = (rng.integers(-2, 3, s).astype(np.float32) for s in shapes)
    np.testing.assert_array_equal(_run(op, a, b), twin(a, b))
    assert _run(op, a, b).dtype == np.bool_


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3), (2, 3)), ((2, 1, 3), (4, 1), (3,))], ids=str)
def test_where_broadcasts_three_operands(shapes, rng):
    condition = rng.integers(0, 2, shapes[0]).astype(np.bool_)
    a, b = _normal(rng, shapes[1], np.float32), _normal(rng, shapes[2], np.float64)
    _check(_run("where", condition, a, b), np.where(condition, a, b), np.float64)


@pytest.mark.parametrize("op, scalar", [("add", 2.5), ("multiply", -3), ("power", 2),
                                        ("maximum", 0.0), ("divide", 4.0)])
def test_python_scalars_are_weak_like_numpy(op, scalar, rng):
    x = _normal(rng, (2, 3), np.float32)
    _check(_run(op, x, scalar), getattr(np, op)(x, scalar), np.float32)
    _check(_run(op, scalar, x), getattr(np, op)(scalar, x), np.float32)


def test_int_array_with_float_scalar_promotes_like_numpy():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    got, want = _run("add", x, 0.5), np.add(x, 0.5)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(_run("greater", x, 2.5), x > 2.5)


@pytest.mark.parametrize("op, twin", [("maximum", np.maximum), ("minimum", np.minimum)])
def test_maximum_minimum_propagate_nan(op, twin):
    a = np.array([np.nan, 1.0, np.nan, -2.0], np.float32)
    b = np.array([0.0, np.nan, np.nan, 3.0], np.float32)
    np.testing.assert_array_equal(_run(op, a, b), twin(a, b))


def test_sign_relu_sigmoid_edge_values():
    x = np.array([-np.inf, -100.0, -0.0, 0.0, 2.0, np.inf, np.nan], np.float32)
    np.testing.assert_array_equal(_run("sign", x), np.sign(x))
    np.testing.assert_array_equal(_run("relu", x), np.where(x < 0, 0, x).astype(np.float32))
    np.testing.assert_allclose(_run("sigmoid", x), _sigmoid(x).astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("source, target", [(np.float32, np.float64), (np.float64, np.float32),
                                            (np.bool_, np.float32), (np.float32, np.int32)])
def test_astype_converts_like_numpy(source, target, rng):
    x = (rng.standard_normal((3, 4)) * 3).astype(source)
    got = ew.astype(cuda.to_device(x), target).copy_to_host()
    assert got.dtype == target
    np.testing.assert_array_equal(got, x.astype(target))


def test_out_is_written_in_place(rng):
    a, b = _normal(rng, (3, 4), np.float32), _normal(rng, (4,), np.float32)
    out = cuda.to_device(np.zeros((3, 4), np.float32))
    assert ew.add(cuda.to_device(a), cuda.to_device(b), out=out) is out
    _check(out.copy_to_host(), a + b, np.float32)


def test_zero_size_arrays_give_zero_size_results():
    got = _run("multiply", np.ones((0, 3), np.float32), np.ones(3, np.float32))
    assert got.shape == (0, 3)


def test_errors_name_the_problem(rng):
    a, b = cuda.to_device(np.ones((2, 3), np.float32)), cuda.to_device(np.ones((4,), np.float32))
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\), \(4,\)"):
        ew.add(a, b)
    with pytest.raises(TypeError, match="device array"):
        ew.add(np.ones(3, np.float32), np.ones(3, np.float32))
    with pytest.raises(TypeError, match="floating-point"):
        ew.exp(cuda.to_device(np.arange(3)))
    with pytest.raises(ValueError, match="out must have shape"):
        ew.add(a, a, out=cuda.device_array((3, 2), np.float32))
    with pytest.raises(TypeError, match="takes 2 operands"):
        ew.add(a)


@pytest.mark.cuda
@pytest.mark.parametrize("op, twin, sample", UNARY, ids=[u[0] for u in UNARY])
def test_unary_full_size_on_gpu(op, twin, sample, rng):
    x = sample(rng, (1024, 4096), np.float32)
    np.testing.assert_allclose(_run(op, x), twin(x).astype(np.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
@pytest.mark.parametrize("op, twin", BINARY + COMPARISONS, ids=[b[0] for b in BINARY + COMPARISONS])
def test_binary_full_size_on_gpu(op, twin, rng):
    a, b = _normal(rng, (256, 64, 128), np.float32), _normal(rng, (64, 1), np.float32)
    got, want = _run(op, a, b), twin(a, b)
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("shapes, contiguous", [(((3, 4), (3, 4)), True), (((3, 4), ()), True), (((3, 4), (1,)), True),
                                                (((3, 4), (4,)), False)], ids=str)
def test_same_shape_or_single_value_operands_take_the_contiguous_kernel(shapes, contiguous, rng, monkeypatch):
    launched = []
    configure = type(ew._contiguous_binary_kernel(ew._add)).__getitem__
    monkeypatch.setattr(type(ew._contiguous_binary_kernel(ew._add)), "__getitem__",
                        lambda kernel, config: launched.append(kernel) or configure(kernel, config))
    a, b = (_normal(rng, s, np.float32) for s in shapes)
    _check(_run("add", a, b), a + b, np.float32)
    assert (launched == [ew._contiguous_binary_kernel(ew._add)]) == contiguous


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf · 0 on the simulator, as on the CPU
def test_relu_backward_passes_nan_gradients_and_zeroes_the_rest():
    g = np.array([np.nan, np.inf, 2.0, 3.0], np.float32)
    x = np.array([-1.0, -1.0, np.nan, 1.0], np.float32)
    with np.errstate(invalid="ignore"):  # inf · 0
        want = g * (x > 0).astype(np.float32)  # the composite rule g · [x > 0]
        np.testing.assert_array_equal(cpu_backend.relu_backward(g, x), want)
    np.testing.assert_array_equal(_run("relu_backward", g, x), want)


@pytest.mark.parametrize("operands", [("x", -0.0, 2.5), ("x", "x", 7), ("x", 1.5, "x")])
def test_scalar_operands_of_where_are_filled_on_the_device_not_copied(rng, operands):
    """where(c, a, b) with Python numbers: each is filled into device memory by a kernel that gets it
    as an argument, so no value is copied from the host; the result is NumPy's (-0.0 keeps its sign)."""
    from kernels.cuda import counters
    host = _normal(rng, (2, 3), np.float32)
    x, condition = cuda.to_device(host), cuda.to_device(host > 0)
    counters.reset()
    got = ew.where(condition, *[x if o == "x" else o for o in operands[1:]]).copy_to_host()
    assert counters.stats()["h2d_copies"] == 0
    want = np.where(host > 0, *[host if o == "x" else o for o in operands[1:]])
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype and np.array_equal(np.signbit(got), np.signbit(want))
