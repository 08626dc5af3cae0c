"""The rest of the PyTorch vocabulary on Tensor: rounding and tests, more math, activations, indexing
and sorting, integer operators and method aliases (``Tensor`` inherits ``TensorVocabulary``).

Each method is a primitive op from ``minigrad.ops.rounding`` / ``minigrad.ops.math`` or a
composition of existing ops, so reverse mode, forward mode and higher orders come from the ops'
rules. Tests (isnan, isclose, any, ...) and index results (sort's indices) are boolean or integer
constants, as in PyTorch. Axes are called ``axis`` as everywhere in minigrad.
"""
from __future__ import annotations

import math
import numbers
from collections import namedtuple

import numpy as np

from .ops import math as M, reduce as R, rounding as Rd, shape as S

SortResult = namedtuple("SortResult", ["values", "indices"])


def _axes(dims, ndim):
    return R.normalize_axis(dims, ndim)


def _along(ndim, axis, item):
    """An index tuple that applies ``item`` along ``axis`` and takes everything elsewhere."""
    index = [slice(None)] * ndim
    index[axis] = item
    return tuple(index)


def _constant_tensor(values, device):
    """``values`` (a list or array, say of indices) as a tensor, keeping their dtype."""
    from .tensor import tensor
    return tensor(values.numpy() if hasattr(values, "numpy") else np.asarray(values), device=device)


