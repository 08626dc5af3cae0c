"""The CPU backend: NumPy arrays, NumPy/OpenBLAS math and the Numba kernels of ``kernels.cpu``.

Every backend module offers the same names (allocation, elementwise maps with broadcasting,
reductions, matmul, shape moves, in-place updates, and the hot kernels); ops call these and never
ask which device they run on.

Numba's OpenMP threads and OpenBLAS's threads share the same cores: idle OpenMP threads that spin
slow every BLAS call down (measured 9 ms vs 30-150 ms for a LeNet-5 step on 2 cores), so unless the
user chose otherwise, idle OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE``, read when
the first parallel kernel loads the OpenMP runtime).

Threading layer: Numba's default (``omp`` where it is available), left to ``NUMBA_THREADING_LAYER``.
``workqueue`` against ``omp`` with the honest benchmark (``benchmarks/cpu.py``'s fresh processes,
alternating; LeNet-5 b64, 8 pairs, 2026-12-01 on the shared 2-core machine) gave 0.93× wall time
(range 0.08–22) and 1.03× CPU time (0.26–3.0): no difference above the noise, so no reason to override
Numba's choice. The small kernels (ReLU and its mask, batch norm, pooling, SGD) run one ``prange`` pass
over channels, planes or elements, which pays on 2 cores next to OpenBLAS's threads.
"""
import importlib
import os

import numpy as np

from ..backends import cpu as settings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

name = "cpu"
ndarray = np.ndarray

# ---- allocation and transfer -----------------------------------------------------------------
def asarray(data, dtype=None):
    return np.asarray(data, dtype=dtype)


def to_numpy(a):
    return a


def from_numpy(a):
    return a


ones, full, arange = np.ones, np.full, np.arange


def empty(shape, dtype=np.float64):
    """np.empty; a float array comes from result_array (contents undefined either way)."""
    dtype = np.dtype(dtype)
    return result_array(_shape_tuple(shape), dtype) if dtype.kind == "f" else np.empty(shape, dtype=dtype)


def zeros(shape, dtype=np.float64):
    """np.zeros; a float array is a zero-filled result_array."""
    out = empty(shape, dtype)
    out.fill(0)
    return out


def _shape_tuple(shape):
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def astype(a, dtype):
    return a.astype(dtype, copy=False)


def copy(a):
    return np.array(a, copy=True)


# ---- results of the elementwise maps: recycled arrays, so that a training step does not fault ----------
def result_array(shape, dtype):
    """An uninitialised array for an op's result: ``kernels.cpu.workspace.recycled`` (one handed out again only
    once nothing, tensor, view or saved value, refers to it) when it is large, so that large results stop
    faulting pages in; np.empty for small ones, which malloc serves without faults."""
    size = 1
    for n in shape:
        size *= n
    if size * dtype.itemsize < _RECYCLE_MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    from kernels.cpu.workspace import recycled
    return recycled(shape, dtype)


_RECYCLE_MIN_BYTES = 64 * 2**10  # kernels.cpu.workspace.RECYCLE_MIN_BYTES, without importing Numba for it


def _result_shape(a, b):
    """The broadcast shape of arrays a and b (quick for equal shapes and 0-d operands)."""
    if a.shape == b.shape or b.ndim == 0:
        return a.shape
    if a.ndim == 0:
        return b.shape
    return np.broadcast_shapes(a.shape, b.shape)


def _into_result(ufunc):
    """``ufunc(a, b)`` writing into a result_array when a and b are arrays of one float dtype (so the result
    has that dtype and their broadcast shape) and one of them is large; anything else goes to the ufunc."""
    def apply(a, b, **kwargs):
        if (type(a) is np.ndarray and type(b) is np.ndarray
                and (a.nbytes >= _RECYCLE_MIN_BYTES or b.nbytes >= _RECYCLE_MIN_BYTES)
                and not kwargs and a.dtype == b.dtype and a.dtype.kind == "f"):
            return ufunc(a, b, out=result_array(_result_shape(a, b), a.dtype))
        return ufunc(a, b, **kwargs)
    apply.__name__ = ufunc.__name__
    apply.__doc__ = f"np.{ufunc.__name__}(a, b) into a recycled result array where a and b share a float dtype"
    return apply


