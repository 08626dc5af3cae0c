"""Batch normalisation over every axis but the channel axis 1 on the GPU; twin of kernels.cpu.batchnorm.

x is (N, C), (N, C, L) or (N, C, H, W), seen as (N, C, L) with M = N L values per channel; value
j of channel c is x[j // L, c, j % L]. Per-channel sums are accumulated in float64.

Training forward (batch_norm_training) in two launches: a 2-D grid of (channel, chunk of CHUNK
values) blocks writes partial sums of d and d² (d = x - x[0, c, 0], shifted so no cancellation),
reduced with warp shuffles; then a grid of the same shape where every block adds its channel's
partials (in the same order, so all blocks agree), normalises its chunk, and block (c, 0) writes
the statistics and updates the running statistics. Momentum and eps are kernel arguments.
The backward is one launch with a block per channel when there are ONE_LAUNCH_CHANNELS channels or
more (enough blocks to fill a GPU) or one chunk each, else two on the (channel, chunk) grid: partial
sums of dy and dy (x - mean), then dx.
"""
import math

import numpy as np
from numba import cuda, float64

from kernels.cuda.launch import (MAX_THREADS, ceil_div, check_device_array, empty, grid_1d, launch,
                                 reduction_threads, to_device)
from kernels.cuda.warp import WARP, block_sum

CHUNK = 4096
ONE_LAUNCH_CHANNELS = 64


@cuda.jit(device=True)
def _tree_sum(a, b, t):
    """Sum the block's partials a[:blockDim], b[:blockDim] into a[0], b[0]; all threads see them after."""
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if t < step:
            a[t] += a[t + step]
            b[t] += b[t + step]
        cuda.syncthreads()
        step //= 2


