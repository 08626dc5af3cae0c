"""Scratch buffers and recycled result arrays of the CPU kernels, so that a training step does not allocate.

``scratch(name, shape, dtype)`` returns an array view of a buffer owned by this cache, grown when a larger
one is asked for and otherwise reused. It is valid only until the next request of the same name on the
same thread, so kernels use it only for temporaries that die before the kernel returns (im2col columns,
GEMM outputs copied into the result), never for an array they return or that is saved for backward:
reuse is safe by construction. Each thread has its own buffers.

``recycled(shape, dtype)`` is for arrays a kernel returns (conv outputs and gradients): it hands out an
array of this cache only when nothing but the cache refers to it any more, that is when no tensor, view
(a view holds its base), saved value or frame of the caller can still reach it (``sys.getrefcount``);
otherwise it allocates a new one. Arrays under RECYCLE_MIN_BYTES (64 KiB) are left to malloc; larger ones
are not, because glibc gives the top of its heap back to the OS once more than its trim threshold is free
(128 KiB by default, raised only after large mmapped blocks were freed, so it depends on the process's
allocation history) and faults it in again on the next step: a LeNet-5 step whose 100–200 KiB matmul
results went to malloc made 130 faults a step. The cache lets go of unused arrays once it holds more than
RECYCLE_MAX_BYTES (1.5 GiB per thread). The CPU backend takes the results of its elementwise maps (relu and
its gradient, float add, subtract, multiply, divide, matmul of two matrices, empty, zeros) from here too.

Every fresh buffer or array counts in ``allocations()``: after a warm-up step it stays constant.
"""
import sys
import threading

import numpy as np


RECYCLE_MIN_BYTES = 64 * 2**10
# Recycled arrays a thread's cache may hold (in use or not) before it lets go of the unused ones. A training
# step's working set has to fit for a warm step not to allocate: ResNet-18 (CIFAR) holds 587 MiB at batch
# 32 and 918 MiB at batch 64, LeNet-5 15 MiB at batch 64. 1.5 GiB keeps ResNet-18 allocation-free up to
# batch 64 (measured: 4 faults, no allocation per step) and a little beyond, and is a small
# share of a 24 GB machine; a larger step still computes correctly, it just allocates (and faults) again.
RECYCLE_MAX_BYTES = 3 * 2**29


class _Buffers(threading.local):
    def __init__(self):
        self.by_name = {}
        self.by_shape = {}
        self.recycled_bytes = 0
        self.allocations = 0


_buffers = _Buffers()


def scratch(name, shape, dtype):
    """A C-contiguous array of ``shape`` and ``dtype`` (contents undefined) in the buffer called ``name``."""
    dtype = np.dtype(dtype)
    size = 1
    for s in shape:
        size *= int(s)
    key = (name, dtype)
    buffer = _buffers.by_name.get(key)
    if buffer is None or buffer.size < size:
        buffer = np.empty(max(size, 1), dtype=dtype)
        _buffers.by_name[key] = buffer
        _buffers.allocations += 1
    return buffer[:size].reshape(shape)


def recycled(shape, dtype):
    """An array of ``shape`` and ``dtype`` (contents undefined) that nothing else refers to, to be returned."""
    dtype = np.dtype(dtype)
    shape = tuple(map(int, shape))
    size = 1
    for n in shape:
        size *= n
    if size * dtype.itemsize < RECYCLE_MIN_BYTES:
        return np.empty(shape, dtype=dtype)
    arrays = _buffers.by_shape.setdefault((shape, dtype), [])
    if _UNREFERENCED is None:
        return np.empty(shape, dtype=dtype)
    for array, count in _reference_counts(arrays):
        if count == _UNREFERENCED:
            return array
    if _buffers.recycled_bytes > RECYCLE_MAX_BYTES:
        _release_unreferenced()
        arrays = _buffers.by_shape.setdefault((shape, dtype), [])
    array = np.empty(shape, dtype=dtype)
    arrays.append(array)
    _buffers.recycled_bytes += array.nbytes
    _buffers.allocations += 1
    return array


def _release_unreferenced():
    for key, arrays in list(_buffers.by_shape.items()):
        kept = [a for a, count in _reference_counts(arrays) if count != _UNREFERENCED]
        _buffers.recycled_bytes -= sum(a.nbytes for a in arrays) - sum(a.nbytes for a in kept)
        if kept:
            _buffers.by_shape[key] = kept
        else:
            del _buffers.by_shape[key]


def _reference_counts(arrays):
    """(array, sys.getrefcount(array)) for each array of the list."""
    for array in arrays:
        yield array, sys.getrefcount(array)


def _calibrate():
    """The count _reference_counts reports for an array only the cache's list holds, or None (recycling
    off) if one more reference from elsewhere would not show (an interpreter that borrows references)."""
    arrays = [np.empty(1)]
    alone = next(_reference_counts(arrays))[1]
    held = arrays[0]
    with_one_more = next(_reference_counts(arrays))[1]
    del held
    return alone if with_one_more == alone + 1 else None


_UNREFERENCED = _calibrate()


def allocations():
    """How many buffers this thread's cache has allocated so far."""
    return _buffers.allocations


def cached_bytes():
    """Bytes held by this thread's cache (scratch buffers and recycled arrays, in use or not)."""
    return sum(b.nbytes for b in _buffers.by_name.values()) + _buffers.recycled_bytes


def clear():
    """Drop this thread's buffers (the memory goes back to the allocator once no view of them is left)."""
    _buffers.by_name.clear()
    _buffers.by_shape.clear()
    _buffers.recycled_bytes = 0
