"""kernels.cuda.pool against its CPU twin kernels.cpu.pool (PyTorch semantics): tiny shapes under the
CUDA simulator, full sizes on a real GPU (pytest -m cuda)."""
import numpy as np
import pytest
from numba import cuda

from kernels.cpu import pool as cpu
from kernels.cuda import pool as gpu

pytestmark = pytest.mark.needs_cuda


MAX_POOLS = [  # kernel_size, stride, padding, dilation, ceil_mode
    (2, 2, 0, 1, False), (3, 2, 1, 1, True), ((3, 2), (2, 1), (1, 0), (2, 1), False), (3, 1, 1, 1, False),
]
AVG_POOLS = [  # kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    (2, 2, 0, False, True, None), (3, 2, 1, True, True, None), (3, 2, 1, True, False, None),
    ((3, 2), (2, 1), (1, 0), False, False, 5), (3, 1, 1, False, True, None),
]


def _run_max(x, args, rng):
    y, argmax = gpu.max_pool2d_forward(cuda.to_device(x), *args)
    want_y, want_argmax = cpu.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(y.copy_to_host(), want_y)
    np.testing.assert_array_equal(argmax.copy_to_host(), want_argmax)
    dy = rng.standard_normal(want_y.shape).astype(x.dtype)
    dx = gpu.max_pool2d_backward(cuda.to_device(dy), argmax, x.shape).copy_to_host()
    np.testing.assert_allclose(dx, cpu.max_pool2d_backward(dy, want_argmax, x.shape), rtol=1e-6, atol=1e-6)


def _run_avg(x, args, rng):
    want = cpu.avg_pool2d_forward(x, *args)
    np.testing.assert_allclose(gpu.avg_pool2d_forward(cuda.to_device(x), *args).copy_to_host(), want,
                               rtol=1e-6, atol=1e-6)
    dy = rng.standard_normal(want.shape).astype(x.dtype)
    dx = gpu.avg_pool2d_backward(cuda.to_device(dy), x.shape, *args).copy_to_host()
    np.testing.assert_allclose(dx, cpu.avg_pool2d_backward(dy, x.shape, *args), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("args", MAX_POOLS, ids=str)
@pytest.mark.parametrize("shape", [(2, 2, 7, 6), (3, 5, 5)], ids=str)
def test_max_pool_matches_the_cpu_twin(shape, args, rng):
    _run_max(rng.standard_normal(shape).astype(np.float32), args, rng)


def test_max_pool_picks_nan_and_first_ties_like_the_cpu_twin(rng):
    x = rng.integers(0, 3, (1, 2, 6, 6)).astype(np.float64)
    x[0, 0, 1, 1] = x[0, 1, 4, 2] = x[0, 1, 4, 3] = np.nan
    _run_max(x, (3, 2, 1, 1, True), rng)


@pytest.mark.parametrize("args", AVG_POOLS, ids=str)
@pytest.mark.parametrize("shape", [(2, 2, 7, 6), (3, 5, 5)], ids=str)
def test_avg_pool_matches_the_cpu_twin(shape, args, rng):
    _run_avg(rng.standard_normal(shape).astype(np.float32), args, rng)


def test_global_avg_pool_and_its_backward_match_the_cpu_twin(rng):
    x, dy = rng.standard_normal((2, 3, 4, 5)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(gpu.global_avg_pool2d(cuda.to_device(x)).copy_to_host(),
                               cpu.global_avg_pool2d(x), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(gpu.global_avg_pool2d_backward(cuda.to_device(dy), x.shape).copy_to_host(),
                                  cpu.global_avg_pool2d_backward(dy, x.shape))


def test_errors_name_the_problem():
    x = cuda.to_device(np.ones((1, 1, 4, 4), np.float32))
    with pytest.raises(ValueError, match="padding"):
        gpu.max_pool2d_forward(x, 2, 2, 2, 1, False)
    with pytest.raises(ValueError, match="too small"):
        gpu.avg_pool2d_forward(x, 5, 1, 0, False, True)
    y, argmax = gpu.max_pool2d_forward(x, 2, 2, 0, 1, False)
    with pytest.raises(ValueError, match="does not match x_shape"):
        gpu.max_pool2d_backward(y, argmax, (1, 2, 4, 4))
    with pytest.raises(ValueError, match="dy has shape"):
        gpu.avg_pool2d_backward(y, (1, 1, 6, 6), 2, 2, 0, False, True)
    with pytest.raises(ValueError, match="does not match x_shape"):
        gpu.global_avg_pool2d_backward(cuda.to_device(np.ones((1, 2), np.float32)), (1, 1, 4, 4))


@pytest.mark.cuda
@pytest.mark.parametrize("args", MAX_POOLS, ids=str)
def test_max_pool_full_size_on_gpu(args, rng):
    _run_max(rng.standard_normal((64, 64, 32, 32)).astype(np.float32), args, rng)


@pytest.mark.cuda
@pytest.mark.parametrize("args", AVG_POOLS, ids=str)
def test_avg_pool_full_size_on_gpu(args, rng):
    _run_avg(rng.standard_normal((64, 64, 32, 32)).astype(np.float32), args, rng)


@pytest.mark.parametrize("plane_blocks", [2, 8192], ids=["blocks-loop-over-planes", "a-block-per-plane"])
def test_max_pool_backward_zeroes_recycled_memory_in_its_one_launch(plane_blocks, monkeypatch, rng):
    """dx comes from the caching pool (the last dx's block, holding old values): the kernel zeroes each
    plane before routing dy into it, also where one block loops over several planes."""
    import gc
    from kernels.cuda import counters
    monkeypatch.setattr(gpu, "MAX_PLANE_BLOCKS", plane_blocks)
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    args = MAX_POOLS[1]
    _, argmax = gpu.max_pool2d_forward(cuda.to_device(x), *args)
    _, want_argmax = cpu.max_pool2d_forward(x, *args)
    for _ in range(2):
        dy = rng.standard_normal(want_argmax.shape).astype(np.float32)
        gc.collect()
        counters.reset()
        dx = gpu.max_pool2d_backward(cuda.to_device(dy), argmax, x.shape)
        assert counters.stats()["launches"] == 1
        np.testing.assert_allclose(dx.copy_to_host(), cpu.max_pool2d_backward(dy, want_argmax, x.shape),
                                   rtol=1e-6, atol=1e-6)
        del dx
