"""Functional forms of layers and losses: ``import minigrad.nn.functional as F``."""
from __future__ import annotations

import numpy as np

from ..autodiff import no_grad
from ..ops.conv import Conv2d, Conv2dInputGrad
from ..ops.linalg import Linear, matmul
from ..ops.nn import SoftmaxCrossEntropy, SoftmaxCrossEntropyMean
from ..ops.norm import BatchNorm, per_channel
from ..ops.pool import AvgPool2d, GlobalAvgPool2d, MaxPool2d, take_at_argmax
from ..ops.unpool import MaxUnpool2d
from ..tensor import Tensor, get_rng, ones, tensor, zeros


def relu(x): return x.relu()
def sigmoid(x): return x.sigmoid()
def tanh(x): return x.tanh()
def leaky_relu(x, negative_slope=0.01): return x.leaky_relu(negative_slope)
def elu(x, alpha=1.0): return x.elu(alpha)
def gelu(x, approximate="none"): return x.gelu(approximate)
def softplus(x, beta=1.0, threshold=20.0): return x.softplus(beta, threshold)
def softmax(x, axis=-1): return x.softmax(axis)
def log_softmax(x, axis=-1): return x.log_softmax(axis)
def silu(x): return x.silu()
def mish(x): return x.mish()
def selu(x): return x.selu()
def celu(x, alpha=1.0): return x.celu(alpha)
def hardtanh(x, min_val=-1.0, max_val=1.0): return x.hardtanh(min_val, max_val)
def relu6(x): return x.relu6()
def hardsigmoid(x): return x.hardsigmoid()
def hardswish(x): return x.hardswish()
def logsigmoid(x): return x.logsigmoid()
def softsign(x): return x.softsign()
def softmin(x, axis=-1): return x.softmin(axis)


def normalize(x, p=2.0, axis=1, eps=1e-12):
    """x / max(‖x‖_p, eps) along ``axis`` (as torch's F.normalize; ‖x‖ < eps gets no gradient)."""
    if p <= 0:
        raise ValueError(f"normalize: p must be positive, got {p}")
    powered = (x * x) if p == 2 else x.abs() ** p
    norm = powered.sum(axis=axis, keepdims=True).clip(min=eps ** p) ** (1.0 / p)
    return x / norm


def _pad_index(n, before, after, mode):
    """Source positions along one axis of length n for ``before``/``after`` new elements in ``mode``."""
    inner = np.arange(n)
    if mode == "reflect":
        if before >= n or after >= n:
            raise ValueError(f"pad: reflect padding ({before}, {after}) must be smaller than the axis length {n}")
        return np.concatenate([np.arange(before, 0, -1), inner, np.arange(n - 2, n - 2 - after, -1)])
    if mode == "replicate":
        return np.concatenate([np.zeros(before, int), inner, np.full(after, n - 1)])
    if before > n or after > n:
        raise ValueError(f"pad: circular padding ({before}, {after}) must not exceed the axis length {n}")
    return np.arange(-before, n + after) % n


def pad(x, pad, mode="constant", value=0.0):
    """PyTorch's F.pad: ``pad`` = (left, right) for the last axis, then the one before, ...;
    mode "constant" (with ``value``), "reflect", "replicate" or "circular"; negative amounts crop."""
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: needs pairs for at most {x.ndim} axes, got {pad}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    crop = tuple(slice(max(0, -b), n - max(0, -a)) for (b, a), n in zip(widths, x.shape))
    if any(s.start > s.stop for s in crop):
        raise ValueError(f"pad: cropping {pad} removes more than the whole of shape {x.shape}")
    x = x[crop]
    widths = [(max(0, b), max(0, a)) for b, a in widths]
    if mode == "constant":
        return x.pad(tuple(widths), value=value) if any(b or a for b, a in widths) else x
    for axis, (b, a) in enumerate(widths):
        if b or a:
            index = [slice(None)] * x.ndim
            index[axis] = _pad_index(x.shape[axis], b, a, mode)
            x = x[tuple(index)]
    return x