# ---- elementwise maps with broadcasting -------------------------------------------------------
add, subtract, multiply, divide = map(_into_result, (np.add, np.subtract, np.multiply, np.divide))
power = np.power
negative, exp, log, log1p, sqrt, abs = np.negative, np.exp, np.log, np.log1p, np.sqrt, np.abs
sin, cos, tanh, sign, maximum, minimum, where = np.sin, np.cos, np.tanh, np.sign, np.maximum, np.minimum, np.where
greater, greater_equal, less, less_equal, equal, not_equal = (
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal)
bitwise_and, bitwise_or, invert = np.bitwise_and, np.bitwise_or, np.invert


def sigmoid(x):
    """σ(x) = (1 + tanh(x/2)) / 2: no overflow for large |x|."""
    return np.tanh(x * 0.5) * 0.5 + 0.5


def _large_float(*arrays):
    """True when the arrays are C-contiguous, of one shape and float dtype, and large: the Numba maps' case."""
    first = arrays[0]
    return (first.nbytes >= _RECYCLE_MIN_BYTES and first.dtype.kind == "f"
            and all(type(a) is np.ndarray and a.flags.c_contiguous and a.shape == first.shape
                    and a.dtype == first.dtype for a in arrays))


def relu(x):
    """max(x, 0); large arrays in one parallel pass (kernels.cpu.elementwise) into a recycled result."""
    if _large_float(x):
        from kernels.cpu.elementwise import relu_into
        return relu_into(x, result_array(x.shape, x.dtype))
    return np.maximum(x, 0)


def relu_backward(g, x):
    """g · [x > 0] (the fused reverse rule of relu), in the dtype of g and x together; large arrays in one
    parallel pass (kernels.cpu.elementwise), others with the mask written into the result first, so no
    temporary is allocated"""
    if _large_float(g, x):
        from kernels.cpu.elementwise import relu_backward_into
        return relu_backward_into(g, x, result_array(x.shape, x.dtype))
    if g.nbytes < _RECYCLE_MIN_BYTES and g.shape == x.shape:
        return np.multiply(g, x > 0, dtype=np.result_type(g, x))
    out = result_array(_result_shape(g, x), np.result_type(g, x))
    np.greater(x, 0, out=out)
    return np.multiply(out, g, out=out)


def tanh_backward(g, z):
    """g · (1 - z²) for z = tanh x (the fused reverse rule of tanh)"""
    return g * (1 - z * z)


def erf(x):
    from kernels.cpu.elementwise import erf as erf_kernel
    return erf_kernel(x)


# ---- reductions, matmul, shape moves ----------------------------------------------------------
sum, max, argmax = np.sum, np.max, np.argmax


def matmul(a, b, transpose_a=False, transpose_b=False):
    """np.matmul of a and b, each with its last two axes swapped where asked (views, no copy); the product of
    two matrices of one float dtype goes into a result_array when it is large; products under
    blas.SMALL_GEMM_FLOPS run with OpenBLAS on one thread (kernels.cpu.blas)."""
    a = np.swapaxes(a, -1, -2) if transpose_a else a
    b = np.swapaxes(b, -1, -2) if transpose_b else b
    from kernels.cpu import blas
    with blas.single_threaded(2 * a.size * (b.shape[-1] if b.ndim > 1 else 1)):
        if (a.ndim == b.ndim == 2 and a.dtype == b.dtype and a.dtype.kind == "f" and a.shape[1] == b.shape[0]
                and a.shape[0] * b.shape[1] * a.itemsize >= _RECYCLE_MIN_BYTES):
            return np.matmul(a, b, out=result_array((a.shape[0], b.shape[1]), a.dtype))
        return np.matmul(a, b)
reshape, transpose, broadcast_to, concatenate = np.reshape, np.transpose, np.broadcast_to, np.concatenate


def pad(x, pad_width, value=0.0):
    return np.pad(x, pad_width, constant_values=value)


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (slice, int, type(None), type(Ellipsis))) for i in items)


