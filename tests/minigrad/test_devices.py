"""Tensor ops on both devices against PyTorch (values and gradients), device moves, and CUDA interop.

Under ``NUMBA_ENABLE_CUDASIM=1`` (what ``make test`` sets) the CUDA device is Numba's simulator,
which runs a few thousand GPU threads per second: every shape here is tiny. The ``cuda``-marked
tests repeat the comparison at full size on a real GPU.
"""
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
backend = pytest.importorskip("minigrad.backend.cuda", reason="numba-cuda is not installed")

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.needs_cuda)]


@pytest.fixture(autouse=True)
def strict_simulator(monkeypatch):
    """The simulator's device arrays wrap NumPy arrays and quietly accept NumPy arithmetic and fancy
    indexing, which real numba device arrays refuse: refuse them here too, so a backend function that
    leans on NumPy fails in CI as it would on a GPU."""
    if not backend.SIMULATED:
        return
    fake = backend.ndarray

    def refuse(self, *args):
        raise TypeError("numba device arrays have no arithmetic or comparison operators")

    for op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "eq", "ne", "lt", "le", "gt", "ge"):
        monkeypatch.setattr(fake, f"__{op}__", refuse)
    basic_getitem = fake.__getitem__

    def getitem(self, index):
        items = index if isinstance(index, tuple) else (index,)
        if not all(isinstance(i, (int, np.integer, slice)) for i in items):
            raise TypeError(f"numba device arrays take only ints and slices as indices, got {index!r}")
        return basic_getitem(self, index)

    monkeypatch.setattr(fake, "__getitem__", getitem)


# ---- the op table: each case is written once for minigrad and torch tensors ------------------------
def _is_torch(x):
    return isinstance(x, torch.Tensor)


def amax(x, axis, keepdims=False):
    return x.amax(axis, keepdims) if _is_torch(x) else x.max(axis, keepdims)


def cat(xs, axis):
    return torch.cat(xs, axis) if _is_torch(xs[0]) else mg.concat(xs, axis)


def stack(xs, axis):
    return torch.stack(xs, axis) if _is_torch(xs[0]) else mg.stack(xs, axis)


def pad(x, widths, value):
    if _is_torch(x):
        return torch.nn.functional.pad(x, [w for pair in reversed(widths) for w in pair], value=value)
    return x.pad(widths, value)


def where(cond, x, y):
    return torch.where(cond, x, y) if _is_torch(x) else mg.where(cond, x, y)


def cross_entropy(z, labels):
    if _is_torch(z):
        return torch.nn.functional.cross_entropy(z, torch.as_tensor(labels))
    return mg.nn.functional.cross_entropy(z, mg.tensor(labels, device=z.device))


def linear(x, w, b):
    return (torch.nn.functional if _is_torch(x) else F).linear(x, w, b)


def positive(x):
    return x * x + 0.5