class TensorVocabulary:
    """Mixed into Tensor (uses ``_new``, ``_lift``, ``backend``, ``data`` and the Tensor ops)."""

    # ---- constants: tests give booleans --------------------------------------------------------
    def _constant(self, raw):
        return self._new(raw)

    def _is_integral(self):
        return self.dtype.kind in "iub"

    def isnan(self):
        return self._constant(self.backend.not_equal(self.data, self.data))

    def isinf(self):
        return self._constant(self.backend.equal(self.backend.abs(self.data), math.inf))

    def isfinite(self):
        return self._constant(self.backend.less(self.backend.abs(self.data), math.inf))

    def _truth(self):
        return self.backend.not_equal(self.data, 0)

    def logical_not(self):
        return self._constant(self.backend.equal(self.data, 0))

    def logical_and(self, other):
        return self._constant(self.backend.bitwise_and(self._truth(), self._lift(other)._truth()))

    def logical_or(self, other):
        return self._constant(self.backend.bitwise_or(self._truth(), self._lift(other)._truth()))

    def logical_xor(self, other):
        return self._constant(self.backend.not_equal(self._truth(), self._lift(other)._truth()))

    def _count(self, raw, axis, keepdims):
        xp = self.backend
        counted = xp.astype(raw, np.dtype("int64"))
        return xp.sum(counted, axis=R.normalize_axis(axis, self.ndim), keepdims=keepdims)

    def any(self, axis=None, keepdims=False):
        """Whether any element (along ``axis``) is nonzero."""
        return self._constant(self.backend.greater(self._count(self._truth(), axis, keepdims), 0))

    def all(self, axis=None, keepdims=False):
        """Whether every element (along ``axis``) is nonzero."""
        zeros = self.backend.equal(self.data, 0)
        return self._constant(self.backend.equal(self._count(zeros, axis, keepdims), 0))

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        """|x - y| ≤ atol + rtol·|y| for finite values; equal values (infinities too) are close."""
        xp, y = self.backend, self._lift(other).data
        x = self.data
        both_finite = xp.bitwise_and(xp.less(xp.abs(x), math.inf), xp.less(xp.abs(y), math.inf))
        near = xp.less_equal(xp.abs(xp.subtract(x, y)), xp.add(xp.multiply(xp.abs(y), rtol), atol))
        close = xp.bitwise_or(xp.equal(x, y), xp.bitwise_and(both_finite, near))
        if equal_nan:
            close = xp.bitwise_or(close, xp.bitwise_and(xp.not_equal(x, x), xp.not_equal(y, y)))
        return self._constant(close)

    # ---- rounding: zero gradients ---------------------------------------------------------------
    def floor(self): return self if self._is_integral() else Rd.Floor.apply(self)
    def ceil(self): return self if self._is_integral() else Rd.Ceil.apply(self)
    def trunc(self): return self if self._is_integral() else Rd.Trunc.apply(self)
    fix = trunc

    def round(self, decimals=0):
        """Round half to even, to ``decimals`` digits after the point (as torch.round)."""
        return self if self._is_integral() and decimals >= 0 else Rd.Round.apply(self, decimals=int(decimals))

    # ---- more math ------------------------------------------------------------------------------
    def tan(self): return M.Tan.apply(self)
    def asin(self): return M.Asin.apply(self)
    def acos(self): return M.Acos.apply(self)
    def atan(self): return M.Atan.apply(self)
    def asinh(self): return M.Asinh.apply(self)
    def atanh(self): return M.Atanh.apply(self)
    arcsin, arccos, arctan, arcsinh, arctanh = asin, acos, atan, asinh, atanh

    def atan2(self, other):
        """The angle of the point (other, self): atan2(y=self, x=other)."""
        return M.Atan2.apply(self, self._lift(other))

    arctan2 = atan2

    def sinh(self):
        return (self.exp() - (-self).exp()) * 0.5

    def cosh(self):
        return (self.exp() + (-self).exp()) * 0.5

    def log2(self):
        return self.log() * (1 / math.log(2))

    def log10(self):
        return self.log() * (1 / math.log(10))

    def exp2(self):
        return (self * math.log(2)).exp()

    def rsqrt(self):
        return self ** -0.5

    def square(self):
        return self * self

    def lerp(self, end, weight):
        """self + weight·(end - self)."""
        return self + self._lift(weight) * (self._lift(end) - self)

    def copysign(self, other):
        """|self| with the sign of ``other`` (its gradient is 0)."""
        return M.Copysign.apply(self, self._lift(other))

    def logaddexp(self, other):
        """log(e^x + e^y) = m + log(e^(x-m) + e^(y-m)) with m = max(x, y) (no overflow)."""
        other = self._lift(other)
        m = self.detach().maximum(other.detach())
        m = m.where(m.isfinite(), 0)
        return ((self - m).exp() + (other - m).exp()).log() + m

    def prod(self, axis=None, keepdims=False):
        """Π_axes x, as a tree of pairwise products (exact gradients where elements are 0 too)."""
        axes = R.normalize_axis(axis, self.ndim)
        kept = [a for a in range(self.ndim) if a not in axes]
        n = math.prod(self.shape[a] for a in axes)
        x = self.permute(*kept, *axes).reshape(tuple(self.shape[a] for a in kept) + (n,))
        if n == 0:
            x = (x.sum(axis=-1, keepdims=True) * 0) + 1
        while x.shape[-1] > 1:
            half = x.shape[-1] // 2
            pairs = x[..., :half] * x[..., half:2 * half]
            x = pairs if x.shape[-1] % 2 == 0 else pairs.concat([x[..., 2 * half:]], axis=-1)
        out = x[..., 0]
        return out.reshape(R.kept_shape(self.shape, axes)) if keepdims else out

    def cumsum(self, axis, dtype=None):
        x = self if dtype is None else self.astype(dtype)
        if x.ndim == 0:
            return x
        return M.Cumsum.apply(x, axis=R.normalize_axis(axis, x.ndim)[0])

    def cumprod(self, axis):
        """Running products as a scan of pairwise products (log₂ n steps)."""
        return self._scan(axis, lambda acc, prev: acc * prev, 1)

    def logcumsumexp(self, axis):
        """log Σ_{j ≤ i} exp x_j along ``axis``, as a scan of logaddexp (stable for any range of values)."""
        return self._scan(axis, lambda acc, prev: acc.logaddexp(prev), -math.inf)

    def _scan(self, axis, combine, identity):
        """Hillis–Steele inclusive scan: after the step with shift k, y_i combines x_{i-2k+1..i}."""
        if self.ndim == 0:
            return self
        axis = R.normalize_axis(axis, self.ndim)[0]
        n, y, shift = self.shape[axis], self, 1
        while shift < n:
            width = [(0, 0)] * self.ndim
            width[axis] = (shift, 0)
            previous = y[_along(self.ndim, axis, slice(0, n - shift))].pad(tuple(width), value=identity)
            y = combine(y, previous)
            shift *= 2
        return y

    # ---- activations ----------------------------------------------------------------------------
    def silu(self):
        return self * self.sigmoid()

    def mish(self):
        return self * self.softplus().tanh()

    def selu(self):
        return self.elu(1.6732632423543772848170429916717) * 1.0507009873554804934193349852946

    def celu(self, alpha=1.0):
        return self.where(self > 0, ((self.clip(max=0) / alpha).exp() - 1) * alpha)

    def hardtanh(self, min_val=-1.0, max_val=1.0):
        """clip(x, min_val, max_val); the gradient passes strictly inside (as PyTorch)."""
        if min_val > max_val:
            raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
        inside = (self > min_val).logical_and(self < max_val)
        bound = self.detach().clip(min_val, max_val)
        return self.where(inside, bound)

    def relu6(self):
        return self.hardtanh(0.0, 6.0)

    def hardsigmoid(self):
        return (self / 6 + 0.5).hardtanh(0.0, 1.0)

    def hardswish(self):
        return self * (self + 3).hardtanh(0.0, 6.0) / 6

    def logsigmoid(self):
        return -(-self).softplus()

    def softsign(self):
        return self / (1 + self.abs())

    def softmin(self, axis=-1):
        return (-self).softmax(axis)

    # ---- shape and indexing ---------------------------------------------------------------------
    def flip(self, dims):
        axes = _axes(dims, self.ndim)
        return self[tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(self.ndim))]

    def roll(self, shifts, dims=None):
        """Shift elements along ``dims`` cyclically (the flattened tensor when ``dims`` is None)."""
        if dims is None:
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
        dims = (dims,) if isinstance(dims, int) else tuple(dims)
        if len(shifts) != len(dims):
            raise ValueError(f"roll: got {len(shifts)} shifts for {len(dims)} dims")
        x = self
        for s, d in zip(shifts, dims):
            d = R.normalize_axis(d, self.ndim)[0]
            n = self.shape[d]
            s = s % n if n else 0
            if s:
                x = x[_along(x.ndim, d, slice(n - s, n))].concat([x[_along(x.ndim, d, slice(0, n - s))]], axis=d)
        return x

    def repeat(self, *sizes):
        """Tile the tensor: ``sizes[i]`` copies along axis i (leading sizes add new axes), like torch.repeat."""
        sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat: got {len(sizes)} sizes for a tensor with {self.ndim} dimensions")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        x = self.reshape(tuple(n for s in shape for n in (1, s)))
        x = x.expand(tuple(n for r, s in zip(sizes, shape) for n in (r, s)))
        return x.reshape(tuple(r * s for r, s in zip(sizes, shape)))

    tile = repeat

    def repeat_interleave(self, repeats, axis=None):
        """Repeat each element ``repeats`` times (an int, or one count per element) along ``axis``."""
        if axis is None:
            return self.flatten().repeat_interleave(repeats, 0)
        axis = R.normalize_axis(axis, self.ndim)[0]
        n = self.shape[axis]
        counts = repeats.numpy() if hasattr(repeats, "numpy") else np.asarray(repeats)
        if counts.dtype.kind not in "iu" or (counts < 0).any():
            raise ValueError(f"repeat_interleave: repeats must be non-negative integers, got {repeats!r}")
        if counts.ndim == 0 or counts.size == 1:
            r = int(counts.reshape(()))
            x = self.unsqueeze(axis + 1)
            return x.expand(x.shape[:axis + 1] + (r,) + x.shape[axis + 2:]).reshape(
                self.shape[:axis] + (n * r,) + self.shape[axis + 1:])
        if counts.shape != (n,):
            raise ValueError(f"repeat_interleave: repeats has shape {counts.shape}, expected ({n},)")
        return self[_along(self.ndim, axis, np.repeat(np.arange(n), counts))]

    def _triangle(self, keep, fn):
        if self.ndim < 2:
            raise ValueError(f"{fn}: needs a tensor with at least 2 dimensions, got shape {self.shape}")
        return self.where(keep, 0)

    def tril(self, diagonal=0):
        """Zero the elements above the ``diagonal``-th diagonal of the last two axes."""
        rows, cols = self.shape[-2:] if self.ndim >= 2 else (0, 0)
        return self._triangle(np.tri(rows, cols, diagonal, dtype=bool), "tril")

    def triu(self, diagonal=0):
        """Zero the elements below the ``diagonal``-th diagonal of the last two axes."""
        rows, cols = self.shape[-2:] if self.ndim >= 2 else (0, 0)
        return self._triangle(~np.tri(rows, cols, diagonal - 1, dtype=bool), "triu")

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The ``offset``-th diagonal of axes dim1 and dim2, as the last axis."""
        if self.ndim < 2:
            raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {self.shape}")
        d1, d2 = (R.normalize_axis(d, self.ndim)[0] for d in (dim1, dim2))
        if d1 == d2:
            raise ValueError(f"diagonal: dim1 and dim2 must differ, got {dim1} and {dim2}")
        x = self.permute(*[a for a in range(self.ndim) if a not in (d1, d2)], d1, d2)
        rows, cols = x.shape[-2:]
        length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
        i = np.arange(length) + max(0, -offset)
        return x[(Ellipsis, i, i + offset)]

    def diag(self, diagonal=0):
        """A 1-D tensor to a matrix with it on the ``diagonal``-th diagonal; a matrix to that diagonal."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise ValueError(f"diag: needs a 1-D or 2-D tensor, got shape {self.shape}")
        n, k = self.shape[0], abs(diagonal)
        identity = self._new(self.backend.asarray(np.eye(n), dtype=self.dtype))
        square = self.unsqueeze(0) * identity
        width = ((0, k), (k, 0)) if diagonal >= 0 else ((k, 0), (0, k))
        return square.pad(width)

    def unflatten(self, axis, sizes):
        axis = R.normalize_axis(axis, self.ndim)[0]
        return self.reshape(self.shape[:axis] + tuple(sizes) + self.shape[axis + 1:])

    def _scatter_index(self, axis, index, fn):
        """The integer-array index tuple that addresses ``self[..., index[i, j, k], ...]`` along ``axis``."""
        idx = index if isinstance(index, TensorVocabulary) else _constant_tensor(index, self.device)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"{fn}: index must be an integer tensor, got dtype {idx.dtype}")
        if idx.ndim != self.ndim:
            raise ValueError(f"{fn}: index has {idx.ndim} dimensions but the input has {self.ndim}")
        axis = R.normalize_axis(axis, self.ndim)[0]
        for d, (m, n) in enumerate(zip(idx.shape, self.shape)):
            if d != axis and m > n:
                raise ValueError(f"{fn}: index shape {idx.shape} is larger than the input shape {self.shape} "
                                 f"along axis {d}")
        host = idx.numpy()
        if host.size and (host.min() < 0 or host.max() >= self.shape[axis]):
            raise IndexError(f"{fn}: index values must lie in [0, {self.shape[axis] - 1}] along axis {axis}, "
                             f"got {host.min()}..{host.max()}")
        xp = self.backend
        items = []
        for d, m in enumerate(idx.shape):
            if d == axis:
                items.append(xp.astype(idx.data, np.dtype("int64")))
            else:
                shape = [1] * idx.ndim
                shape[d] = m
                items.append(xp.asarray(np.arange(m).reshape(shape)))
        return tuple(items), idx.shape

    def gather(self, axis, index):
        """out[i][j][k] = x[i][index[i][j][k]][k] for axis 1 (and likewise for the others)."""
        items, _ = self._scatter_index(axis, index, "gather")
        return S.Getitem.apply(self, index=items)

    def take_along_dim(self, indices, axis):
        return self.gather(axis, indices)

    def _scattered(self, items, shape, src, fn):
        src = self._lift(src)
        if src.ndim == 0:
            src = src.expand(shape)
        elif src.ndim != len(shape) or any(s < m for s, m in zip(src.shape, shape)):
            raise ValueError(f"{fn}: src has shape {src.shape}, smaller than the index shape {shape}")
        src = src[tuple(slice(0, m) for m in shape)]
        return S.IndexAdd.apply(src, index=items, shape=self.shape)

    def scatter(self, axis, index, src):
        """A copy of x with x[i][index[i][j][k]][k] = src[i][j][k] (axis 1); each position written at most once."""
        items, shape = self._scatter_index(axis, index, "scatter")
        xp = self.backend
        hits = xp.index_add(self.shape, items, xp.ones(shape, dtype=np.dtype("int64")))
        if (self.backend.to_numpy(hits) > 1).any():
            raise ValueError("scatter: index writes some position more than once (PyTorch leaves the result "
                             "undefined); use scatter_add to add the values up")
        untouched = xp.equal(hits, 0)
        return self.where(untouched, 0) + self._scattered(items, shape, src, "scatter")

    def scatter_add(self, axis, index, src):
        """A copy of x with x[i][index[i][j][k]][k] += src[i][j][k] (axis 1); repeated positions add up."""
        items, shape = self._scatter_index(axis, index, "scatter_add")
        return self + self._scattered(items, shape, src, "scatter_add")

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is true, x elsewhere (the mask broadcasts against x)."""
        mask = mask.data if hasattr(mask, "data") else self.backend.asarray(mask)
        if np.dtype(mask.dtype) != np.bool_:
            raise TypeError(f"masked_fill: mask must be a boolean tensor, got dtype {mask.dtype}")
        out = self.where(self.backend.invert(mask), value)
        if out.shape != self.shape:
            raise ValueError(f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast to {self.shape}")
        return out

    def argsort(self, axis=-1, descending=False):
        """Indices that sort x along ``axis`` (stable), an int64 constant."""
        axis = R.normalize_axis(axis, self.ndim)[0] if self.ndim else 0
        if self.ndim == 0:
            return self._new(self.backend.zeros((), dtype=np.dtype("int64")))
        return self._new(self.backend.argsort(self.data, axis, descending))

    def sort(self, axis=-1, descending=False):
        """(values, indices) along ``axis``; the values are differentiable, the indices constant."""
        indices = self.argsort(axis, descending)
        values = self if self.ndim == 0 else self.gather(axis, indices)
        return SortResult(values, indices)

    def topk(self, k, axis=-1, largest=True, sorted=True):
        """The ``k`` largest (or smallest) values along ``axis`` and their indices, in sorted order."""
        axis = R.normalize_axis(axis, self.ndim)[0] if self.ndim else 0
        n = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= n:
            raise ValueError(f"topk: k={k} is out of range for an axis of length {n}")
        indices = self.argsort(axis, descending=largest)
        if self.ndim:
            indices = indices[_along(self.ndim, axis, slice(0, k))]
        values = self if self.ndim == 0 else self.gather(axis, indices)
        return SortResult(values, indices)

    # ---- integer arithmetic and bitwise operators -----------------------------------------------
    def floor_divide(self, other):
        """⌊x / y⌋ (Python's //; its gradient is 0)."""
        return Rd.FloorDivide.apply(self, self._lift(other))

    def remainder(self, other):
        """x - ⌊x / y⌋·y, with the sign of y (Python's %)."""
        return M.Remainder.apply(self, self._lift(other))

    def __floordiv__(self, o): return self.floor_divide(o)
    def __rfloordiv__(self, o): return self._lift(o).floor_divide(self)
    def __mod__(self, o): return self.remainder(o)
    def __rmod__(self, o): return self._lift(o).remainder(self)

    def _bitwise(self, fn, other, name):
        other = self._lift(other)
        for t in (self, other):
            if not t._is_integral():
                raise TypeError(f"{name} needs integer or boolean tensors, got dtype {t.dtype}")
        return self._constant(fn(self.data, other.data))

    def __xor__(self, o): return self._bitwise(self.backend.bitwise_xor, o, "^")
    def __rxor__(self, o): return self._lift(o).__xor__(self)
    def __rand__(self, o): return self._lift(o) & self
    def __ror__(self, o): return self._lift(o) | self

    def __lshift__(self, o):
        return self._bitwise(self.backend.left_shift, o, "<<")

    def __rshift__(self, o):
        return self._bitwise(self.backend.right_shift, o, ">>")

    def bitwise_xor(self, o): return self ^ o
    def bitwise_and(self, o): return self._bitwise(self.backend.bitwise_and, o, "bitwise_and")
    def bitwise_or(self, o): return self._bitwise(self.backend.bitwise_or, o, "bitwise_or")

    def bitwise_not(self):
        if not self._is_integral():
            raise TypeError(f"bitwise_not needs an integer or boolean tensor, got dtype {self.dtype}")
        return ~self

    # ---- method aliases -------------------------------------------------------------------------
    def add(self, other, alpha=1):
        return self + (other if alpha == 1 else self._lift(other) * alpha)

    def sub(self, other, alpha=1):
        return self - (other if alpha == 1 else self._lift(other) * alpha)

    subtract = sub

    def mul(self, other):
        return self * other

    multiply = mul

    def div(self, other, rounding_mode=None):
        """x / y; ``rounding_mode`` "trunc" rounds toward 0, "floor" down (both with gradient 0)."""
        if rounding_mode is None:
            return self / other
        if rounding_mode == "floor":
            return self.floor_divide(other)
        if rounding_mode == "trunc":
            if self._is_integral() and self._lift(other)._is_integral():
                q = self.floor_divide(other)
                exact = (q * other) == self
                negative = (self < 0).logical_xor(self._lift(other) < 0)
                return q + self._new(self.backend.astype(negative.logical_and(exact.logical_not()).data, q.dtype))
            return (self / other).trunc()
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")

    divide = true_divide = div

    def neg(self):
        return -self

    negative = neg

    def int(self):
        return self.astype(np.dtype("int32"))

    def bool(self):
        return self.astype(np.dtype("bool"))

    def half(self):
        return self.astype(np.dtype("float16"))

    def contiguous(self):
        return self


# ---- functions of several tensors, and creation ------------------------------------------------------

def atan2(y, x): return y.atan2(x)
def lerp(start, end, weight): return start.lerp(end, weight)
def logaddexp(x, y): return x.logaddexp(y)
def copysign(x, y): return x.copysign(y)
def isclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False): return x.isclose(y, rtol, atol, equal_nan)


def allclose(x, y, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(x.isclose(y, rtol, atol, equal_nan).all())


def var_mean(x, axis=None, correction=1, keepdims=False):
    """(var, mean) along ``axis``, as torch.var_mean."""
    return x.var(axis, keepdims, correction), x.mean(axis, keepdims)


def std_mean(x, axis=None, correction=1, keepdims=False):
    """(std, mean) along ``axis``, as torch.std_mean."""
    return x.std(axis, keepdims, correction), x.mean(axis, keepdims)


def eye(n, m=None, dtype=None, requires_grad=False, device="cpu"):
    """The n×m identity matrix."""
    from .tensor import default_dtype, tensor
    return tensor(np.eye(n, n if m is None else m), dtype=dtype or default_dtype, requires_grad=requires_grad,
                  device=device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device="cpu"):
    """``steps`` evenly spaced values from start to end, both included."""
    from .tensor import default_dtype, tensor
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative integer, got {steps!r}")
    return tensor(np.linspace(start, end, steps), dtype=dtype or default_dtype, requires_grad=requires_grad,
                  device=device)
