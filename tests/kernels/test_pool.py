"""Max, average and global average pooling against torch.nn.functional (float64 oracle)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from kernels.cpu import (avg_pool2d_backward, avg_pool2d_forward, global_avg_pool2d, global_avg_pool2d_backward,
                         max_pool2d_backward, max_pool2d_forward, pool_output_size)

# (shape, kernel, stride, padding, dilation, ceil_mode)
MAX_CASES = [
    ((2, 3, 8, 8), 2, 2, 0, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, True),
    ((1, 2, 10, 7), (3, 2), (2, 1), (1, 1), (2, 1), False),
    ((2, 2, 11, 11), 3, 3, 1, 2, True),
    ((1, 3, 6, 5), 2, 2, 1, 1, True),
    ((3, 5, 5), 3, None, 1, 1, False),
    ((2, 3, 7, 9), 2, 2, 0, 1, False),   # the 2×2 fast path with an odd edge left out
    ((2, 3, 7, 9), 2, 2, 0, 1, True),    # ceil_mode: the last windows stick out, general kernel
]
# (shape, kernel, stride, padding, ceil_mode, divisor_override)
AVG_CASES = [
    ((2, 3, 8, 8), 2, 2, 0, False, None),
    ((2, 3, 7, 9), 3, 2, 1, True, None),
    ((1, 2, 10, 7), (3, 2), (2, 1), (1, 1), False, None),
    ((2, 2, 5, 6), 3, 2, 1, True, 3),
    ((1, 2, 6, 6), 4, 3, 2, True, None),
    ((1, 2, 7, 7), 3, 3, 1, True, None),
    ((3, 5, 5), 3, None, 1, False, None),
]


@pytest.mark.parametrize("shape, kernel, stride, padding, dilation, ceil_mode", MAX_CASES)
def test_max_pool2d_matches_torch(shape, kernel, stride, padding, dilation, ceil_mode, dtype, random, torch64,
                                  assert_matches):
    x = random(shape, dtype)
    xt = torch64(x, True)
    yt, indices = tF.max_pool2d(xt, kernel, stride, padding, dilation, ceil_mode, return_indices=True)
    dy = random(tuple(yt.shape), dtype)
    yt.backward(torch64(dy))
    y, argmax = max_pool2d_forward(x, kernel, stride, padding, dilation, ceil_mode)
    assert y.dtype == dtype and argmax.dtype == np.int64
    assert_matches(y, yt)
    np.testing.assert_array_equal(argmax, indices.numpy())
    dx = max_pool2d_backward(dy, argmax, x.shape)
    assert dx.dtype == dtype
    assert_matches(dx, xt.grad)


def test_max_pool2d_ties_pick_the_first_maximum_like_torch(rng):
    x = rng.integers(0, 2, size=(2, 2, 9, 9)).astype(np.float32)
    x[0, 0, :3, :3] = -np.inf
    y, argmax = max_pool2d_forward(x, 3, 2, 1, 1, True)
    yt, indices = tF.max_pool2d(torch.tensor(x), 3, 2, 1, 1, True, return_indices=True)
    np.testing.assert_array_equal(y, yt.numpy())
    np.testing.assert_array_equal(argmax, indices.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool2d_2x2_fast_path_keeps_ties_nan_and_inf_like_torch(dtype, rng):
    x = rng.integers(0, 3, size=(3, 4, 10, 12)).astype(dtype)
    x[0, 0, :2, :2] = -np.inf
    x[0, 1, 0, 1] = np.nan
    x[1, 2, 1, :2] = np.nan
    x[2, 3, :, 3] = np.inf
    y, argmax = max_pool2d_forward(x, 2, 2, 0, 1, False)
    yt, indices = tF.max_pool2d(torch.tensor(x), 2, 2, 0, 1, False, return_indices=True)
    np.testing.assert_array_equal(y, yt.numpy())
    np.testing.assert_array_equal(argmax, indices.numpy())


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("shape, kernel, stride, padding, ceil_mode, divisor_override", AVG_CASES)
def test_avg_pool2d_matches_torch(shape, kernel, stride, padding, ceil_mode, divisor_override, count_include_pad,
                                  dtype, random, torch64, assert_matches):
    x = random(shape, dtype)
    xt = torch64(x, True)
    options = (ceil_mode, count_include_pad, divisor_override)
    yt = tF.avg_pool2d(xt, kernel, stride, padding, *options)
    dy = random(tuple(yt.shape), dtype)
    yt.backward(torch64(dy))
    y = avg_pool2d_forward(x, kernel, stride, padding, *options)
    assert y.dtype == dtype
    assert_matches(y, yt)
    dx = avg_pool2d_backward(dy, x.shape, kernel, stride, padding, *options)
    assert dx.dtype == dtype
    assert_matches(dx, xt.grad)


def test_global_avg_pool2d_matches_torch(dtype, random, torch64, assert_matches):
    x = random((3, 4, 5, 7), dtype)
    xt = torch64(x, True)
    yt = tF.adaptive_avg_pool2d(xt, 1).flatten(1)
    dy = random(tuple(yt.shape), dtype)
    yt.backward(torch64(dy))
    assert_matches(global_avg_pool2d(x), yt)
    assert_matches(global_avg_pool2d_backward(dy, x.shape), xt.grad)


@pytest.mark.parametrize("size, kernel, stride, padding, dilation, ceil_mode", [
    (8, 2, 2, 0, 1, False), (7, 3, 2, 1, 1, True), (6, 4, 3, 2, 1, True), (7, 3, 3, 1, 1, True),
    (11, 3, 3, 1, 2, True), (5, 2, 2, 1, 1, False)])
def test_pool_output_size_matches_torch(size, kernel, stride, padding, dilation, ceil_mode):
    y = tF.max_pool2d(torch.zeros(1, 1, size, size), kernel, stride, padding, dilation, ceil_mode)
    assert pool_output_size(size, kernel, stride, padding, dilation, ceil_mode) == y.shape[-1]


def test_pooling_rejects_bad_arguments(random):
    x = random((1, 2, 6, 6), np.float32)
    with pytest.raises(ValueError, match="half of the kernel"):
        max_pool2d_forward(x, 2, 2, 2, 1, False)
    with pytest.raises(ValueError, match="half of the kernel"):
        avg_pool2d_forward(x, 3, 1, 2, False, True)
    with pytest.raises(ValueError, match="too small"):
        max_pool2d_forward(x, 7, 1, 0, 1, False)
    with pytest.raises(ValueError, match="divisor_override"):
        avg_pool2d_forward(x, 2, 2, 0, False, True, 0)
    with pytest.raises(ValueError, match="argmax"):
        max_pool2d_backward(random((1, 2, 3, 3), np.float32), np.zeros((1, 2, 3, 3), np.int32), x.shape)
    with pytest.raises(ValueError, match="dy has shape"):
        avg_pool2d_backward(random((1, 2, 4, 4), np.float32), x.shape, 2, 2, 0, False, True)
