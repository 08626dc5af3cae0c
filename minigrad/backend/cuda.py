"""The CUDA backend: numba.cuda device arrays and the kernels of ``kernels.cuda``.

The same names as ``cpu.py``, with the same meaning; every array it returns is C-contiguous (the
kernels assume it), so shape moves that NumPy does with views (transpose, broadcast_to, slicing)
are copies here, while reshape stays a view. Under ``NUMBA_ENABLE_CUDASIM=1`` everything runs on
Numba's CUDA simulator (slow, for tests on tiny shapes).
"""
import builtins
import numbers

import numpy as np
from numba import config, cuda

from kernels.cuda import (bitwise as bw, elementwise as ew, gemm, index as ix, launch, reduce as rd, shape as sh,
                          staging, streams)
from kernels.cuda.optim import adam_update_many, sgd_update_many  # noqa: F401  (CUDA only: one launch per step)

from .cpu import lazy_kernels

name = "cuda"
SIMULATED = bool(config.ENABLE_CUDASIM)
config.CUDA_LOW_OCCUPANCY_WARNINGS = 0  # small layers launch small grids on purpose
ndarray = cuda.devicearray.FakeCUDAArray if SIMULATED else cuda.devicearray.DeviceNDArray


def check_available():
    """Raise RuntimeError, with the reason, unless a CUDA GPU (or the simulator) can be used."""
    if cuda.is_available():
        return
    try:
        cuda.current_context()
        reason = "numba.cuda sees no usable device"
    except Exception as e:  # numba raises CudaSupportError, CudaDriverError, ... with the reason
        reason = " ".join(str(e).split())
    raise RuntimeError(f"device='cuda' needs a CUDA GPU and numba-cuda; none was found: {reason}")


def is_device_array(x):
    return cuda.devicearray.is_cuda_ndarray(x)


# ---- allocation and transfer -----------------------------------------------------------------
def from_numpy(a):
    """A device copy of a NumPy array (or anything np.asarray takes), uploaded asynchronously from a
    pinned staging buffer."""
    return staging.to_device(np.array(a, order="C", copy=None))


def to_numpy(a):
    """A host copy; the host waits for the backend's stream (the copy and the kernels before it)."""
    return launch.to_host(a)


def asarray(data, dtype=None):
    """Device arrays as they are (cast when ``dtype`` differs); anything else copied to the device."""
    if is_device_array(data):
        return data if dtype is None else astype(data, dtype)
    if isinstance(data, numbers.Number) and dtype is not None:
        return sh.full((), data, dtype)  # a number made a constant tensor: filled on the device, no copy
    return from_numpy(np.asarray(data, dtype=dtype))


def empty(shape, dtype=np.float64):
    return launch.empty(_shape(shape), np.dtype(dtype))


def full(shape, fill_value, dtype=None):
    dtype = np.asarray(fill_value).dtype if dtype is None else np.dtype(dtype)
    return sh.full(_shape(shape), fill_value, dtype)


def zeros(shape, dtype=np.float64):
    return full(shape, 0, dtype)


def ones(shape, dtype=np.float64):
    return full(shape, 1, dtype)


def arange(start, stop=None, step=1, dtype=None):
    host = np.arange(start) if stop is None else np.arange(start, stop, step)
    return from_numpy(host if dtype is None else host.astype(dtype))


def astype(a, dtype):
    return a if np.dtype(a.dtype) == np.dtype(dtype) else ew.astype(a, np.dtype(dtype))


def copy(a):
    out = launch.empty(a.shape, a.dtype)
    out.copy_to_device(a, stream=streams.stream())
    return out


def from_cuda_array(obj, dtype=None):
    """A device array on the memory of ``obj`` (CuPy, PyTorch, numba, ...: anything exposing
    ``__cuda_array_interface__``), without a copy; copied only to cast to ``dtype`` or to make a
    non-contiguous array C-contiguous."""
    interface = obj.__cuda_array_interface__
    if interface.get("mask") is not None:
        raise ValueError("from_cuda_array: masked arrays (a 'mask' in __cuda_array_interface__) are not supported")
    a = _HostBuffer.wrap(interface, obj) if SIMULATED else cuda.as_cuda_array(obj)
    if not a.is_c_contiguous():
        a = _contiguous_copy(interface, obj)
    return a if dtype is None else astype(a, dtype)


def cuda_array_interface(a):
    """``a.__cuda_array_interface__``; the simulator's arrays have none, so theirs describes their host buffer."""
    if SIMULATED:
        return {**a.__array_interface__, "version": 3, "stream": None}
    return a.__cuda_array_interface__


