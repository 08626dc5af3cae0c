"""Reductions along axes: reduce_sum, reduce_max, reduce_min (with keepdims) and argmax.

x (C-contiguous) splits into kept axes, one output element o each, and reduced axes, walked by
a flat index r:   out[o] = combine over r of x[base(o) + offset(r)],
with base and offset from `strided_offset` over the kept and the reduced geometry.

Two thread mappings:
- block per output element: its threads stride over r, then a shared-memory tree reduction
  (long reductions along the contiguous axis, or few outputs);
- thread per output element: a serial loop over r (many outputs and the contiguous axis kept,
  so neighbouring threads read neighbouring elements; or very short reductions).
max, min and argmax propagate NaN like NumPy; argmax returns the first index of the maximum.
"""
import math
import functools

import numpy as np
from numba import cuda, from_dtype, int64

from kernels.cuda.elementwise import _add as _sum, _maximum as _max, _minimum as _min
from kernels.cuda.launch import (MAX_THREADS, check_device_array, check_out, grid_1d,
                                 int64_constant, launch, reduction_threads)
from kernels.cuda.recipes import kernel_factory
from kernels.cuda.strides import coalesce, contiguous_strides, strided_offset

SHORT_REDUCTION = 16
MANY_OUTPUTS = 1024
_NO_INDEX = np.iinfo(np.int64).max


@cuda.jit(device=True)
def _argmax_beats(v, i, w, j):
    """Whether candidate (w, j) replaces (v, i): larger value, NaN above all, ties to lower index."""
    if w != w:
        return v == v or j < i
    if v != v:
        return False
    return w > v or (w == v and j < i)


@kernel_factory
def _block_kernel(combine, identity):
    dtype = from_dtype(identity.dtype)

    @cuda.jit
    def kernel(out, x, kept, reduced, n_reduced):
        partial = cuda.shared.array(MAX_THREADS, dtype)
        t = cuda.threadIdx.x
        base = strided_offset(cuda.blockIdx.x, kept, 1)
        acc = identity
        for r in range(t, n_reduced, cuda.blockDim.x):
            acc = combine(acc, x[base + strided_offset(r, reduced, 1)])
        partial[t] = acc
        cuda.syncthreads()
        step = cuda.blockDim.x // 2
        while step > 0:
            if t < step:
                partial[t] = combine(partial[t], partial[t + step])
            cuda.syncthreads()
            step //= 2
        if t == 0:
            out[cuda.blockIdx.x] = partial[0]
    return kernel


@kernel_factory
def _thread_kernel(combine, identity):
    @cuda.jit
    def kernel(out, x, kept, reduced, n_reduced):
        for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            base = strided_offset(o, kept, 1)
            acc = identity
            for r in range(n_reduced):
                acc = combine(acc, x[base + strided_offset(r, reduced, 1)])
            out[o] = acc
    return kernel


@kernel_factory
def _argmax_block_kernel(lowest):
    dtype = from_dtype(lowest.dtype)

    @cuda.jit
    def kernel(out, x, kept, reduced, n_reduced):
        values = cuda.shared.array(MAX_THREADS, dtype)
        indices = cuda.shared.array(MAX_THREADS, int64)
        t = cuda.threadIdx.x
        base = strided_offset(cuda.blockIdx.x, kept, 1)
        best, best_index = lowest, _NO_INDEX
        for r in range(t, n_reduced, cuda.blockDim.x):
            value = x[base + strided_offset(r, reduced, 1)]
            if _argmax_beats(best, best_index, value, r):
                best, best_index = value, r
        values[t], indices[t] = best, best_index
        cuda.syncthreads()
        step = cuda.blockDim.x // 2
        while step > 0:
            if t < step and _argmax_beats(values[t], indices[t], values[t + step],
                                          indices[t + step]):
                values[t], indices[t] = values[t + step], indices[t + step]
            cuda.syncthreads()
            step //= 2
        if t == 0:
            out[cuda.blockIdx.x] = indices[0]
    return kernel


@kernel_factory
def _argmax_thread_kernel(lowest):
    @cuda.jit
    def kernel(out, x, kept, reduced, n_reduced):
        for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            base = strided_offset(o, kept, 1)
            best, best_index = lowest, _NO_INDEX
            for r in range(n_reduced):
                value = x[base + strided_offset(r, reduced, 1)]
                if _argmax_beats(best, best_index, value, r):
                    best, best_index = value, r
            out[o] = best_index
    return kernel


