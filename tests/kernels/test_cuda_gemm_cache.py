"""The GEMM kernels are cached on disk (``cache=True``: they are most of a first step's compile time),
and a kernel loaded from the cache is the one of its own tile and dtype: numba-cuda keys a closure's
cache entries by a hash of its cell contents, so the tiles share one index file; a collision would
launch another tile's kernel with this tile's grid, a silent wrong answer.

Two fresh processes on numba-cuda's real host path (benchmarks/cuda_host_probe.py) share an empty
NUMBA_CACHE_DIR: the first compiles and saves, the second must load every kernel from the cache, and
in both each kernel's PTX must declare the shared tiles of its own tile sizes.
"""
import json
import textwrap

import pytest

pytestmark = pytest.mark.needs_cuda

CHILD = textwrap.dedent("""
    import cuda_host_probe as probe
    probe.install()
    import json, re
    import numpy as np
    from kernels.cuda import gemm, launch

    report = []
    for dtype, (m, k, n) in [(np.float32, (64, 120, 84)), (np.float32, (6, 25, 4608)), (np.float64, (64, 120, 84))]:
        a, b = launch.empty((m, k), dtype), launch.empty((k, n), dtype)
        gemm.gemm(a, b)
        tile = gemm.choose_tile(m, n, np.dtype(dtype))
        kernel = gemm._gemm_kernel(np.dtype(dtype), *tile)
        (signature,) = kernel.overloads
        shared = sorted(int(size) for size in re.findall(r"\\.shared[^\\n]*\\[(\\d+)\\]", kernel.inspect_asm(signature)))
        report.append({"itemsize": np.dtype(dtype).itemsize, "tile": tile, "shared": shared,
                       "hits": sum(kernel._cache_hits.values()), "misses": sum(kernel._cache_misses.values())})
    print(json.dumps(report))
""")


def expected_shared_bytes(tile, itemsize, pad):
    """The two double-buffered shared tiles of the kernel (see kernels.cuda.gemm), in bytes."""
    bm, bn, bk, _, _ = tile
    return sorted([2 * bk * (bm + pad) * itemsize, 2 * bk * bn * itemsize])


def test_a_cached_gemm_kernel_is_its_own_tiles(host_probe, tmp_path):
    from kernels.cuda import gemm
    cold, warm = (json.loads(host_probe(CHILD, NUMBA_CACHE_DIR=str(tmp_path)).strip().splitlines()[-1])
                  for _ in range(2))
    assert len({tuple(row["tile"]) + (row["itemsize"],) for row in cold}) == 3, cold
    for run, (hits, misses) in (("cold", (0, 1)), ("warm", (1, 0))):
        for row in cold if run == "cold" else warm:
            assert (row["hits"], row["misses"]) == (hits, misses), (run, row)
            assert row["shared"] == expected_shared_bytes(row["tile"], row["itemsize"], gemm.PAD), (run, row)
    assert [row["tile"] for row in warm] == [row["tile"] for row in cold]