class _HostBuffer:
    """The simulator's stand-in for foreign device memory: an interface whose pointer is host memory
    (kept alive by holding its owner)."""

    def __init__(self, interface, owner):
        self.__array_interface__ = {k: v for k, v in interface.items() if k not in ("stream", "mask")}
        self.owner = owner

    @classmethod
    def wrap(cls, interface, owner):
        return cuda.devicearray.FakeCUDAArray(np.asarray(cls(interface, owner)))


def _contiguous_copy(interface, owner):
    """A C-contiguous copy of the strided array an interface describes, read through a flat view of the
    whole memory span it covers."""
    dtype, shape = np.dtype(interface["typestr"]), tuple(interface["shape"])
    strides = [s // dtype.itemsize for s in interface["strides"]]
    low = builtins.sum(builtins.min(0, (n - 1) * s) for n, s in zip(shape, strides))
    high = builtins.sum(builtins.max(0, (n - 1) * s) for n, s in zip(shape, strides))
    pointer = interface["data"][0] + low * dtype.itemsize
    span = {"shape": (high - low + 1,), "typestr": interface["typestr"], "data": (pointer, False),
            "strides": None, "version": 3}
    holder = type("Span", (), {"__cuda_array_interface__": span, "owner": owner})()
    buffer = _HostBuffer.wrap(span, owner) if SIMULATED else cuda.as_cuda_array(holder)
    return sh.gather_strided(buffer, -low, shape, strides)


def synchronize():
    """Wait until the backend's stream has run everything queued on it (for timing, and before the
    host reads memory the device wrote)."""
    streams.synchronize()


# ---- elementwise maps with broadcasting -------------------------------------------------------
def _on_device(fn):
    """fn with NumPy array operands copied to the device (device arrays and numbers pass as they are)."""
    def wrapper(*operands):
        return fn(*[from_numpy(x) if isinstance(x, np.ndarray) else x for x in operands])
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return wrapper


def _on_floats(fn):
    """fn on operands cast to float64 when none is floating point (NumPy's rule for divide, exp, ...)."""
    def wrapper(*operands):
        if ew.promoted_dtype(operands).kind not in "fc":
            operands = [astype(x, np.float64) if is_device_array(x) else float(x) for x in operands]
        return fn(*operands)
    wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
    return _on_device(wrapper)


add, subtract, multiply, power = map(_on_device, (ew.add, ew.subtract, ew.multiply, ew.power))
negative, abs, sign, maximum, minimum, where = map(_on_device, (ew.negative, ew.absolute, ew.sign, ew.maximum,
                                                                ew.minimum, ew.where))
greater, greater_equal, less, less_equal, equal, not_equal = map(_on_device, (
    ew.greater, ew.greater_equal, ew.less, ew.less_equal, ew.equal, ew.not_equal))
divide, exp, log, log1p, sqrt = map(_on_floats, (ew.divide, ew.exp, ew.log, ew.log1p, ew.sqrt))
sin, cos, tanh, sigmoid, erf = map(_on_floats, (ew.sin, ew.cos, ew.tanh, ew.sigmoid, ew.erf))
relu, relu_backward, tanh_backward = map(_on_device, (ew.relu, ew.relu_backward, ew.tanh_backward))
bitwise_and, bitwise_or, invert = map(_on_device, (bw.bitwise_and, bw.bitwise_or, bw.invert))


# ---- reductions, matmul, shape moves ----------------------------------------------------------
def sum(a, axis=None, keepdims=False):
    return rd.reduce_sum(a, axis, keepdims)


def max(a, axis=None, keepdims=False):
    return rd.reduce_max(a, axis, keepdims)


def argmax(a, axis=None, keepdims=False):
    return rd.argmax(a, axis, keepdims)


def matmul(a, b, transpose_a=False, transpose_b=False):
    """np.matmul of op(a) and op(b), op swapping the last two axes where asked (the GEMM reads the
    operand transposed: no copy); a 1-D left operand is a row, a 1-D right operand a column; batch
    axes broadcast."""
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
    if (transpose_a and a.ndim < 2) or (transpose_b and b.ndim < 2):
        raise ValueError(f"matmul: a transposed operand needs 2 dimensions, got shapes {a.shape} and {b.shape}")
    a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    m, k = a2.shape[-2:][::-1] if transpose_a else a2.shape[-2:]
    k_b, n = b2.shape[-2:][::-1] if transpose_b else b2.shape[-2:]
    if k != k_b:
        raise ValueError(f"matmul: shapes {tuple(a.shape)}{'ᵀ' * transpose_a} and "
                         f"{tuple(b.shape)}{'ᵀ' * transpose_b} do not multiply ({k} != {k_b})")
    batch = tuple(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]))
    dtype = np.result_type(a.dtype, b.dtype)
    a2, b2 = astype(a2, dtype), astype(b2, dtype)
    if b2.ndim == 2 and not transpose_a:  # the batch folds into the rows of one GEMM
        rows = reshape(broadcast_to(a2, batch + (m, k)), (-1, k))
        out = gemm.matmul(rows, b2, transpose_b=transpose_b)
    else:
        out = gemm.matmul(_batched(a2, batch), _batched(b2, batch), transpose_a, transpose_b)
    shape = batch + (m, n)
    if a.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if b.ndim == 1:
        shape = shape[:-1]
    return reshape(out, shape)


