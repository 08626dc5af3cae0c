"""kernels.cuda's GPU-only host code, which the simulator never runs: uploads from pinned staging
buffers (kernels.cuda.staging: a pooled array and one cuMemcpyHtoDAsync) and the pool's memory
pointers (kernels.cuda.allocator: a block goes back to its bin when the last array or view on it dies).

It runs in a child process without NUMBA_ENABLE_CUDASIM, under benchmarks/cuda_host_probe.py's
stand-in driver: device memory is host memory there and copies are memmoves, so what is uploaded
can be read back and compared, and the probe counts copies at the driver independently of
kernels.cuda.counters.
"""
import textwrap

import pytest

pytestmark = pytest.mark.needs_cuda

CHILD = textwrap.dedent("""
    import cuda_host_probe as probe
    probe.install()
    import numpy as np
    from numba import cuda
    from kernels.cuda import counters, launch, staging, streams

    uploads = {
        "images float32 (64, 1, 28, 28)": np.random.default_rng(0).standard_normal((64, 1, 28, 28), np.float32),
        "labels int64 (10,)": np.arange(10, dtype=np.int64) * 7,
        "0-d float64": np.array(3.25),
        "bool (2, 3)": np.array([[True, False, True], [False, False, True]]),
        "strided float64 (3, 2)": np.arange(12.0).reshape(3, 4)[:, ::2],
        "odd size uint8 (1001,)": np.arange(1001, dtype=np.uint8),
    }
    for name, host in uploads.items():
        probe.reset()
        counters.reset()
        device = staging.to_device(host)
        stats = counters.stats()
        assert stats["h2d_copies"] == 1 == probe.COUNTS["h2d_copies"], (name, stats, probe.COUNTS)
        assert stats["h2d_bytes"] == host.nbytes == probe.COUNTS["h2d_bytes"], (name, stats)
        assert stats["by_stream"]["backend"] == 1 and probe.COUNTS["on_default_stream"] == 0, (name, stats)
        assert (device.shape, device.dtype, device.stream) == (host.shape, host.dtype, streams.stream()), name
        assert device.is_c_contiguous(), name
        back = launch.to_host(device)
        assert back.dtype == host.dtype and back.shape == host.shape, name
        np.testing.assert_array_equal(back, host, err_msg=name)

    first, second = (staging.to_device(np.full((4, 5), k, np.float32)) for k in (1, 2))
    np.testing.assert_array_equal(launch.to_host(first), np.full((4, 5), 1, np.float32))  # one staging buffer
    np.testing.assert_array_equal(launch.to_host(second), np.full((4, 5), 2, np.float32))  # for both uploads

    pool = cuda.current_context().memory_manager.pool
    a = launch.empty((1000,), np.float32)
    address = a.gpu_data.device_pointer_value
    view = a[10:20]
    del a
    b = launch.empty((1000,), np.float32)
    assert b.gpu_data.device_pointer_value != address, "a block still viewed was handed out again"
    del view
    counters.reset()
    c = launch.empty((1000,), np.float32)
    assert c.gpu_data.device_pointer_value == address and counters.stats()["pool_hits"] == 1, "not reused"
    c.gpu_data.free()
    try:
        c.gpu_data.free()
    except RuntimeError as error:
        assert "dead memory" in str(error)
    else:
        raise AssertionError("a block was freed twice")
    cached = pool.cached_bytes
    del c
    assert pool.cached_bytes == cached, "a freed block went back to the pool a second time when its array died"
    print("ok", len(uploads))
""")


def test_uploads_and_pool_blocks_on_numba_cudas_real_host_path(host_probe):
    assert host_probe(CHILD, timeout=300).split() == ["ok", "6"]
