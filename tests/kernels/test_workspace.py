"""The CPU kernels' workspace cache: buffers are reused, grown when needed, and never leak into results."""
import numpy as np
import pytest

from kernels.cpu import conv2d_backward, conv2d_forward, workspace


def _cached_buffers():
    return list(workspace._buffers.by_name.values())


def test_scratch_reuses_a_buffer_and_grows_it_when_needed():
    workspace.clear()
    before = workspace.allocations()
    a = workspace.scratch("test.a", (3, 4), np.float32)
    b = workspace.scratch("test.a", (2, 5), np.float32)
    assert a.shape == (3, 4) and b.shape == (2, 5) and b.flags.c_contiguous
    assert np.shares_memory(a, b) and workspace.allocations() == before + 1
    c = workspace.scratch("test.a", (5, 5), np.float32)
    assert workspace.allocations() == before + 2 and c.shape == (5, 5)
    d = workspace.scratch("test.a", (5, 5), np.float64)
    assert d.dtype == np.float64 and not np.shares_memory(c, d)
    assert workspace.allocations() == before + 3


def test_conv_allocates_no_workspace_in_a_second_call(random):
    x, w = random((4, 3, 9, 9), np.float32), random((5, 3, 3, 3), np.float32)
    dy = random((4, 5, 9, 9), np.float32)
    conv2d_forward(x, w, None, 1, 1, 1, 1), conv2d_backward(dy, x, w, 1, 1, 1, 1)
    before = workspace.allocations()
    conv2d_forward(x, w, None, 1, 1, 1, 1), conv2d_backward(dy, x, w, 1, 1, 1, 1)
    conv2d_forward(x[:2], w, None, 1, 1, 1, 1)  # smaller shapes fit in the same buffers
    assert workspace.allocations() == before


@pytest.mark.parametrize("groups", [1, 3])
def test_conv_results_do_not_share_memory_with_the_workspace(groups, random):
    """A later call reuses the buffers; results of an earlier call must stay as they were."""
    x1, x2 = random((3, 6, 7, 8), np.float64), random((3, 6, 7, 8), np.float64)
    w = random((6, 6 // groups, 3, 3), np.float64)
    dy = random((3, 6, 7, 8), np.float64)
    first = (conv2d_forward(x1, w, None, 1, 1, 1, groups), *conv2d_backward(dy, x1, w, 1, 1, 1, groups))
    kept = [a.copy() for a in first]
    conv2d_forward(x2, w, None, 1, 1, 1, groups), conv2d_backward(2 * dy, x2, w, 1, 1, 1, groups)
    for result, copy in zip(first, kept):
        np.testing.assert_array_equal(result, copy)
        assert not any(np.shares_memory(result, buffer) for buffer in _cached_buffers())


SHAPE = (256, 1024)  # 1 MiB in float32: above RECYCLE_MIN_BYTES


def test_recycled_arrays_are_reused_only_once_nothing_refers_to_them():
    workspace.clear()
    a = workspace.recycled(SHAPE, np.float32)
    address = a.ctypes.data
    b = workspace.recycled(SHAPE, np.float32)
    assert not np.shares_memory(a, b)  # a is still held
    view = a.reshape(-1)[10:]
    del a
    c = workspace.recycled(SHAPE, np.float32)
    assert not np.shares_memory(c, view)  # a view keeps its base in use
    del view, c
    d = workspace.recycled(SHAPE, np.float32)
    assert d.ctypes.data == address  # now free: handed out again


def test_small_arrays_are_left_to_malloc():
    before = workspace.allocations()
    workspace.recycled((3, 4), np.float64)
    assert workspace.allocations() == before
