"""Launch configuration shared by the CUDA kernels: grid sizes, block sizes, argument checks, zeros.

A 1-D launch covers `n` work items with blocks of at most 256 threads (a multiple of the
32-thread warp) and at most `MAX_BLOCKS` blocks; kernels walk the rest with a grid-stride loop
`for i in range(cuda.grid(1), n, cuda.gridsize(1))`.
"""
import functools

import numpy as np
from numba import cuda

from kernels.cuda import allocator, array_types, counters, views  # noqa: F401  (array_types, views install on import)

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


@functools.lru_cache(maxsize=4096)  # more than the distinct geometries of a ResNet-18 step
def int64_constant(rows):
    """A small read-only int64 device array holding `rows` (a tuple of equal-length tuples).

    Cached, so a repeated shape costs no host-to-device copy.
    """
    return cuda.to_device(np.array(rows, dtype=np.int64).reshape(len(rows), -1))


_constants = {}


def scalar_constant(value, dtype):
    """A read-only 0-d device array holding the Python number ``value`` as ``dtype``.

    Cached by (type, repr, dtype) (so -0.0, nan and True stay themselves), so a repeated number (the 1
    in 1 - y², the N of a mean, a momentum) costs one host-to-device copy per process, not one per use.
    """
    key = (type(value).__name__, repr(value), np.dtype(dtype).str)
    constant = _constants.get(key)
    if constant is None:
        if len(_constants) >= 4096:
            _constants.clear()
        constant = _constants[key] = cuda.to_device(np.array(value, dtype=dtype))
    return constant


@functools.lru_cache(maxsize=256)
def _dtype_set(dtypes):
    return frozenset(np.dtype(d) for d in dtypes)


def check_device_array(x, name, dtypes=None, contiguous=True):
    """Raise TypeError unless x is a numba device array (C-contiguous, of one of `dtypes`)."""
    if not cuda.devicearray.is_cuda_ndarray(x):
        raise TypeError(f"{name} must be a numba device array (use cuda.to_device), "
                        f"got {type(x).__name__}")
    if contiguous and not x.is_c_contiguous():
        raise ValueError(f"{name} must be C-contiguous, got strides {x.strides} "
                         f"for shape {x.shape}")
    if dtypes is not None and x.dtype not in _dtype_set(dtypes):
        expected = ", ".join(np.dtype(d).name for d in dtypes)
        raise TypeError(f"{name} must have dtype {expected}, got {np.dtype(x.dtype).name}")


def check_out(out, shape, dtype, name="out", contiguous=True):
    """Return `out`, or a new device array when it is None, after checking its shape and dtype."""
    if out is None:
        return cuda.device_array(shape, dtype)
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
    out = cuda.device_array(shape, dtype)
    if out.size:
        blocks, threads = grid_1d(out.size)
        _zero_kernel[blocks, threads](out.reshape(out.size))
    return out
