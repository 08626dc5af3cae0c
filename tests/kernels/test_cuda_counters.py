"""kernels.cuda.counters and kernels.cuda.allocator under the CUDA simulator: every launch, copy and
synchronisation is counted once, with its bytes, and on its stream; freed device blocks are reused from
the pool; a Python number reaches its kernel as an argument, never as a copy."""
import gc

import numpy as np
import pytest
from numba import cuda

from kernels.cuda import allocator, counters, elementwise as ew

pytestmark = pytest.mark.needs_cuda


@pytest.fixture
def counted():
    """``counted(fn)`` -> (fn's result, the counts it made)."""
    def run(fn):
        gc.collect()
        counters.reset()
        result = fn()
        return result, counters.stats()
    return run


def test_launches_are_counted_by_kernel(counted, rng):
    a = cuda.to_device(rng.standard_normal(40).astype(np.float32))
    out, stats = counted(lambda: (ew.add(a, a), ew.exp(a), ew.exp(a))[0])
    np.testing.assert_allclose(out.copy_to_host(), 2 * a.copy_to_host())
    assert stats["launches"] == 3
    assert stats["launches_by_kernel"] == {"elementwise._contiguous_binary_kernel": 1,
                                           "elementwise._contiguous_unary_kernel": 2}  # same shapes: no broadcast


def test_copies_and_syncs_are_counted_with_their_bytes(counted, rng):
    host = rng.standard_normal((3, 5)).astype(np.float64)

    def transfers():
        device = cuda.to_device(host)
        back = device.copy_to_host()
        device.copy_to_device(cuda.to_device(host))
        cuda.synchronize()
        return back
    back, stats = counted(transfers)
    np.testing.assert_array_equal(back, host)
    assert (stats["h2d_copies"], stats["h2d_bytes"]) == (2, 2 * host.nbytes)
    assert (stats["d2h_copies"], stats["d2h_bytes"]) == (1, host.nbytes)
    assert (stats["d2d_copies"], stats["synchronizations"]) == (1, 1)


@pytest.mark.parametrize("nbytes, expected", [(0, 512), (1, 512), (512, 512), (513, 1024), (4000, 4096)])
def test_requests_round_up_to_bins(nbytes, expected):
    assert allocator.bin_size(nbytes) == expected


def test_block_pool_hands_out_freed_blocks_of_the_same_bin():
    made = []
    pool = allocator.BlockPool(lambda size: made.append(size) or f"block{len(made)}")
    first, size = pool.acquire(400)
    second, _ = pool.acquire(500)              # the same bin, but the first is still in use
    pool.release(first, size)
    third, _ = pool.acquire(300)
    fourth, _ = pool.acquire(600)              # another bin
    assert (first, second, third, fourth) == ("block1", "block2", "block1", "block3")
    assert made == [512, 512, 1024] and pool.cached_bytes == 0


class _Block:
    """A device block of a two-block "device": alive while someone holds it."""


def test_when_the_driver_is_out_of_memory_the_cached_blocks_are_dropped_and_it_retries(monkeypatch):
    """... after the host waited for the backend stream, whose queued kernels may still use them."""
    import weakref
    live = weakref.WeakSet()
    synced_with_live_blocks = []
    monkeypatch.setattr(allocator.streams, "synchronize", lambda: synced_with_live_blocks.append(len(live)))

    def raw(size):
        if len(live) >= 2:
            raise MemoryError("out of device memory")
        block = _Block()
        live.add(block)
        return block
    pool = allocator.BlockPool(raw)
    cached, size = pool.acquire(100)
    pool.release(cached, size)
    del cached
    in_use, _ = pool.acquire(5000)             # another bin: the device is now full
    big, size = pool.acquire(9000)             # out of memory, the 512-byte block is dropped, retried
    assert len(live) == 2 and pool.cached_bytes == 0 and size == 9216
    assert synced_with_live_blocks == [2]      # the wait came before the cached block was dropped
    with pytest.raises(MemoryError):
        pool.acquire(9000)                     # nothing cached to drop: the error reaches the caller


def _address(device_array):
    """Where the array's memory starts (host memory under the simulator)."""
    host = getattr(device_array, "_ary", None)
    return host.__array_interface__["data"][0] if host is not None else device_array.device_ctypes_pointer.value


