"""Batch normalisation over every axis but the channel axis 1, one Numba loop per channel.

x is (N, C), (N, C, L) or (N, C, H, W); the kernels see it as (N, C, L) with M = N L values per channel.
Sums are accumulated in float64 whatever the input dtype. The reductions may be reassociated
(``fastmath={"reassoc"}``, no other fast-math flag: NaN and inf propagate as usual), so that their inner
loops over L run as several vector accumulators instead of one chain of dependent adds (5× faster at
ResNet-18's sizes); the sums stay float64 sums of the same terms, in another order.
"""
import numpy as np
from numba import njit, prange

from ._args import float_array, same_dtype
from ._threads import run
from .workspace import recycled


def _as_ncl(x, name):
    x = float_array(x, name, (2, 3, 4))
    return x, x.reshape(x.shape[0], x.shape[1], -1)


def _per_channel(values, name, channels, dtype=np.float64):
    values = np.asarray(values, dtype=dtype)
    if values.shape != (channels,):
        raise ValueError(f"{name} must have shape ({channels},) for {channels} channels, got {values.shape}")
    return np.ascontiguousarray(values)


REASSOCIATE = {"reassoc"}


@njit(parallel=True, cache=True, fastmath=REASSOCIATE)
def _stats_kernel(x, mean, var):
    """Per-channel mean and biased variance from sums of d = x - x[0, c, 0] (shifted, so no cancellation)."""
    n, channels, length = x.shape
    count = n * length
    for c in prange(channels):
        shift = np.float64(x[0, c, 0])
        total = 0.0
        squares = 0.0
        for i in range(n):
            for k in range(length):
                d = x[i, c, k] - shift
                total += d
                squares += d * d
        mean_shift = total / count
        mean[c] = shift + mean_shift
        var[c] = max(squares / count - mean_shift * mean_shift, 0.0)


@njit(parallel=True, cache=True)
def _affine_kernel(x, scale, shift, y):
    """y[n, c] = x[n, c] scale[c] + shift[c]."""
    n, channels, length = x.shape
    for task in prange(n * channels):
        i = task // channels
        c = task - i * channels
        for k in range(length):
            y[i, c, k] = x[i, c, k] * scale[c] + shift[c]


@njit(parallel=True, cache=True, fastmath=REASSOCIATE)
def _backward_kernel(dy, x, mean, invstd, weight, dx, dweight, dbias):
    """Per channel: the sums of dy and dy (x - mean), then dx = w invstd (dy - mean(dy) - xhat mean(dy xhat))."""
    n, channels, length = x.shape
    count = n * length
    for c in prange(channels):
        sum_dy = 0.0
        sum_dy_centered = 0.0
        for i in range(n):
            for k in range(length):
                sum_dy += dy[i, c, k]
                sum_dy_centered += dy[i, c, k] * (x[i, c, k] - mean[c])
        dbias[c] = sum_dy
        dweight[c] = sum_dy_centered * invstd[c]
        gain = weight[c] * invstd[c]
        mean_dy = sum_dy / count
        slope = invstd[c] * invstd[c] * sum_dy_centered / count
        for i in range(n):
            for k in range(length):
                dx[i, c, k] = gain * (dy[i, c, k] - mean_dy - (x[i, c, k] - mean[c]) * slope)


def batch_norm_stats(x):
    """(mean, var) per channel of x (N, C, ...): both (C,) in x's dtype; var is the biased variance."""
    x, x3 = _as_ncl(x, "x")
    if x3.shape[0] * x3.shape[2] == 0:
        raise ValueError(f"batch_norm_stats: x of shape {x.shape} has no values per channel")
    mean = np.empty(x3.shape[1])
    var = np.empty(x3.shape[1])
    run(_stats_kernel, x3.nbytes, x3, mean, var)
    return mean.astype(x.dtype), var.astype(x.dtype)


def batch_norm_forward(x, mean, invstd, weight, bias):
    """y = (x - mean) invstd weight + bias per channel; weight and bias may be None (1 and 0)."""
    x, x3 = _as_ncl(x, "x")
    channels = x3.shape[1]
    mean = _per_channel(mean, "mean", channels)
    invstd = _per_channel(invstd, "invstd", channels)
    weight = np.ones(channels) if weight is None else _per_channel(weight, "weight", channels)
    bias = np.zeros(channels) if bias is None else _per_channel(bias, "bias", channels)
    scale = invstd * weight
    shift = bias - mean * scale
    y = recycled(x3.shape, x3.dtype)
    run(_affine_kernel, x3.nbytes, x3, scale.astype(x.dtype), shift.astype(x.dtype), y)
    return y.reshape(x.shape)


def batch_norm_backward(dy, x, mean, invstd, weight):
    """(dx, dweight, dbias) of training-mode batch norm, where mean and invstd came from this batch.

    dx = w invstd / M (M dy - sum(dy) - xhat sum(dy xhat)), dweight = sum(dy xhat), dbias = sum(dy),
    with xhat = (x - mean) invstd and sums over the M values of each channel. weight None means 1
    (dweight and dbias are returned all the same).
    """
    x, x3 = _as_ncl(x, "x")
    dy, dy3 = _as_ncl(dy, "dy")
    same_dtype(x, dy=dy)
    if dy.shape != x.shape:
        raise ValueError(f"batch_norm_backward: dy has shape {dy.shape}, expected x's shape {x.shape}")
    channels = x3.shape[1]
    mean = _per_channel(mean, "mean", channels)
    invstd = _per_channel(invstd, "invstd", channels)
    weight = np.ones(channels) if weight is None else _per_channel(weight, "weight", channels)
    dx = recycled(x3.shape, x3.dtype)
    dweight = np.empty(channels)
    dbias = np.empty(channels)
    run(_backward_kernel, x3.nbytes, dy3, x3, mean, invstd, weight, dx, dweight, dbias)
    return dx.reshape(x.shape), dweight.astype(x.dtype), dbias.astype(x.dtype)


def batch_norm_training(x, weight, bias, running_mean, running_var, momentum, eps):
    """Training-mode batch norm in one call: (y, mean, var, invstd), all but y (C,) in x's dtype.

    mean, var (biased) are the batch's statistics, invstd = 1/√(var + eps), y = batch_norm_forward;
    running_mean and running_var (arrays, or None) are updated in place:
    r ← (1 - momentum) r + momentum s, with the unbiased variance var M/(M - 1) for running_var.
    """
    x, x3 = _as_ncl(x, "x")
    mean, var = batch_norm_stats(x3)
    invstd = (1.0 / np.sqrt(var.astype(np.float64) + eps)).astype(x.dtype)
    y = batch_norm_forward(x, mean, invstd, weight, bias)
    count = x3.shape[0] * x3.shape[2]
    unbiased = var.astype(np.float64) * (count / max(count - 1, 1))
    for running, value in ((running_mean, mean.astype(np.float64)), (running_var, unbiased)):
        if running is not None:
            running[...] = (1 - momentum) * running.astype(np.float64) + momentum * value
    return y, mean, var, invstd
