"""kernels.cuda.shape, kernels.cuda.index and kernels.cuda.bitwise against their NumPy twins: tiny
shapes under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1, as `make test` sets), full sizes on a
real GPU (pytest -m cuda). Moves are exact, so results must be equal, not close."""
import numpy as np
import pytest
from numba import cuda

from kernels.cuda import bitwise, index, shape

pytestmark = pytest.mark.needs_cuda


def _device(a):
    return cuda.to_device(np.ascontiguousarray(a))


@pytest.fixture
def x(rng):
    return rng.standard_normal((2, 3, 4)).astype(np.float32)


def test_fill_and_full():
    np.testing.assert_array_equal(shape.full((2, 3), 1.5, np.float32).copy_to_host(), np.full((2, 3), 1.5, np.float32))
    np.testing.assert_array_equal(shape.full((), 7, np.int64).copy_to_host(), np.array(7))
    assert shape.full((0, 3), 1.0, np.float64).copy_to_host().shape == (0, 3)


@pytest.mark.parametrize("axes", [None, (0, 2, 1), (2, 0, 1), (1, 0, 2)])
def test_transpose(x, axes):
    np.testing.assert_array_equal(shape.transpose(_device(x), axes).copy_to_host(), np.transpose(x, axes))


@pytest.mark.parametrize("source, target", [((2, 1, 4), (2, 3, 4)), ((4,), (2, 3, 4)), ((1, 3, 1), (5, 2, 3, 4)),
                                            ((), (2, 2))])
def test_broadcast_to(rng, source, target):
    a = rng.standard_normal(source)
    got = shape.broadcast_to(_device(a), target).copy_to_host()
    np.testing.assert_array_equal(got, np.broadcast_to(a, target))


@pytest.mark.parametrize("source, target", [((3, 2), (3, 4)), ((2, 3), (3,))])
def test_broadcast_to_refuses_incompatible_shapes(source, target):
    with pytest.raises(ValueError, match=r"cannot broadcast shape \(.*\) to"):
        shape.broadcast_to(_device(np.ones(source)), target)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate(x, axis):
    pieces = [x, x[..., :2] if axis == -1 else x[:1] if axis == 0 else x[:, 1:]]
    got = shape.concatenate([_device(p) for p in pieces], axis).copy_to_host()
    np.testing.assert_array_equal(got, np.concatenate(pieces, axis))
    with pytest.raises(ValueError, match="differ outside axis"):
        shape.concatenate([_device(x), _device(x[:1, :1])], axis)


@pytest.mark.parametrize("widths, value", [(((1, 0), (0, 2), (1, 1)), 0.0), (((0, 0), (2, 2), (0, 3)), -1.5)])
def test_pad(x, widths, value):
    got = shape.pad(_device(x), widths, value).copy_to_host()
    np.testing.assert_array_equal(got, np.pad(x, widths, constant_values=value))


BASIC = [1, -1, (slice(None), 2), (Ellipsis, slice(None, None, -2)), (None, 0, slice(1, 3), None),
         (slice(1, None), slice(None, None, -1), 3), (0, Ellipsis, None), (slice(5, 9),), ()]
ADVANCED = [np.array([1, 0, 1]), (slice(None), np.array([2, 0]), np.array([1, -1])),
            (np.array([[0], [1]]), 1, np.array([0, 3, 3])), (1, Ellipsis, np.array([[0], [3]])),
            (np.array([True, False]),), (slice(None), np.array([False, True, True]))]


@pytest.mark.parametrize("where", BASIC + ADVANCED, ids=repr)
def test_getitem_setitem_index_add(x, where):
    d = _device(x)
    np.testing.assert_array_equal(index.getitem(d, where).copy_to_host(), x[where])

    values = np.arange(np.size(x[where]), dtype=np.float32).reshape(np.shape(x[where]))
    expected = x.copy()
    expected[where] = values
    np.testing.assert_array_equal(index.setitem(d, where, _device(values)).copy_to_host(), expected)

    added = np.zeros_like(x)
    np.add.at(added, where, values)
    np.testing.assert_array_equal(index.index_add(x.shape, where, _device(values)).copy_to_host(), added)


def test_setitem_broadcasts_numbers_and_rows(x):
    d = _device(x)
    index.setitem(d, (slice(None), 1), 2.5)
    index.setitem(d, (0, np.array([0, 2])), _device(np.array([7, 8, 9, 10], np.float32)))
    expected = x.copy()
    expected[:, 1] = 2.5
    expected[0, [0, 2]] = [7, 8, 9, 10]
    np.testing.assert_array_equal(d.copy_to_host(), expected)


def test_index_arrays_on_the_device_and_errors(x):
    rows = _device(np.array([1, 1, 0]))
    np.testing.assert_array_equal(index.getitem(_device(x), (rows, 2)).copy_to_host(), x[[1, 1, 0], 2])
    with pytest.raises(IndexError):
        index.getitem(_device(x), (5,))
    with pytest.raises(IndexError):
        index.getitem(_device(x), np.array([2]))
    with pytest.raises(IndexError, match="too many indices"):
        index.getitem(_device(x), (0, 0, 0, 0))


def test_element_offsets_is_the_flat_index(x):
    where = (slice(None), np.array([2, 0]), slice(1, None, 2))
    np.testing.assert_array_equal(index.element_offsets(x.shape, where), np.arange(x.size).reshape(x.shape)[where])


def test_bitwise_matches_numpy(rng):
    a, b = rng.random((2, 3)) > 0.5, rng.random((3,)) > 0.5
    i, j = rng.integers(-8, 8, (2, 3)), rng.integers(-8, 8, (3,))
    for fn, ref in ((bitwise.bitwise_and, np.bitwise_and), (bitwise.bitwise_or, np.bitwise_or)):
        np.testing.assert_array_equal(fn(_device(a), _device(b)).copy_to_host(), ref(a, b))
        np.testing.assert_array_equal(fn(_device(i), _device(j)).copy_to_host(), ref(i, j))
    np.testing.assert_array_equal(bitwise.invert(_device(a)).copy_to_host(), np.invert(a))
    np.testing.assert_array_equal(bitwise.invert(_device(i)).copy_to_host(), np.invert(i))


@pytest.mark.cuda
@pytest.mark.cuda
def test_full_size_moves(rng):
    big = rng.standard_normal((64, 128, 33, 17)).astype(np.float32)
    d = _device(big)
    np.testing.assert_array_equal(shape.transpose(d, (0, 2, 3, 1)).copy_to_host(), big.transpose(0, 2, 3, 1))
    np.testing.assert_array_equal(shape.pad(d, ((0, 0), (0, 0), (1, 1), (2, 2))).copy_to_host(),
                                  np.pad(big, ((0, 0), (0, 0), (1, 1), (2, 2))))
    rows = rng.integers(0, 64, 10_000)
    np.testing.assert_array_equal(index.getitem(d, (rows, 5)).copy_to_host(), big[rows, 5])
    added = np.zeros_like(big)
    values = rng.standard_normal((10_000, 33, 17)).astype(np.float32)
    np.add.at(added, (rows, 5), values)
    np.testing.assert_allclose(index.index_add(big.shape, (rows, 5), _device(values)).copy_to_host(), added,
                               rtol=1e-5, atol=1e-5)