def one_hot(labels, num_classes=-1):
    """(..., ) integer labels to (..., num_classes) int64 one-hot rows (num_classes=-1: max label + 1)."""
    labels = labels if isinstance(labels, Tensor) else tensor(np.asarray(labels))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    host = labels.numpy()
    if num_classes == -1:
        num_classes = int(host.max()) + 1 if host.size else 0
    if host.size and (host.min() < 0 or host.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes - 1}], got {host.min()}..{host.max()}")
    classes = tensor(np.arange(num_classes), device=labels.device)
    return (labels.unsqueeze(-1) == classes).long()


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _class_rows(x, fn):
    """(N, C) or (N, C, d...) or (C,) scores as rows (M, C), and how to shape per-sample results back."""
    if x.ndim == 1:
        return x.unsqueeze(0), ()
    if x.ndim < 1:
        raise ValueError(f"{fn}: input must have shape (C,), (N, C) or (N, C, d1, ...), got {x.shape}")
    if x.ndim == 2:
        return x, x.shape[:1]
    moved = x.permute(0, *range(2, x.ndim), 1)
    return moved.reshape(-1, x.shape[1]), (x.shape[0],) + x.shape[2:]


def _class_labels(target, x, ignore_index, fn):
    """Integer labels of shape (N, d...) (or () for an unbatched input), flat, checked against C."""
    t = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: target must hold integer class labels, got dtype {t.dtype}")
    expected = () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]
    if t.shape != expected:
        raise ValueError(f"{fn}: input has shape {x.shape} but target has shape {t.shape}; expected {expected}")
    t = t.reshape(-1).astype(np.int64)
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    valid = t[t != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= classes):
        raise ValueError(f"{fn}: target labels must lie in [0, {classes - 1}] (or be ignore_index={ignore_index}), "
                         f"got {valid.min()}..{valid.max()}")
    return t


def _class_weights(weight, classes, like, fn):
    if weight is None:
        return None
    weight = like._lift(weight)
    if weight.shape != (classes,):
        raise ValueError(f"{fn}: weight must have shape ({classes},) (one per class), got {weight.shape}")
    return weight


def _weighted_nll(rows, labels, weight, ignore_index, reduction, shape):
    """-w[t]·rows[i, t] per row (0 where t = ignore_index); "mean" divides by Σ w[t] of the kept rows."""
    keep = labels != ignore_index
    safe = np.where(keep, labels, 0)
    picked = rows[np.arange(len(safe)), safe]
    w = rows._lift(keep.astype(rows.dtype))
    if weight is not None:
        w = w * weight[safe]
    loss = -(picked * w)
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss.reshape(shape), reduction)


def nll_loss(log_probs, target, reduction="mean", *, weight=None, ignore_index=-100):
    """-w[t]·log p[t] per sample; input (N, C), (N, C, d...) or (C,) log-probabilities, target (N,), (N, d...) or ().

    ``weight`` (C,) scales each class; targets equal to ``ignore_index`` count for nothing; "mean" divides
    by the summed weights of the counted targets (as PyTorch)."""
    rows, shape = _class_rows(log_probs, "nll_loss")
    labels = _class_labels(target, log_probs, ignore_index, "nll_loss")
    weight = _class_weights(weight, rows.shape[1], rows, "nll_loss")
    return _weighted_nll(rows, labels, weight, ignore_index, reduction, shape)


def cross_entropy(logits, target, label_smoothing=0.0, reduction="mean", *, weight=None, ignore_index=-100):
    """Softmax cross-entropy: -Σ_k w_k q_k log softmax(z)_k with q = (1-ε)·onehot(target) + ε/C.

    logits (N, C), (N, C, d...) or unbatched (C,); target integer labels (N,), (N, d...) or (), or class
    probabilities of the logits' shape. ``weight`` (C,) scales classes, labels equal to ``ignore_index``
    count for nothing (PyTorch's rules for "mean", smoothing and weights). Plain (N, C) labels without
    weights use one fused op (``SoftmaxCrossEntropy``)."""
    if isinstance(label_smoothing, Tensor) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be a number in [0, 1], got {label_smoothing!r} "
                         "(pass class weights as weight=)")
    if not isinstance(logits, Tensor) or logits.ndim == 0:
        raise ValueError("cross_entropy: logits must be a Tensor of shape (C,), (N, C) or (N, C, d1, ...)")
    eps = float(label_smoothing)
    soft = isinstance(target, Tensor) and target.dtype.kind == "f"
    if soft:
        if target.shape != logits.shape:
            raise ValueError(f"cross_entropy: probability targets must have the logits' shape {logits.shape}, "
                             f"got {target.shape}")
        rows, shape = _class_rows(logits, "cross_entropy")
        weight = _class_weights(weight, rows.shape[1], rows, "cross_entropy")
        q, _ = _class_rows(target, "cross_entropy")
        q = q * (1 - eps) + eps / rows.shape[1] if eps else q
        logp = rows.log_softmax(axis=1)
        per_class = q * logp if weight is None else q * logp * weight
        return _reduce(-per_class.sum(axis=1).reshape(shape), reduction)
    labels = _class_labels(target, logits, ignore_index, "cross_entropy")
    if logits.ndim == 2 and weight is None and not (labels == ignore_index).any():
        if reduction == "mean" and labels.size and hasattr(logits.backend, "softmax_cross_entropy_mean_forward"):
            return SoftmaxCrossEntropyMean.apply(logits, labels=tensor(labels, device=logits.device).data,
                                                 label_smoothing=eps)
        loss = SoftmaxCrossEntropy.apply(logits, labels=tensor(labels, device=logits.device).data,
                                         label_smoothing=eps)
        return _reduce(loss, reduction)
    rows, shape = _class_rows(logits, "cross_entropy")
    weight = _class_weights(weight, rows.shape[1], rows, "cross_entropy")
    logp = rows.log_softmax(axis=1)
    nll = _weighted_nll(logp, labels, weight, ignore_index, reduction, shape)
    if not eps:
        return nll
    keep = rows._lift((labels != ignore_index).astype(rows.dtype))
    smooth = -(logp if weight is None else logp * weight).sum(axis=1) * keep
    if reduction == "mean":
        safe = np.where(labels != ignore_index, labels, 0)
        smooth = smooth.sum() / (keep.sum() if weight is None else (weight[safe] * keep).sum())
    else:
        smooth = _reduce(smooth.reshape(shape), reduction)
    return nll * (1 - eps) + smooth * (eps / rows.shape[1])


