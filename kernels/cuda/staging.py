"""Host-to-device copies that do not wait: the host array is copied into a pinned (page-locked)
staging buffer and uploaded from there asynchronously on the backend's stream (kernels.cuda.streams).

A copy from pageable memory makes the host wait for the GPU; from pinned memory the DMA engine
reads it while the host goes on. A staging buffer is reused once the event recorded after its
last upload has completed (`Event.query()`, which does not block); while every buffer of a size is
still in flight another is allocated, so the host never waits. Buffers are kept per size bin, at
most `MAX_CACHED_BYTES` in all.

The device array comes from the caching pool (``views.new_array``) and the copy is one
``cuMemcpyHtoDAsync`` (``driver.host_to_device``): ``cuda.to_device`` would check and re-view both
arrays in Python first, about 100 µs of host time per upload.
"""
import collections

import numpy as np
from numba import config, cuda
from numba.cuda.cudadrv import driver

from kernels.cuda import streams, views
from kernels.cuda.allocator import bin_size

MAX_CACHED_BYTES = 256 << 20


class _Buffer:
    def __init__(self, size):
        self.host = cuda.pinned_array(size, np.uint8)
        self.done = cuda.event(timing=False)
        self.done.record()

    def ready(self):
        query = getattr(self.done, "query", None)
        return True if query is None else query()


_buffers = collections.defaultdict(list)
_cached = [0]


def _free_buffer(size):
    for buffer in _buffers[size]:
        if buffer.ready():
            return buffer
    buffer = _Buffer(size)
    if _cached[0] + size <= MAX_CACHED_BYTES:
        _buffers[size].append(buffer)
        _cached[0] += size
    return buffer


def to_device(host):
    """A device copy of the C-contiguous NumPy array ``host``, uploaded asynchronously from pinned memory."""
    host = np.asarray(host, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)
    if config.ENABLE_CUDASIM or host.nbytes == 0 or host.dtype.hasobject or host.dtype.char in "Mm":
        return cuda.to_device(host, stream=streams.stream())  # the simulator has no pinned memory: one copy
    buffer = _free_buffer(bin_size(host.nbytes))
    staged = buffer.host[:host.nbytes]
    np.copyto(staged.view(host.dtype).reshape(host.shape), host)
    stream = streams.stream()
    out = views.new_array(host.shape, host.dtype, stream)
    driver.host_to_device(out, staged, host.nbytes, stream=stream)  # cuMemcpyHtoDAsync
    buffer.done.record(stream)
    return out