LABELS = np.array([2, 0, 1, 2])
MASK = np.array([[True, False, True], [False, False, True]])
CASES = {
    "add_sub_broadcast": ([(2, 3), (3,)], lambda x, y: x + y * 2.0 - 1 - (y - x)),
    "mul_div_broadcast": ([(2, 1, 3), (4, 1)], lambda x, y: x * y / positive(y) + 1 / positive(x)),
    "pow": ([(2, 3), (2, 3)], lambda x, y: positive(x) ** y + x ** 3 + positive(x) ** 0.5),
    "exp_log_sqrt": ([(2, 3)], lambda x: x.exp() + positive(x).log() + positive(x).sqrt() + positive(x).log1p()),
    "trig_activations": ([(2, 3)], lambda x: x.sin() + x.cos() + x.tanh() + x.sigmoid() + x.relu() + x.abs()),
    "erf_gelu": ([(2, 3)], lambda x: x.erf() + torch.nn.functional.gelu(x) if _is_torch(x) else x.erf() + x.gelu()),
    "maximum_minimum_clip": ([(2, 3), (3,)], lambda x, y: x.maximum(y) + x.minimum(y) * 2 + x.clip(-0.5, 0.7)),
    "where": ([(2, 3), (2, 3)], lambda x, y: where(x > y, x * 2, y)),
    "sum_mean_axes": ([(2, 3, 4)], lambda x: x.sum((0, 2), True) * x.mean(1, True) + x.sum()),
    "max_over_axis": ([(3, 4)], lambda x: amax(x, 1) + amax(x, 0, True).sum() + x.max()),
    "var_std": ([(3, 4)], lambda x: x.var(0) + x.std(1).sum()),
    "softmax_family": ([(2, 5)], lambda x: x.softmax(1) + x.log_softmax(-1) + x.logsumexp(1, True)),
    "matmul_2d": ([(3, 4), (4, 2)], lambda x, y: x @ y),
    "matmul_batched": ([(2, 3, 4), (4, 2)], lambda x, y: x @ y),
    "matmul_broadcast": ([(2, 1, 2, 3), (3, 3, 2)], lambda x, y: x @ y),
    "matmul_batch_of_one": ([(2, 3, 4), (1, 4, 2)], lambda x, y: x @ y),
    "matmul_vectors": ([(3,), (3, 2), (2,)], lambda u, a, v: (u @ a) * (a @ v).sum() + u @ u),
    "reshape_permute": ([(2, 3, 4)], lambda x: x.reshape(4, -1).T.reshape(3, 2, 4).permute(2, 0, 1) * 2),
    "expand_squeeze": ([(2, 1, 3)], lambda x: x.expand(2, 4, 3) + x.squeeze(1).unsqueeze(1)
                       + x.flatten().reshape(2, 1, 3)),
    "transpose_swap": ([(2, 3, 4)], lambda x: x.transpose(0, 2) * x.transpose(1, 2).sum()),
    "getitem_basic": ([(3, 4, 5)], lambda x: x[1:, ::2, 1] * 2 + x[-1, None, :2, 3:].sum() + x[..., 0].sum()),
    "getitem_integer_arrays": ([(3, 4)], lambda x: x[np.array([2, 0, 2])] * 1.5 + x[:, np.array([3, 1, 3, 0])]),
    "getitem_pairs_and_mask": ([(2, 3)], lambda x: x[np.array([1, 0, 1]), np.array([2, 2, 0])].sum() + x[MASK] * x[MASK]),
    "concat_stack_split": ([(2, 3), (2, 2)], lambda x, y: cat([x, y, x], 1) * 2
                           + stack([x[:, :2], y], 0).sum(0).sum() + cat(list(x.split(1, 0)), 1).sum()),
    "pad": ([(2, 3)], lambda x: pad(x, ((1, 0), (2, 1)), 0.5) * pad(x, ((0, 1), (0, 3)), 0.0)),
    "cross_entropy": ([(4, 3)], lambda z: cross_entropy(z, LABELS)),
    "linear_with_bias": ([(2, 3, 4), (5, 4), (5,)], lambda x, w, b: linear(x, w, b).tanh() + linear(x[0], w, b)),
}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes]


def _run_minigrad(fn, arrays, device):
    xs = [mg.tensor(a, device=device, requires_grad=True) for a in arrays]
    out = fn(*xs)
    weights = mg.tensor(np.random.default_rng(1).standard_normal(out.shape), device=device)
    (out * weights).sum().backward()
    return out, xs


def _run_torch(fn, arrays):
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = fn(*xs)
    weights = torch.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)))
    (out * weights).sum().backward()
    return out, xs


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", list(CASES))
def test_op_values_and_gradients_match_torch(case, device):
    shapes, fn = CASES[case]
    arrays = _inputs(shapes)
    out, xs = _run_minigrad(fn, arrays, device)
    expected, txs = _run_torch(fn, arrays)
    assert out.device == device and all(x.grad.device == device for x in xs)
    if device == "cuda":
        assert isinstance(out.data, backend.ndarray) and out.data.is_c_contiguous()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.needs_cuda
def test_forward_mode_and_second_order_match_cpu():
    """jvp through conv, max-pool (whose tangent gathers at the argmax) and tanh; hvp = forward over reverse."""
    x, w, v, m, u = _inputs([(1, 2, 4, 4), (2, 2, 3, 3), (1, 2, 4, 4), (3, 3), (3,)])
    results = {}
    for device in ("cpu", "cuda"):
        X, W, V, M, U = (mg.tensor(a, device=device) for a in (x, w, v, m, u))
        out, tangent = mg.jvp(lambda x: F.max_pool2d(F.conv2d(x, W, padding=1).tanh(), 2), (X,), (V,))
        gradient, hv = mg.hvp(lambda y: (M @ y).tanh().sum() * (y * y).sum(), (U,), (U * 2,))
        assert tangent.device == hv.device == device
        results[device] = [t.numpy() for t in (out, tangent, gradient, hv)]
        _, linear_tangent = mg.jvp(lambda m, u: F.linear(m, m, u), (M, U), (M * 2, U + 1))  # the fused op on CUDA
        _, linear_hv = mg.hvp(lambda m: F.linear(m, m.tanh(), U).tanh().sum(), (M,), (M + 1,))
        results[device] += [linear_tangent.numpy(), linear_hv.numpy()]
    for got, want in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


