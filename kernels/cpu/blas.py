"""One thread for the small GEMMs of the CPU kernels: OpenBLAS's thread count, set around a call and restored.

After every multithreaded call OpenBLAS's idle workers busy-wait for about 0.1 s. For a small GEMM (LeNet-5's
are 15-31 MFLOP, under a millisecond) the second thread saves little, and the spinning worker then takes
a core from whatever runs next: a parallel Numba loop, or any other process on a loaded machine, where a
LeNet-5 step went from about 12 ms on one thread to 140-460 ms with OpenBLAS's default two. So the kernels
run GEMMs of fewer than SMALL_GEMM_FLOPS (2 m n k) inside ``single_threaded(flops)``, which sets the
thread count of NumPy's OpenBLAS to 1 and restores the caller's count afterwards: NumPy calls made
outside minigrad's kernels keep their setting (a NumPy call in another thread at that very moment would
run on one thread too). ``MINIGRAD_SMALL_GEMM_FLOPS`` overrides the threshold (0 turns this off).

Without a NumPy-bundled OpenBLAS (another BLAS, another platform) this does nothing.
"""
import contextlib
import ctypes
import glob
import os

import numpy as np

SMALL_GEMM_FLOPS = int(os.environ.get("MINIGRAD_SMALL_GEMM_FLOPS", 64 * 10**6))
# OpenBLAS itself runs a GEMM with m n k <= 65536 * GEMM_MULTITHREAD_THRESHOLD (4) on one thread
# (interface/gemm.c), so below 2 m n k = ALREADY_ONE_THREAD_FLOPS there is nothing to set (a 4×4 matmul
# would pay three ctypes calls, ~4 µs, for nothing).
ALREADY_ONE_THREAD_FLOPS = 2 * 65536 * 4
_SYMBOLS = [("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
            ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
            ("openblas_get_num_threads", "openblas_set_num_threads")]


def _openblas():
    """(get_num_threads, set_num_threads) of the OpenBLAS NumPy loaded, or None."""
    libraries = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs", "*openblas*")
    for path in glob.glob(libraries):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for get, set_ in _SYMBOLS:
            if hasattr(library, get) and hasattr(library, set_):
                getter, setter = getattr(library, get), getattr(library, set_)
                getter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
                return getter, setter
    return None


_functions = _openblas()


def num_threads():
    """OpenBLAS's current thread count, or None without a NumPy-bundled OpenBLAS."""
    return None if _functions is None else _functions[0]()


@contextlib.contextmanager
def single_threaded(flops):
    """Run the block with OpenBLAS on one thread when ALREADY_ONE_THREAD_FLOPS <= flops < SMALL_GEMM_FLOPS;
    restore the count after."""
    previous = num_threads() if ALREADY_ONE_THREAD_FLOPS <= flops < SMALL_GEMM_FLOPS else None
    if previous is None or previous == 1:
        yield
        return
    _functions[1](1)
    try:
        yield
    finally:
        _functions[1](previous)