def mse_loss(input, target, reduction="mean"):
    """(input - target)² averaged (or summed) over all elements."""
    target = input._lift(target)
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    d = input - target
    return _reduce(d * d, reduction)


def _same_shape(input, target, fn):
    target = input._lift(target)
    if input.shape != target.shape:
        raise ValueError(f"{fn}: input shape {input.shape} and target shape {target.shape} differ")
    return target


def binary_cross_entropy_with_logits(logits, target, reduction="mean", *, weight=None, pos_weight=None):
    """-w·[p·y·log σ(z) + (1-y)·log(1-σ(z))] = w·[(1-y)·z + (1 + (p-1)·y)·softplus(-z)], without overflow.

    ``weight`` broadcasts over the elements, ``pos_weight`` over the classes (the last axis)."""
    target = _same_shape(logits, target, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        loss = logits.softplus() - target * logits
    else:
        p = logits._lift(pos_weight)
        loss = (1 - target) * logits + (1 + (p - 1) * target) * (-logits).softplus()
    if weight is not None:
        loss = loss * logits._lift(weight)
    return _reduce(loss, reduction)


def binary_cross_entropy(probs, target, weight=None, reduction="mean"):
    """-w·[y·log p + (1-y)·log(1-p)] with each log clamped at -100 (as PyTorch); p in [0, 1]."""
    target = _same_shape(probs, target, "binary_cross_entropy")
    with no_grad():
        low, high = probs.min().item() if probs.size else 0.0, probs.max().item() if probs.size else 0.0
    if low < 0 or high > 1:
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], got {low}..{high}")
    loss = -(target * probs.log().clip(min=-100.0) + (1 - target) * (1 - probs).log().clip(min=-100.0))
    if weight is not None:
        loss = loss * probs._lift(weight)
    return _reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """½d² where |d| ≤ δ, else δ(|d| - ½δ), with d = input - target."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - _same_shape(input, target, "huber_loss")
    small = d.abs() < delta
    return _reduce((d * d * 0.5).where(small, (d.abs() - 0.5 * delta) * delta), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """½d²/β where |d| < β, else |d| - ½β (huber_loss / β; β = 0 is the L1 loss)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - _same_shape(input, target, "smooth_l1_loss")
    if beta == 0:
        return _reduce(d.abs(), reduction)
    return _reduce((d * d * (0.5 / beta)).where(d.abs() < beta, d.abs() - 0.5 * beta), reduction)


def l1_loss(input, target, reduction="mean"):
    return _reduce((input - _same_shape(input, target, "l1_loss")).abs(), reduction)


# ---- layers: linear, convolution, pooling, normalization, dropout -----------------------------------

def _pair(value, name):
    """``value`` as an (h, w) pair of ints; one int means (value, value)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value), int(value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, (int, np.integer)) for v in value):
        return int(value[0]), int(value[1])
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def _single(value, name):
    """``value`` as one int (an int or a 1-tuple)."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"{name} must be an int or a 1-tuple of ints, got {value!r}")