# ---- results without gradients: comparisons, argmax, casts, in-place updates ------------------------
@pytest.mark.needs_cuda
def test_constants_and_casts_match_cpu():
    x = _inputs([(3, 4)])[0]
    cpu, gpu = mg.tensor(x), mg.tensor(x, device="cuda")
    for f in (lambda t: t > 0.1, lambda t: (t > 0) & (t < 1), lambda t: (t < -1) | ~(t < 1),
              lambda t: t.argmax(1), lambda t: t.argmax(), lambda t: t.sign(), lambda t: t == t[0],
              lambda t: t.long(), lambda t: t.double() / 3, lambda t: t.argmin(0, keepdims=True),
              lambda t: mg.concat([t, t.double()], 1), lambda t: t.long() / 2, lambda t: t.long().exp()):
        got, want = f(gpu), f(cpu)
        assert got.device == "cuda" and got.dtype == want.dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(x > 0.1, (gpu > 0.1).numpy())
    assert gpu.sum().item() == pytest.approx(float(x.sum()), rel=1e-5)


@pytest.mark.needs_cuda
def test_in_place_updates_match_cpu():
    x, y = _inputs([(2, 3), (3,)])
    results = {}
    for device in ("cpu", "cuda"):
        t = mg.tensor(x, device=device)
        t.add_(mg.tensor(y, device=device), alpha=0.5).mul_(2.0).sub_(1.0).div_(4.0)
        t[0, 1:] = mg.tensor([7.0, 8.0], device=device)
        t[1] = -1.0
        t[np.array([0, 1]), np.array([0, 0])] = 3.0
        u = mg.zeros(2, 3, device=device).copy_(t)
        results[device] = (t.numpy(), u.numpy(), mg.ones(4, device=device).fill_(2.5).numpy(),
                           mg.ones(2, device=device).zero_().numpy())
    for got, want in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    expected = (x + 0.5 * y) * 2
    expected = (expected - 1) / 4
    expected[0, 1:], expected[1], expected[[0, 1], [0, 0]] = [7, 8], -1, 3
    np.testing.assert_allclose(results["cpu"][0], expected, rtol=1e-6)


VIEW_UPDATES = {  # an in-place op through a view, written once for minigrad and torch tensors
    "row add_": lambda w: w[1].add_(10.0),
    "slice of a slice fill_": lambda w: w[:, 1:][0].fill_(-1.0),
    "transpose mul_": lambda w: w.T[0].mul_(3.0),
    "permuted setitem": lambda w: w.permute(1, 0).__setitem__((2, 0), 5.0),
    "0-d element copy_": lambda w: w[0, 2].copy_(w[1, 1]),
    "reshaped sub_": lambda w: w.reshape(3, 2)[2].sub_(1.0),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("update", list(VIEW_UPDATES))
def test_in_place_updates_through_views_reach_the_base_as_in_torch(update, device):
    """On CUDA, slices and transposes are copies: the update must still land in the base tensor."""
    w = mg.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3), device=device)
    reference = torch.arange(6.0).reshape(2, 3)
    VIEW_UPDATES[update](w)
    VIEW_UPDATES[update](reference)
    np.testing.assert_array_equal(w.numpy(), reference.numpy())


@pytest.mark.parametrize("device", DEVICES)
def test_in_place_updates_through_an_expanded_view_are_refused_before_any_change(device):
    w = mg.tensor(np.arange(3.0, dtype=np.float32), device=device)
    with pytest.raises(RuntimeError, match="expanded tensor"):
        w[1:].expand(2, 2).add_(1.0)
    with pytest.raises(RuntimeError, match="more than one element"):
        torch.arange(3.0)[1:].expand(2, 2).add_(1.0)
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0, 2.0])


@pytest.mark.parametrize("device", DEVICES)
def test_an_update_through_a_view_invalidates_what_backward_saved(device):
    w = mg.tensor(np.arange(1.0, 5.0, dtype=np.float32), device=device, requires_grad=True)
    x = w * 1.0
    y = (x * x).sum()
    with mg.no_grad():
        x[1:].add_(1.0)
    with pytest.raises(RuntimeError, match="modified"):
        y.backward()


# ---- devices --------------------------------------------------------------------------------------
@pytest.mark.needs_cuda
def test_mixing_devices_is_a_clear_error():
    a, b = mg.ones(3), mg.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match=r"different devices \((cpu and cuda|cuda and cpu)\)"):
        a + b
    with pytest.raises(RuntimeError, match=r"cuda and cpu"):
        b @ a


