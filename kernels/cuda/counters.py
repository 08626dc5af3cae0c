"""What the CUDA kernels ask of the device, counted: launches (total and by kernel), device
allocations and their bytes, pool hits, host<->device copies and their bytes, synchronisations, and
the stream each launch and copy was queued on (``by_stream``: the backend's, the default stream, other).

`install()` wraps numba-cuda's own entry points once, so every launch and transfer anywhere in
`kernels.cuda` is counted without touching a kernel call:

    real GPU:   _Kernel.launch, driver.host_to_device / device_to_host / device_to_device,
                cuda.synchronize, Stream.synchronize, Event.synchronize
    simulator:  FakeCUDAKernel.__call__ (a launch, not a device-function call; its stream from
                FakeCUDAKernel.__getitem__), FakeCUDAArray.copy_to_host / copy_to_device,
                cuda.to_device, cuda.synchronize

Allocations and pool hits are counted by `kernels.cuda.allocator`, the one place device memory is
handed out, so on the simulator the counts equal what a GPU run does.
"""
import collections

from numba import config, cuda

from kernels.cuda import streams

_FIELDS = ("launches", "allocations", "allocated_bytes", "pool_hits", "h2d_copies", "h2d_bytes",
           "d2h_copies", "d2h_bytes", "d2d_copies", "synchronizations")
_counts = collections.Counter()
_launches_by_kernel = collections.Counter()
_by_stream = collections.Counter()
_installed = []


def stats():
    """A snapshot: {field: int for the fields above, "launches_by_kernel": {name: int},
    "by_stream": {"backend": int, "default": int, "other": int} (launches and copies)}."""
    snapshot = {field: int(_counts[field]) for field in _FIELDS}
    snapshot["launches_by_kernel"] = dict(_launches_by_kernel)
    snapshot["by_stream"] = {kind: int(_by_stream[kind]) for kind in ("backend", "default", "other")}
    return snapshot


def reset():
    """Set every count to 0."""
    _counts.clear()
    _launches_by_kernel.clear()
    _by_stream.clear()


def record_stream(stream):
    """Count one launch or copy on `stream` (0 or None: the default stream)."""
    if streams.is_backend_stream(stream):
        _by_stream["backend"] += 1
    elif not stream or streams.handle(stream) in _DEFAULT_HANDLES:
        _by_stream["default"] += 1
    else:
        _by_stream["other"] += 1


_DEFAULT_HANDLES = (0, 1, 2)  # CU_STREAM_LEGACY, CU_STREAM_PER_THREAD


def record(field, amount=1):
    _counts[field] += amount


def kernel_name(py_func):
    """'module.function' of a kernel's Python function, factory prefixes dropped:
    kernels.cuda.elementwise._binary_kernel.<locals>.kernel -> elementwise._binary_kernel."""
    module = py_func.__module__.rsplit(".", 1)[-1]
    qualname = py_func.__qualname__.replace(".<locals>.kernel", "").replace(".<locals>", "")
    return f"{module}.{qualname}"


_names = {}


def record_launch(py_func, stream=0):
    name = _names.get(py_func)
    if name is None:
        name = _names[py_func] = kernel_name(py_func)
    _counts["launches"] += 1
    _launches_by_kernel[name] += 1
    record_stream(stream)


def _nbytes(array):
    return int(getattr(array, "nbytes", 0) or 0)


def _wrap(owner, name, before):
    """Replace owner.name with a function that calls before(*args, **kwargs), then the original."""
    original = getattr(owner, name)

    def counted(*args, **kwargs):
        before(*args, **kwargs)
        return original(*args, **kwargs)
    counted.__wrapped__ = original
    setattr(owner, name, counted)


def install():
    """Wrap numba-cuda's entry points (once per process)."""
    if _installed:
        return
    _installed.append(True)
    if config.ENABLE_CUDASIM:
        _install_simulator()
    else:
        _install_driver()


def _install_simulator():
    from numba.cuda.simulator import kernel as sim_kernel
    from numba.cuda.simulator.cudadrv import devicearray as sim_array

    launch, configure = sim_kernel.FakeCUDAKernel.__call__, sim_kernel.FakeCUDAKernel.__getitem__

    def call(self, *args):
        if not (self._device or sim_kernel._kernel_context):
            record_launch(self.fn, self.stream)
        return launch(self, *args)
    sim_kernel.FakeCUDAKernel.__call__ = call

    def getitem(self, configuration):
        """The simulator ignores the stream of kernel[grid, block, stream]: kept here to be counted."""
        self.stream = configuration[2] if len(configuration) > 2 else 0
        return configure(self, configuration)
    sim_kernel.FakeCUDAKernel.__getitem__ = getitem

    def copy_to_host(self, ary=None, stream=0):
        record("d2h_copies")
        record("d2h_bytes", _nbytes(self))
        record_stream(stream or self.stream)
    _wrap(sim_array.FakeCUDAArray, "copy_to_host", copy_to_host)

    def copy_to_device(self, ary, stream=0):
        if cuda.devicearray.is_cuda_ndarray(ary):
            record("d2d_copies")
        else:
            record("h2d_copies")
            record("h2d_bytes", _nbytes(self))
        record_stream(stream or self.stream)
    _wrap(sim_array.FakeCUDAArray, "copy_to_device", copy_to_device)
    _wrap(cuda, "synchronize", lambda *a, **k: record("synchronizations"))
    for cls in (cuda.stream, cuda.event):
        _wrap(cls, "synchronize", lambda *a, **k: record("synchronizations"))


def _install_driver():
    from numba.cuda import dispatcher
    from numba.cuda.cudadrv import driver

    def launched(self, args, griddim, blockdim, stream=0, sharedmem=0):
        record_launch(self.py_func, stream)
    _wrap(dispatcher._Kernel, "launch", launched)
    compile_kernel = dispatcher.CUDADispatcher.compile

    def compile_named(self, sig):
        """A kernel loaded from the disk cache (cache=True) has no py_func: give it its dispatcher's."""
        kernel = compile_kernel(self, sig)
        if getattr(kernel, "py_func", None) is None:
            kernel.py_func = self.py_func
        return kernel
    compile_named.__wrapped__ = compile_kernel
    dispatcher.CUDADispatcher.compile = compile_named

    def copier(field):
        def before(dst, src, size, stream=0):
            record(f"{field}_copies")
            if field != "d2d":
                record(f"{field}_bytes", int(size))
            record_stream(stream)
        return before
    for field, name in (("h2d", "host_to_device"), ("d2h", "device_to_host"), ("d2d", "device_to_device")):
        _wrap(driver, name, copier(field))
    _wrap(cuda, "synchronize", lambda *a, **k: record("synchronizations"))
    for cls in (driver.Stream, driver.Event):
        _wrap(cls, "synchronize", lambda *a, **k: record("synchronizations"))
