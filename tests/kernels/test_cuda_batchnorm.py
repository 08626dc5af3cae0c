"""kernels.cuda.batchnorm against its CPU twin kernels.cpu.batchnorm: tiny shapes under the CUDA
simulator, full sizes on a real GPU (pytest -m cuda)."""
import numpy as np
import pytest
from numba import cuda

from kernels.cpu import batchnorm as cpu
from kernels.cuda import batchnorm as gpu

pytestmark = pytest.mark.needs_cuda


SHAPES = [(5, 3), (4, 3, 7), (2, 3, 4, 5)]


def _case(rng, shape, dtype=np.float32):
    """x far from zero (tests the shifted sums), its batch statistics, an affine map and a dy."""
    x = (rng.standard_normal(shape) * 2 + 100).astype(dtype)
    mean, var = cpu.batch_norm_stats(x)
    invstd = (1 / np.sqrt(var.astype(np.float64) + 1e-5)).astype(dtype)
    weight, bias = (rng.standard_normal(shape[1]).astype(dtype) for _ in range(2))
    return x, mean, var, invstd, weight, bias, rng.standard_normal(shape).astype(dtype)


def _check(got, want, rtol):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.copy_to_host(), w, rtol=rtol, atol=rtol)


def _compare(rng, shape, rtol):
    x, mean, var, invstd, weight, bias, dy = _case(rng, shape)
    d = cuda.to_device
    _check(gpu.batch_norm_stats(d(x)), (mean, var), rtol)
    for w, b in [(weight, bias), (None, None)]:
        got = gpu.batch_norm_forward(d(x), d(mean), d(invstd), None if w is None else d(w),
                                     None if b is None else d(b))
        _check([got], [cpu.batch_norm_forward(x, mean, invstd, w, b)], rtol)
    _check(gpu.batch_norm_backward(d(dy), d(x), d(mean), d(invstd), d(weight)),
           cpu.batch_norm_backward(dy, x, mean, invstd, weight), rtol)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_batch_norm_matches_the_cpu_twin(shape, rng):
    _compare(rng, shape, 1e-5)


def test_weight_none_means_one(rng):
    x, mean, _, invstd, _, _, dy = _case(rng, (6, 2), np.float64)
    d = cuda.to_device
    ones = np.ones(2)
    _check(gpu.batch_norm_backward(d(dy), d(x), d(mean), d(invstd), None),
           cpu.batch_norm_backward(dy, x, mean, invstd, ones), 1e-12)


def test_errors_name_the_problem():
    x = cuda.to_device(np.ones((2, 3, 4), np.float32))
    with pytest.raises(ValueError, match=r"mean must have shape \(3,\)"):
        gpu.batch_norm_forward(x, cuda.to_device(np.zeros(2, np.float32)), 1.0, None, None)
    with pytest.raises(ValueError, match="no values per channel"):
        gpu.batch_norm_stats(cuda.to_device(np.ones((0, 3), np.float32)))
    with pytest.raises(ValueError, match="dy has shape"):
        gpu.batch_norm_backward(cuda.to_device(np.ones((2, 3), np.float32)), x, 0.0, 1.0, None)
    with pytest.raises(ValueError, match="2-d, 3-d or 4-d"):
        gpu.batch_norm_stats(cuda.to_device(np.ones(3, np.float32)))


@pytest.mark.cuda
@pytest.mark.parametrize("shape", [(64, 64, 32, 32), (256, 512), (8, 512, 4, 4)], ids=str)
def test_batch_norm_full_size_on_gpu(shape, rng):
    _compare(rng, shape, 1e-4)


def _training_case(rng, shape, affine, running, dtype=np.float32):
    x = (rng.standard_normal(shape) * 2 + 100).astype(dtype)
    channels = shape[1]
    weight, bias = ((rng.standard_normal(channels).astype(dtype) for _ in range(2)) if affine else (None, None))
    stats = (rng.random(channels).astype(dtype), (rng.random(channels) + 0.5).astype(dtype)) if running else (None, None)
    return x, weight, bias, stats


@pytest.mark.parametrize("shape, affine, running", [
    ((5, 3), True, True), ((4, 3, 7), False, False), ((2, 3, 4, 5), True, False),
    ((2, 1, 4100), False, True),  # 3 chunks per channel
], ids=str)
def test_batch_norm_training_matches_the_cpu_twin(shape, affine, running, rng):
    x, weight, bias, (running_mean, running_var) = _training_case(rng, shape, affine, running)
    d = lambda a: None if a is None else cuda.to_device(a)  # noqa: E731
    gpu_running = d(running_mean), d(running_var)
    got = gpu.batch_norm_training(d(x), d(weight), d(bias), *gpu_running, 0.3, 1e-5)
    cpu_running = (None, None) if not running else (running_mean.copy(), running_var.copy())
    want = cpu.batch_norm_training(x, weight, bias, *cpu_running, 0.3, 1e-5)
    _check(got, want, 1e-5)
    if running:
        _check(gpu_running, cpu_running, 1e-5)
        assert not np.allclose(cpu_running[0], running_mean)  # the update happened


def test_batch_norm_training_is_two_launches_and_rejects_half_given_pairs(monkeypatch):
    launches = []
    configure = type(gpu._finish_kernel).__getitem__
    monkeypatch.setattr(type(gpu._finish_kernel), "__getitem__",
                        lambda kernel, config: launches.append(kernel) or configure(kernel, config))
    x = cuda.to_device(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    w = cuda.to_device(np.ones(3, np.float32))
    gpu.batch_norm_training(x, w, w, None, None, 0.1, 1e-5)
    assert launches == [gpu._partial_sums_kernel, gpu._finish_kernel]
    with pytest.raises(ValueError, match="weight and bias both or neither"):
        gpu.batch_norm_training(x, w, None, None, None, 0.1, 1e-5)
    with pytest.raises(ValueError, match="no values per channel"):
        gpu.batch_norm_training(cuda.to_device(np.ones((0, 3), np.float32)), None, None, None, None, 0.1, 1e-5)


@pytest.mark.parametrize("one_launch_channels", [1, gpu.ONE_LAUNCH_CHANNELS], ids=["one-launch", "channel-x-chunk"])
def test_batch_norm_backward_over_several_chunks_matches_the_cpu_twin(one_launch_channels, rng, monkeypatch):
    monkeypatch.setattr(gpu, "ONE_LAUNCH_CHANNELS", one_launch_channels)
    x, mean, _, invstd, weight, _, dy = _case(rng, (2, 1, 4100))  # 3 chunks of the channel
    d = cuda.to_device
    _check(gpu.batch_norm_backward(d(dy), d(x), d(mean), d(invstd), d(weight)),
           cpu.batch_norm_backward(dy, x, mean, invstd, weight), 1e-5)
