"""Scratch buffers of the CPU kernels, kept from call to call so that a training step does not allocate.

``scratch(name, shape, dtype)`` returns an array view of a buffer owned by this cache, grown when a larger
one is asked for and otherwise reused. It is valid only until the next request of the same name on the
same thread, so kernels use it only for temporaries that die before the kernel returns (im2col columns,
GEMM outputs copied into the result), never for an array they return or that is saved for backward:
reuse is safe by construction. Each thread has its own buffers.

Every fresh buffer counts in ``allocations()``: after a warm-up step it stays constant.
"""
import threading

import numpy as np


class _Buffers(threading.local):
    def __init__(self):
        self.by_name = {}
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


def allocations():
    """How many buffers this thread's cache has allocated so far."""
    return _buffers.allocations


def cached_bytes():
    """Bytes held by this thread's cache."""
    return sum(b.nbytes for b in _buffers.by_name.values())


def clear():
    """Drop this thread's buffers (the memory goes back to the allocator once no view of them is left)."""
    _buffers.by_name.clear()
