"""Softmax cross-entropy over the rows of logits (N, K), with PyTorch's label smoothing, one Numba loop per row.

With smoothing e the target of row n is q = (1 - e) onehot(label_n) + e / K, so
loss_n = -sum_k q_k log p_k = (1 - e)(-log p_n[label_n]) + e mean_k(-log p_n[k])  and  dloss_n/dz_n = p_n - q.
"""
import math

import numpy as np
from numba import njit, prange

from ._args import float_array, same_dtype
from ._threads import run


def _check(logits, labels, label_smoothing, op):
    logits = float_array(logits, "logits", (2,))
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu" or labels.shape != logits.shape[:1]:
        raise ValueError(f"{op}: labels must be integers of shape ({logits.shape[0]},), "
                         f"got {labels.dtype} of shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"{op}: labels must lie in [0, {logits.shape[1]}), got values in "
                         f"[{labels.min()}, {labels.max()}]")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must lie in [0, 1], got {label_smoothing}")
    return logits, np.ascontiguousarray(labels, dtype=np.int64), float(label_smoothing)


@njit(parallel=True, cache=True)
def _forward_kernel(logits, labels, label_smoothing, losses, probs):
    """With c = z - max(z): losses[n] = (1 - e)(log sum exp(c) - c[label]) + e (log sum exp(c) - mean(c)),
    probs[n] = exp(c) / sum exp(c); working on c keeps every term small whatever the scale of z."""
    n, classes = logits.shape
    for row in prange(n):
        top = -np.inf
        for k in range(classes):
            top = max(top, np.float64(logits[row, k]))
        total = 0.0
        centered_sum = 0.0
        for k in range(classes):
            centered = logits[row, k] - top
            e = math.exp(centered)
            probs[row, k] = e
            total += e
            centered_sum += centered
        for k in range(classes):
            probs[row, k] = probs[row, k] / total
        log_total = math.log(total)
        target_term = log_total - (logits[row, labels[row]] - top)
        uniform_term = log_total - centered_sum / classes
        losses[row] = (1.0 - label_smoothing) * target_term + label_smoothing * uniform_term


@njit(parallel=True, cache=True)
def _backward_kernel(probs, labels, dlosses, label_smoothing, dlogits):
    """dlogits[n] = dlosses[n] (probs[n] - (1 - e) onehot(label) - e / K)."""
    n, classes = probs.shape
    off_target = label_smoothing / classes
    for row in prange(n):
        for k in range(classes):
            dlogits[row, k] = dlosses[row] * (probs[row, k] - off_target)
        dlogits[row, labels[row]] -= dlosses[row] * (1.0 - label_smoothing)


def softmax_cross_entropy_forward(logits, labels, label_smoothing=0.0):
    """(losses (N,), probs (N, K)) for logits (N, K) and int labels (N,)."""
    logits, labels, label_smoothing = _check(logits, labels, label_smoothing, "softmax_cross_entropy_forward")
    losses = np.empty(logits.shape[0], dtype=logits.dtype)
    probs = np.empty_like(logits)
    run(_forward_kernel, logits.nbytes, logits, labels, label_smoothing, losses, probs)
    return losses, probs


def softmax_cross_entropy_backward(probs, labels, dlosses, label_smoothing=0.0):
    """dlogits (N, K) for the probs returned by the forward and the per-sample loss gradients dlosses (N,)."""
    probs, labels, label_smoothing = _check(probs, labels, label_smoothing, "softmax_cross_entropy_backward")
    dlosses = float_array(dlosses, "dlosses", (1,))
    same_dtype(probs, dlosses=dlosses)
    if dlosses.shape != labels.shape:
        raise ValueError(f"softmax_cross_entropy_backward: dlosses must have shape {labels.shape}, got {dlosses.shape}")
    dlogits = np.empty_like(probs)
    run(_backward_kernel, probs.nbytes, probs, labels, dlosses, label_smoothing, dlogits)
    return dlogits
