"""The vocabulary's backend primitives on CUDA against their CPU twins, and a few vocabulary ops on
both devices (small shapes: under NUMBA_ENABLE_CUDASIM=1 the device is Numba's simulator)."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.backend import cpu

cuda_backend = pytest.importorskip("minigrad.backend.cuda", reason="numba-cuda is not installed")
from test_devices import strict_simulator  # noqa: E402,F401 (autouse: device arrays refuse NumPy arithmetic)

pytestmark = pytest.mark.needs_cuda

HALVES = np.array([[0.5, 1.5, 2.5, -0.5], [-1.5, 0.49999997, 2.0 ** 52 + 1, -7.25]])
UNIT = np.array([[-0.9, -0.2, 0.0, 0.3], [0.7, 1.0, -1.0, 0.5]])
SIGNED = np.array([[-0.0, 0.0, -2.0, 3.0], [1.0, -1.0, 0.5, -0.5]])

PRIMITIVES = [  # name, operands (arrays for the device; ints and floats pass as they are)
    ("floor", (HALVES,)), ("ceil", (HALVES,)), ("trunc", (HALVES,)), ("rint", (HALVES,)),
    ("rint", (HALVES.astype(np.float32),)),
    ("arcsin", (UNIT,)), ("arccos", (UNIT.astype(np.float32),)), ("arctan", (HALVES,)),
    ("arctan2", (SIGNED, SIGNED[::-1].copy())), ("copysign", (HALVES, SIGNED)),
    ("floor_divide", (np.array([[7, -7, 6, -1]]), np.array([[2], [-3]]))),
    ("floor_divide", (HALVES, 0.75)),
    ("remainder", (np.array([[7, -7, 6, -1]]), np.array([[2], [-3]]))),
    ("remainder", (HALVES, -0.75)),
    ("bitwise_xor", (np.array([5, 12, -3]), np.array([3, 10, 7]))),
    ("left_shift", (np.array([5, -3, 1]), np.array([1, 2, 3]))),
    ("right_shift", (np.array([5, -3, 64]), np.array([1, 1, 3]))),
]


def _on_device(x):
    return cuda_backend.from_numpy(x) if isinstance(x, np.ndarray) else x


@pytest.mark.parametrize("name, operands", PRIMITIVES, ids=[f"{p[0]}_{i}" for i, p in enumerate(PRIMITIVES)])
def test_elementwise_primitives_match_their_cpu_twins(name, operands):
    expected = getattr(cpu, name)(*operands)
    actual = cuda_backend.to_numpy(getattr(cuda_backend, name)(*[_on_device(x) for x in operands]))
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=1e-6)
    np.testing.assert_array_equal(np.signbit(actual), np.signbit(expected))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_and_argsort_match_their_cpu_twins(axis):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    x[1, 2] = x[1, 0]  # a tie: both sorts keep equal values in their order
    np.testing.assert_allclose(cuda_backend.to_numpy(cuda_backend.cumsum(cuda_backend.from_numpy(x), axis)),
                               cpu.cumsum(x, axis), rtol=1e-6, atol=1e-6)
    for descending in (False, True):
        np.testing.assert_array_equal(
            cuda_backend.to_numpy(cuda_backend.argsort(cuda_backend.from_numpy(x), axis, descending)),
            cpu.argsort(x, axis, descending))


def _layers(x):
    """Unpooling, the transposed convolution, resizing, LRN and the new losses on a (1, 2, 2, 2) map."""
    from minigrad.nn import functional as F
    m = x.reshape(1, 2, 2, 2)
    pooled, indices = F.max_pool2d(m, 2, return_indices=True)
    w = mg.tensor(np.linspace(-1, 1, 2 * 3 * 2 * 2).reshape(2, 3, 2, 2).astype(np.float32), device=x.device)
    out = F.max_unpool2d(pooled * 2, indices, 2).sum() + F.conv_transpose2d(m, w, stride=2).sum(axis=1).mean()
    out = out + F.interpolate(m, scale_factor=1.5, mode="bilinear").sum() + F.local_response_norm(m, 2).sum()
    out = out + F.cross_entropy(x, [1, 3], weight=mg.tensor([1.0, 2.0, 0.5, 1.0], device=x.device))
    return out + F.pad(m, (1, 1, 1, 0), mode="reflect").sum() + F.binary_cross_entropy(x.sigmoid(), x.sigmoid())


OPS = {
    "layers_and_losses": _layers,
    "rounding_and_tests": lambda x: (x * 3).round() + x.floor() * x + x.isclose(x + 1e-7).float() + x.sign() * x
                                    + (x > 0).sum(axis=1, keepdims=True).float() + (x > 0.5).any(axis=0).float()
                                    + mg.cumsum(x, 0) * (x // 0.3),
    "math": lambda x: x.atan() * x.tan() + (x * 0.4).asin() + x.asinh() + x.logaddexp(x * 2) + x.cumsum(1),
    "activations": lambda x: x.silu() + x.hardswish() + x.mish() + x.logsigmoid(),
    "indexing": lambda x: x.gather(1, mg.tensor([[0, 0, 2], [1, 3, 2]], device=x.device)).sum()
                          + x.scatter_add(0, mg.tensor([[1, 0, 1, 1]], device=x.device), x[:1] * 2)
                          + x.flip(1) * x.roll(1, 0) + x.sort(1).values * x.topk(2, 1).values.sum(),
    "einsum_and_prod": lambda x: mg.einsum("ij,kj->ik", x, x).sum() + x.prod(0) + x.tril(1) + x % 0.7,
}


@pytest.mark.parametrize("name", list(OPS))
def test_vocabulary_ops_give_the_same_values_and_gradients_on_both_devices(name):
    fn = OPS[name]
    x = np.random.default_rng(1).uniform(-0.9, 0.9, (2, 4)).astype(np.float32)
    results = {}
    for device in ("cpu", "cuda"):
        t = mg.tensor(x, device=device, requires_grad=True)
        out = fn(t)
        out.sum().backward()
        results[device] = (out.numpy(), t.grad.numpy())
    for cpu_value, cuda_value in zip(results["cpu"], results["cuda"]):
        np.testing.assert_allclose(cuda_value, cpu_value, rtol=1e-5, atol=1e-5)