@pytest.mark.needs_cuda
def test_to_round_trip_keeps_values_and_gradients():
    x = mg.tensor(_inputs([(2, 3)])[0], requires_grad=True)
    on_gpu = x.to("cuda")
    assert on_gpu.device == "cuda" and isinstance(on_gpu.data, backend.ndarray)
    back = (on_gpu * 3).exp().to("cpu")
    assert back.device == "cpu" and isinstance(back.data, np.ndarray)
    back.sum().backward()
    np.testing.assert_allclose(back.numpy(), np.exp(3 * x.numpy()), rtol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp(3 * x.numpy()), rtol=1e-5)
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.cuda().cpu().numpy(), x.numpy())
    assert x.to("cuda", mg.float64).dtype == mg.float64


@pytest.mark.needs_cuda
@pytest.mark.parametrize("make, expected", [
    (lambda d: mg.zeros(2, 3, device=d), np.zeros((2, 3), np.float32)),
    (lambda d: mg.ones((2,), dtype=mg.float64, device=d), np.ones(2)),
    (lambda d: mg.full((2, 2), 1.5, device=d), np.full((2, 2), 1.5, np.float32)),
    (lambda d: mg.arange(1, 7, 2, device=d), np.arange(1, 7, 2)),
    (lambda d: mg.tensor([[1.0, 2.0]], device=d), np.array([[1.0, 2.0]], np.float32)),
    (lambda d: mg.tensor(3, device=d), np.array(3)),
    (lambda d: mg.zeros_like(mg.ones(2, 2, device=d)), np.zeros((2, 2), np.float32)),
    (lambda d: mg.empty(0, 2, device=d), np.zeros((0, 2), np.float32)),
])
def test_creation_functions_take_a_device(make, expected):
    t = make("cuda")
    assert t.device == "cuda" and isinstance(t.data, backend.ndarray)
    assert t.dtype == expected.dtype and t.shape == expected.shape
    np.testing.assert_array_equal(t.numpy(), expected)


@pytest.mark.needs_cuda
def test_random_creation_on_cuda_matches_the_cpu_stream():
    mg.manual_seed(3)
    cpu = (mg.randn(2, 3), mg.rand(4), mg.randint(0, 5, (3,)))
    mg.manual_seed(3)
    gpu = (mg.randn(2, 3, device="cuda"), mg.rand(4, device="cuda"), mg.randint(0, 5, (3,), device="cuda"))
    for c, g in zip(cpu, gpu):
        assert g.device == "cuda"
        np.testing.assert_array_equal(g.numpy(), c.numpy())


# ---- __cuda_array_interface__ ---------------------------------------------------------------------
def _foreign(interface):
    """An object from another library (CuPy, PyTorch, ...) that only exposes the interface."""
    return types.SimpleNamespace(__cuda_array_interface__=interface)


@pytest.mark.needs_cuda
def test_cuda_array_interface_exists_only_on_cuda_tensors():
    t = mg.arange(6, dtype=mg.float32, device="cuda").reshape(2, 3)
    interface = t.__cuda_array_interface__
    assert interface["shape"] == (2, 3) and interface["typestr"] == "<f4"
    assert not hasattr(mg.ones(2), "__cuda_array_interface__")
    with pytest.raises(AttributeError, match="only on CUDA tensors"):
        mg.ones(2).__cuda_array_interface__


@pytest.mark.needs_cuda
def test_tensor_wraps_a_foreign_cuda_array_without_copying():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    device_array = backend.from_numpy(data)
    t = mg.tensor(_foreign(backend.cuda_array_interface(device_array)))
    assert t.device == "cuda" and t.shape == (2, 3) and t.dtype == mg.float32
    device_array.copy_to_device(data + 10)
    np.testing.assert_array_equal(t.numpy(), data + 10)

    shared = mg.tensor(_foreign(t.__cuda_array_interface__))
    with mg.no_grad():
        t.add_(1.0)
    np.testing.assert_array_equal(shared.numpy(), data + 11)
    np.testing.assert_array_equal(mg.tensor(_foreign(t.__cuda_array_interface__), dtype=mg.float64).numpy(),
                                  data + 11)


