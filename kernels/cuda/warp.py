"""Warp shuffles and the block sum built on them.

``shfl_down(value, offset, scratch)`` is lane i reading ``value`` of lane i + offset of its warp (its own
value where that lane is past the warp's end), as ``cuda.shfl_down_sync`` with a full mask. Numba's CUDA
simulator has no shuffles, so there the same exchange goes through the shared array ``scratch`` (one
slot per thread of the block) between two barriers; on a GPU ``scratch`` is not touched.
Every thread of the block must call these (no divergent branches around them).
"""
from numba import config, cuda

WARP = 32
FULL_MASK = 0xFFFFFFFF

if config.ENABLE_CUDASIM:
    @cuda.jit(device=True)
    def shfl_down(value, offset, scratch):
        t = cuda.threadIdx.x
        cuda.syncthreads()
        scratch[t] = value
        cuda.syncthreads()
        return scratch[t + offset] if t % WARP + offset < WARP else value
else:
    @cuda.jit(device=True)
    def shfl_down(value, offset, scratch):
        return cuda.shfl_down_sync(FULL_MASK, value, offset)


@cuda.jit(device=True)
def warp_sum(value, scratch):
    """The sum of ``value`` over the 32 lanes of the warp, in lane 0 (five shuffles, a tree)."""
    offset = WARP // 2
    while offset > 0:
        value += shfl_down(value, offset, scratch)
        offset //= 2
    return value


@cuda.jit(device=True)
def block_sum(value, warp_sums, scratch):
    """The sum of ``value`` over a 1-D block of whole warps (at most 32), in thread 0: each warp sums
    its lanes, lane 0 stores that in ``warp_sums`` (shared, 32 slots), then every warp sums those."""
    lane, warp = cuda.threadIdx.x % WARP, cuda.threadIdx.x // WARP
    value = warp_sum(value, scratch)
    if lane == 0:
        warp_sums[warp] = value
    cuda.syncthreads()
    value = warp_sums[lane] if lane < cuda.blockDim.x // WARP else 0.0
    value = warp_sum(value, scratch)
    cuda.syncthreads()
    return value