def _lowest(dtype):
    return dtype.type(-np.inf) if dtype.kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return dtype.type(np.inf) if dtype.kind == "f" else np.iinfo(dtype).max


def _sum_dtype(dtype):
    """NumPy's: floats keep their dtype, booleans and integers sum in int64."""
    return dtype if dtype.kind == "f" else np.dtype(np.int64)


@functools.lru_cache(maxsize=None)
def _kernels(op, dtype):
    """(block kernel, thread kernel) of `op` for input dtype `dtype`, compiled on first use."""
    if op == "sum":
        identity = _sum_dtype(dtype).type(0)
        return _block_kernel(_sum, identity), _thread_kernel(_sum, identity)
    if op == "max":
        identity = dtype.type(_lowest(dtype))
        return _block_kernel(_max, identity), _thread_kernel(_max, identity)
    if op == "min":
        identity = dtype.type(_highest(dtype))
        return _block_kernel(_min, identity), _thread_kernel(_min, identity)
    lowest = dtype.type(_lowest(dtype))
    return _argmax_block_kernel(lowest), _argmax_thread_kernel(lowest)


def _normalize_axes(name, axis, ndim):
    """Sorted tuple of reduced axes; axis=None reduces all of them."""
    axes = tuple(range(ndim)) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ValueError(f"{name}: axis {a} is out of range for an array of {ndim} dims")
    axes = tuple(sorted(int(a) % ndim for a in axes))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: repeated axis in {axis}")
    return axes


def _reduce(op, name, x, axis, keepdims, out):
    check_device_array(x, name)
    dtype = np.dtype(x.dtype)
    out_dtype = {"sum": _sum_dtype(dtype), "argmax": np.dtype(np.int64)}.get(op, dtype)
    shape, axes = tuple(x.shape), _normalize_axes(name, axis, x.ndim)
    kept_axes = [d for d in range(x.ndim) if d not in axes]
    n_reduced = int(math.prod([shape[d] for d in axes]))
    if n_reduced == 0 and op != "sum":
        raise ValueError(f"{name}: cannot reduce a zero-size axis of shape {shape}")
    out_shape = (tuple(1 if d in axes else shape[d] for d in range(x.ndim)) if keepdims
                 else tuple(shape[d] for d in kept_axes))
    out = check_out(out, out_shape, out_dtype)
    if out.size == 0:
        return out
    strides = contiguous_strides(shape)
    kept = coalesce([shape[d] for d in kept_axes], [strides[d] for d in kept_axes])
    reduced = coalesce([shape[d] for d in axes], [strides[d] for d in axes])
    block_kernel, thread_kernel = _kernels(op, dtype)
    args = (out.reshape(out.size), x.reshape(x.size), int64_constant(kept),
            int64_constant(reduced), n_reduced)
    contiguous_axis_kept = bool(kept_axes) and kept_axes[-1] == x.ndim - 1
    if n_reduced <= SHORT_REDUCTION or (contiguous_axis_kept and out.size >= MANY_OUTPUTS):
        blocks, threads = grid_1d(out.size)
        launch(thread_kernel, blocks, threads, *args)
    else:
        launch(block_kernel, out.size, reduction_threads(n_reduced), *args)
    return out


def reduce_sum(x, axis=None, keepdims=False, out=None):
    """sum of x over `axis` (None, int or tuple), like np.sum; bool and int sum to int64."""
    return _reduce("sum", "reduce_sum", x, axis, keepdims, out)


def reduce_max(x, axis=None, keepdims=False, out=None):
    """max of x over `axis` (None, int or tuple), like np.max."""
    return _reduce("max", "reduce_max", x, axis, keepdims, out)


def reduce_min(x, axis=None, keepdims=False, out=None):
    """min of x over `axis` (None, int or tuple), like np.min."""
    return _reduce("min", "reduce_min", x, axis, keepdims, out)


def argmax(x, axis=None, keepdims=False, out=None):
    """int64 index of the first maximum along `axis` (None: of the flattened array), like np.argmax."""
    if isinstance(axis, tuple):
        raise ValueError(f"argmax: axis must be None or an int, got {axis}")
    return _reduce("argmax", "argmax", x, axis, keepdims, out)