def _check_ndim(x, ndims, fn, layout):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: input must be a minigrad Tensor, got {type(x).__name__}")
    if x.ndim not in ndims:
        raise ValueError(f"{fn}: input must have shape {layout}, got {x.shape}")


def _check_vector(t, length, fn, name):
    if t is not None and tuple(t.shape) != (length,):
        raise ValueError(f"{fn}: {name} must have shape ({length},) (one value per channel), got {tuple(t.shape)}")


def linear(x, weight, bias=None):
    """y = x @ Wᵀ + b:  x (..., in), weight (out, in), bias (out,)."""
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input of shape {x.shape} and weight of shape {weight.shape} do not fit; "
                         "expected input (..., in) and weight (out, in)")
    if _fused_linear(x, weight, bias):
        return Linear.apply(x, weight, bias)
    y = matmul(x, weight, transpose_y=True)
    return y if bias is None else y + bias


def _fused_linear(x, weight, bias) -> bool:
    """Whether the backend runs x @ Wᵀ + b as one kernel (CUDA: the bias in the GEMM's epilogue)."""
    return (isinstance(bias, Tensor) and hasattr(x.backend, "linear") and x.ndim >= 2
            and bias.shape == (weight.shape[0],) and x.dtype == weight.dtype == bias.dtype
            and x.dtype.kind == "f" and x.device == weight.device == bias.device)


