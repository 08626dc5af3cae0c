"""numba-cuda's real host path without a GPU: what a CUDA step costs the host, before any GPU work.

`install()` (before minigrad or kernels.cuda is imported, and without NUMBA_ENABLE_CUDASIM) puts a
stand-in for the CUDA driver under numba-cuda:

    device memory      host memory (NumPy buffers whose addresses stand in for device pointers),
                       handed out through kernels.cuda.allocator's pool, as the GPU plugin does
    pinned memory      NumPy buffers; events complete at once; streams are handles only (a stream
                       numba-cuda creates gets the handle STREAM_HANDLE)
    copies             memmove between those buffers (so values that never touch a kernel survive)
    kernel launch      numba-cuda's real dispatcher (argument typing, overload lookup, lowering to
                       LLVM on first use) and argument packing (numba-cuda's ``_Kernel.launch``, or
                       kernels.cuda.arguments), the arguments put into cuda.core's parameter buffer,
                       then recorded in LAUNCHES and skipped: no module is loaded, no kernel runs

What it measures: launches, driver allocations, copies and synchronisations, and how many launches
and copies went to the default stream and to others (COUNTS, counted here at
the driver's place, independently of kernels.cuda.counters, so each checks the other, and it also
counts code older than those counters), and host milliseconds per step. Values computed by kernels
are garbage (nothing runs), so it proves costs, never results.
"""
import collections
import contextlib
import ctypes
import os
import sys

LAUNCHES = []
COUNTS = collections.Counter()
STREAM_HANDLE = 0x5EAD
_buffers = {}


class _Device:
    compute_capability = (9, 0)
    id = 0
    name = b"HOST-PROBE (no GPU)"
    MULTIPROCESSOR_COUNT = 132


class _Function:
    """A loaded module's kernel as numba-cuda's code library hands it out (``get_cufunc()``)."""

    def __init__(self, name):
        self.name = name
        self.kernel = self


class _Event:
    def record(self, stream=0):
        pass

    def query(self):
        return True

    def synchronize(self):
        pass

    def wait(self, stream=0):
        pass


def install():
    """Replace the CUDA driver under numba-cuda by host memory and recorded launches (once)."""
    if os.environ.pop("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0") or "kernels.cuda" in sys.modules:
        raise RuntimeError("cuda_host_probe.install() needs numba-cuda's real host path: call it before "
                           "kernels.cuda is imported, without NUMBA_ENABLE_CUDASIM=1")
    import numpy as np
    from cuda.bindings import driver as binding
    from numba import cuda
    from numba.cuda import api, codegen, dispatcher
    from numba.cuda.cudadrv import devices, driver

    def raw_block(size):
        COUNTS["allocations"] += 1
        COUNTS["allocated_bytes"] += int(size)
        buffer = np.empty(max(int(size), 1), np.uint8)
        address = buffer.ctypes.data
        _buffers[address] = buffer
        return driver.MemoryPointer(CONTEXT, binding.CUdeviceptr(address), size,
                                    finalizer=lambda: _buffers.pop(address, None))

    class Context:
        device = _Device
        memory_manager = type("Manager", (), {"pool": None})()
        deallocations = type("Deallocations", (), {"add_item": staticmethod(lambda *args: None)})()

        def memalloc(self, size):
            if self.memory_manager.pool is None:  # code without kernels.cuda.allocator: every request allocates
                return raw_block(size)
            return allocator.pooled_memalloc(self.memory_manager.pool, self, size)

        def memhostalloc(self, size, mapped=False, portable=False, wc=False):
            return np.empty(max(int(size), 1), np.uint8)

        def create_event(self, timing=True):
            return _Event()

        def get_default_stream(self):
            return driver.Stream(binding.CUstream(0))

        def synchronize(self):
            COUNTS["synchronizations"] += 1

        def get_memory_info(self):
            return 100 << 30, 141 << 30

    CONTEXT = Context()
    devices._runtime.ensure_context = lambda *a, **k: contextlib.nullcontext()
    devices._runtime.get_or_create_context = lambda *a, **k: CONTEXT
    for module in (devices, dispatcher):
        module.get_context = lambda *a, **k: CONTEXT
    for module in (api, dispatcher, cuda):
        module.get_current_device = lambda *a, **k: _Device
    cuda.current_context = api.current_context = lambda *a, **k: CONTEXT
    cuda.is_available = lambda: True
    driver._to_core_stream = lambda stream: stream
    driver.driver.cuStreamCreate = lambda flags: binding.CUstream(STREAM_HANDLE)
    driver.driver.cuStreamDestroy = lambda handle: None

    def pointer(obj, host=False):
        return driver.host_pointer(obj, readonly=True) if host else driver.device_pointer(obj)

    def memmove(dst, src, size, dst_host, src_host, stream):
        kind = "d2h" if dst_host else "h2d" if src_host else "d2d"
        COUNTS[f"{kind}_copies"] += 1
        _count_stream(stream)
        COUNTS[f"{kind}_bytes"] += int(size)
        if size:
            ctypes.memmove(pointer(dst, dst_host), pointer(src, src_host), size)

    driver.host_to_device = lambda dst, src, size, stream=0: memmove(dst, src, size, False, True, stream)
    driver.device_to_host = lambda dst, src, size, stream=0: memmove(dst, src, size, True, False, stream)
    driver.device_to_device = lambda dst, src, size, stream=0: memmove(dst, src, size, False, False, stream)
    driver.device_memset = lambda dst, value, size, stream=0: ctypes.memset(pointer(dst), value, size)
    def synchronize(*args):
        COUNTS["synchronizations"] += 1
    cuda.synchronize = synchronize
    driver.Stream.synchronize = synchronize
    dispatcher._Kernel.bind = lambda self: None
    codegen.CUDACodeLibrary.get_cufunc = lambda self: _Function(self.name)
    try:
        from cuda.core._kernel_arg_handler import ParamHolder
    except ImportError:  # another cuda.core: the arguments are not packed into a parameter buffer
        ParamHolder = tuple

    def launch(stream, config, kernel, *kernel_arguments):
        """cuda.core's launch, less cuLaunchKernel: the arguments go into its parameter buffer."""
        ParamHolder(kernel_arguments)
        COUNTS["launches"] += 1
        _count_stream(stream)
        LAUNCHES.append((kernel.name, tuple(config.grid), tuple(config.block), _handle(stream)))
    dispatcher.launch = launch

    import kernels.cuda  # noqa: F401  (after the driver is replaced: kernels.cuda.counters wraps these)
    try:
        from kernels.cuda import allocator
    except ImportError:  # older code: no pool
        return
    CONTEXT.memory_manager.pool = allocator.BlockPool(raw_block)


def _count_stream(stream):
    """Launches and copies on the default stream (handle 0, legacy 1, per-thread 2) and on others."""
    COUNTS["on_default_stream" if _handle(stream) in (0, 1, 2) else "on_other_streams"] += 1


def _handle(stream):
    handle = getattr(stream, "handle", stream)
    return int(getattr(handle, "value", handle) or 0)


def reset():
    COUNTS.clear()
    LAUNCHES.clear()
