"""kernels.cuda.conv against its CPU twin kernels.cpu.conv: tiny shapes under the CUDA simulator
(GEMMs on a 16-thread tile there), full sizes on a real GPU (pytest -m cuda)."""
import numpy as np
import pytest
from numba import cuda

from kernels.cpu import conv as cpu
from kernels.cuda import conv as gpu
from numba.cuda import config

pytestmark = pytest.mark.needs_cuda


SIMULATOR_TILE = (8, 16, 16, 2, 4)
GEOMETRIES = [  # x shape, kernel size, stride, padding, dilation
    ((2, 3, 5, 6), 3, 1, 1, 1),
    ((1, 2, 7, 5), (3, 2), (2, 1), (1, 0), (1, 2)),
    ((2, 1, 4, 4), 1, 2, 0, 1),
    ((1, 2, 6, 7), 2, 3, (2, 1), (2, 1)),
]


@pytest.fixture(autouse=True)
def _small_gemm_tile_on_the_simulator(monkeypatch):
    if config.ENABLE_CUDASIM:
        monkeypatch.setattr(gpu, "GEMM_TILE", SIMULATOR_TILE)


def _host(x):
    return None if x is None else x.copy_to_host()


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding, dilation", GEOMETRIES, ids=str)
def test_im2col_and_col2im_match_the_cpu_twin(x_shape, kernel_size, stride, padding, dilation, rng):
    x = rng.standard_normal(x_shape).astype(np.float32)
    cols = gpu.im2col(cuda.to_device(x), kernel_size, stride, padding, dilation)
    want = cpu.im2col(x, kernel_size, stride, padding, dilation)
    np.testing.assert_array_equal(cols.copy_to_host(), want)
    dx = gpu.col2im(cols, x_shape, kernel_size, stride, padding, dilation).copy_to_host()
    np.testing.assert_allclose(dx, cpu.col2im(want, x_shape, kernel_size, stride, padding, dilation),
                               rtol=1e-6, atol=1e-6)


CONVS = [  # x shape, weight shape, stride, padding, dilation, groups, bias
    ((2, 3, 5, 6), (4, 3, 3, 3), 1, 1, 1, 1, True),
    ((2, 4, 7, 5), (6, 2, 3, 2), (2, 1), (1, 0), (1, 2), 2, False),
    ((1, 2, 4, 4), (3, 2, 1, 1), 1, 0, 1, 1, True),
]


def _conv_case(rng, x_shape, w_shape, stride, padding, dilation, groups, bias, dtype=np.float32):
    x, w = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(w_shape).astype(dtype)
    b = rng.standard_normal(w_shape[0]).astype(dtype) if bias else None
    geometry = (stride, padding, dilation, groups)
    y = cpu.conv2d_forward(x, w, b, *geometry)
    dy = rng.standard_normal(y.shape).astype(dtype)
    return x, w, b, dy, geometry


def _device(*arrays):
    return [None if a is None else cuda.to_device(a) for a in arrays]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups, bias", CONVS, ids=str)
def test_conv2d_forward_and_backward_match_the_cpu_twin(x_shape, w_shape, stride, padding,
                                                        dilation, groups, bias, rng):
    x, w, b, dy, geometry = _conv_case(rng, x_shape, w_shape, stride, padding, dilation, groups, bias)
    d_x, d_w, d_b, d_dy = _device(x, w, b, dy)
    np.testing.assert_allclose(gpu.conv2d_forward(d_x, d_w, d_b, *geometry).copy_to_host(),
                               cpu.conv2d_forward(x, w, b, *geometry), rtol=1e-5, atol=1e-5)
    got = gpu.conv2d_backward(d_dy, d_x, d_w, *geometry)
    for g, want in zip(got, cpu.conv2d_backward(dy, x, w, *geometry)):
        np.testing.assert_allclose(g.copy_to_host(), want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("need", [(True, False, False), (False, True, True)], ids=str)
def test_conv2d_backward_in_batch_chunks_returns_only_what_is_needed(need, monkeypatch, rng):
    monkeypatch.setattr(gpu, "CHUNK_BYTES", 1)
    x, w, b, dy, geometry = _conv_case(rng, (3, 2, 4, 5), (2, 2, 3, 3), 1, 1, 1, 1, False, np.float64)
    d_x, d_w, d_dy = _device(x, w, dy)
    np.testing.assert_allclose(gpu.conv2d_forward(d_x, d_w, None, *geometry).copy_to_host(),
                               cpu.conv2d_forward(x, w, None, *geometry), rtol=1e-12)
    got = gpu.conv2d_backward(d_dy, d_x, d_w, *geometry, *need)
    want = cpu.conv2d_backward(dy, x, w, *geometry, *need)
    for g, expected in zip(got, want):
        assert (g is None) == (expected is None)
        if g is not None:
            np.testing.assert_allclose(g.copy_to_host(), expected, rtol=1e-12, atol=1e-12)


def test_conv_output_size_is_the_cpu_twins():
    assert gpu.conv_output_size is cpu.conv_output_size


def test_errors_name_the_problem():
    x, w = cuda.to_device(np.ones((1, 4, 5, 5), np.float32)), cuda.to_device(np.ones((2, 3, 3, 3), np.float32))
    with pytest.raises(ValueError, match="expects 3 input channels"):
        gpu.conv2d_forward(x, w, None, 1, 0, 1, 1)
    with pytest.raises(ValueError, match="groups=3 must divide"):
        gpu.conv2d_forward(x, w, None, 1, 0, 1, 3)
    with pytest.raises(ValueError, match="too small"):
        gpu.im2col(x, 7, 1, 0, 1)
    with pytest.raises(ValueError, match="cols has shape"):
        gpu.col2im(cuda.to_device(np.ones((1, 3, 4), np.float32)), (1, 4, 5, 5), 3, 1, 0, 1)
    with pytest.raises(TypeError, match="device array"):
        gpu.im2col(np.ones((1, 1, 3, 3), np.float32), 1, 1, 0, 1)


@pytest.mark.cuda
@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups, bias", [
    ((64, 64, 32, 32), (64, 64, 3, 3), 1, 1, 1, 1, True),
    ((32, 128, 16, 16), (256, 128, 3, 3), 2, 1, 1, 1, False),
    ((64, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1, 1, True),
    ((16, 64, 16, 16), (64, 16, 3, 3), 1, 2, 2, 4, True),
], ids=str)
def test_conv2d_full_size_on_gpu(x_shape, w_shape, stride, padding, dilation, groups, bias, rng):
    x, w, b, dy, geometry = _conv_case(rng, x_shape, w_shape, stride, padding, dilation, groups, bias)
    d_x, d_w, d_b, d_dy = _device(x, w, b, dy)
    np.testing.assert_allclose(gpu.conv2d_forward(d_x, d_w, d_b, *geometry).copy_to_host(),
                               cpu.conv2d_forward(x, w, b, *geometry), rtol=1e-4, atol=1e-3)
    for g, want in zip(gpu.conv2d_backward(d_dy, d_x, d_w, *geometry),
                       cpu.conv2d_backward(dy, x, w, *geometry)):
        np.testing.assert_allclose(g.copy_to_host(), want, rtol=1e-4, atol=1e-2)
