"""Layout moves on device arrays: fill, strided copy, transpose, broadcast_to, concatenate, pad.

Every move is one kernel, `copy_strided`: for each flat C-order index i over a `shape`,

    dst[dst_start + offset(i, dst_strides)] = src[src_start + offset(i, src_strides)]

with offsets from `kernels.cuda.strides.strided_offset` (element strides, 0 on broadcast axes)
on the flat (1-D) buffers of dst and src. Reading with permuted, sliced or zero strides into a
fresh C-contiguous array is a transpose, a slice or a broadcast; writing a whole array into a
strided window of a bigger one is a concatenate, a pad or a slice assignment.
Thread mapping: one thread per element of `shape`, grid-stride loop.
CPU twins: np.full, np.transpose, np.broadcast_to, np.concatenate, np.pad.
"""
import math
import numpy as np
from numba import cuda

from kernels.cuda.launch import check_device_array, empty, grid_1d, int64_constant, launch
from kernels.cuda.strides import broadcast_strides, coalesce, contiguous_strides, strided_offset


@cuda.jit
def _fill_kernel(out, value):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = value


@cuda.jit
def _copy_strided_kernel(dst, dst_start, src, src_start, geometry, n):
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        dst[dst_start + strided_offset(i, geometry, 1)] = src[src_start + strided_offset(i, geometry, 2)]


def flat(x):
    """The 1-D view of a C-contiguous device array."""
    check_device_array(x, "array")
    return x.reshape(x.size)


def fill(out, value):
    """out[...] = value, in place; returns out."""
    if out.size:
        blocks, threads = grid_1d(out.size)
        launch(_fill_kernel, blocks, threads, flat(out), np.dtype(out.dtype).type(value))
    return out


def full(shape, value, dtype):
    """A new device array of `shape` and `dtype` holding `value` everywhere (np.full)."""
    return fill(empty(shape, dtype), value)


def copy_strided(dst, dst_start, src, src_start, shape, dst_strides, src_strides):
    """The module docstring's move on 1-D device arrays dst and src (element offsets and strides)."""
    n = int(math.prod(shape))
    if n == 0:
        return dst
    geometry = int64_constant(coalesce(tuple(shape), tuple(dst_strides), tuple(src_strides)))
    blocks, threads = grid_1d(n)
    launch(_copy_strided_kernel, blocks, threads, dst, int(dst_start), src, int(src_start), geometry, n)
    return dst


def gather_strided(src, start, shape, strides, dtype=None):
    """A new C-contiguous array of `shape`: element i read from 1-D `src` at start + offset(i, strides)."""
    out = empty(tuple(shape), dtype or src.dtype)
    copy_strided(out.reshape(out.size), 0, src, start, shape, contiguous_strides(shape), strides)
    return out


def transpose(x, axes=None):
    """x with its axes permuted, as a new C-contiguous array (np.transpose(x, axes), copied)."""
    axes = tuple(reversed(range(x.ndim))) if axes is None else tuple(int(a) % max(x.ndim, 1) for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
    strides = contiguous_strides(x.shape)
    return gather_strided(flat(x), 0, [x.shape[a] for a in axes], [strides[a] for a in axes])


def broadcast_to(x, shape):
    """x repeated along its broadcast axes, as a new C-contiguous array of `shape` (np.broadcast_to, copied)."""
    shape = tuple(int(s) for s in shape)
    padded = (1,) * (len(shape) - x.ndim) + tuple(x.shape)
    if len(shape) < x.ndim or any(n not in (1, m) for n, m in zip(padded, shape)):
        raise ValueError(f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {shape}")
    return gather_strided(flat(x), 0, shape, broadcast_strides(tuple(x.shape), shape))


def concatenate(arrays, axis=0):
    """The arrays joined along an existing `axis` (np.concatenate)."""
    arrays = list(arrays)
    if not arrays:
        raise ValueError("concatenate: needs at least one array")
    first = arrays[0]
    axis = int(axis) % max(first.ndim, 1)
    for a in arrays[1:]:
        if a.ndim != first.ndim or any(n != m for d, (n, m) in enumerate(zip(a.shape, first.shape)) if d != axis):
            raise ValueError(f"concatenate: shapes {tuple(first.shape)} and {tuple(a.shape)} differ outside axis {axis}")
        if a.dtype != first.dtype:
            raise TypeError(f"concatenate: dtypes {first.dtype} and {a.dtype} differ")
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    out = empty(tuple(shape), first.dtype)
    out_strides, start = contiguous_strides(shape), 0
    for a in arrays:
        copy_strided(flat(out), start * out_strides[axis], flat(a), 0, a.shape, out_strides,
                     contiguous_strides(a.shape))
        start += a.shape[axis]
    return out


def pad(x, pad_width, value=0.0):
    """x inside a border of `value`: pad_width is ((before, after), ...) per axis (np.pad, constant mode)."""
    pad_width = tuple((int(b), int(a)) for b, a in pad_width)
    if len(pad_width) != x.ndim or any(b < 0 or a < 0 for b, a in pad_width):
        raise ValueError(f"pad: pad_width {pad_width} needs one non-negative (before, after) pair per axis "
                         f"of shape {tuple(x.shape)}")
    shape = tuple(n + b + a for n, (b, a) in zip(x.shape, pad_width))
    out = full(shape, value, x.dtype)
    strides = contiguous_strides(shape)
    start = sum(b * s for (b, _), s in zip(pad_width, strides))
    copy_strided(flat(out), start, flat(x), 0, x.shape, strides, contiguous_strides(x.shape))
    return out
