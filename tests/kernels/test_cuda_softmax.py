"""kernels.cuda.softmax against its CPU twin kernels.cpu.softmax: tiny shapes under the CUDA
simulator, full sizes on a real GPU (pytest -m cuda)."""
import numpy as np
import pytest
from numba import cuda

from kernels.cpu import softmax as cpu
from kernels.cuda import softmax as gpu

pytestmark = pytest.mark.needs_cuda


def _compare(rng, n, classes, smoothing, dtype=np.float32, label_dtype=np.int64, rtol=1e-6):
    logits = (rng.standard_normal((n, classes)) * 5).astype(dtype)
    labels = rng.integers(0, classes, n).astype(label_dtype)
    dlosses = rng.standard_normal(n).astype(dtype)
    losses, probs = gpu.softmax_cross_entropy_forward(cuda.to_device(logits), cuda.to_device(labels),
                                                      smoothing)
    want_losses, want_probs = cpu.softmax_cross_entropy_forward(logits, labels, smoothing)
    np.testing.assert_allclose(losses.copy_to_host(), want_losses, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(probs.copy_to_host(), want_probs, rtol=rtol, atol=rtol)
    dlogits = gpu.softmax_cross_entropy_backward(probs, labels, cuda.to_device(dlosses), smoothing)
    np.testing.assert_allclose(dlogits.copy_to_host(),
                               cpu.softmax_cross_entropy_backward(want_probs, labels, dlosses, smoothing),
                               rtol=rtol, atol=rtol)


@pytest.mark.parametrize("n, classes, smoothing", [(5, 10, 0.0), (7, 3, 0.1), (3, 100, 1.0), (1, 1, 0.0)],
                         ids=str)
def test_softmax_cross_entropy_matches_the_cpu_twin(n, classes, smoothing, rng):
    _compare(rng, n, classes, smoothing)


def test_float64_and_int32_labels(rng):
    _compare(rng, 6, 4, 0.2, np.float64, np.int32, 1e-13)


def test_huge_logits_do_not_overflow():
    logits = cuda.to_device(np.array([[1000.0, -1000.0, 999.0]], np.float32))
    losses, probs = gpu.softmax_cross_entropy_forward(logits, np.array([2]))
    want_losses, want_probs = cpu.softmax_cross_entropy_forward(logits.copy_to_host(), np.array([2]))
    np.testing.assert_allclose(losses.copy_to_host(), want_losses, rtol=1e-6)
    np.testing.assert_allclose(probs.copy_to_host(), want_probs, rtol=1e-6)


def test_errors_name_the_problem():
    logits = cuda.to_device(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        gpu.softmax_cross_entropy_forward(logits, np.array([0, 3]))
    with pytest.raises(ValueError, match="labels must be integers of shape"):
        gpu.softmax_cross_entropy_forward(logits, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="label_smoothing"):
        gpu.softmax_cross_entropy_forward(logits, np.array([0, 1]), 1.5)
    with pytest.raises(ValueError, match="dlosses must have shape"):
        gpu.softmax_cross_entropy_backward(logits, np.array([0, 1]), cuda.to_device(np.ones(3, np.float32)))


@pytest.mark.cuda
@pytest.mark.parametrize("n, classes", [(65536, 10), (4096, 1000)], ids=str)
def test_softmax_cross_entropy_full_size_on_gpu(n, classes, rng):
    _compare(rng, n, classes, 0.1, rtol=1e-5)


@pytest.mark.parametrize("n, classes, smoothing", [(5, 10, 0.0), (70, 3, 0.1), (1, 4, 0.3)], ids=str)
def test_the_mean_loss_in_one_launch_matches_the_cpu_twin(n, classes, smoothing, rng):
    """mean forward (one block; 70 rows: more rows than a warp) = mean of the twin's losses; the 0-d
    gradient of the mean reaches each row as g / N, as the twin's backward with dlosses = g / N."""
    from kernels.cuda import counters
    logits = (rng.standard_normal((n, classes)) * 5).astype(np.float32)
    labels = rng.integers(0, classes, n)
    want_losses, want_probs = cpu.softmax_cross_entropy_forward(logits, labels, smoothing)
    counters.reset()
    mean, probs = gpu.softmax_cross_entropy_mean_forward(cuda.to_device(logits), cuda.to_device(labels),
                                                         smoothing, labels_checked=True)
    assert counters.stats()["launches"] == 1 and mean.shape == ()
    np.testing.assert_allclose(mean.copy_to_host(), want_losses.astype(np.float64).mean(), rtol=1e-6)
    np.testing.assert_allclose(probs.copy_to_host(), want_probs, rtol=1e-6, atol=1e-6)
    g = np.float32(1.7)
    dlogits = gpu.softmax_cross_entropy_backward(probs, labels, cuda.to_device(np.array(g)), smoothing)
    want = cpu.softmax_cross_entropy_backward(want_probs, labels, np.full(n, g / n, np.float32), smoothing)
    np.testing.assert_allclose(dlogits.copy_to_host(), want, rtol=1e-5, atol=1e-7)
