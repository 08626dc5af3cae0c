"""The one CUDA stream that every kernel, copy and cuBLAS call of kernels.cuda is queued on.

    stream()        the stream, made on first use: non-blocking (CU_STREAM_NON_BLOCKING), so it
                    neither waits for nor holds up work on the legacy default stream (stream 0),
                    and nothing the backend queues meets an implicit synchronisation there
    synchronize()   the host waits until everything queued on it has run

Work on one stream runs in the order it was queued. That is what makes the caching allocator safe
(a block freed on the host while queued kernels still use it is reused only by work queued after
them) and what lets the host go on without waiting: it waits only where a value must reach it
(``.item()``, ``.numpy()``, ``mg.cuda.synchronize()``). Device arrays made by kernels.cuda carry the
stream (``array.stream``), so numba's own copies of them and consumers of their
``__cuda_array_interface__`` (CuPy, PyTorch) order themselves after it. Under the simulator it is
the simulator's stream object (everything runs at once there).
"""
from numba import config, cuda

_stream, _core = [], []


def stream():
    """The backend's stream (created once per process)."""
    if not _stream:
        _stream.append(_non_blocking_stream())
    return _stream[0]


def core_stream():
    """The same stream as the cuda.core object that numba-cuda's compiled kernels launch on."""
    if not _core:
        from numba.cuda.cudadrv import driver
        _core.append(driver._to_core_stream(stream()))
    return _core[0]


def synchronize():
    """Wait until every kernel and copy queued on the backend's stream has finished."""
    stream().synchronize()


def is_backend_stream(candidate):
    """Whether a numba or cuda.core stream (or its handle) is the backend's stream."""
    if not _stream:
        return False
    if candidate is _stream[0] or (_core and candidate is _core[0]):
        return True
    return bool(candidate) and handle(candidate) == handle(_stream[0])


def handle(candidate):
    """The CUstream of a numba or cuda.core stream as an int (0 for the default stream)."""
    value = getattr(candidate, "handle", candidate)
    value = getattr(value, "value", value)  # ctypes handles
    try:
        return int(value or 0)
    except TypeError:  # the simulator's stream objects have no handle
        return id(candidate)


def _non_blocking_stream():
    """numba's ``cuda.stream()`` is created with CU_STREAM_DEFAULT (it synchronises with stream 0);
    this makes the same Stream object with CU_STREAM_NON_BLOCKING, destroyed like numba's own."""
    if config.ENABLE_CUDASIM:
        return cuda.stream()
    from cuda.bindings import driver as binding
    from numba.cuda.cudadrv import driver

    context = cuda.current_context()
    flags = binding.CUstream_flags.CU_STREAM_NON_BLOCKING.value
    raw = driver.driver.cuStreamCreate(flags)
    return driver.Stream(raw, finalizer=driver._stream_finalizer(context.deallocations, raw))
