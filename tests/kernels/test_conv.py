"""im2col, col2im and conv2d forward/backward against torch.nn.functional (float64 oracle)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from kernels.cpu import conv
from kernels.cpu import col2im, conv2d_backward, conv2d_forward, conv_output_size, im2col

# (N, C, H, W, Cout, kernel, stride, padding, dilation, groups)
CASES = [
    (2, 3, 8, 8, 4, 3, 1, 1, 1, 1),
    (3, 4, 9, 7, 6, (3, 2), (2, 1), (1, 0), 1, 2),
    (2, 4, 11, 10, 8, 3, 2, 2, 2, 1),
    (2, 4, 6, 5, 4, 3, 1, 1, 1, 4),
    (1, 2, 5, 6, 3, 1, 1, 0, 1, 1),
    (2, 3, 9, 8, 2, 5, 3, 2, (1, 2), 1),
    (1, 2, 3, 3, 2, 4, 1, 2, 1, 1),
    # one input channel per group at stride 1: the direct kernels (kernels.cpu.conv_direct)
    (3, 1, 9, 11, 3, 5, 1, 2, 1, 1),
    (2, 2, 7, 6, 6, (3, 2), 1, (2, 1), (2, 1), 2),
    (2, 3, 5, 4, 3, 3, 1, 3, 1, 3),
]
IDS = [f"case{i}" for i in range(len(CASES))]


def _inputs(case, dtype, random):
    n, c, h, w, c_out, kernel, stride, padding, dilation, groups = case
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = random((n, c, h, w), dtype)
    weight = random((c_out, c // groups, kh, kw), dtype)
    bias = random((c_out,), dtype)
    return x, weight, bias, dict(stride=stride, padding=padding, dilation=dilation, groups=groups)


@pytest.fixture(params=["bounds", "gather", "stride1"])
def unfold_path(request, monkeypatch):
    """Runs a test once with each im2col/col2im path of conv2d: bounds-tested loops, the offset table, and
    contiguous row copies at stride 1 (the first two then run stride-1 cases too)."""
    monkeypatch.setattr(conv, "GATHER_BELOW_WIDTH", 0 if request.param == "bounds" else 10**6)
    monkeypatch.setattr(conv, "STRIDE1_KERNELS", request.param == "stride1")
    return request.param


def _unfold_args(geometry):
    return {k: geometry[k] for k in ("stride", "padding", "dilation")}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_im2col_matches_torch_unfold(case, dtype, random, torch64, assert_matches):
    x, weight, _, geometry = _inputs(case, dtype, random)
    cols = im2col(x, weight.shape[2:], **_unfold_args(geometry))
    assert cols.dtype == dtype
    assert_matches(cols, tF.unfold(torch64(x), weight.shape[2:], **_unfold_args(geometry)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_col2im_matches_torch_fold(case, dtype, random, torch64, assert_matches):
    x, weight, _, geometry = _inputs(case, dtype, random)
    cols = random(im2col(x, weight.shape[2:], **_unfold_args(geometry)).shape, dtype)
    dx = col2im(cols, x.shape, weight.shape[2:], **_unfold_args(geometry))
    assert dx.dtype == dtype
    assert_matches(dx, tF.fold(torch64(cols), x.shape[2:], weight.shape[2:], **_unfold_args(geometry)))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_col2im_is_the_adjoint_of_im2col(case, random):
    x, weight, _, geometry = _inputs(case, np.float64, random)
    cols = im2col(x, weight.shape[2:], **_unfold_args(geometry))
    c = random(cols.shape, np.float64)
    back = col2im(c, x.shape, weight.shape[2:], **_unfold_args(geometry))
    np.testing.assert_allclose(np.vdot(cols, c), np.vdot(x, back), rtol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_forward_matches_torch(case, dtype, random, torch64, assert_matches, unfold_path):
    x, weight, bias, geometry = _inputs(case, dtype, random)
    y = conv2d_forward(x, weight, bias, **geometry)
    assert y.dtype == dtype
    assert_matches(y, tF.conv2d(torch64(x), torch64(weight), torch64(bias), **geometry))
    assert_matches(conv2d_forward(x, weight, None, **geometry),
                   tF.conv2d(torch64(x), torch64(weight), None, **geometry))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_conv2d_backward_matches_torch_autograd(case, dtype, random, torch64, assert_matches, unfold_path):
    x, weight, bias, geometry = _inputs(case, dtype, random)
    xt, wt, bt = torch64(x, True), torch64(weight, True), torch64(bias, True)
    yt = tF.conv2d(xt, wt, bt, **geometry)
    dy = random(tuple(yt.shape), dtype)
    yt.backward(torch64(dy))
    dx, dw, db = conv2d_backward(dy, x, weight, **geometry)
    assert dx.dtype == dw.dtype == db.dtype == dtype
    assert_matches(dx, xt.grad)
    assert_matches(dw, wt.grad)
    assert_matches(db, bt.grad)


@pytest.mark.parametrize("need", [(True, False, False), (False, True, False), (False, False, True)])
def test_conv2d_backward_skips_what_is_not_needed(need, random, unfold_path):
    x, weight, _, geometry = _inputs(CASES[1], np.float64, random)
    dy = random(conv2d_forward(x, weight, None, **geometry).shape, np.float64)
    full = conv2d_backward(dy, x, weight, **geometry)
    partial = conv2d_backward(dy, x, weight, **geometry, need_dx=need[0], need_dw=need[1], need_db=need[2])
    for wanted, got, expected in zip(need, partial, full):
        if wanted:
            np.testing.assert_array_equal(got, expected)
        else:
            assert got is None


def test_batch_chunks_give_the_same_result(monkeypatch, random, unfold_path):
    x, weight, bias, geometry = _inputs(CASES[1], np.float64, random)
    x = np.concatenate([x] * 3)
    dy = random(conv2d_forward(x, weight, bias, **geometry).shape, np.float64)
    whole = conv2d_forward(x, weight, bias, **geometry), conv2d_backward(dy, x, weight, **geometry)
    monkeypatch.setattr(conv, "CHUNK_BYTES", 1)  # one sample per chunk
    chunked = conv2d_forward(x, weight, bias, **geometry), conv2d_backward(dy, x, weight, **geometry)
    np.testing.assert_allclose(chunked[0], whole[0], rtol=1e-12)
    for got, expected in zip(chunked[1], whole[1]):
        np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("size, kernel, stride, padding, dilation", [
    (32, 3, 1, 1, 1), (7, 3, 2, 0, 1), (10, 3, 3, 2, 2), (5, 5, 1, 2, 1), (3, 4, 1, 2, 1)])
def test_conv_output_size_matches_torch(size, kernel, stride, padding, dilation):
    y = tF.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel),
                  stride=stride, padding=padding, dilation=dilation)
    assert conv_output_size(size, kernel, stride, padding, dilation) == y.shape[-1]


def test_conv2d_rejects_bad_arguments(random):
    x, weight = random((1, 4, 5, 5), np.float32), random((2, 4, 3, 3), np.float32)
    with pytest.raises(ValueError, match="input channels"):
        conv2d_forward(x, weight[:, :3], None, 1, 0, 1, 1)
    with pytest.raises(ValueError, match="groups"):
        conv2d_forward(x, weight, None, 1, 0, 1, 3)
    with pytest.raises(TypeError, match="dtype"):
        conv2d_forward(x, weight.astype(np.float64), None, 1, 0, 1, 1)
    with pytest.raises(ValueError, match="too small"):
        conv2d_forward(x, random((2, 4, 7, 7), np.float32), None, 1, 0, 1, 1)
    with pytest.raises(ValueError, match="stride"):
        im2col(x, 3, 0, 0, 1)
    with pytest.raises(ValueError, match="dy has shape"):
        conv2d_backward(random((1, 2, 4, 4), np.float32), x, weight, 1, 0, 1, 1)


@pytest.mark.parametrize("padding", [0, 1])
def test_a_non_finite_input_reaches_only_the_outputs_and_taps_it_feeds(padding, random, torch64):
    """One inf pixel in a one-channel input (the direct kernels' wide rows read past each row's end): the
    outputs and weight-gradient taps that are non-finite are exactly those of PyTorch."""
    x, weight = random((2, 1, 6, 7), np.float64), random((3, 1, 3, 3), np.float64)
    x[1, 0, 2, 0] = np.inf
    geometry = dict(stride=1, padding=padding, dilation=1, groups=1)
    xt, wt = torch64(x), torch64(weight, True)
    yt = tF.conv2d(xt, wt, None, **geometry)
    dy = random(tuple(yt.shape), np.float64)
    yt.backward(torch64(dy))
    y = conv2d_forward(x, weight, None, **geometry)
    _, dw, _ = conv2d_backward(dy, x, weight, **geometry, need_dx=False, need_db=False)
    for got, expected in ((y, yt.detach().numpy()), (dw, wt.grad.numpy())):
        np.testing.assert_array_equal(np.isfinite(got), np.isfinite(expected))
        finite = np.isfinite(expected)
        np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-10, atol=1e-10)