def test_a_freed_array_returns_its_block_to_the_pool(counted):
    nbytes = 123 * 1024                        # a bin no other test uses
    first = cuda.device_array(nbytes // 4, np.float32)
    view = first.reshape(nbytes // 8, 2)
    address = _address(first)
    del first
    gc.collect()
    second, stats = counted(lambda: cuda.device_array(nbytes // 4, np.float32))
    assert _address(second) != address, "a block still seen through a view was handed out again"
    assert (stats["allocations"], stats["pool_hits"]) == (1, 0)
    del view, second
    gc.collect()
    third, stats = counted(lambda: cuda.device_array(nbytes, np.uint8))
    assert (stats["allocations"], stats["pool_hits"]) == (0, 1)


def test_a_live_block_is_never_handed_out_twice():
    arrays = [cuda.device_array(64, np.float64) for _ in range(4)]
    for k, a in enumerate(arrays):
        a.copy_to_device(np.full(64, float(k)))
    for k, a in enumerate(arrays):
        np.testing.assert_array_equal(a.copy_to_host(), np.full(64, float(k)))


@pytest.mark.parametrize("value", [1.5, -0.0, float("nan"), True, 7, 0.3183098861837907])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_a_scalar_operand_is_a_kernel_argument_not_a_copy(counted, value, dtype):
    """Either side, the first time a value is used: one launch, no host-to-device copy; the result
    is NumPy's with the same weak scalar (-0.0 keeps its sign, nan stays nan)."""
    host = np.array([1, -2, 3], dtype)
    a = cuda.to_device(host)
    for op, numpy_op, operands in [(ew.multiply, np.multiply, (a, value)), (ew.subtract, np.subtract, (value, a))]:
        expected = numpy_op(*[host if x is a else x for x in operands])
        out, stats = counted(lambda: op(*operands))
        np.testing.assert_array_equal(out.copy_to_host(), expected)
        assert out.dtype == expected.dtype
        assert np.array_equal(np.signbit(out.copy_to_host()), np.signbit(expected))
        assert stats["h2d_copies"] == 0 and stats["launches"] == 1, stats
        side = "left" if operands[0] is value else "right"
        assert stats["launches_by_kernel"] == {f"elementwise._scalar_{side}_kernel": 1}


def test_every_launch_and_copy_is_counted_on_its_stream(counted, rng):
    from kernels.cuda import streams
    from kernels.cuda.launch import to_device, to_host
    host = rng.standard_normal(8).astype(np.float32)

    def work():
        a = to_device(host)              # the backend's stream
        b = ew.add(a, 1.0)
        on_default = cuda.to_device(host)  # numba's default stream
        cuda.stream().synchronize()
        return to_host(b), on_default
    (back, _), stats = counted(work)
    np.testing.assert_array_equal(back, host + np.float32(1))
    assert stats["by_stream"] == {"backend": 3, "default": 1, "other": 0}, stats
    assert stats["synchronizations"] == 2  # to_host waits for the backend's stream; the other one asked
    assert streams.stream() is streams.stream()


def test_a_staging_buffer_is_reused_only_once_its_upload_is_done(monkeypatch):
    from kernels.cuda import staging

    class Buffer:
        def __init__(self, size):
            self.size, self.busy = size, True

        def ready(self):
            return not self.busy
    monkeypatch.setattr(staging, "_Buffer", Buffer)
    monkeypatch.setattr(staging, "_buffers", staging.collections.defaultdict(list))
    monkeypatch.setattr(staging, "_cached", [0])
    monkeypatch.setattr(staging, "MAX_CACHED_BYTES", 2048)
    first = staging._free_buffer(1024)
    second = staging._free_buffer(1024)        # the first is still being uploaded from
    first.busy = False
    assert second is not first and staging._free_buffer(1024) is first
    first.busy = True
    assert staging._free_buffer(1024) not in (first, second)   # both busy and the cache full: a spare one
    assert staging._cached == [2048] and len(staging._buffers[1024]) == 2


def test_kernels_loaded_from_the_disk_cache_are_counted_by_name(tmp_path):
    """numba rebuilds a cached kernel without its Python function: the second process (cache warm)
    must count the launch under the same name as the first (numba-cuda's real host path, the
    launches recorded by benchmarks/cuda_host_probe.py, in fresh processes without the simulator)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path
    pytest.importorskip("cuda.bindings", reason="numba-cuda's NVIDIA bindings are not installed")
    root = Path(__file__).resolve().parents[2]
    code = ("import sys, json; sys.path.insert(0, 'benchmarks'); import cuda_host_probe as probe; probe.install(); "
            "import numpy as np; from numba import cuda; from kernels.cuda import counters, optim; "
            "p, g, b = (cuda.to_device(np.ones(4, np.float32)) for _ in range(3)); counters.reset(); "
            "optim.sgd_update(p, g, b, 0.1, 0.9, 0.0, 0.0, False, True); "
            "print(json.dumps(counters.stats()['launches_by_kernel']))")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env.update(PYTHONPATH=str(root), NUMBA_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True,
                           timeout=300) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr[-2000:]
    cold, warm = (json.loads(run.stdout.splitlines()[-1]) for run in runs)
    assert cold == warm and sum(cold.values()) == 1, (cold, warm)
    assert any(tmp_path.rglob("*.nbi")), "the first process wrote no cache"
