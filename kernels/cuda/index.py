"""Indexing device arrays: getitem x[index], setitem x[index] = v, and index_add (np.add.at into zeros).

A basic index (ints, slices, None, Ellipsis) selects a strided window of x: `basic_window` turns
it into (start, shape, strides) in elements, and `kernels.cuda.shape.copy_strided` moves it. Any
other index (integer or boolean arrays, mixed with basic items) goes through the flat offsets of
the elements it selects, which NumPy computes on the host from the index itself
(`element_offsets`); a gather, scatter or atomic scatter-add kernel then walks those offsets:

    gather:       out[i] = x[offsets[i]]
    scatter:      x[offsets[i]] = v[i]              (v broadcast to the offsets' shape)
    scatter-add:  out[offsets[i]] += g[i]           (cuda.atomic.add: repeated offsets accumulate)

Thread mapping: one thread per selected element, grid-stride loop. Index arrays on the device
are copied to the host first. CPU twins: x[index], x[index] = v, np.add.at.
"""
import numpy as np
from numba import cuda

from kernels.cuda.launch import empty, grid_1d, int64_constant, launch, to_device, to_host
from kernels.cuda.shape import copy_strided, fill, flat, gather_strided
from kernels.cuda.strides import broadcast_shape, broadcast_strides, coalesce, contiguous_strides, strided_offset

_BASIC = (slice, int, np.integer, type(None), type(Ellipsis))


@cuda.jit
def _gather_kernel(out, x, offsets):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = x[offsets[i]]


@cuda.jit
def _scatter_kernel(x, offsets, values, geometry):
    for i in range(cuda.grid(1), offsets.size, cuda.gridsize(1)):
        x[offsets[i]] = values[strided_offset(i, geometry, 1)]


@cuda.jit
def _scatter_add_kernel(out, offsets, values, geometry):
    for i in range(cuda.grid(1), offsets.size, cuda.gridsize(1)):
        cuda.atomic.add(out, offsets[i], values[strided_offset(i, geometry, 1)])


def _items(index):
    return index if isinstance(index, tuple) else (index,)


def _on_host(index):
    """The index with its device arrays copied to NumPy."""
    items = tuple(to_host(i) if cuda.devicearray.is_cuda_ndarray(i) else i for i in _items(index))
    return items if isinstance(index, tuple) else items[0]


def is_basic(index):
    """Whether index holds only ints, slices, None and Ellipsis (so x[index] is a strided window)."""
    return all(isinstance(i, _BASIC) and not isinstance(i, (bool, np.bool_)) for i in _items(index))


def basic_window(shape, index):
    """(start, shape, strides), in elements, of the window x[index] of a C-contiguous x of `shape`."""
    items = list(_items(index))
    ellipses = [k for k, i in enumerate(items) if i is Ellipsis]
    used = sum(1 for i in items if i is not None and i is not Ellipsis)
    if len(ellipses) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if used > len(shape):
        raise IndexError(f"too many indices for an array of shape {tuple(shape)}: {used} were given")
    at = ellipses[0] if ellipses else len(items)
    items[at:at + 1] = [slice(None)] * (len(shape) - used)
    strides = contiguous_strides(shape)
    start, out_shape, out_strides, axis = 0, [], [], 0
    for item in items:
        if item is None:
            out_shape.append(1)
            out_strides.append(0)
            continue
        size, stride = shape[axis], strides[axis]
        if isinstance(item, slice):
            first, stop, step = item.indices(size)
            out_shape.append(len(range(first, stop, step)))
            out_strides.append(step * stride)
            start += first * stride
        else:
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for axis {axis} with size {size}")
            start += (int(item) % size) * stride
        axis += 1
    return start, tuple(out_shape), tuple(out_strides)


def element_offsets(shape, index):
    """Flat C-order offsets of the elements x[index] selects, for any NumPy index: an int64 array shaped
    like x[index], built axis by axis from broadcast aranges (never an array of x's full size)."""
    offsets = np.broadcast_to(np.int64(0), shape)[index]
    for axis, (size, stride) in enumerate(zip(shape, contiguous_strides(shape))):
        along = (np.arange(size, dtype=np.int64) * stride).reshape((size,) + (1,) * (len(shape) - axis - 1))
        offsets = offsets + np.broadcast_to(along, shape)[index]
    return np.array(offsets, dtype=np.int64, order="C")


def _values_geometry(values, shape, op):
    if broadcast_shape(op, tuple(values.shape), tuple(shape)) != tuple(shape):
        raise ValueError(f"{op}: cannot broadcast values of shape {tuple(values.shape)} to the indexed shape "
                         f"{tuple(shape)}")
    return int64_constant(coalesce(tuple(shape), broadcast_strides(tuple(values.shape), tuple(shape))))


def _as_device(values, dtype):
    if cuda.devicearray.is_cuda_ndarray(values):
        return values
    return to_device(np.array(values, dtype=dtype, order="C"))


def getitem(x, index):
    """x[index] as a new C-contiguous device array."""
    index = _on_host(index)
    if is_basic(index):
        start, shape, strides = basic_window(tuple(x.shape), index)
        return gather_strided(flat(x), start, shape, strides)
    offsets = element_offsets(tuple(x.shape), index)
    out = empty(offsets.shape, x.dtype)
    if out.size:
        blocks, threads = grid_1d(out.size)
        launch(_gather_kernel, blocks, threads, out.reshape(out.size), flat(x), to_device(offsets.reshape(-1)))
    return out


def setitem(x, index, values):
    """x[index] = values in place; values (a device array, array or number) broadcast to x[index]'s shape."""
    index, values = _on_host(index), _as_device(values, x.dtype)
    if is_basic(index):
        start, shape, strides = basic_window(tuple(x.shape), index)
        _values_geometry(values, shape, "setitem")
        copy_strided(flat(x), start, flat(values), 0, shape, strides,
                     broadcast_strides(tuple(values.shape), shape))
        return x
    offsets = element_offsets(tuple(x.shape), index)
    geometry = _values_geometry(values, offsets.shape, "setitem")
    if offsets.size:
        blocks, threads = grid_1d(offsets.size)
        launch(_scatter_kernel, blocks, threads, flat(x), to_device(offsets.reshape(-1)), flat(values), geometry)
    return x


def index_add(shape, index, g):
    """zeros(shape) with g added at [index]; repeated positions accumulate (np.add.at into zeros)."""
    out = fill(empty(tuple(shape), g.dtype), 0)
    index = _on_host(index)
    if is_basic(index):
        return setitem(out, index, g)
    offsets = element_offsets(tuple(shape), index)
    geometry = _values_geometry(g, offsets.shape, "index_add")
    if offsets.size:
        blocks, threads = grid_1d(offsets.size)
        launch(_scatter_add_kernel, blocks, threads, flat(out), to_device(offsets.reshape(-1)), flat(g), geometry)
    return out
