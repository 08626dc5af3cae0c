"""kernels.cuda.reduce against NumPy: tiny shapes under the CUDA simulator, full sizes on a GPU.

The cases reach both thread mappings: block per output (long reductions, few outputs) and
thread per output (short reductions, or >= 1024 outputs with the contiguous axis kept).
"""
import numpy as np
import pytest
from numba import cuda

from kernels.cuda import reduce as R

pytestmark = pytest.mark.needs_cuda


OPS = [(R.reduce_sum, np.sum), (R.reduce_max, np.max), (R.reduce_min, np.min)]
OP_IDS = ["sum", "max", "min"]
CASES = [  # (shape, axis): the mapping they take
    ((3, 40), 1),            # block per output, contiguous axis reduced
    ((37, 2), 0),            # block per output, strided reduction
    ((4, 100), None),        # block per output, one output, 128 threads
    ((2, 3, 5), (0, 2)),     # thread per output, short reduction over two axes
    ((3, 4, 5), -1),         # thread per output, negative axis
    ((6,), ()),              # no axis reduced
]


def _check(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape, axis", CASES, ids=str)
@pytest.mark.parametrize("op, twin", OPS, ids=OP_IDS)
def test_reductions_match_numpy(op, twin, shape, axis, keepdims, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    _check(op(cuda.to_device(x), axis, keepdims).copy_to_host(), twin(x, axis, keepdims=keepdims))


@pytest.mark.parametrize("op, twin", OPS, ids=OP_IDS)
def test_many_outputs_take_one_thread_each(op, twin, rng):
    x = rng.standard_normal((20, 1024)).astype(np.float64)
    _check(op(cuda.to_device(x), 0).copy_to_host(), twin(x, 0))


def test_sum_of_bool_counts_in_int64(rng):
    x = rng.integers(0, 2, (4, 33)).astype(np.bool_)
    got = R.reduce_sum(cuda.to_device(x), 1).copy_to_host()
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, x.sum(1))


@pytest.mark.parametrize("shape, axis", [((3, 50), 1), ((50, 3), 0), ((4, 7), 1), ((2, 40), None)],
                         ids=str)
def test_argmax_matches_numpy_with_ties(shape, axis, rng):
    x = rng.integers(0, 4, shape).astype(np.float32)
    got = R.argmax(cuda.to_device(x), axis).copy_to_host()
    np.testing.assert_array_equal(got, np.argmax(x, axis))
    keep = R.argmax(cuda.to_device(x), axis, keepdims=True).copy_to_host()
    np.testing.assert_array_equal(keep, np.argmax(x, axis, keepdims=True))


@pytest.mark.parametrize("n", [5, 40], ids=["thread", "block"])
def test_nan_wins_max_min_argmax_like_numpy(n):
    x = np.arange(n, dtype=np.float32)
    x[[2, 3]] = np.nan
    for op, twin in [(R.reduce_max, np.max), (R.reduce_min, np.min), (R.argmax, np.argmax)]:
        np.testing.assert_array_equal(op(cuda.to_device(x)).copy_to_host(), twin(x))


def test_all_minus_infinity_gives_the_first_index():
    x = np.full((2, 40), -np.inf, np.float32)
    np.testing.assert_array_equal(R.argmax(cuda.to_device(x), 1).copy_to_host(), [0, 0])


def test_sum_over_an_empty_axis_is_zero():
    got = R.reduce_sum(cuda.to_device(np.ones((3, 0), np.float32)), 1).copy_to_host()
    np.testing.assert_array_equal(got, np.zeros(3, np.float32))


def test_errors_name_the_problem():
    x = cuda.to_device(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        R.reduce_sum(x, 2)
    with pytest.raises(ValueError, match="repeated axis"):
        R.reduce_sum(x, (1, -1))
    with pytest.raises(ValueError, match="None or an int"):
        R.argmax(x, (0, 1))
    with pytest.raises(ValueError, match="zero-size"):
        R.reduce_max(cuda.to_device(np.ones((2, 0), np.float32)), 1)
    with pytest.raises(TypeError, match="device array"):
        R.reduce_sum(np.ones(3))


@pytest.mark.cuda
@pytest.mark.parametrize("shape, axis", [((512, 4096), 1), ((4096, 512), 0), ((64, 64, 32, 32), (0, 2, 3)),
                                         ((1 << 22,), None), ((65536, 10), 1)], ids=str)
@pytest.mark.parametrize("op, twin", OPS, ids=OP_IDS)
def test_reductions_full_size_on_gpu(op, twin, shape, axis, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    want = twin(x.astype(np.float64), axis).astype(np.float32)
    np.testing.assert_allclose(op(cuda.to_device(x), axis).copy_to_host(), want, rtol=1e-4, atol=1e-2)


@pytest.mark.cuda
@pytest.mark.parametrize("shape, axis", [((65536, 10), 1), ((512, 4096), 1), ((4096, 512), 0)], ids=str)
def test_argmax_full_size_on_gpu(shape, axis, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_array_equal(R.argmax(cuda.to_device(x), axis).copy_to_host(), np.argmax(x, axis))


def test_float64_sums_keep_float64_after_float32_ones(rng):
    """The kernel factories are keyed by argument type too: np.float32(0) == np.float64(0)."""
    x = rng.standard_normal((3, 50))
    R.reduce_sum(cuda.to_device(x.astype(np.float32)), 1)
    got = R.reduce_sum(cuda.to_device(x), 1).copy_to_host()
    np.testing.assert_allclose(got, x.sum(1), rtol=1e-13)
