"""Softmax cross-entropy over the rows of logits (N, K) on the GPU; twin of kernels.cpu.softmax.

With label smoothing e the target of row n is q = (1 - e) onehot(label_n) + e / K, so
loss_n = logsumexp(z_n) - (1 - e) z_n[label_n] - e/K sum_k z_n[k]  and  dloss_n/dz_n = p_n - q.
Forward thread mapping: one thread per row (three passes over its K logits, sums in float64),
which suits the class counts of this project (10 to 100). Backward: one thread per element.
"""
import math

import numpy as np
from numba import cuda, float64

from kernels.cuda.launch import (MAX_THREADS, check_device_array, empty, grid_1d, launch, threads_for,
                                 to_device, to_host)
from kernels.cuda.warp import WARP, block_sum


@cuda.jit(device=True)
def _row_loss(logits, labels, label_smoothing, row, probs):
    """probs[row] = softmax(z), returns logsumexp(z) - (1 - e) z[label] - e mean(z) (float64)."""
    classes = logits.shape[1]
    top = -math.inf
    for k in range(classes):
        top = max(top, float64(logits[row, k]))
    total, logit_sum = 0.0, 0.0
    for k in range(classes):
        e = math.exp(logits[row, k] - top)
        probs[row, k] = e
        total += e
        logit_sum += logits[row, k]
    for k in range(classes):
        probs[row, k] = probs[row, k] / total
    log_sum_exp = top + math.log(total)
    return (log_sum_exp - (1.0 - label_smoothing) * logits[row, labels[row]]
            - label_smoothing * logit_sum / classes)


@cuda.jit(cache=True)
def _forward_kernel(logits, labels, label_smoothing, losses, probs):
    """losses[n] = logsumexp(z) - (1 - e) z[label] - e mean(z); probs[n] = softmax(z)."""
    for row in range(cuda.grid(1), logits.shape[0], cuda.gridsize(1)):
        losses[row] = _row_loss(logits, labels, label_smoothing, row, probs)


@cuda.jit(cache=True)
def _mean_forward_kernel(logits, labels, label_smoothing, mean, probs):
    """mean[0] = (1/N) Σ_n loss_n, probs[n] = softmax(z_n): one block, its threads taking rows in
    turn, the losses summed in float64 by a block reduction (warp shuffles)."""
    warp_sums = cuda.shared.array(WARP, float64)
    scratch = cuda.shared.array(MAX_THREADS, float64)
    total = 0.0
    for row in range(cuda.threadIdx.x, logits.shape[0], cuda.blockDim.x):
        total += _row_loss(logits, labels, label_smoothing, row, probs)
    total = block_sum(total, warp_sums, scratch)
    if cuda.threadIdx.x == 0:
        mean[0] = total / logits.shape[0]


@cuda.jit(cache=True)
def _backward_kernel(probs, labels, dlosses, dloss_stride, scale, label_smoothing, dlogits):
    """dlogits[n, k] = d_n (probs[n, k] - e / K - (1 - e) [k == label_n]),  d_n = scale dlosses[n stride]
    (stride 1: per-sample gradients; stride 0 with scale 1/N: the gradient of the mean)."""
    classes = probs.shape[1]
    off_target = label_smoothing / classes
    for e in range(cuda.grid(1), probs.size, cuda.gridsize(1)):
        row, k = e // classes, e % classes
        dloss = scale * dlosses[row * dloss_stride]
        value = dloss * (probs[row, k] - off_target)
        if k == labels[row]:
            value -= dloss * (1.0 - label_smoothing)
        dlogits[row, k] = value


def _check(logits, labels, label_smoothing, op, labels_checked=False):
    """Validate the shapes and, on the host, the label range (one small device-to-host copy, skipped
    when the caller says it validated the labels on the host before uploading them)."""
    check_device_array(logits, "logits", dtypes=(np.float32, np.float64))
    if logits.ndim != 2:
        raise ValueError(f"{op}: logits must be 2-d (N, K), got shape {tuple(logits.shape)}")
    if not cuda.devicearray.is_cuda_ndarray(labels):
        labels = to_device(np.ascontiguousarray(labels))
    if np.dtype(labels.dtype).kind not in "iu" or tuple(labels.shape) != tuple(logits.shape[:1]):
        raise ValueError(f"{op}: labels must be integers of shape ({logits.shape[0]},), "
                         f"got {labels.dtype} of shape {tuple(labels.shape)}")
    values = np.zeros(0, np.int64) if labels_checked else to_host(labels)
    if values.size and (values.min() < 0 or values.max() >= logits.shape[1]):
        raise ValueError(f"{op}: labels must lie in [0, {logits.shape[1]}), got values in "
                         f"[{values.min()}, {values.max()}]")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must lie in [0, 1], got {label_smoothing}")
    return labels, float(label_smoothing)


def softmax_cross_entropy_forward(logits, labels, label_smoothing=0.0, labels_checked=False):
    """(losses (N,), probs (N, K)) for logits (N, K) and integer labels (N,); ``labels_checked=True``
    skips the host-side range check (the caller checked them before upload)."""
    labels, label_smoothing = _check(logits, labels, label_smoothing, "softmax_cross_entropy_forward",
                                     labels_checked)
    losses = empty(logits.shape[0], logits.dtype)
    probs = empty(logits.shape, logits.dtype)
    if logits.shape[0]:
        blocks, threads = grid_1d(logits.shape[0])
        launch(_forward_kernel, blocks, threads, logits, labels, label_smoothing, losses, probs)
    return losses, probs


def softmax_cross_entropy_mean_forward(logits, labels, label_smoothing=0.0, labels_checked=False):
    """(mean loss (0-d), probs (N, K)) for logits (N, K), N >= 1, and integer labels (N,): one launch."""
    labels, label_smoothing = _check(logits, labels, label_smoothing, "softmax_cross_entropy_mean_forward",
                                     labels_checked)
    if logits.shape[0] == 0:
        raise ValueError("softmax_cross_entropy_mean_forward: the mean of no rows is undefined (N = 0)")
    mean = empty((), logits.dtype)
    probs = empty(logits.shape, logits.dtype)
    launch(_mean_forward_kernel, 1, threads_for(logits.shape[0]), logits, labels, label_smoothing, mean.reshape(1), probs)
    return mean, probs


def softmax_cross_entropy_backward(probs, labels, dlosses, label_smoothing=0.0, labels_checked=False):
    """dlogits (N, K) for the probs of the forward and the per-sample loss gradients dlosses (N,), or
    the gradient of the mean loss, a 0-d dlosses (each row gets dlosses / N)."""
    labels, label_smoothing = _check(probs, labels, label_smoothing, "softmax_cross_entropy_backward",
                                     labels_checked)
    check_device_array(dlosses, "dlosses", dtypes=(probs.dtype,))
    of_mean = dlosses.ndim == 0
    if not of_mean and tuple(dlosses.shape) != tuple(labels.shape):
        raise ValueError(f"softmax_cross_entropy_backward: dlosses must have shape "
                         f"{tuple(labels.shape)} (or () for the mean), got {tuple(dlosses.shape)}")
    dlogits = empty(probs.shape, probs.dtype)
    if probs.size:
        blocks, threads = grid_1d(probs.size)
        scale = 1.0 / probs.shape[0] if of_mean else 1.0
        launch(_backward_kernel, blocks, threads, probs, labels, dlosses.reshape(1) if of_mean else dlosses,
               0 if of_mean else 1, scale, label_smoothing, dlogits)
    return dlogits