def linear(x, w, b):
    """x @ wᵀ + b for x (..., in), w (out, in), b (out,) of one dtype: one GEMM, the bias in its epilogue."""
    *batch, features = tuple(x.shape)
    rows = reshape(x, (-1, features))
    return reshape(gemm.gemm(rows, w, trans_b=True, bias=b), tuple(batch) + (w.shape[0],))


def _batched(x, batch):
    """x as a 3-D (batch, rows, cols) array, or 2-D when it holds one matrix (the GEMM broadcasts that)."""
    matrix = tuple(x.shape[-2:])
    if x.size == int(math.prod(matrix)):
        return reshape(x, matrix)
    return reshape(broadcast_to(x, batch + matrix), (-1,) + matrix)


def reshape(a, shape):
    """A view with another shape (``-1`` stands for the rest)."""
    shape = _shape(shape)
    if -1 in shape:
        known = int(math.prod([s for s in shape if s != -1]))
        shape = tuple(a.size // known if s == -1 and known else s for s in shape)
    if int(math.prod(shape)) != a.size:
        raise ValueError(f"cannot reshape an array of size {a.size} into shape {shape}")
    return a if shape == tuple(a.shape) else a.reshape(shape)


def shares_memory(a, b):
    """Whether two device arrays overlap: reshape's views do; getitem, transpose and expand copy."""
    if SIMULATED:
        return np.may_share_memory(a._ary, b._ary)
    start_a, start_b = a.__cuda_array_interface__["data"][0], b.__cuda_array_interface__["data"][0]
    return start_a < start_b + b.alloc_size and start_b < start_a + a.alloc_size


def transpose(a, axes=None):
    return sh.transpose(a, axes)


def broadcast_to(a, shape):
    return a if tuple(a.shape) == tuple(shape) else sh.broadcast_to(a, shape)


def concatenate(arrays, axis=0):
    arrays = [asarray(a) for a in arrays]
    dtype = np.result_type(*[a.dtype for a in arrays])
    arrays = [astype(a, dtype) for a in arrays]
    if axis is None:
        return sh.concatenate([reshape(a, (-1,)) for a in arrays], 0)
    return sh.concatenate(arrays, axis)


def pad(x, pad_width, value=0.0):
    return sh.pad(x, pad_width, value)


def getitem(x, index):
    """x[index] (ints, slices, None, Ellipsis, integer and boolean arrays), as a new array."""
    return ix.getitem(x, index)


def index_add(shape, index, g):
    """zeros(shape) with ``g`` added at ``index``; repeated integer indices accumulate."""
    return ix.index_add(shape, index, g)


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


# ---- in-place updates (optimizers, buffers) ---------------------------------------------------
def iadd(a, b):
    ew.add(a, asarray(b) if isinstance(b, np.ndarray) else b, out=a)


def imul(a, b):
    ew.multiply(a, asarray(b) if isinstance(b, np.ndarray) else b, out=a)


def assign(a, b, index=Ellipsis):
    ix.setitem(a, index, b)


# ---- the fused loss: labels reach it validated on the host (nn.functional._labels), so the kernels'
# own range check, a device-to-host copy in each direction, is skipped -------------------------------
def softmax_cross_entropy_forward(logits, labels, label_smoothing=0.0):
    from kernels.cuda import softmax
    return softmax.softmax_cross_entropy_forward(logits, labels, label_smoothing, labels_checked=True)


def softmax_cross_entropy_mean_forward(logits, labels, label_smoothing=0.0):
    from kernels.cuda import softmax
    return softmax.softmax_cross_entropy_mean_forward(logits, labels, label_smoothing, labels_checked=True)


def softmax_cross_entropy_backward(probs, labels, dlosses, label_smoothing=0.0):
    from kernels.cuda import softmax
    return softmax.softmax_cross_entropy_backward(probs, labels, dlosses, label_smoothing, labels_checked=True)


# ---- hot kernels (kernels.cuda, the same modules and names as kernels.cpu), imported on first use ----
__getattr__ = lazy_kernels("kernels.cuda", "CUDA", globals())


# ---- vocabulary primitives (minigrad.ops.rounding, .math, .indexing): the CPU backend's names ----------
# Scalar device functions through the elementwise factory (CPU twins: the NumPy functions of the same
# name), or compositions of the primitives above; tests/minigrad/test_vocabulary_devices.py compares them.
import math  # noqa: E402


@cuda.jit(device=True)
def _signed(r, x):
    """r as a float, and a zero result with x's sign (NumPy: ceil(-0.5) = -0.0)."""
    return math.copysign(0.0, x) if r == 0 else float(r)


@cuda.jit(device=True)
def _floor(x):
    return _signed(math.floor(x), x)


@cuda.jit(device=True)
def _ceil(x):
    return _signed(math.ceil(x), x)


@cuda.jit(device=True)
def _trunc(x):
    return _signed(math.trunc(x), x)


@cuda.jit(device=True)
def _rint(x):
    """Round half to even (NumPy's rint); floats of magnitude ≥ 2^52 are integers already."""
    if math.fabs(x) >= 4503599627370496.0:
        return x
    r = math.floor(x + 0.5)
    if r - x == 0.5 and math.fmod(r, 2.0) != 0.0:
        r -= 1.0
    return _signed(r, x)


@cuda.jit(device=True)
def _arcsin(x):
    return math.asin(x)


@cuda.jit(device=True)
def _arccos(x):
    return math.acos(x)


@cuda.jit(device=True)
def _arctan(x):
    return math.atan(x)


@cuda.jit(device=True)
def _arctan2(y, x):
    return math.atan2(y, x)


@cuda.jit(device=True)
def _copysign(x, y):
    return math.copysign(x, y)


floor, ceil, trunc, rint, arcsin, arccos, arctan = map(_on_floats, (
    ew.elementwise(_floor, 1, "floor", ew.floating_dtype), ew.elementwise(_ceil, 1, "ceil", ew.floating_dtype),
    ew.elementwise(_trunc, 1, "trunc", ew.floating_dtype), ew.elementwise(_rint, 1, "rint", ew.floating_dtype),
    ew.elementwise(_arcsin, 1, "arcsin", ew.floating_dtype), ew.elementwise(_arccos, 1, "arccos", ew.floating_dtype),
    ew.elementwise(_arctan, 1, "arctan", ew.floating_dtype)))
arctan2, copysign = map(_on_floats, (ew.elementwise(_arctan2, 2, "arctan2", ew.floating_dtype),
                                     ew.elementwise(_copysign, 2, "copysign", ew.floating_dtype)))


def _integral(a, b):
    return all(np.dtype(x.dtype).kind in "iub" if is_device_array(x) else isinstance(x, (int, np.integer))
               for x in (a, b))


def floor_divide(a, b):
    """⌊a / b⌋; on integers through float64 (exact below 2^53)."""
    q = floor(divide(a, b))
    return astype(q, ew.promoted_dtype((a, b))) if _integral(a, b) else q


@cuda.jit(device=True)
def _float_remainder(a, b):
    """fmod with the sign of b (NumPy's remainder, exact for any magnitude)."""
    r = math.fmod(a, b)
    if r == 0:
        return math.copysign(0.0, b)
    if (r < 0) != (b < 0):
        r += b
    return r


_remainder_of_floats = _on_floats(ew.elementwise(_float_remainder, 2, "remainder", ew.floating_dtype))


def remainder(a, b):
    """The remainder with the sign of b (Python's %); on integers a - ⌊a / b⌋·b (exact below 2^53)."""
    if _integral(a, b):
        return subtract(a, multiply(floor_divide(a, b), b))
    return _remainder_of_floats(a, b)


def bitwise_xor(a, b):
    return bitwise_and(bitwise_or(a, b), invert(bitwise_and(a, b)))


def left_shift(a, b):
    return multiply(a, power(2, b))


def right_shift(a, b):
    """a >> b: floor division by 2^b (arithmetic shift)."""
    return floor_divide(a, power(2, b))


def cumsum(x, axis):
    """Running sums along ``axis``: a matmul with an upper-triangular matrix of ones."""
    axis = axis % x.ndim
    n = x.shape[axis]
    order = [a for a in range(x.ndim) if a != axis] + [axis]
    moved = transpose(x, order)
    dtype = np.dtype(x.dtype) if np.dtype(x.dtype).kind == "f" else np.dtype(np.float64)
    upper = from_numpy(np.triu(np.ones((n, n), dtype=dtype)))
    sums = reshape(matmul(reshape(astype(moved, dtype), (-1, n)), upper), moved.shape)
    inverse = [order.index(a) for a in range(x.ndim)]
    return astype(transpose(sums, inverse), x.dtype)


def argsort(x, axis=-1, descending=False):
    """Indices that sort ``x`` along ``axis``, computed on the host (no sort kernel yet)."""
    from .cpu import argsort as host_argsort
    return from_numpy(host_argsort(to_numpy(x), axis, descending))
