"""A caching device allocator: freed blocks go back to a size-binned pool and are handed out again,
so a training step that repeats the shapes of the last one allocates nothing from the driver.

    request n bytes -> bin = n rounded up to 512 bytes
    pool has a free block of that bin  -> reuse it   (a pool hit, no cuMemAlloc)
    otherwise                          -> allocate a block of the bin from the driver (an allocation;
                                          if the driver is out of memory, drop the cached blocks, retry)
    the array that held it dies        -> its block returns to the bin's free list (no cuMemFree)

Stream-ordered because every kernel and copy goes to one stream (kernels.cuda.streams): a block
freed on the host while queued kernels still use it is only reused by work queued after them on
that same stream; before cached blocks go back to the driver the host waits for that stream.

On a GPU this is numba's External Memory Management plugin (`PoolMemoryManager`, installed with
`cuda.set_memory_manager` before the first context exists); on the simulator the same `BlockPool`
hands out host buffers to `cuda.device_array` / `cuda.to_device`, so both count the same.
`empty_cache()` gives the cached blocks back to the driver.
"""
import math
import collections
import ctypes
import gc
import weakref

import numpy as np
from numba import config, cuda

from kernels.cuda import counters, streams

BIN_BYTES = 512


def bin_size(nbytes):
    """The pool bin of a request: nbytes rounded up to a multiple of BIN_BYTES (at least one bin)."""
    return max(1, -(-int(nbytes) // BIN_BYTES)) * BIN_BYTES


class BlockPool:
    """Free blocks by bin. `raw(size)` allocates a new block from the driver."""

    def __init__(self, raw):
        self.raw = raw
        self.free = collections.defaultdict(list)
        self.cached_bytes = 0

    def acquire(self, nbytes):
        """(block, size of its bin): a cached block of the bin when there is one, else a new one."""
        size = bin_size(nbytes)
        blocks = self.free[size]
        if blocks:
            counters.record("pool_hits")
            self.cached_bytes -= size
            return blocks.pop(), size
        try:
            block = self.raw(size)
        except Exception:  # out of memory, most likely: give the cached blocks back and try once more
            if not self.cached_bytes:
                raise
            streams.synchronize()  # queued kernels may still use the cached blocks freed now
            self.empty()
            gc.collect()
            block = self.raw(size)
        counters.record("allocations")
        counters.record("allocated_bytes", size)
        return block, size

    def release(self, block, size):
        self.free[size].append(block)
        self.cached_bytes += size

    def empty(self):
        """Forget every cached block (their owners free them)."""
        self.free.clear()
        self.cached_bytes = 0


# ---- simulator: host buffers, freed when the last view of them dies ----------------------------
def _host_block(size):
    return np.empty(size, np.uint8)


SIMULATED_POOL = BlockPool(_host_block)


def simulated_device_array(shape, dtype=np.float64, strides=None, order="C", stream=0):
    """A FakeCUDAArray on a pooled host buffer; the buffer returns to the pool when the array and
    all its views are gone."""
    dtype = np.dtype(dtype)
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    nbytes = int(math.prod(shape)) * dtype.itemsize
    block, size = SIMULATED_POOL.acquire(nbytes)
    view = (ctypes.c_uint8 * max(nbytes, 1)).from_buffer(block)
    weakref.finalize(view, SIMULATED_POOL.release, block, size)
    host = np.ndarray(shape, dtype, buffer=view, strides=strides, order=order)
    return cuda.devicearray.FakeCUDAArray(host, stream=stream)


def _install_simulator():
    original_to_device = cuda.to_device

    def device_array(shape=(), dtype=np.float64, strides=None, order="C", stream=0):
        return simulated_device_array(shape, dtype, strides, order, stream)

    def device_array_like(ary, stream=0):
        return simulated_device_array(ary.shape, ary.dtype, stream=stream)

    def to_device(ary, stream=0, copy=True, to=None):
        if to is not None:
            return original_to_device(ary, stream=stream, copy=copy, to=to)
        host = np.asarray(ary, order="C")
        if host.dtype.char in "Mm":
            return original_to_device(ary, stream=stream, copy=copy)
        out = simulated_device_array(host.shape, host.dtype, stream=stream)
        if host.size:
            out.copy_to_device(host)
        return out

    cuda.device_array, cuda.device_array_like, cuda.to_device = device_array, device_array_like, to_device


# ---- real GPU: numba's External Memory Management plugin -----------------------------------------
def _pool_memory_manager():
    from numba.cuda.cudadrv import driver

    class PoolMemoryManager(driver.NumbaCUDAMemoryManager):
        """numba's own memory manager with a BlockPool in front of cuMemAlloc / cuMemFree."""

        def initialize(self):
            super().initialize()
            self.pool = BlockPool(super().memalloc)

        def memalloc(self, size):
            return pooled_memalloc(self.pool, weakref.proxy(self.context), size)

        def reset(self):
            self.pool.empty()
            super().reset()

    return PoolMemoryManager


def pooled_memalloc(pool, context, size):
    """A MemoryPointer on a pooled block (raw blocks are MemoryPointers too); when it dies (or numba
    frees it), the block goes back to the pool."""
    if not _pooled_pointer:
        _pooled_pointer.append(_pooled_pointer_type())
    block, binned = pool.acquire(size)
    return _pooled_pointer[0](context, block.device_pointer, size, (pool, block, binned))


_pooled_pointer = []


def _pooled_pointer_type():
    from numba.cuda.cudadrv import driver

    class PooledPointer(driver.MemoryPointer):
        """numba's MemoryPointer whose finalizer gives its block back to the pool: a ``__del__``
        where numba's constructor makes a ``weakref.finalize`` (about 2 µs on each of the ~50
        arrays of a LeNet-5 step)."""

        def __init__(self, context, pointer, size, release):
            self.context = context
            self.device_pointer = self.handle = pointer
            self.size = self._cuda_memsize_ = size
            self.is_managed = True
            self.refct = 1
            self._owner = None
            self._release = release

        def free(self):
            if self._release is None:
                raise RuntimeError("Freeing dead memory")
            (pool, block, binned), self._release = self._release, None
            pool.release(block, binned)

        def __del__(self):
            if self._release is not None:
                self.free()

    return PooledPointer


def empty_cache():
    """Give every cached block back to the driver (on the simulator: to the garbage collector)."""
    SIMULATED_POOL.empty()
    if not config.ENABLE_CUDASIM:
        pool = getattr(getattr(cuda.current_context(), "memory_manager", None), "pool", None)
        if pool is not None:
            streams.synchronize()  # kernels still queued may use the blocks that are freed now
            pool.empty()


_installed = []


def install():
    """Route every device allocation through the pool (once per process, before the first context)."""
    if _installed:
        return
    _installed.append(True)
    if config.ENABLE_CUDASIM:
        _install_simulator()
    else:
        cuda.set_memory_manager(_pool_memory_manager())
