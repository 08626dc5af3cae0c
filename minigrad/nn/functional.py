"""Functional forms of layers and losses: ``import minigrad.nn.functional as F``."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, tensor


def relu(x): return x.relu()
def sigmoid(x): return x.sigmoid()
def tanh(x): return x.tanh()
def leaky_relu(x, negative_slope=0.01): return x.leaky_relu(negative_slope)
def elu(x, alpha=1.0): return x.elu(alpha)
def gelu(x, approximate="none"): return x.gelu(approximate)
def softplus(x, beta=1.0, threshold=20.0): return x.softplus(beta, threshold)
def softmax(x, axis=-1): return x.softmax(axis)
def log_softmax(x, axis=-1): return x.log_softmax(axis)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _labels(target, logits, fn):
    t = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class labels, got dtype {t.dtype}")
    if t.shape != logits.shape[:1]:
        raise ValueError(f"{fn}: input has shape {logits.shape} (N, C) but target has shape {t.shape}; expected ({logits.shape[0]},)")
    if t.size and (t.min() < 0 or t.max() >= logits.shape[1]):
        raise ValueError(f"{fn}: target labels must lie in [0, {logits.shape[1] - 1}], got {t.min()}..{t.max()}")
    return t.astype(np.int64)


def nll_loss(log_probs, target, reduction="mean"):
    """-log p[target] per sample; input (N, C) log-probabilities, target (N,) integer labels."""
    t = _labels(target, log_probs, "nll_loss")
    picked = log_probs[np.arange(len(t)), t]
    return _reduce(-picked, reduction)


def cross_entropy(logits, target, label_smoothing=0.0, reduction="mean"):
    """Softmax cross-entropy: -Σ_k q_k log softmax(z)_k with q = (1-ε)·onehot(target) + ε/C."""
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must have shape (N, C), got {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    logp = logits.log_softmax(axis=1)
    loss = nll_loss(logp, target, reduction="none")
    if label_smoothing:
        loss = (1 - label_smoothing) * loss - label_smoothing * logp.mean(axis=1)
    return _reduce(loss, reduction)


def mse_loss(input, target, reduction="mean"):
    """(input - target)² averaged (or summed) over all elements."""
    target = input._lift(target)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    d = input - target
    return _reduce(d * d, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """softplus(z) - y·z = -[y log σ(z) + (1-y) log(1-σ(z))], computed without overflow."""
    target = logits._lift(target)
    if logits.shape != target.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: input shape {logits.shape} and target shape "
                         f"{target.shape} differ")
    return _reduce(logits.softplus() - target * logits, reduction)
