"""Whether a small kernel's prange loop runs on Numba's threads or on the calling thread alone.

A parallel region costs a fork and a join: 10-20 µs on an idle machine, as long as a 256 KiB ReLU takes on
one thread, and on a busy machine the join can wait a time slice for a descheduled thread (a 190 KB ReLU
took 0.1-1.5 ms on two threads against 50 µs on one at load 6, 2026-12-01). So kernels that move less than
PARALLEL_MIN_BYTES (LeNet-5's and ResNet-18's small parameters in SGD, tiny batches) run on one thread.
Larger ones use all: at load 4-5 LeNet-5's step took 1.4× longer with a 2 MiB threshold than with none
(its activations then ran on one thread while other processes took the other core).
"""
import numba

PARALLEL_MIN_BYTES = 256 * 2**10


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