@cuda.jit(cache=True)
def _stats_kernel(x, mean, var):
    """mean[c], var[c] (biased) from the sums of d = x - x[0, c, 0] (shifted: no cancellation)."""
    total = cuda.shared.array(MAX_THREADS, float64)
    squares = cuda.shared.array(MAX_THREADS, float64)
    c, t = cuda.blockIdx.x, cuda.threadIdx.x
    length = x.shape[2]
    count = x.shape[0] * length
    shift = float64(x[0, c, 0])
    part_total, part_squares = 0.0, 0.0
    for j in range(t, count, cuda.blockDim.x):
        d = x[j // length, c, j % length] - shift
        part_total += d
        part_squares += d * d
    total[t], squares[t] = part_total, part_squares
    _tree_sum(total, squares, t)
    if t == 0:
        mean_shift = total[0] / count
        mean[c] = shift + mean_shift
        var[c] = max(squares[0] / count - mean_shift * mean_shift, 0.0)


@cuda.jit(cache=True)
def _affine_kernel(x, mean, invstd, weight, bias, y):
    """y[n, c, k] = (x[n, c, k] - mean[c]) invstd[c] weight[c] + bias[c]; one thread per element."""
    channels, length = x.shape[1], x.shape[2]
    for e in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        k, c, n = e % length, (e // length) % channels, e // (length * channels)
        scale = float64(invstd[c]) * weight[c]
        y[n, c, k] = x[n, c, k] * scale + (bias[c] - mean[c] * scale)


@cuda.jit(cache=True)
def _partial_sums_kernel(x, partials):
    """partials[0, c, k], partials[1, c, k] = Σ d, Σ d² over values [k CHUNK, (k + 1) CHUNK) of channel
    c, d = x - x[0, c, 0]; block (c, k)."""
    warp_sums = cuda.shared.array(WARP, float64)
    scratch = cuda.shared.array(MAX_THREADS, float64)
    c, k = cuda.blockIdx.x, cuda.blockIdx.y
    length = x.shape[2]
    stop = min(x.shape[0] * length, (k + 1) * CHUNK)
    shift = float64(x[0, c, 0])
    total, squares = 0.0, 0.0
    for j in range(k * CHUNK + cuda.threadIdx.x, stop, cuda.blockDim.x):
        d = x[j // length, c, j % length] - shift
        total += d
        squares += d * d
    total = block_sum(total, warp_sums, scratch)
    squares = block_sum(squares, warp_sums, scratch)
    if cuda.threadIdx.x == 0:
        partials[0, c, k], partials[1, c, k] = total, squares


@cuda.jit(cache=True)
def _finish_kernel(x, partials, weight, bias, has_affine, running_mean, running_var, update_running,
                   momentum, eps, y, stats):
    """Block (c, k): μ, σ² (biased) of channel c from its partials, y = (x - μ) / √(σ² + eps) w + b on
    chunk k; block (c, 0) writes stats[:, c] = μ, σ², 1/√(σ² + eps) and, with update_running,
    r ← (1 - momentum) r + momentum s (the variance unbiased, σ² M/(M - 1))."""
    c, k = cuda.blockIdx.x, cuda.blockIdx.y
    length = x.shape[2]
    count = x.shape[0] * length
    total, squares = 0.0, 0.0
    for i in range(partials.shape[2]):
        total += partials[0, c, i]
        squares += partials[1, c, i]
    mean_shift = total / count
    mean = float64(x[0, c, 0]) + mean_shift
    var = max(squares / count - mean_shift * mean_shift, 0.0)
    invstd = 1.0 / math.sqrt(var + eps)
    scale, shift = invstd, -mean * invstd
    if has_affine:
        scale = invstd * weight[c]
        shift = bias[c] - mean * scale
    for j in range(k * CHUNK + cuda.threadIdx.x, min(count, (k + 1) * CHUNK), cuda.blockDim.x):
        n, p = j // length, j % length
        y[n, c, p] = x[n, c, p] * scale + shift
    if k == 0 and cuda.threadIdx.x == 0:
        stats[0, c], stats[1, c], stats[2, c] = mean, var, invstd
        if update_running:
            running_mean[c] = (1.0 - momentum) * running_mean[c] + momentum * mean
            running_var[c] = (1.0 - momentum) * running_var[c] + momentum * var * count / max(count - 1, 1)


@cuda.jit(device=True)
def _thread_backward_sums(dy, x, c, start, stop, center):
    """This thread's share of Σ dy and Σ dy (x - center) over values [start, stop) of channel c."""
    length = x.shape[2]
    total, centered = 0.0, 0.0
    for j in range(start + cuda.threadIdx.x, stop, cuda.blockDim.x):
        n, p = j // length, j % length
        total += dy[n, c, p]
        centered += dy[n, c, p] * (x[n, c, p] - center)
    return total, centered


@cuda.jit(device=True)
def _write_dx(dy, x, dx, c, start, stop, sum_dy, sum_dy_centered, center, scale, gain):
    """dx = w invstd (dy - mean(dy) - (x - mean) invstd^2 mean(dy (x - mean))) on values [start, stop)."""
    length = x.shape[2]
    count = x.shape[0] * length
    mean_dy = sum_dy / count
    slope = scale * scale * sum_dy_centered / count
    for j in range(start + cuda.threadIdx.x, stop, cuda.blockDim.x):
        n, p = j // length, j % length
        dx[n, c, p] = gain * (dy[n, c, p] - mean_dy - (x[n, c, p] - center) * slope)


@cuda.jit(cache=True)
def _backward_kernel(dy, x, mean, invstd, weight, has_weight, dx, dweight, dbias):
    """One launch, block c owns channel c: its sums (warp shuffles), then dx, dweight[c], dbias[c]."""
    warp_sums = cuda.shared.array(WARP, float64)
    scratch = cuda.shared.array(MAX_THREADS, float64)
    sums = cuda.shared.array(2, float64)
    c = cuda.blockIdx.x
    count = x.shape[0] * x.shape[2]
    center, scale = float64(mean[c]), float64(invstd[c])
    total, centered = _thread_backward_sums(dy, x, c, 0, count, center)
    total = block_sum(total, warp_sums, scratch)
    centered = block_sum(centered, warp_sums, scratch)
    if cuda.threadIdx.x == 0:
        sums[0], sums[1] = total, centered
        dbias[c], dweight[c] = total, centered * scale
    cuda.syncthreads()
    gain = scale * weight[c] if has_weight else scale
    _write_dx(dy, x, dx, c, 0, count, sums[0], sums[1], center, scale, gain)


@cuda.jit(cache=True)
def _backward_partials_kernel(dy, x, mean, partials):
    """partials[0, c, k], partials[1, c, k] = Σ dy, Σ dy (x - mean[c]) over chunk k of channel c."""
    warp_sums = cuda.shared.array(WARP, float64)
    scratch = cuda.shared.array(MAX_THREADS, float64)
    c, k = cuda.blockIdx.x, cuda.blockIdx.y
    stop = min(x.shape[0] * x.shape[2], (k + 1) * CHUNK)
    total, centered = _thread_backward_sums(dy, x, c, k * CHUNK, stop, float64(mean[c]))
    total = block_sum(total, warp_sums, scratch)
    centered = block_sum(centered, warp_sums, scratch)
    if cuda.threadIdx.x == 0:
        partials[0, c, k], partials[1, c, k] = total, centered


@cuda.jit(cache=True)
def _backward_finish_kernel(dy, x, mean, invstd, weight, has_weight, partials, dx, dweight, dbias):
    """Block (c, k): the channel's sums from its partials (same order in every block), dx on chunk k;
    block (c, 0) writes dweight[c] = invstd Σ dy (x - mean) and dbias[c] = Σ dy."""
    c, k = cuda.blockIdx.x, cuda.blockIdx.y
    sum_dy, sum_dy_centered = 0.0, 0.0
    for i in range(partials.shape[2]):
        sum_dy += partials[0, c, i]
        sum_dy_centered += partials[1, c, i]
    scale = float64(invstd[c])
    gain = scale * weight[c] if has_weight else scale
    stop = min(x.shape[0] * x.shape[2], (k + 1) * CHUNK)
    _write_dx(dy, x, dx, c, k * CHUNK, stop, sum_dy, sum_dy_centered, float64(mean[c]), scale, gain)
    if k == 0 and cuda.threadIdx.x == 0:
        dbias[c], dweight[c] = sum_dy, sum_dy_centered * scale


def _as_ncl(x, name):
    check_device_array(x, name, dtypes=(np.float32, np.float64))
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"{name} must be 2-d, 3-d or 4-d, got shape {tuple(x.shape)}")
    return x.reshape((x.shape[0], x.shape[1], int(math.prod(x.shape[2:]))))


def _per_channel(values, name, channels, dtype):
    """A (C,) device array: a device array is checked and passed on, host values (an array, or
    a number such as 1 or 0) are copied to the device."""
    if not cuda.devicearray.is_cuda_ndarray(values):
        return to_device(np.full(channels, values, dtype))
    check_device_array(values, name, dtypes=(np.float32, np.float64))
    if tuple(values.shape) != (channels,):
        raise ValueError(f"{name} must have shape ({channels},) for {channels} channels, "
                         f"got {tuple(values.shape)}")
    return values


def batch_norm_stats(x):
    """(mean, var) per channel of x (N, C, ...): both (C,) in x's dtype; var is the biased variance."""
    x3 = _as_ncl(x, "x")
    if x3.shape[0] * x3.shape[2] == 0:
        raise ValueError(f"batch_norm_stats: x of shape {tuple(x.shape)} has no values per channel")
    mean, var = (empty(x3.shape[1], x.dtype) for _ in range(2))
    launch(_stats_kernel, x3.shape[1], reduction_threads(x3.shape[0] * x3.shape[2]), x3, mean, var)
    return mean, var


def batch_norm_forward(x, mean, invstd, weight, bias):
    """y = (x - mean) invstd weight + bias per channel; weight and bias may be None (1 and 0)."""
    x3 = _as_ncl(x, "x")
    channels = x3.shape[1]
    mean, invstd = _per_channel(mean, "mean", channels, x.dtype), _per_channel(invstd, "invstd", channels, x.dtype)
    weight = _per_channel(1 if weight is None else weight, "weight", channels, x.dtype)
    bias = _per_channel(0 if bias is None else bias, "bias", channels, x.dtype)
    y = empty(x3.shape, x.dtype)
    if y.size:
        blocks, threads = grid_1d(y.size)
        launch(_affine_kernel, blocks, threads, x3, mean, invstd, weight, bias, y)
    return y.reshape(x.shape)


def batch_norm_backward(dy, x, mean, invstd, weight):
    """(dx, dweight, dbias) of training-mode batch norm, where mean and invstd came from this batch.

    dx = w invstd / M (M dy - sum(dy) - xhat sum(dy xhat)), dweight = sum(dy xhat),
    dbias = sum(dy), with xhat = (x - mean) invstd and sums over the M values of each channel;
    weight None means 1.
    """
    x3, dy3 = _as_ncl(x, "x"), _as_ncl(dy, "dy")
    if dy.shape != x.shape or dy.dtype != x.dtype:
        raise ValueError(f"batch_norm_backward: dy has shape {tuple(dy.shape)} and dtype {dy.dtype}, "
                         f"expected x's {tuple(x.shape)} and {x.dtype}")
    channels = x3.shape[1]
    mean, invstd = _per_channel(mean, "mean", channels, x.dtype), _per_channel(invstd, "invstd", channels, x.dtype)
    if weight is not None:
        _per_channel(weight, "weight", channels, x.dtype)
    dx = empty(x3.shape, x.dtype)
    dweight, dbias = (empty(channels, x.dtype) for _ in range(2))
    count = x3.shape[0] * x3.shape[2]
    weight_or_placeholder = dbias if weight is None else weight
    chunks = ceil_div(count, CHUNK)
    if channels and count and (chunks == 1 or channels >= ONE_LAUNCH_CHANNELS):
        launch(_backward_kernel, channels, reduction_threads(count), dy3, x3, mean, invstd, weight_or_placeholder,
               weight is not None, dx, dweight, dbias)
    elif channels and count:
        partials = empty((2, channels, chunks), np.float64)
        threads = reduction_threads(min(count, CHUNK))
        launch(_backward_partials_kernel, (channels, chunks), threads, dy3, x3, mean, partials)
        launch(_backward_finish_kernel, (channels, chunks), threads, dy3, x3, mean, invstd, weight_or_placeholder,
               weight is not None, partials, dx, dweight, dbias)
    return dx.reshape(x.shape), dweight, dbias


def batch_norm_training(x, weight, bias, running_mean, running_var, momentum, eps):
    """Training-mode batch norm in two launches: (y, mean, var, invstd), the last three (C,) views in
    x's dtype (var biased, invstd = 1/√(var + eps)); running_mean and running_var (device arrays, both
    or neither None) are updated in place: r ← (1 - momentum) r + momentum s, var unbiased.
    weight and bias are both given or both None (1 and 0)."""
    x3 = _as_ncl(x, "x")
    channels, count = x3.shape[1], x3.shape[0] * x3.shape[2]
    if count == 0:
        raise ValueError(f"batch_norm_training: x of shape {tuple(x.shape)} has no values per channel")
    if (weight is None) != (bias is None) or (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm_training: give weight and bias both or neither, and running_mean "
                         "and running_var both or neither")
    for values, name in ((weight, "weight"), (bias, "bias"), (running_mean, "running_mean"),
                         (running_var, "running_var")):
        if values is not None:
            _per_channel(values, name, channels, x.dtype)
    y = empty(x3.shape, x.dtype)
    stats = empty((3, channels), x.dtype)
    if channels:
        chunks = ceil_div(count, CHUNK)
        partials = empty((2, channels, chunks), np.float64)
        threads = reduction_threads(min(count, CHUNK))
        launch(_partial_sums_kernel, (channels, chunks), threads, x3, partials)
        placeholder = stats[0]
        launch(_finish_kernel, (channels, chunks), threads,
               x3, partials, placeholder if weight is None else weight, placeholder if bias is None else bias,
               weight is not None, placeholder if running_mean is None else running_mean,
               placeholder if running_var is None else running_var, running_mean is not None,
               float(momentum), float(eps), y, stats)
    return y.reshape(x.shape), stats[0], stats[1], stats[2]
