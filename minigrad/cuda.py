"""``mg.cuda``: what the CUDA backend asked of the device, like ``torch.cuda.memory_stats``.

    mg.cuda.reset_stats()
    step()
    mg.cuda.stats()   # {"launches": 83, "launches_by_kernel": {...}, "allocations": 0, "pool_hits": 77,
                      #  "h2d_copies": 2, "h2d_bytes": ..., "d2h_copies": 0, "synchronizations": 0, ...}

Counted where numba-cuda launches, allocates and copies (``kernels.cuda.counters``), so every kernel
counts, and under ``NUMBA_ENABLE_CUDASIM=1`` the counts are the ones a GPU run makes.
``allocations`` are the blocks the caching allocator took from the driver; ``pool_hits`` the requests
it served from freed blocks. numba.cuda is imported on first use, not by ``import minigrad``.
"""


def stats():
    """Counts since the last ``reset_stats()``: launches (and ``launches_by_kernel``), allocations,
    allocated_bytes, pool_hits, h2d_copies, h2d_bytes, d2h_copies, d2h_bytes, d2d_copies, synchronizations."""
    from kernels.cuda import counters
    return counters.stats()


def reset_stats():
    """Set every count to 0."""
    from kernels.cuda import counters
    counters.reset()


def synchronize():
    """Wait until the GPU has finished everything queued (the only call in a step that waits)."""
    from .backend import cuda
    cuda.synchronize()


def empty_cache():
    """Give the allocator's cached device blocks back to the driver."""
    from kernels.cuda import allocator
    allocator.empty_cache()
