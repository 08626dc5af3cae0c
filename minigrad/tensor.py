"""Tensor: an n-dimensional array on the graph (float32 by default), on the CPU or a CUDA GPU.

The payload ``.data`` is a backend array (NumPy on the CPU); every method below is either a
primitive op from ``minigrad.ops`` or a composition of them, so gradients (and tangents) of all
of them come from the primitives' rules.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from . import autodiff, backend as backends
from .dtypes import category as dtype_category, floating, result_type
from .autodiff import Node, Op, is_grad_enabled
from .ops import elementwise as E, linalg as L, reduce as R, rounding as Rd, shape as S
from .tensor_vocabulary import TensorVocabulary

float32, float64, float16 = np.dtype("float32"), np.dtype("float64"), np.dtype("float16")
int32, int64, bool_, uint8 = np.dtype("int32"), np.dtype("int64"), np.dtype("bool"), np.dtype("uint8")
default_dtype = float32


def _as_dtype(dtype):
    return None if dtype is None else np.dtype(dtype)


class Tensor(TensorVocabulary, E.Arithmetic, Node):
    """An array with autodiff. Create with ``mg.tensor``, ``mg.zeros``, ``mg.randn``, ..."""

    __array_priority__ = 1000  # ndarray + Tensor -> Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, device: str = "cpu", name: str | None = None):
        self.data = data
        self.device = "cuda" if str(device).startswith("cuda") else str(device)
        self.backend = backends.get(self.device)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.name = name
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")

    # ---- what the graph core needs ---------------------------------------------------------------
    def _new(self, raw):
        out = Tensor.__new__(Tensor)
        out.data, out.device, out.backend = raw, self.device, self.backend
        out.requires_grad, out.grad, out.name = False, None, None
        return out

    def _lift(self, other, dtype=None) -> Tensor:
        """``other`` as a constant tensor on this tensor's device; a number gets ``dtype`` (default: the
        dtype of ``self + other``), an array this tensor's float dtype."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, Node):
            raise TypeError("cannot combine a Tensor with a Scalar; make the Scalar a tensor with mg.tensor(s.item())")
        if isinstance(other, numbers.Number):
            return self._new(self.backend.asarray(other, dtype=dtype or result_type(self, other)))
        if isinstance(other, (np.ndarray, list, tuple)):
            return tensor(other, dtype=self.dtype if self.dtype.kind == "f" else None, device=self.device)
        raise TypeError(f"cannot combine a Tensor with {type(other).__name__}; expected a Tensor, array or number")

    def _operands(self, other, reflected=False, to_float=False):
        """(self, other) converted to their common dtype (``torch.result_type``; a float dtype for true
        division), in the op's order."""
        floating_self = self.dtype.kind == "f"
        if isinstance(other, Tensor) and other.dtype == self.dtype and (floating_self or not to_float):
            return (other, self) if reflected else (self, other)  # the common case, without the tiers
        if floating_self and isinstance(other, (float, int)):  # (bool is an int) a number keeps a float dtype
            other = self._new(self.backend.asarray(other, dtype=self.dtype))
            return (other, self) if reflected else (self, other)
        if not isinstance(other, numbers.Number) or isinstance(other, Node):
            other = self._lift(other)
        dtype = result_type(self, other)
        dtype = floating(dtype) if to_float else dtype
        pair = (self.to(dtype=dtype), other.to(dtype=dtype) if isinstance(other, Tensor) else self._lift(other, dtype))
        return pair[::-1] if reflected else pair

    def _floating(self):
        return self if self.dtype.kind == "f" else self.to(dtype=floating(self.dtype))

    def zeros_like(self):
        return self._new(self.backend.zeros(self.shape, dtype=self.dtype))

    def ones_like(self):
        return self._new(self.backend.ones(self.shape, dtype=self.dtype))

    # ---- basic properties ------------------------------------------------------------------------
    shape = property(lambda self: tuple(self.data.shape))
    ndim = property(lambda self: len(self.data.shape))
    size = property(lambda self: math.prod(self.data.shape))
    dtype = property(lambda self: np.dtype(self.data.dtype))
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))

    def numel(self) -> int:
        return self.size

    def dim(self) -> int:
        return self.ndim

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    __hash__ = Node.__hash__

    @property
    def __cuda_array_interface__(self):
        """The CUDA array interface of a CUDA tensor's memory (CuPy, PyTorch, numba wrap it without a copy)."""
        if self.device != "cuda":
            raise AttributeError(f"__cuda_array_interface__ exists only on CUDA tensors; this one is on {self.device}")
        return self.backend.cuda_array_interface(self.data)

    def numpy(self) -> np.ndarray:
        """The values as a NumPy array (shares memory on the CPU)."""
        return self.backend.to_numpy(self.data)

    def tolist(self):
        return self.numpy().tolist()

    def item(self):
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def __float__(self):
        return float(self.item())

    def __bool__(self):
        return bool(self.item())

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", precision=4, prefix="tensor(")
        extras = []
        if self.dtype != default_dtype:
            extras.append(f"dtype={self.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._op is not None:
            extras.append(f"grad_fn={type(self._op).__name__}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ---- devices and dtypes ----------------------------------------------------------------------
    def to(self, device=None, dtype=None) -> Tensor:
        """A copy on ``device`` and/or with ``dtype`` (differentiable; a non-float result is a constant)."""
        out = self
        if dtype is not None and np.dtype(dtype) != self.dtype:
            dtype = np.dtype(dtype)
            out = Cast.apply(out if dtype.kind == "f" else out.detach(), dtype=dtype)
        if device is not None and backends.get(device) is not self.backend:
            target = backends.get(device)
            out = ToDevice.apply(out, device=target.name)
            out.device, out.backend = target.name, target
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def astype(self, dtype) -> Tensor:
        return self.to(dtype=dtype)

    def float(self):
        return self.astype(float32)

    def double(self):
        return self.astype(float64)

    def long(self):
        return self.astype(int64)

    def clone(self) -> Tensor:
        """A copy in new memory (differentiable): changing one in place leaves the other as it was."""
        return E.Clone.apply(self)

    # ---- arithmetic: + - * / ** and exp, log, ... come from E.Arithmetic (NumPy broadcasting) ----------
    def __matmul__(self, o): return self.matmul(o)
    def __rmatmul__(self, o): return self._lift(o).matmul(self)

    def pow(self, o):
        return self ** o

    # comparisons: constants (no gradient), boolean dtype
    def _compare(self, fn, o):
        x, y = self._operands(o)
        return self._new(fn(x.data, y.data))

    def __gt__(self, o): return self._compare(self.backend.greater, o)
    def __ge__(self, o): return self._compare(self.backend.greater_equal, o)
    def __lt__(self, o): return self._compare(self.backend.less, o)
    def __le__(self, o): return self._compare(self.backend.less_equal, o)
    def __eq__(self, o): return self._compare(self.backend.equal, o)
    def __ne__(self, o): return self._compare(self.backend.not_equal, o)

    def __and__(self, o): return Tensor(self.backend.bitwise_and(self.data, self._lift(o).data), device=self.device)
    def __or__(self, o): return Tensor(self.backend.bitwise_or(self.data, self._lift(o).data), device=self.device)
    def __invert__(self): return Tensor(self.backend.invert(self.data), device=self.device)

    # ---- more elementwise functions ------------------------------------------------------------------
    def sign(self):
        """sign(x); its gradient is 0 (as PyTorch's)."""
        return Rd.Sign.apply(self)

    def positive_mask(self):
        """[x > 0] in x's dtype, as a constant."""
        return self._new(self.backend.astype(self.backend.greater(self.data, 0), self.dtype))

    def maximum(self, o): return E.Maximum.apply(*self._operands(o))
    def minimum(self, o): return E.Minimum.apply(*self._operands(o))

    def where(self, cond, other):
        """``self`` where ``cond`` (a boolean mask) is true, else ``other``; the dtype is their common one."""
        cond = cond.data if isinstance(cond, Tensor) else self.backend.asarray(cond)
        if np.dtype(cond.dtype) != bool_:
            raise TypeError(f"where: the condition must be a boolean tensor, got dtype {cond.dtype}")
        return E.Where.apply(*self._operands(other), cond=cond)

    def clip(self, min=None, max=None):
        """Clamp into [min, max]; the gradient passes where min ≤ x ≤ max."""
        if min is None and max is None:
            raise ValueError("clip() needs min, max or both")
        self = self.to(dtype=result_type(self, *[b for b in (min, max) if b is not None]))
        inside, bound = self.backend.ones(self.shape, dtype=bool), self.data
        if min is not None:
            inside = self.backend.bitwise_and(inside, self.backend.greater_equal(self.data, min))
            bound = self.backend.maximum(bound, min)
        if max is not None:
            inside = self.backend.bitwise_and(inside, self.backend.less_equal(self.data, max))
            bound = self.backend.minimum(bound, max)
        return E.Where.apply(self, Tensor(self.backend.astype(bound, self.dtype), device=self.device), cond=inside)

    clamp = clip

    def leaky_relu(self, negative_slope=0.01):
        return self.where(self > 0, self * negative_slope)

    def elu(self, alpha=1.0):
        return self.where(self > 0, (self.clip(max=0).exp() - 1) * alpha)

    def gelu(self, approximate="none"):
        """x·Φ(x) with Φ the normal CDF (exact, via erf), or the tanh approximation."""
        if approximate == "tanh":
            return 0.5 * self * (1 + ((self + 0.044715 * self ** 3) * 0.7978845608028654).tanh())
        return 0.5 * self * (1 + (self * 0.7071067811865476).erf())

    def softplus(self, beta=1.0, threshold=20.0):
        """log(1 + e^(βx))/β, and x itself where βx > threshold (as PyTorch)."""
        bx = self * beta
        soft = bx.clip(max=threshold).exp().log1p() / beta
        return self.where(bx > threshold, soft)

    # ---- reductions ------------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, dtype=None):
        """Σ over ``axis``; integer and boolean sums are int64 (as PyTorch), ``dtype`` casts first."""
        x = self.astype(dtype if dtype is not None else int64 if self.dtype.kind in "iub" else self.dtype)
        return R.Sum.apply(x, axes=R.normalize_axis(axis, x.ndim, "sum"), keepdims=keepdims)

    def _needs_floating(self, op):
        if self.dtype.kind != "f":
            raise TypeError(f"{op}() needs a floating-point tensor, got dtype {self.dtype} (as in PyTorch); "
                            "convert it with .float() first")

    def mean(self, axis=None, keepdims=False):
        self._needs_floating("mean")
        axes = R.normalize_axis(axis, self.ndim, "mean")
        n = math.prod(self.shape[a] for a in axes)
        return self.sum(axes, keepdims) / n

    def var(self, axis=None, keepdims=False, correction=1):
        """Σ(x - mean)² / (n - correction); ``correction=1`` is the unbiased estimate (PyTorch's default)."""
        self._needs_floating("var")
        axes = R.normalize_axis(axis, self.ndim, "var")
        n = math.prod(self.shape[a] for a in axes)
        d = self - self.mean(axes, keepdims=True)
        return (d * d).sum(axes, keepdims) / max(n - correction, 0)

    def std(self, axis=None, keepdims=False, correction=1):
        return self.var(axis, keepdims, correction).sqrt()

    def max(self, axis=None, keepdims=False):
        if self.dtype == bool_:  # as 0/1 bytes: not every backend reduces booleans
            return self.to(dtype=uint8).max(axis, keepdims).to(dtype=bool_)
        return R.Max.apply(self, axes=R.normalize_axis(axis, self.ndim, "max"), keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        """-max(-x) for floats; ~max(~x) for integers and bools, exact where -x would overflow (~x = -x - 1)."""
        if self.dtype.kind == "f":
            return -((-self).max(axis, keepdims))
        return ~((~self).max(axis, keepdims))

    def argmax(self, axis=None, keepdims=False):
        """Index of the (first) largest element. Bool tensors work too (PyTorch refuses them)."""
        if axis is not None:
            axis = R.check_axis(axis, self.ndim, "argmax") if self.ndim else None
        return Tensor(self.backend.argmax(self.data, axis=axis, keepdims=keepdims), device=self.device)

    def argmin(self, axis=None, keepdims=False):
        """Index of the (first) smallest element: argmax of -x (floats) or of ~x (integers, bools: exact).
        Bool tensors work too (PyTorch refuses them)."""
        flipped = -self.detach() if self.dtype.kind == "f" else ~self
        return flipped.argmax(axis, keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        """log Σ exp x, computed as m + log Σ exp(x - m) with m = max x (no overflow)."""
        axes = R.normalize_axis(axis, self.ndim, "logsumexp")
        m = self.detach().max(axes, keepdims=True)
        out = (self - m).exp().sum(axes, keepdims=True).log() + m
        return out if keepdims else out.squeeze(axes)

    def softmax(self, axis=-1):
        e = (self - self.detach().max(axis, keepdims=True)).exp()
        return e / e.sum(axis, keepdims=True)

    def log_softmax(self, axis=-1):
        """(x - m) - log Σ exp(x - m) with m = max x: no overflow, and no rounding at the scale of m."""
        shifted = self - self.detach().max(axis, keepdims=True)
        return shifted - shifted.exp().sum(axis, keepdims=True).log()

    # ---- linear algebra --------------------------------------------------------------------------
    def matmul(self, o):
        """Matrix product; mixed dtypes are promoted as in ``+`` (PyTorch refuses them)."""
        self, o = self._operands(o)
        if self.ndim == 0 or o.ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {self.shape} and {o.shape}")
        return L.Matmul.apply(self, o)

    # ---- shape moves -----------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = _sizes(shape, "reshape", allow_minus_one=True)
        if -1 in shape:
            known = math.prod(s for s in shape if s != -1)
            if shape.count(-1) > 1 or known == 0 or self.size % known:
                raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} into {shape}")
            shape = tuple(self.size // known if s == -1 else s for s in shape)
        if math.prod(shape) != self.size:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {self.shape} ({self.size} elements) into {shape}")
        return self if shape == self.shape else S.Reshape.apply(self, shape=shape)

    view = reshape

    def permute(self, *axes):
        axes = tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
        checked = [R.check_axis(a, self.ndim, "permute") for a in axes]
        if sorted(checked) != list(range(self.ndim)):
            raise ValueError(f"permute: {axes} is not a permutation of the {self.ndim} axes of shape {self.shape}")
        return S.Permute.apply(self, axes=tuple(checked)) if self.ndim else self

    def swapaxes(self, a, b):
        a, b = R.check_axis(a, self.ndim, "transpose"), R.check_axis(b, self.ndim, "transpose")
        if self.ndim == 0:
            return self
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return self.permute(*axes)

    def transpose(self, a=-2, b=-1):
        return self.swapaxes(a, b)

    def expand(self, *shape):
        shape = _sizes(shape, "expand", allow_minus_one=True)
        shape = tuple(n if s == -1 else s for s, n in zip(shape, (1,) * (len(shape) - self.ndim) + self.shape))
        if shape == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise ValueError(f"expand: cannot broadcast shape {self.shape} to {shape}") from None
        return S.Expand.apply(self, shape=shape)

    def squeeze(self, axis=None):
        """Remove axes of length 1 (all of them, or those named). Naming an axis whose length is not 1 is an
        error, where PyTorch silently returns the tensor unchanged."""
        axes = [a for a, n in enumerate(self.shape) if n == 1] if axis is None else \
            R.normalize_axis(axis, self.ndim, "squeeze")
        for a in axes:
            if self.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {self.shape} has size {self.shape[a]}, not 1")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis):
        axis = R.check_axis(axis, self.ndim, "unsqueeze", new=True)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start_dim=0, end_dim=-1):
        s, e = R.check_axis(start_dim, self.ndim, "flatten"), R.check_axis(end_dim, self.ndim, "flatten")
        if self.ndim == 0:
            return self.reshape(1)
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {self.shape}")
        return self.reshape(self.shape[:s] + (-1,) + self.shape[e + 1:])

    def concat(self, others, axis=0):
        return concat([self, *others], axis)

    def split(self, split_size_or_sections, axis=0):
        """Pieces along ``axis``: of size ``n`` each (the last may be smaller), or of the listed sizes."""
        if self.ndim == 0:
            raise ValueError("split: a 0-d tensor has no axis to split")
        axis = R.check_axis(axis, self.ndim, "split")
        n = self.shape[axis]
        if isinstance(split_size_or_sections, numbers.Integral) and not isinstance(split_size_or_sections, bool):
            size = int(split_size_or_sections)
            if size < 0 or (size == 0 and n > 0):
                raise ValueError(f"split: the piece size must be a positive integer, got {size}")
            sizes = [min(size, n - i) for i in range(0, n, size)] if size else [0]
        else:
            sizes = list(_sizes(split_size_or_sections, "split"))
            if sum(sizes) != n:
                raise ValueError(f"split: sizes {sizes} do not add up to {n}, the length of axis {axis}")
        out, start = [], 0
        for k in sizes:
            index = [slice(None)] * self.ndim
            index[axis] = slice(start, start + k)
            out.append(self[tuple(index)])
            start += k
        return out

    def chunk(self, chunks, axis=0):
        if isinstance(chunks, bool) or not isinstance(chunks, numbers.Integral) or chunks < 1:
            raise ValueError(f"chunk: the number of chunks must be a positive integer, got {chunks!r}")
        if self.ndim == 0:
            raise ValueError("chunk: a 0-d tensor has no axis to split")
        n = self.shape[R.check_axis(axis, self.ndim, "chunk")]
        return self.split(-(-n // chunks), axis)

    def pad(self, pad_width, value=0.0):
        """Constant padding; ``pad_width`` is NumPy's ((before, after), ...) per axis or one int for all."""
        if isinstance(pad_width, numbers.Number):
            (width,) = _sizes((pad_width,), "pad")
            pad_width = ((width, width),) * self.ndim
        pad_width = tuple(_sizes(pair, "pad") for pair in pad_width)
        if any(len(pair) != 2 for pair in pad_width):
            raise ValueError(f"pad: pad_width needs a (before, after) pair per axis, got {pad_width}")
        if len(pad_width) != self.ndim:
            raise ValueError(f"pad: pad_width has {len(pad_width)} entries for a tensor of shape {self.shape}")
        return S.Pad.apply(self, pad_width=pad_width, value=value)

    def __getitem__(self, index):
        return S.Getitem.apply(self, index=self._raw_index(index))

    def _raw_index(self, index):
        items = index if isinstance(index, tuple) else (index,)
        raw = tuple(self.backend.asarray(i.data) if isinstance(i, Tensor) else
                    np.asarray(i) if isinstance(i, list) else i for i in items)
        return raw if isinstance(index, tuple) else raw[0]

    # ---- in-place updates (optimizers, buffers): bump the version counter -------------------------
    def _check_inplace(self):
        if is_grad_enabled() and self.requires_grad:
            kind = "a leaf tensor that requires grad" if self.is_leaf else "a tensor that is part of a graph"
            raise RuntimeError(f"in-place update of {kind}: wrap it in `with mg.no_grad():` or use an "
                               "out-of-place op")
        view = self
        while view is not None:
            if not getattr(getattr(view.data, "flags", None), "writeable", True) or (
                    view._view_of is not None and not hasattr(view._view_of[1], "write_back")):
                raise RuntimeError(f"in-place update of an expanded tensor of shape {self.shape}: several of its "
                                   "elements share one memory location; clone() it first (as in PyTorch)")
            view = view._view_of and view._view_of[0]

    def _bump(self):
        """Count the change; where the backend made this view a copy (CUDA), write it into its base."""
        view = self
        while view._view_of is not None:
            base, op = view._view_of
            op.write_back(base.data, view.data)
            view = base
        return super()._bump()

    def _inplace_operand(self, other, op, *numbers_):
        """``other`` as a tensor that can update self in place: its shape broadcasts to self's, and the
        result keeps self's kind of dtype (no float into an integer tensor, as in PyTorch)."""
        self._check_inplace()
        o = self._lift(other, self.dtype if isinstance(other, numbers.Number) else None)
        if _broadcast_shape(o.shape, self.shape) != self.shape:
            raise ValueError(f"{op}: the operand of shape {o.shape} does not broadcast to the tensor's shape {self.shape}")
        result = result_type(self, other if isinstance(other, numbers.Number) else o, *numbers_)
        if dtype_category(result) > dtype_category(self.dtype):
            raise TypeError(f"{op}: the result has dtype {result}, which cannot be stored in place in a tensor of "
                            f"dtype {self.dtype}; use an out-of-place op")
        return o

    def add_(self, other, alpha=1.0):
        o = self._inplace_operand(other, "add_", *([] if alpha == 1 else [alpha])).data
        self.backend.iadd(self.data, o if alpha == 1 else self.backend.multiply(o, alpha))
        return self._bump()

    def sub_(self, other, alpha=1.0):
        return self.add_(other, -alpha)

    def mul_(self, other):
        self.backend.imul(self.data, self._inplace_operand(other, "mul_").data)
        return self._bump()

    def div_(self, other):
        return self.mul_(1.0 / self._lift(other))

    def copy_(self, src):
        self._check_inplace()
        src = self._lift(src)
        if _broadcast_shape(src.shape, self.shape) != self.shape:
            raise ValueError(f"copy_: cannot copy shape {src.shape} into shape {self.shape}")
        self.backend.assign(self.data, self.backend.astype(src.to(self.device).data, self.dtype))
        return self._bump()

    def fill_(self, value):
        self._check_inplace()
        self.backend.assign(self.data, value)
        return self._bump()

    def zero_(self):
        return self.fill_(0)

    def __setitem__(self, index, value):
        self._check_inplace()
        self.backend.assign(self.data, self._lift(value).data, self._raw_index(index))
        self._bump()


class Cast(Op):
    """z = x converted to ``dtype``;   the gradient is converted back"""
    symbol = "cast({0})"

    def forward(self, x):
        return self.xp.astype(x, self.dtype)

    def vjp(self, g):
        return g.astype(self.inputs[0].dtype)

    def jvp(self, dx):
        return dx.astype(self.dtype)


class ToDevice(Op):
    """z = x copied to ``device``;   the gradient is copied back"""
    symbol = "to({0})"

    def forward(self, x):
        return backends.get(self.device).from_numpy(self.xp.to_numpy(x))

    def vjp(self, g):
        return g.to(self.inputs[0].device)

    def jvp(self, dx):
        return dx.to(self.device)


# ---- creation -------------------------------------------------------------------------------------
def tensor(data, dtype=None, requires_grad=False, device="cpu", name=None) -> Tensor:
    """A tensor from a list, number or array. Floats become float32 unless ``dtype`` says otherwise.

    Ragged nested lists are a ValueError. Lists holding Tensors or Scalars are a TypeError pointing to
    ``mg.stack``: PyTorch converts one-element tensors in a list to numbers, silently cutting them from
    the graph."""
    if isinstance(data, Tensor):
        data = data.numpy()
    if isinstance(data, Node):
        raise TypeError("mg.tensor() takes numbers, lists or arrays, not a Scalar")
    dtype = _as_dtype(dtype)
    if hasattr(data, "__cuda_array_interface__") and not isinstance(data, np.ndarray):
        be = backends.get("cuda")
        return Tensor(be.from_cuda_array(data, dtype), requires_grad=requires_grad, device="cuda", name=name)
    arr = _as_numeric_array(data)
    if dtype is None:
        if arr.dtype.kind == "f":
            dtype = default_dtype
        elif arr.dtype.kind in "iu" and arr.dtype != uint8:
            dtype = int64
    if arr.dtype.kind in "OUS":
        raise TypeError(f"mg.tensor() needs numeric data, got an array of dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=dtype, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)
    be = backends.get(device)
    return Tensor(be.from_numpy(arr), requires_grad=requires_grad, device=device, name=name)


def _as_numeric_array(data):
    """``np.asarray(data)``, refusing ragged nested lists and lists holding tensors with a clear message."""
    def holds_nodes(x):
        return isinstance(x, Node) or (isinstance(x, (list, tuple)) and any(holds_nodes(v) for v in x))

    if isinstance(data, (list, tuple)) and holds_nodes(data):
        raise TypeError("mg.tensor() takes numbers, lists or arrays, not a list holding Tensors or Scalars; "
                        "use mg.stack(tensors) (which keeps gradients)")
    try:
        return np.asarray(data)
    except ValueError:
        raise ValueError("mg.tensor(): the nested lists are ragged; every row along an axis needs the same "
                         "length") from None


def _sizes(shape, op, allow_minus_one=False):
    """A shape given as ints or one tuple/list of ints, checked: integers, non-negative (or -1 where allowed)."""
    shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{op}: sizes must be integers, got {shape}")
        if n < (-1 if allow_minus_one else 0):
            raise ValueError(f"{op}: sizes must be non-negative{' (or -1)' if allow_minus_one else ''}, got {shape}")
    return tuple(int(n) for n in shape)


def _broadcast_shape(*shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


def _shape(shape):
    return _sizes(shape, "shape")


def _make(fill, shape, dtype, requires_grad, device, op):
    be = backends.get(device)
    return Tensor(fill(be, _sizes(shape, op), np.dtype(dtype or default_dtype)), requires_grad=requires_grad, device=device)


def zeros(*shape, dtype=None, requires_grad=False, device="cpu"):
    return _make(lambda be, s, d: be.zeros(s, dtype=d), shape, dtype, requires_grad, device, "zeros")


def ones(*shape, dtype=None, requires_grad=False, device="cpu"):
    return _make(lambda be, s, d: be.ones(s, dtype=d), shape, dtype, requires_grad, device, "ones")


def empty(*shape, dtype=None, requires_grad=False, device="cpu"):
    return zeros(*shape, dtype=dtype, requires_grad=requires_grad, device=device)


def full(shape, fill_value, dtype=None, requires_grad=False, device="cpu"):
    return _make(lambda be, s, d: be.full(s, fill_value, dtype=d), (shape,) if isinstance(shape, numbers.Number)
                 else (tuple(shape),), dtype, requires_grad, device, "full")


def arange(start, stop=None, step=1, dtype=None, requires_grad=False, device="cpu"):
    arr = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return tensor(arr, dtype=dtype, requires_grad=requires_grad, device=device)


# ---- random numbers: one seeded generator (mg.manual_seed) ------------------------------------------
_rng = np.random.default_rng()


def manual_seed(seed: int):
    """Seed minigrad's random generator (randn, rand, init, dropout, shuffling defaults)."""
    global _rng
    _rng = np.random.default_rng(seed)
    return _rng


def get_rng() -> np.random.Generator:
    return _rng


def get_rng_state():
    return _rng.bit_generator.state


def set_rng_state(state):
    _rng.bit_generator.state = state


def randn(*shape, dtype=None, requires_grad=False, device="cpu", generator=None):
    """Samples of N(0, 1)."""
    arr = (generator or _rng).standard_normal(_sizes(shape, "randn"), dtype=np.dtype(dtype or default_dtype))
    return tensor(arr, dtype=dtype, requires_grad=requires_grad, device=device)


def rand(*shape, dtype=None, requires_grad=False, device="cpu", generator=None):
    """Samples of U[0, 1)."""
    arr = (generator or _rng).random(_sizes(shape, "rand"), dtype=np.dtype(dtype or default_dtype))
    return tensor(arr, dtype=dtype, requires_grad=requires_grad, device=device)


def randint(low, high, size, device="cpu", generator=None):
    return tensor((generator or _rng).integers(low, high, size=size), dtype=int64, device=device)


def _like(fn):
    def like(t, dtype=None, requires_grad=False, device=None, **kw):
        return fn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, device=device or t.device, **kw)
    like.__name__ = fn.__name__ + "_like"
    return like


zeros_like, ones_like, randn_like, rand_like = _like(zeros), _like(ones), _like(randn), _like(rand)


def full_like(t, fill_value, dtype=None, requires_grad=False, device=None):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad, device=device or t.device)


# ---- functions of several tensors -----------------------------------------------------------------
def concat(tensors, axis=0):
    """Join tensors along an existing axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concat: needs at least one tensor")
    first = tensors[0]
    tensors = [first._lift(t) for t in tensors]
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ValueError(f"concat: the tensor at position {i} is 0-d and has no axis to join along; "
                             "use mg.stack for 0-d tensors")
    ref = tensors[0].shape
    axis = R.check_axis(axis, len(ref), "concat")
    for t in tensors[1:]:
        if len(t.shape) != len(ref) or any(a != b for i, (a, b) in enumerate(zip(t.shape, ref)) if i != axis):
            raise ValueError(f"concat: shapes {ref} and {t.shape} differ outside axis {axis}")
    return S.Concat.apply(*tensors, axis=axis)


cat = concat


def stack(tensors, axis=0):
    """Join tensors along a new axis."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    axis = R.check_axis(axis, tensors[0].ndim, "stack", new=True)
    return concat([t.unsqueeze(axis) for t in tensors], axis)


def where(cond, x, y):
    """x where ``cond`` is true, else y; tensors or Python numbers, the dtype as ``torch.result_type``."""
    if not isinstance(x, Tensor):
        template = y if isinstance(y, Tensor) else cond if isinstance(cond, Tensor) else tensor(0)
        dtype = result_type(y, x) if isinstance(y, Tensor) else result_type(x, y)
        x = tensor(x, dtype=dtype, device=template.device)
    return x.where(cond, y)


def maximum(x, y):
    return x.maximum(y) if isinstance(x, Tensor) else y.maximum(x)


def minimum(x, y):
    return x.minimum(y) if isinstance(x, Tensor) else y.minimum(x)


autodiff.Tensor = Tensor