def _same_padding(x, kernel_size, stride, dilation):
    """Pad for output size = input size: d (k - 1) in all per axis, the odd one at the end (as PyTorch).

    Returns the input (padded at the end where the total is odd) and the symmetric padding left over.
    """
    if stride != (1, 1):
        raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
    totals = [d * (k - 1) for k, d in zip(kernel_size, dilation)]
    if any(t % 2 for t in totals):
        x = x.pad(((0, 0), (0, 0), (0, totals[0] % 2), (0, totals[1] % 2)))
    return x, (totals[0] // 2, totals[1] // 2)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d cross-correlation (PyTorch's conv2d):
    y[n, o] = b[o] + Σ_c Σ_(i,j) w[o, c, i, j] · x[n, c, h·sh - ph + i·dh, w·sw - pw + j·dw]

    x (N, C, H, W) or (C, H, W), weight (Cout, C/groups, kh, kw), bias (Cout,) or None.
    stride, dilation: int or pair; padding: int, pair, "valid" (none) or "same" (output size = input size,
    stride 1; where the total padding is odd the extra row/column goes at the end, as in PyTorch).
    """
    _check_ndim(x, (3, 4), "conv2d", "(N, C, H, W) or (C, H, W)")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (Cout, C/groups, kh, kw), got {weight.shape}")
    if x.ndim == 3:
        return conv2d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if padding == "same":
        x, padding = _same_padding(x, weight.shape[2:], stride, dilation)
    elif padding == "valid":
        padding = (0, 0)
    elif isinstance(padding, str):
        raise ValueError(f"conv2d: padding must be an int, a pair, 'same' or 'valid', got {padding!r}")
    else:
        padding = _pair(padding, "padding")
    _check_vector(bias, weight.shape[0], "conv2d", "bias")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation, groups=groups)


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d cross-correlation: conv2d on images of height 1.  x (N, C, L) or (C, L), weight (Cout, C/groups, k)."""
    _check_ndim(x, (2, 3), "conv1d", "(N, C, L) or (C, L)")
    if weight.ndim != 3:
        raise ValueError(f"conv1d: weight must have shape (Cout, C/groups, k), got {weight.shape}")
    if x.ndim == 2:
        return conv1d(x.unsqueeze(0), weight, bias, stride, padding, dilation, groups).squeeze(0)
    padding = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _single(stride, "stride")), padding,
               (1, _single(dilation, "dilation")), groups)
    return y.squeeze(2)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution (PyTorch's conv_transpose2d): the input gradient of conv2d, so
    conv_transpose2d(g, w) = ∂⟨g, conv2d(y, w)⟩/∂y. x (N, Cin, H, W) or (C, H, W), weight (Cin, Cout/groups, kh, kw).

    Output size per axis: (H - 1)·s - 2p + d·(k - 1) + output_padding + 1 (output_padding < max(s, d)).
    """
    _check_ndim(x, (3, 4), "conv_transpose2d", "(N, C, H, W) or (C, H, W)")
    if weight.ndim != 4 or weight.shape[0] != x.shape[-3]:
        raise ValueError(f"conv_transpose2d: weight must have shape (Cin={x.shape[-3]}, Cout/groups, kh, kw), "
                         f"got {weight.shape}")
    if x.ndim == 3:
        return conv_transpose2d(x.unsqueeze(0), weight, bias, stride, padding, output_padding, groups,
                                dilation).squeeze(0)
    stride, padding, dilation = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    output_padding = _pair(output_padding, "output_padding")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller than stride {stride} "
                         f"or dilation {dilation}")
    if x.shape[1] % groups:
        raise ValueError(f"conv_transpose2d: {x.shape[1]} input channels are not divisible by groups={groups}")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, s, p, d, k, op in
                 zip(x.shape[2:], stride, padding, dilation, weight.shape[2:], output_padding))
    if min(size) < 1:
        raise ValueError(f"conv_transpose2d: the output size {size} is not positive for input {x.shape}")
    out_channels = weight.shape[1] * groups
    _check_vector(bias, out_channels, "conv_transpose2d", "bias")
    y = Conv2dInputGrad.apply(x, weight, x_shape=(x.shape[0], out_channels) + size, stride=stride, padding=padding,
                              dilation=dilation, groups=groups)
    return y if bias is None else y + bias.reshape(1, -1, 1, 1)


def _interpolation_matrix(n, out, mode, align_corners, scale, like):
    """(out, n) matrix M with y = M · x along one axis (PyTorch's source-index rules)."""
    m = np.zeros((out, n))
    rows = np.arange(out)
    if mode == "nearest":
        step = 1.0 / scale if scale else n / out
        m[rows, np.minimum(np.floor(rows * step).astype(int), n - 1)] = 1.0
    else:
        if align_corners:
            src = rows * ((n - 1) / (out - 1)) if out > 1 else np.zeros(out)
        else:
            step = 1.0 / scale if scale else n / out
            src = np.maximum((rows + 0.5) * step - 0.5, 0.0)
        low = np.minimum(np.floor(src).astype(int), n - 1)
        high = np.minimum(low + 1, n - 1)
        frac = src - low
        np.add.at(m, (rows, low), 1.0 - frac)
        np.add.at(m, (rows, high), frac)
    return tensor(m, dtype=like.dtype, device=like.device)


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resize the last two axes of x (N, C, H, W) (or the last one of (N, C, L)): mode "nearest" or
    "bilinear"/"linear"; y = M_h · x · M_wᵀ with fixed interpolation matrices, so every rule is a matmul's."""
    _check_ndim(x, (3, 4), "interpolate", "(N, C, L) or (N, C, H, W)")
    if mode not in ("nearest", "bilinear", "linear"):
        raise ValueError(f"interpolate: mode must be 'nearest', 'linear' or 'bilinear', got {mode!r}")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("interpolate: align_corners only applies to the linear modes")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    if x.ndim == 3:
        return interpolate(x.unsqueeze(2), None if size is None else (1, _single(size, "size")),
                           None if scale_factor is None else (1.0, float(np.ravel([scale_factor])[0])),
                           "bilinear" if mode == "linear" else mode, align_corners).squeeze(2)
    spatial = x.shape[2:]
    if size is not None:
        size, scales = _pair(size, "size"), (None, None)
    else:
        scales = tuple(float(f) for f in (scale_factor if isinstance(scale_factor, (tuple, list))
                                          else (scale_factor, scale_factor)))
        size = tuple(int(np.floor(n * f)) for n, f in zip(spatial, scales))
    if min(size) < 1:
        raise ValueError(f"interpolate: the output size {size} must be positive")
    linear = "nearest" if mode == "nearest" else "linear"
    mh, mw = (_interpolation_matrix(n, o, linear, bool(align_corners), f, x) for n, o, f in zip(spatial, size, scales))
    return mh @ x @ mw.T


def local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0):
    """y = x / (k + α/n · Σ_{c' near c} x_{c'}²)^β over a window of n = ``size`` channels (AlexNet's LRN).

    The window covers channels c - ⌊n/2⌋ … c + ⌈n/2⌉ - 1 (zeros past the edges), as PyTorch."""
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: input must have shape (N, C, ...), got {x.shape}")
    width = [(0, 0)] * x.ndim
    width[1] = (size // 2, (size - 1) // 2)
    squares = (x * x).pad(tuple(width))
    c = x.shape[1]
    window = squares[:, 0:c]
    for offset in range(1, size):
        window = window + squares[:, offset:offset + c]
    return x / (window * (alpha / size) + k) ** beta


def maxout(x, pieces, axis=1):
    """max over groups of ``pieces`` consecutive features along ``axis``: (…, k·p, …) → (…, k, …)."""
    axis = axis % x.ndim
    n = x.shape[axis]
    if pieces < 1 or n % pieces:
        raise ValueError(f"maxout: {n} features along axis {axis} are not divisible by pieces={pieces}")
    return x.reshape(x.shape[:axis] + (n // pieces, pieces) + x.shape[axis + 1:]).max(axis=axis + 1)


def dropout2d(x, p=0.5, training=True, generator=None):
    """Dropout of whole channels: each (n, c) plane of x (N, C, H, W) (or (C, H, W)) is zeroed with
    probability p and the rest scaled by 1/(1 - p)."""
    _check_ndim(x, (3, 4), "dropout2d", "(N, C, H, W) or (C, H, W)")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout2d: p must be a probability in [0, 1], got {p}")
    if not training or p == 0:
        return x
    keep = (generator or get_rng()).random(x.shape[:-2] + (1, 1), dtype=np.float32) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * (tensor(keep, dtype=x.dtype, device=x.device) * scale)


def _pool_geometry(kernel_size, stride, padding):
    """kernel_size, stride and padding as pairs; no stride (None or empty) means stride = kernel_size."""
    kernel_size = _pair(kernel_size, "kernel_size")
    stride = kernel_size if stride is None or stride in ((), []) else _pair(stride, "stride")
    return kernel_size, stride, _pair(padding, "padding")


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """y = the maximum of each kh×kw window (padding counts as -∞); stride defaults to kernel_size.

    x (N, C, H, W) or (C, H, W), floating point or integer (integers keep their dtype). ``ceil_mode``
    rounds the output size up (a last window may hang over). ``return_indices`` also returns where each
    maximum is, as the flat index h·W + w in its (H, W) plane (int64, PyTorch's convention).
    """
    _check_ndim(x, (3, 4), "max_pool2d", "(N, C, H, W) or (C, H, W)")
    if x.ndim == 3:
        out = max_pool2d(x.unsqueeze(0), kernel_size, stride, padding, dilation, ceil_mode, return_indices)
        return (out[0].squeeze(0), out[1].squeeze(0)) if return_indices else out.squeeze(0)
    if x.dtype.kind in "iub":
        return _integer_pool(x, lambda f: max_pool2d(f, kernel_size, stride, padding, dilation, ceil_mode,
                                                     return_indices), rounding=None)
    kernel_size, stride, padding = _pool_geometry(kernel_size, stride, padding)
    geometry = dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=_pair(dilation, "dilation"),
                    ceil_mode=bool(ceil_mode))
    if not return_indices:
        return MaxPool2d.apply(x, **geometry)
    _, argmax = x.backend.max_pool2d_forward(x.data, *geometry.values())
    return take_at_argmax(x, argmax), Tensor(argmax, device=x.device)


def _integer_pool(x, pool, rounding):
    """Pool an integer tensor exactly through float64 (integers below 2^53), rounding toward 0 if asked."""
    out = pool(x.astype("float64"))
    values, extra = (out if isinstance(out, tuple) else (out, None))
    if rounding == "trunc":
        values = values.trunc()
    values = values.astype(x.dtype)
    return values if extra is None else (values, extra)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: zeros of the pooled input's size with each x put back at its
    ``indices`` (from max_pool2d(return_indices=True)). Output size (H-1)·s - 2p + k per axis, or
    ``output_size`` (the last two numbers count)."""
    _check_ndim(x, (3, 4), "max_unpool2d", "(N, C, H, W) or (C, H, W)")
    if x.ndim == 3:
        return max_unpool2d(x.unsqueeze(0), indices.unsqueeze(0), kernel_size, stride, padding,
                            output_size).squeeze(0)
    kernel_size, stride, padding = _pool_geometry(kernel_size, stride, padding)
    if output_size is None:
        size = tuple((n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[2:], stride, padding, kernel_size))
    else:
        size = tuple(int(n) for n in tuple(output_size)[-2:])
    if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu" or indices.shape != x.shape:
        raise ValueError(f"max_unpool2d: indices must be an integer tensor of the input's shape {x.shape}")
    host = indices.numpy()
    if host.size and (host.min() < 0 or host.max() >= size[0] * size[1]):
        raise ValueError(f"max_unpool2d: indices must lie in [0, {size[0] * size[1] - 1}] for output size {size}, "
                         f"got {host.min()}..{host.max()}")
    return MaxUnpool2d.apply(x, indices=x.backend.astype(indices.data, np.dtype("int64")), size=size)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """y = the sum of each kh×kw window / divisor; stride defaults to kernel_size.

    The divisor is ``divisor_override`` if given, else the window size counting the zero padding
    (``count_include_pad``) or only the pixels inside the image. x (N, C, H, W) or (C, H, W).
    """
    _check_ndim(x, (3, 4), "avg_pool2d", "(N, C, H, W) or (C, H, W)")
    if x.ndim == 3:
        return avg_pool2d(x.unsqueeze(0), kernel_size, stride, padding, ceil_mode, count_include_pad,
                          divisor_override).squeeze(0)
    if x.dtype.kind in "iub":
        return _integer_pool(x, lambda f: avg_pool2d(f, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                                     divisor_override), rounding="trunc")
    kernel_size, stride, padding = _pool_geometry(kernel_size, stride, padding)
    return AvgPool2d.apply(x, kernel_size=kernel_size, stride=stride, padding=padding, ceil_mode=bool(ceil_mode),
                           count_include_pad=bool(count_include_pad), divisor_override=divisor_override)


def _adaptive_pool_matrix(size, out, like):
    """(out, size) averaging matrix: row i averages x[floor(i·size/out) : ceil((i+1)·size/out)]."""
    m = np.zeros((out, size))
    for i in range(out):
        start, end = i * size // out, -(-(i + 1) * size // out)
        m[i, start:end] = 1.0 / (end - start)
    return tensor(m, dtype=like.dtype, device=like.device)


def adaptive_avg_pool2d(x, output_size):
    """Average pooling to a fixed output size (oh, ow): window i of an axis of length n is
    [floor(i·n/oh), ceil((i+1)·n/oh)) (PyTorch's rule). ``None`` in output_size keeps that axis.

    Output 1×1 is the global average pool (one kernel); otherwise y = A_h · x · A_wᵀ with averaging matrices.
    """
    _check_ndim(x, (3, 4), "adaptive_avg_pool2d", "(N, C, H, W) or (C, H, W)")
    if x.ndim == 3:
        return adaptive_avg_pool2d(x.unsqueeze(0), output_size).squeeze(0)
    if isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(n if s is None else s for s, n in zip(output_size, x.shape[2:]))
    oh, ow = _pair(output_size, "output_size")
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {(oh, ow)}")
    if (oh, ow) == (1, 1):
        return GlobalAvgPool2d.apply(x).reshape(x.shape[:2] + (1, 1))
    height, width = x.shape[2:]
    return _adaptive_pool_matrix(height, oh, x) @ x @ _adaptive_pool_matrix(width, ow, x).T


def _update_running(running, value, momentum):
    """running ← (1 - momentum) · running + momentum · value, in place (a buffer, outside the graph)."""
    with no_grad():
        running.mul_(1 - momentum).add_(value, alpha=momentum)


def _running_pair(running_mean, running_var, c, x):
    """Both running statistics, a scratch buffer standing in for the one not given (its update is dropped)."""
    return (zeros(c, dtype=x.dtype, device=x.device) if running_mean is None else running_mean,
            ones(c, dtype=x.dtype, device=x.device) if running_var is None else running_var)


def _normalize_batch(x, weight, bias, eps, running_mean=None, running_var=None, momentum=0.0):
    """The BatchNorm op with the batch's own statistics, channels on axis 1 of x (at least 2-d).

    One fused kernel call computes the statistics, y and (if given) the running-statistics update
    r ← (1 - momentum) r + momentum · s (variance unbiased). Returns (y, mean, biased variance) with the
    statistics as (C,) constants.
    """
    c = x.shape[1]
    flat = x.reshape(x.shape[0], c, -1)  # one layout (N, C, M) for the kernels
    weight = ones(c, dtype=x.dtype, device=x.device) if weight is None else weight
    bias = zeros(c, dtype=x.dtype, device=x.device) if bias is None else bias
    running = [None if r is None else r.data for r in (running_mean, running_var)]
    y, mean, var, invstd = x.backend.batch_norm_training(flat.data, weight.data, bias.data, *running, momentum, eps)
    for r in (running_mean, running_var):
        if r is not None:
            r._bump()
    y = BatchNorm.apply(flat, weight, bias, mean=mean, invstd=invstd, eps=eps, output=y).reshape(x.shape)
    return y, x._new(mean), x._new(var)


def _normalize_frozen(x, mean, var, weight, bias, eps):
    """y = (x - mean) / √(var + eps) · w + b with fixed per-channel statistics (an affine map of x)."""
    scale = (var + eps) ** -0.5
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    return x * per_channel(scale, x.ndim) + per_channel(shift, x.ndim)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalization over axis 1 of x (N, C, ...): y = w · (x - μ) / √(σ² + ε) + b.

    training: μ, σ² are the batch's mean and biased variance per channel, and the running statistics
    (if given) are updated in place: r ← (1 - momentum) r + momentum · s, with the unbiased variance
    σ² m/(m - 1) for running_var (m values per channel), as PyTorch. Otherwise the running statistics
    are used and nothing changes.
    """
    _check_ndim(x, (2, 3, 4, 5), "batch_norm", "(N, C, ...)")
    c = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_vector(t, c, "batch_norm", name)
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation (training=False) needs running_mean and running_var")
        return _normalize_frozen(x, running_mean, running_var, weight, bias, eps)
    m = x.size // c
    if m < 2:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input shape {x.shape}")
    if (running_mean is None) != (running_var is None):
        running_mean, running_var = _running_pair(running_mean, running_var, c, x)
    y, _, _ = _normalize_batch(x, weight, bias, eps, running_mean, running_var, momentum)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over its last axes (``normalized_shape``), then y = w · x̂ + b with w, b of
    that shape: batch norm of the input seen as (1, samples, features)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else tuple(normalized_shape)
    _check_ndim(x, range(len(shape), len(shape) + 8), "layer_norm", f"(..., {', '.join(map(str, shape))})")
    if not shape or x.shape[x.ndim - len(shape):] != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} must match the last axes of the input, "
                         f"got input shape {x.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {tuple(t.shape)}")
    x_hat, _, _ = _normalize_batch(x.reshape(1, -1, int(np.prod(shape))), None, None, eps)
    y = x_hat.reshape(x.shape)
    y = y if weight is None else y * weight
    return y if bias is None else y + bias


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over groups of C/num_groups channels (and all positions), then a per-channel
    affine map: batch norm of the input seen as (1, N·groups, C/groups·positions)."""
    _check_ndim(x, (2, 3, 4, 5), "group_norm", "(N, C, ...)")
    n, c = x.shape[:2]
    if not isinstance(num_groups, (int, np.integer)) or num_groups < 1 or c % num_groups:
        raise ValueError(f"group_norm: num_groups must divide the {c} channels, got {num_groups!r}")
    _check_vector(weight, c, "group_norm", "weight")
    _check_vector(bias, c, "group_norm", "bias")
    x_hat, _, _ = _normalize_batch(x.reshape(1, n * num_groups, -1), None, None, eps)
    y = x_hat.reshape(x.shape)
    y = y if weight is None else y * per_channel(weight, x.ndim)
    return y if bias is None else y + per_channel(bias, x.ndim)


def instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalize each (sample, channel) over its positions, then a per-channel affine map.

    With ``use_input_stats`` the running statistics (if given) are updated with the batch average of
    the per-instance mean and unbiased variance, as PyTorch; without it they are used instead.
    """
    _check_ndim(x, (3, 4, 5), "instance_norm", "(N, C, L), (N, C, H, W) or (N, C, D, H, W)")
    n, c = x.shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _check_vector(t, c, "instance_norm", name)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and running_var")
        return _normalize_frozen(x, running_mean, running_var, weight, bias, eps)
    m = x.size // (n * c)
    if m < 2:
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, got input shape {x.shape}")
    x_hat, mean, var = _normalize_batch(x.reshape(1, n * c, -1), None, None, eps)
    if running_mean is not None:
        _update_running(running_mean, mean.reshape(n, c).mean(axis=0), momentum)
    if running_var is not None:
        _update_running(running_var, var.reshape(n, c).mean(axis=0) * (m / (m - 1)), momentum)
    y = x_hat.reshape(x.shape)
    y = y if weight is None else y * per_channel(weight, x.ndim)
    return y if bias is None else y + per_channel(bias, x.ndim)


def dropout(x, p=0.5, training=True, generator=None):
    """Inverted dropout: zero each element with probability p and scale the rest by 1/(1 - p), so the
    expectation is unchanged; the identity when not training. The mask comes from ``generator`` (a
    NumPy Generator) or minigrad's seeded generator (``mg.manual_seed``)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p}")
    if not training or p == 0:
        return x
    keep = (generator or get_rng()).random(x.shape, dtype=np.float32) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * (tensor(keep, dtype=x.dtype, device=x.device) * scale)
