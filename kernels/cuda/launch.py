"""Launch configuration shared by the CUDA kernels: grid sizes, block sizes, argument checks, zeros.

A 1-D launch covers `n` work items with blocks of at most 256 threads (a multiple of the
32-thread warp) and at most `MAX_BLOCKS` blocks; kernels walk the rest with a grid-stride loop
`for i in range(cuda.grid(1), n, cuda.gridsize(1))`.

Every kernel of kernels.cuda is launched with `launch(kernel, grid, block, *args)`: on the backend's
one stream (kernels.cuda.streams), and on a GPU without numba's per-call dispatch (see `launch`).
"""
import functools

import numpy as np
from numba import config, cuda

from kernels.cuda import allocator, arguments, array_types, counters, streams, views  # noqa: F401  (views install on import)

counters.install()
allocator.install()

WARP = 32
MAX_THREADS = 256
MAX_BLOCKS = 65535


def ceil_div(a, b):
    """Smallest integer q with q * b >= a."""
    return -(-a // b)


def threads_for(n, max_threads=MAX_THREADS):
    """Threads per block for `n` items: n rounded up to a whole warp, capped at max_threads."""
    return min(max_threads, WARP * ceil_div(max(n, 1), WARP))


def grid_1d(n, max_threads=MAX_THREADS):
    """(blocks, threads) for a grid-stride loop over n items."""
    threads = threads_for(n, max_threads)
    return min(MAX_BLOCKS, ceil_div(max(n, 1), threads)), threads


def reduction_threads(n):
    """Threads of a block that tree-reduces n items: a power of two in [32, 256]."""
    threads = WARP
    while threads < n and threads < MAX_THREADS:
        threads *= 2
    return threads


SIMULATED = bool(config.ENABLE_CUDASIM)
_compiled = {}
_geometries = {}


def launch(kernel, griddim, blockdim, *args, sharedmem=0):
    """``kernel[griddim, blockdim, streams.stream(), sharedmem](*args)``.

    numba's dispatcher types every argument of every call (in Python for device arrays and tuples)
    to find the compiled kernel, and its ``_Kernel.launch`` decides per argument how to pack it. A
    training step repeats the same few signatures, so on a GPU the first call goes through the
    dispatcher (and compiles), and after it a `_Launcher` is kept per kernel and argument types
    (`argument_key`: an array's type is (dtype, ndim, layout), a number's its Python or NumPy type),
    which packs the arguments as kernels.cuda.arguments prepared them and launches through cuda.core.
    """
    if SIMULATED:
        kernel[griddim, blockdim, streams.stream(), sharedmem](*args)
        return
    key = (kernel, *map(argument_key, args))
    launcher = _compiled.get(key)
    if launcher is not None:
        launcher(args, griddim, blockdim, sharedmem)
        return
    kernel[griddim, blockdim, streams.stream(), sharedmem](*args)
    if None not in key:
        compiled = kernel.overloads.get(tuple(kernel.typeof_pyval(a) for a in args))
        if compiled is not None and not getattr(compiled, "launch_config_sensitive", False):
            _compiled[key] = _Launcher(compiled, args)


class _Launcher:
    """One compiled kernel (numba-cuda's ``dispatcher._Kernel``), launched on the backend's stream
    with its arguments packed by ``kernels.cuda.arguments`` and cuda.core's ``launch`` (the call that
    numba-cuda's ``_Kernel.launch`` ends in), or by ``_Kernel.launch`` itself where that packer
    declines. The launch is counted here (kernels.cuda.counters counts ``_Kernel.launch``'s)."""

    def __init__(self, compiled, args):
        self.compiled, self.pack, self.function = compiled, _checked_packer(compiled, args), None

    def __call__(self, args, griddim, blockdim, sharedmem):
        geometry = _geometries.get((griddim, blockdim, sharedmem))
        if geometry is None:
            if len(_geometries) >= 4096:
                _geometries.clear()
            geometry = _geometries[griddim, blockdim, sharedmem] = _launch_geometry(griddim, blockdim, sharedmem)
        grid, block, config = geometry
        stream = streams.core_stream()
        if self.pack is None:
            self.compiled.launch(args, grid, block, stream, sharedmem)
            return
        kernel_arguments = self.pack(args)
        if self.function is None:
            self.function = self.compiled._codelibrary.get_cufunc().kernel
        counters.record_launch(self.compiled.py_func, stream)
        _dispatcher().launch(stream, config, self.function, *kernel_arguments)


def _checked_packer(compiled, args):
    """``arguments.packer(compiled)`` where this numba-cuda launches through cuda.core as the one it
    was written against does and its packing of `args` (the first launch's) equals numba-cuda's own,
    value and type; None otherwise (another numba-cuda version, or a cooperative kernel: numba-cuda's
    ``_Kernel.launch``)."""
    dispatcher = _dispatcher()
    if not all(hasattr(dispatcher, name) for name in ("launch", "LaunchConfig")) or not all(
            hasattr(compiled, name) for name in ("_codelibrary", "_prepare_args", "argument_types", "cooperative")):
        return None
    if compiled.cooperative:
        return None
    pack = arguments.packer(compiled)
    if pack is None:
        return None
    theirs = []
    try:
        for numba_type, value in zip(compiled.argument_types, args):
            compiled._prepare_args(numba_type, value, streams.core_stream(), [], theirs)
        ours = pack(args)
    except Exception:  # noqa: BLE001  (numba-cuda's own launch stays, and raises what it raises)
        return None
    return pack if arguments.same(ours, theirs) else None


def _launch_geometry(griddim, blockdim, sharedmem):
    """(grid, block, config): the dimensions normalised as numba-cuda's ``_Kernel.launch`` does, and the
    cuda.core LaunchConfig it builds of them (not cooperative), None where this numba-cuda has none
    (its launches keep ``_Kernel.launch``, which needs only the dimensions)."""
    from numba.cuda.errors import normalize_kernel_dimensions
    grid, block = normalize_kernel_dimensions(griddim, blockdim)
    dispatcher = _dispatcher()
    make = getattr(dispatcher, "LaunchConfig", None)
    if make is None:
        return grid, block, None
    if getattr(dispatcher, "CUDA_CORE_GE_1_0", True):
        return grid, block, make(grid=grid, block=block, shmem_size=sharedmem, is_cooperative=False)
    return grid, block, make(grid=grid, block=block, shmem_size=sharedmem, cooperative_launch=False)


@functools.lru_cache(maxsize=1)
def _dispatcher():
    """numba-cuda's dispatcher module, whose ``launch`` is cuda.core's (the host probe replaces it)."""
    from numba.cuda import dispatcher
    return dispatcher


_SCALAR_TYPES = frozenset((float, bool, np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                           np.uint32, np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128))


def argument_key(value):
    """What numba's typing of a launch argument depends on, or None where that is not known here
    (the launch then goes through numba's dispatcher)."""
    kind = type(value)
    if kind is _DEVICE_ARRAY:
        return array_types.array_key(value)
    if kind is int:
        return kind if -(1 << 63) <= value < (1 << 63) else None  # int64; numba types larger ones uint64
    if kind in _SCALAR_TYPES:
        return kind
    if kind is tuple:
        parts = tuple(map(argument_key, value))
        return None if None in parts else parts
    return None


_DEVICE_ARRAY = cuda.devicearray.FakeCUDAArray if SIMULATED else cuda.devicearray.DeviceNDArray


@functools.lru_cache(maxsize=4096)  # more than the distinct geometries of a ResNet-18 step
def int64_constant(rows):
    """A small read-only int64 device array holding `rows` (a tuple of equal-length tuples).

    Cached, so a repeated shape costs no host-to-device copy.
    """
    return to_device(np.array(rows, dtype=np.int64).reshape(len(rows), -1))


@functools.lru_cache(maxsize=256)
def _dtype_set(dtypes):
    return frozenset(np.dtype(d) for d in dtypes)


def check_device_array(x, name, dtypes=None, contiguous=True):
    """Raise TypeError unless x is a numba device array (C-contiguous, of one of `dtypes`)."""
    if type(x) is _DEVICE_ARRAY and not SIMULATED:  # the common case, read off numba-cuda's layout model
        if (not contiguous or x._dummy.flags["C_CONTIGUOUS"]) and (dtypes is None or x.dtype in dtypes):
            return
    if not cuda.devicearray.is_cuda_ndarray(x):
        raise TypeError(f"{name} must be a numba device array (use cuda.to_device), "
                        f"got {type(x).__name__}")
    if contiguous and not x.is_c_contiguous():
        raise ValueError(f"{name} must be C-contiguous, got strides {x.strides} "
                         f"for shape {x.shape}")
    if dtypes is not None and x.dtype not in _dtype_set(dtypes):
        expected = ", ".join(np.dtype(d).name for d in dtypes)
        raise TypeError(f"{name} must have dtype {expected}, got {np.dtype(x.dtype).name}")


def empty(shape, dtype=np.float64):
    """A new C-contiguous device array from the caching pool, on the backend's stream (its
    ``.stream``: numba's copies of it and ``__cuda_array_interface__`` consumers order after it)."""
    if SIMULATED:
        return cuda.device_array(shape, dtype, stream=streams.stream())
    return views.new_array(shape, dtype, streams.stream())


def to_device(host):
    """A device copy of a NumPy array, queued on the backend's stream (kernels.cuda.staging uploads
    from pinned memory; this is for small constants, copied from where they are)."""
    return cuda.to_device(host, stream=streams.stream())


def to_host(array):
    """A NumPy copy of a device array: copied on the backend's stream, which the host then waits for
    (the one place a value comes back; the wait also covers the kernels that made it)."""
    host = array.copy_to_host(stream=streams.stream())
    streams.synchronize()
    return host


def check_out(out, shape, dtype, name="out", contiguous=True):
    """Return `out`, or a new device array when it is None, after checking its shape and dtype."""
    if out is None:
        return empty(shape, dtype)
    check_device_array(out, name, contiguous=contiguous)
    if tuple(out.shape) != tuple(shape) or np.dtype(out.dtype) != np.dtype(dtype):
        raise ValueError(f"{name} must have shape {tuple(shape)} and dtype {np.dtype(dtype).name}, "
                         f"got {tuple(out.shape)} {np.dtype(out.dtype).name}")
    return out


@cuda.jit
def _zero_kernel(out):
    for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[i] = 0


def zeros(shape, dtype):
    """A new device array of zeros, filled on the device (no host-to-device copy)."""
    out = empty(shape, dtype)
    if out.size:
        blocks, threads = grid_1d(out.size)
        launch(_zero_kernel, blocks, threads, out.reshape(out.size))
    return out
