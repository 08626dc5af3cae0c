"""kernels.cpu.conv_columns: the forward's im2col columns reused by the weight gradient, never stale."""
import numpy as np
import pytest
import torch.nn.functional as tF

from kernels.cpu import conv, conv_columns
from kernels.cpu import conv2d_backward, conv2d_forward

GEOMETRY = dict(stride=1, padding=1, dilation=1, groups=1)


@pytest.fixture(autouse=True)
def empty_cache():
    conv_columns.clear()
    yield
    conv_columns.clear()


@pytest.fixture
def unfold_calls(monkeypatch):
    """How many times conv2d has built columns (either im2col path)."""
    calls = []
    original = conv._Unfolder.unfold

    def counting(self, source, c0, cols):
        calls.append(cols.shape)
        return original(self, source, c0, cols)
    monkeypatch.setattr(conv._Unfolder, "unfold", counting)
    return calls


def _weight_grad_oracle(x, weight, dy, torch64):
    wt = torch64(weight, True)
    tF.conv2d(torch64(x), wt, None, **GEOMETRY).backward(torch64(dy))
    return wt.grad.numpy()


@pytest.mark.parametrize("width", [6, 13])  # the offset-table path and the bounds path
def test_the_weight_gradient_reuses_the_forward_columns(width, random, dtype, torch64, assert_matches,
                                                        unfold_calls):
    x, weight = random((3, 4, 5, width), dtype), random((6, 4, 3, 3), dtype)
    y = conv2d_forward(x, weight, None, **GEOMETRY)
    dy = random(y.shape, dtype)
    assert len(unfold_calls) == 1
    _, dw, _ = conv2d_backward(dy, x, weight, **GEOMETRY, need_dx=False, need_db=False)
    assert len(unfold_calls) == 1
    assert_matches(dw, _weight_grad_oracle(x, weight, dy, torch64))


@pytest.mark.parametrize("change", ["in place", "other array", "one bit"])
def test_changed_inputs_get_fresh_columns(change, random, torch64, assert_matches, unfold_calls):
    x, weight = random((2, 3, 6, 7), np.float64), random((4, 3, 3, 3), np.float64)
    y = conv2d_forward(x, weight, None, **GEOMETRY)
    dy = random(y.shape, np.float64)
    if change == "in place":
        x *= -2.0
    elif change == "other array":
        x = random(x.shape, np.float64)
    else:
        x.view(np.uint64)[1, 2, 3, 4] ^= 1
    _, dw, _ = conv2d_backward(dy, x, weight, **GEOMETRY, need_dx=False, need_db=False)
    assert len(unfold_calls) == 2
    np.testing.assert_allclose(dw, _weight_grad_oracle(x, weight, dy, torch64), rtol=1e-12, atol=1e-12)


def test_interleaved_layers_of_one_shape_each_find_their_columns(random, torch64, assert_matches, unfold_calls):
    xs = [random((2, 3, 6, 7), np.float64) for _ in range(3)]
    weight = random((4, 3, 3, 3), np.float64)
    dys = [random(conv2d_forward(x, weight, None, **GEOMETRY).shape, np.float64) for x in xs]
    for x, dy in reversed(list(zip(xs, dys))):
        _, dw, _ = conv2d_backward(dy, x, weight, **GEOMETRY, need_dx=False, need_db=False)
        np.testing.assert_allclose(dw, _weight_grad_oracle(x, weight, dy, torch64), rtol=1e-12, atol=1e-12)
    assert len(unfold_calls) == 3


def test_columns_over_the_cap_are_built_again(random, torch64, monkeypatch, unfold_calls):
    monkeypatch.setattr(conv_columns, "CACHE_BYTES", 1000)
    x, weight = random((2, 3, 6, 7), np.float64), random((4, 3, 3, 3), np.float64)
    dy = random(conv2d_forward(x, weight, None, **GEOMETRY).shape, np.float64)
    _, dw, _ = conv2d_backward(dy, x, weight, **GEOMETRY, need_dx=False, need_db=False)
    assert len(unfold_calls) == 2
    np.testing.assert_allclose(dw, _weight_grad_oracle(x, weight, dy, torch64), rtol=1e-12, atol=1e-12)


def test_a_steady_loop_reuses_its_slots_within_the_cap(random, monkeypatch):
    """Training steps reuse the slot their backward took; evaluation forwards (no backward) fill slots up
    to the cap, then reuse the oldest."""
    x, weight = random((2, 3, 6, 7), np.float32), random((4, 3, 3, 3), np.float32)
    slot_bytes = x.nbytes + 27 * 2 * 42 * 4
    monkeypatch.setattr(conv_columns, "CACHE_BYTES", 3 * slot_bytes)
    for _ in range(2):
        conv2d_backward(conv2d_forward(x, weight, None, **GEOMETRY), x, weight, **GEOMETRY)
    assert len(conv_columns._cache.slots) == 1
    for step in range(6):
        conv2d_forward(x + step, weight, None, **GEOMETRY)
    assert len(conv_columns._cache.slots) == 3
    assert sum(s.nbytes for s in conv_columns._cache.slots) <= 3 * slot_bytes