def getitem(x, index):
    return x[index]


def index_add(shape, index, g):
    """zeros(shape) with ``g`` added at ``index``; repeated integer indices accumulate."""
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] += g
    else:
        np.add.at(out, index, g)
    return out


# ---- in-place updates (optimizers, buffers) ---------------------------------------------------
def iadd(a, b):
    a += b


def imul(a, b):
    a *= b


def assign(a, b, index=Ellipsis):
    a[index] = b


# ---- hot kernels (kernels.cpu), imported on first use so importing minigrad does not load Numba ----
KERNELS = {
    "conv": ("im2col", "col2im", "conv2d_forward", "conv2d_backward", "conv_output_size"),
    "pool": ("max_pool2d_forward", "max_pool2d_backward", "avg_pool2d_forward", "avg_pool2d_backward",
             "pool_output_size", "global_avg_pool2d", "global_avg_pool2d_backward"),
    "batchnorm": ("batch_norm_stats", "batch_norm_forward", "batch_norm_backward", "batch_norm_training"),
    "softmax": ("softmax_cross_entropy_forward", "softmax_cross_entropy_backward"),
    "optim": ("sgd_update", "adam_update"),
}


def lazy_kernels(package: str, backend_name: str, namespace: dict):
    """A module ``__getattr__`` that imports ``package.<module>.<name>`` for the names in KERNELS on first use."""
    module_of = {fn: module for module, names in KERNELS.items() for fn in names}

    def __getattr__(name):
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"the {backend_name} backend has no function {name!r}")
        fn = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = fn
        return fn

    return __getattr__


__getattr__ = lazy_kernels("kernels.cpu", "CPU", globals())


def conv2d_forward(x, weight, bias, stride, padding, dilation, groups):
    """kernels.cpu.conv2d_forward with the algorithm of ``mg.backends.cpu.conv_algorithm``."""
    from kernels.cpu.conv import conv2d_forward as kernel
    return kernel(x, weight, bias, stride, padding, dilation, groups, algorithm=settings.conv_algorithm)


def conv2d_backward(dy, x, weight, stride, padding, dilation, groups, need_dx=True, need_dw=True, need_db=True):
    """kernels.cpu.conv2d_backward with the algorithm of ``mg.backends.cpu.conv_algorithm``."""
    from kernels.cpu.conv import conv2d_backward as kernel
    return kernel(dy, x, weight, stride, padding, dilation, groups, need_dx, need_dw, need_db,
                  algorithm=settings.conv_algorithm)


# ---- vocabulary primitives (minigrad.ops.rounding, .math, .indexing; the CUDA backend has the same names) ----
floor, ceil, trunc, rint = np.floor, np.ceil, np.trunc, np.rint
arcsin, arccos, arctan, arctan2, copysign = np.arcsin, np.arccos, np.arctan, np.arctan2, np.copysign
floor_divide, remainder = np.floor_divide, np.remainder
bitwise_xor, left_shift, right_shift = np.bitwise_xor, np.left_shift, np.right_shift


def cumsum(x, axis):
    return np.cumsum(x, axis=axis)


def argsort(x, axis=-1, descending=False):
    """Indices that sort ``x`` along ``axis`` (stable; descending keeps equal values in their order)."""
    if descending:
        flipped = np.flip(x, axis)
        n = x.shape[axis]
        return (n - 1) - np.flip(np.argsort(flipped, axis=axis, kind="stable"), axis)
    return np.argsort(x, axis=axis, kind="stable")


# ---- the CPU kernels' workspace cache (kernels.cpu.workspace): scratch buffers reused call to call ----
def workspace_allocations():
    """How many scratch buffers the CPU kernels have allocated on this thread (constant in steady state)."""
    from kernels.cpu import workspace
    return workspace.allocations()


def clear_workspaces():
    """Free the CPU kernels' scratch buffers of this thread (they are allocated again when next needed)."""
    from kernels.cpu import conv_columns, workspace
    workspace.clear()
    conv_columns.clear()