@pytest.mark.needs_cuda
def test_non_contiguous_foreign_arrays_are_copied_into_c_order():
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    device_array = backend.from_numpy(data)
    interface = dict(backend.cuda_array_interface(device_array))
    transposed = dict(interface, shape=(4, 3), strides=(4, 16))
    reversed_columns = dict(interface, shape=(3, 2), strides=(16, -8),
                            data=(interface["data"][0] + 12, False))
    np.testing.assert_array_equal(mg.tensor(_foreign(transposed)).numpy(), data.T)
    np.testing.assert_array_equal(mg.tensor(_foreign(reversed_columns)).numpy(), data[:, 3::-2])


@pytest.mark.cuda
@pytest.mark.cuda
def test_torch_cuda_tensors_are_wrapped_without_copying():
    if not torch.cuda.is_available():
        pytest.skip("PyTorch here has no CUDA")
    source = torch.arange(12, dtype=torch.float32, device="cuda").reshape(3, 4)
    t = mg.tensor(source)
    source.add_(1)
    torch.cuda.synchronize()
    np.testing.assert_array_equal(t.numpy(), np.arange(12, dtype=np.float32).reshape(3, 4) + 1)
    back = torch.as_tensor(t, device="cuda")
    assert back.data_ptr() == source.data_ptr()
    np.testing.assert_array_equal(mg.tensor(source.T).numpy(), source.T.cpu().numpy())


# ---- without a GPU --------------------------------------------------------------------------------
def _python(code):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    return subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_without_a_gpu_device_cuda_is_a_clear_error_and_imports_stay_silent():
    code = ("import minigrad as mg, minigrad.nn, minigrad.backend.cuda\n"
            "from numba import cuda\n"
            "if cuda.is_available(): print('GPU'); raise SystemExit\n"
            "try:\n    mg.zeros(2, device='cuda')\nexcept RuntimeError as e:\n    print(e)\n")
    run = _python(code)
    if run.stdout.strip() == "GPU":
        pytest.skip("this machine has a CUDA GPU")
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert run.stdout.startswith("device='cuda' needs a CUDA GPU and numba-cuda; none was found: "), run.stdout
    assert len(run.stdout.split("none was found: ")[1].strip()) > 0


# ---- full size on a real GPU ----------------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.cuda
@pytest.mark.parametrize("case", ["matmul_batched", "softmax_family", "getitem_integer_arrays", "sum_mean_axes"])
def test_full_size_ops_match_the_cpu(case):
    shapes = {"matmul_batched": [(64, 300, 200), (200, 130)], "softmax_family": [(512, 1000)],
              "getitem_integer_arrays": [(300, 400)], "sum_mean_axes": [(64, 130, 70)]}[case]
    fn = CASES[case][1]
    arrays = _inputs(shapes)
    gpu, gxs = _run_minigrad(fn, arrays, "cuda")
    cpu, cxs = _run_minigrad(fn, arrays, "cpu")
    np.testing.assert_allclose(gpu.numpy(), cpu.numpy(), rtol=1e-3, atol=1e-3)
    for g, c in zip(gxs, cxs):
        np.testing.assert_allclose(g.grad.numpy(), c.grad.numpy(), rtol=1e-3, atol=1e-3)


@pytest.mark.needs_cuda
def test_the_fused_linear_op_passes_gradcheck_on_cuda():
    rng = np.random.default_rng(0)
    x, w, b = (mg.tensor(rng.standard_normal(s), dtype=np.float64, device="cuda", requires_grad=True)
               for s in ((2, 2, 3), (4, 3), (4,)))
    assert type(F.linear(x, w, b)._op).__name__ == "Linear"
    assert mg.gradcheck(F.linear, [x, w, b])


@pytest.mark.needs_cuda
def test_the_fused_mean_cross_entropy_has_exact_higher_orders_on_cuda():
    """The one-op mean loss of CUDA: gradcheck in float64 (reverse and forward mode) and a Hessian-vector
    product equal to the CPU's, whose mean is a separate op."""
    rng = np.random.default_rng(0)
    z, v = rng.standard_normal((2, 4, 3))
    labels = np.array([2, 0, 1, 2])
    zs = mg.tensor(z, dtype=np.float64, device="cuda", requires_grad=True)
    assert type(F.cross_entropy(zs, labels)._op).__name__ == "SoftmaxCrossEntropyMean"
    assert mg.gradcheck(lambda t: F.cross_entropy(t, labels, label_smoothing=0.1), [zs])
    results = {}
    for device in ("cpu", "cuda"):
        Z, V = (mg.tensor(a, dtype=np.float64, device=device) for a in (z, v))
        results[device] = [t.numpy() for t in mg.hvp(lambda t: F.cross_entropy(t, labels), (Z,), (V,))]
    for got, want in zip(results["cuda"], results["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-10)
