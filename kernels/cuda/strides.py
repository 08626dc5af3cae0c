"""Strided indexing for kernels that work on arrays of any rank through flat indices.

A kernel walks a flat C-order index i over a `shape`; an operand laid out with element `strides`
finds its element at offset  sum_d coord_d(i) * strides[d]. Broadcasting is a stride of 0.
The geometry travels to the device as one small int64 array: row 0 the shape, row k the
strides of operand k.
"""
import numpy as np
from numba import cuda


def broadcast_shape(op, *shapes):
    """NumPy's broadcast of `shapes`; ValueError naming the op and the shapes when they clash."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"{op}: shapes {', '.join(map(str, shapes))} cannot be broadcast "
                         "together") from None


def contiguous_strides(shape):
    """Element strides of a C-contiguous array of `shape`."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    return tuple(reversed(strides))


def broadcast_strides(shape, out_shape):
    """Element strides that read a C-contiguous `shape` array as `out_shape` (0 on broadcast axes)."""
    padded = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    return tuple(0 if size == 1 else stride
                 for size, stride in zip(padded, contiguous_strides(padded)))


def coalesce(shape, *strides):
    """Drop size-1 axes and merge neighbouring axes that are adjacent in memory for every operand.

    Returns (shape, strides_0, strides_1, ...) with at least one axis, so the index arithmetic in
    the kernel stays short: a same-shape elementwise op becomes a single axis.
    """
    axes = [d for d, size in enumerate(shape) if size != 1]
    if not axes:
        return ((1,),) + tuple((0,) for _ in strides)
    merged_shape = [shape[axes[0]]]
    merged_strides = [[s[axes[0]]] for s in strides]
    for d in axes[1:]:
        if all(m[-1] == s[d] * shape[d] for m, s in zip(merged_strides, strides)):
            merged_shape[-1] *= shape[d]
            for m, s in zip(merged_strides, strides):
                m[-1] = s[d]
        else:
            merged_shape.append(shape[d])
            for m, s in zip(merged_strides, strides):
                m.append(s[d])
    return (tuple(merged_shape),) + tuple(tuple(m) for m in merged_strides)


@cuda.jit(device=True)
def strided_offset(i, geometry, row):
    """Offset of flat C-order index i over shape geometry[0] for the strides geometry[row]."""
    offset = 0
    for d in range(geometry.shape[1] - 1, -1, -1):
        size = geometry[0, d]
        offset += (i % size) * geometry[row, d]
        i //= size
    return offset
