"""kernels.cuda.views: its reshape of numba-cuda device arrays builds exactly what numba-cuda's own
builds (shape, strides, memory, size, flags, numba type; the stream kept from its base, where numba-cuda's
views drop it) and raises where numba-cuda's raises; its new arrays are what ``cuda.device_array`` makes.

numba-cuda's real device arrays cannot be imported beside the simulator, so the comparison runs in a
child process without NUMBA_ENABLE_CUDASIM, under benchmarks/cuda_host_probe.py's stand-in driver (no
GPU needed; nothing is read or written on the arrays).
"""
import textwrap

import numpy as np
import pytest

pytestmark = pytest.mark.needs_cuda

CHILD = textwrap.dedent("""
    import cuda_host_probe
    cuda_host_probe.install()
    import numpy as np
    from numba.cuda.cudadrv import devicearray
    from kernels.cuda import views

    assert views._direct, "the direct view did not pass its own check against numba-cuda's constructor"
    memory = object()

    def numba_reshape(a, *args, **kws):  # numba-cuda's, its view on the base's stream (numba-cuda's: 0)
        view = views._original_reshape[0](a, *args, **kws)
        view.stream = a.stream
        return view

    def array(shape, dtype, strides=None):
        itemsize = np.dtype(dtype).itemsize
        return devicearray.DeviceNDArray(shape, strides or views.c_strides(shape, itemsize), dtype, gpu_data=memory)

    def described(a):
        return (type(a), a.shape, a.strides, a.dtype, a.size, a.alloc_size, a.gpu_data is memory, a.stream,
                a.flags, a._numba_type_, a._dummy.extent)

    def outcome(reshape, a, args, kws):
        try:
            return described(reshape(a, *args, **kws))
        except Exception as error:
            return type(error), str(error)

    cases = [
        (((2, 3, 4), "float32"), [((6, 4),), (24,), (2, 12), ((-1, 4),), ((2, -1, 2),), ((2, 3, 4),), ([4, 6],),
                                  ((1, 24, 1),), ((5, 5),), ((-1, -1),), ((-2, 12),), ((7, -1),), ((2.0, 12),)]),
        (((64, 6, 28, 28), "float64"), [((64, -1),), ((64 * 6, 28 * 28),)]),
        (((5,), "int64"), [((5, 1),), ((1, 5),)]),
        (((0, 3), "float32"), [((3, 0),), ((-1,),)]),
        (((3, 4), "float32", (4, 12)), [((12,),), ((4, 3),)]),
        (((3, 4), "float32", (0, 4)), [((12,),)]),
    ]
    kw_cases = [{"order": "C"}, {"order": "F"}, {"order": "A"}]
    compared = 0
    for spec, calls in cases:
        for args in calls:
            for kws in [{}] + kw_cases:
                a = array(*spec); a.stream = 7
                ours, theirs = outcome(views.reshape, a, args, kws), outcome(numba_reshape, a, args, kws)
                assert ours == theirs, (spec, args, kws, ours, theirs)
                compared += 1
    assert devicearray.DeviceNDArray.reshape is views.reshape
    from numba import cuda
    for shape in [(2, 3, 4), (5,), (1, 1), (64, 6, 28, 28), 7, (0, 3), ()]:
        for dtype in ("float32", np.int64, np.dtype(np.float64)):
            ours, theirs = views.new_array(shape, dtype, 7), cuda.device_array(shape, dtype, stream=7)
            assert described(ours) == described(theirs), (shape, dtype, described(ours), described(theirs))
    print(compared)
""")


def test_reshape_builds_what_numba_cuda_builds(host_probe):
    assert int(host_probe(CHILD, timeout=120).split()[-1]) == 4 * 22


@pytest.mark.parametrize("shape, key", [
    ((4, 3, 5), (slice(0, 4),)), ((4, 3, 5), (slice(0, 4), slice(0, 3))), ((4, 3, 5), (slice(None), slice(0, 3))),
    ((1, 3, 5), (0,)), ((1, 3, 5), (-1,)), ((1, 3, 5), (0, slice(0, 3))),
    ((4, 3, 5), (slice(1, 3),)), ((4, 3, 5), (slice(0, 4), slice(1, 3))), ((4, 3, 5), (2,)), ((4, 3, 5), (0,)),
    ((1, 3, 5), (slice(0, 1), 0)), ((4, 3, 5), (slice(0, 4, 2),)), ((3,), (slice(0, 3),)), ((3,), (slice(0, 2),)),
])
def test_part_is_indexing(shape, key):
    from numba import cuda

    from kernels.cuda.views import part
    host = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    picked = part(cuda.to_device(host), *key)
    expected = host[key if len(key) != 1 else key[0]]
    assert picked.shape == expected.shape
    np.testing.assert_array_equal(picked.copy_to_host(), expected)
