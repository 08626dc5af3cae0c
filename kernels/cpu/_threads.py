"""Whether a small kernel's prange loop runs on Numba's threads or on the calling thread alone.

A parallel region costs a fork and a join. On an idle machine that is 10-20 µs; on a busy 2-core machine
the join can wait a whole time slice for a descheduled thread: a ReLU over 190 KB took 0.1-1.5 ms on two
threads against 50 µs on one (load 6, 2026-12-01). So the kernels of this package that move less than
PARALLEL_MIN_BYTES run on one thread; larger ones (ResNet-18's activations, its big weights) use all.
"""
import numba

PARALLEL_MIN_BYTES = 2 * 2**20


def run(kernel, nbytes, *args):
    """kernel(*args), on Numba's threads when it moves at least PARALLEL_MIN_BYTES, else on this thread."""
    if nbytes >= PARALLEL_MIN_BYTES:
        return kernel(*args)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(threads)
