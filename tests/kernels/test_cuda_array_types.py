"""kernels.cuda.array_types gives every device array numba-cuda's type for it (layout C, else F,
else A; broadcast arrays A), one object per (dtype, ndim, layout)."""
import numpy as np
import pytest
from numba import from_dtype, types

from kernels.cuda.array_types import array_type

pytestmark = pytest.mark.needs_cuda
simulated = pytest.importorskip("numba.cuda.simulator.cudadrv.devicearray")


@pytest.mark.parametrize("host, layout", [
    (np.zeros((3, 4), np.float32), "C"), (np.zeros((3, 4), np.float64).T, "F"),
    (np.zeros((4, 6), np.int64)[:, ::2], "A"), (np.broadcast_to(np.zeros(3, np.float32), (2, 3)), "A"),
    (np.zeros((), np.float32), "C"), (np.zeros((0, 3), np.int32), "C"), (np.zeros(5, np.bool_), "C"),
], ids=["C", "F", "strided", "broadcast", "0-d", "empty", "bool"])
def test_the_cached_type_is_numba_cudas(host, layout):
    array = simulated.FakeCUDAArray(host)
    assert array_type(array) == types.Array(from_dtype(host.dtype), host.ndim, layout)
    assert array_type(array) is array_type(simulated.FakeCUDAArray(host))  # a new array, the same type object
