"""Batch-norm statistics, forward and fused training backward against torch (float64 oracle)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from kernels.cpu import batch_norm_backward, batch_norm_forward, batch_norm_stats

SHAPES = [(7, 5), (4, 3, 9), (3, 4, 5, 6), (1, 3, 4, 4), (5, 3, 7, 9)]  # the last: 63 a row, past a vector's width
EPS = 1e-5


def _reduced_axes(shape):
    return (0, *range(2, len(shape)))


def _invstd(var):
    return 1 / np.sqrt(var.astype(np.float64) + EPS)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_stats_match_torch(shape, dtype, random, torch64, assert_matches):
    x = random(shape, dtype) * 3 + 2
    var, mean = torch.var_mean(torch64(x), dim=_reduced_axes(shape), unbiased=False)
    got_mean, got_var = batch_norm_stats(x)
    assert got_mean.dtype == got_var.dtype == dtype
    assert_matches(got_mean, mean)
    assert_matches(got_var, var)


def test_batch_norm_stats_are_stable_for_a_large_mean(rng):
    x = (1e4 + rng.standard_normal((16, 3, 8, 8))).astype(np.float32)
    var, mean = torch.var_mean(torch.tensor(x, dtype=torch.float64), dim=(0, 2, 3), unbiased=False)
    got_mean, got_var = batch_norm_stats(x)
    np.testing.assert_allclose(got_mean, mean.numpy(), rtol=1e-7)
    np.testing.assert_allclose(got_var, var.numpy(), rtol=1e-6)


def test_batch_norm_stats_and_backward_propagate_nan_and_inf_like_torch(rng):
    x = rng.standard_normal((4, 3, 6, 5))
    x[1, 0, 2, 3], x[2, 1, 0, 4] = np.nan, np.inf
    dy = rng.standard_normal(x.shape)
    xt = torch.tensor(x, requires_grad=True)
    yt = tF.batch_norm(xt, None, None, None, None, training=True, eps=EPS)
    yt.backward(torch.tensor(dy))
    var, mean = torch.var_mean(torch.tensor(x), dim=(0, 2, 3), unbiased=False)
    got_mean, got_var = batch_norm_stats(x)
    np.testing.assert_array_equal(np.isfinite(got_mean), np.isfinite(mean.numpy()))
    np.testing.assert_array_equal(np.isfinite(got_var), np.isfinite(var.numpy()))
    np.testing.assert_allclose(got_var[2], var[2].item(), rtol=1e-12)
    y = batch_norm_forward(x, got_mean, _invstd(got_var), None, None)
    dx, dweight, dbias = batch_norm_backward(dy, x, got_mean, _invstd(got_var), None)
    np.testing.assert_array_equal(np.isnan(y), np.isnan(yt.detach().numpy()))
    np.testing.assert_array_equal(np.isnan(dx), np.isnan(xt.grad.numpy()))
    assert np.isnan(dweight[:2]).all() and np.isfinite(dweight[2]) and np.isfinite(dbias).all()


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_forward_matches_torch(shape, affine, dtype, random, torch64, assert_matches):
    x = random(shape, dtype)
    weight, bias = (random((shape[1],), dtype), random((shape[1],), dtype)) if affine else (None, None)
    mean, var = batch_norm_stats(x)
    y = batch_norm_forward(x, mean, _invstd(var), weight, bias)
    expected = tF.batch_norm(torch64(x), None, None, None if weight is None else torch64(weight),
                             None if bias is None else torch64(bias), training=True, eps=EPS)
    assert y.dtype == dtype
    assert_matches(y, expected)


@pytest.mark.parametrize("shape", SHAPES)
def test_batch_norm_backward_matches_torch_autograd(shape, dtype, random, torch64, assert_matches):
    x, dy = random(shape, dtype), random(shape, dtype)
    weight, bias = random((shape[1],), dtype), random((shape[1],), dtype)
    xt, wt, bt = torch64(x, True), torch64(weight, True), torch64(bias, True)
    tF.batch_norm(xt, None, None, wt, bt, training=True, eps=EPS).backward(torch64(dy))
    mean, var = batch_norm_stats(x)
    dx, dweight, dbias = batch_norm_backward(dy, x, mean, _invstd(var), weight)
    assert dx.dtype == dweight.dtype == dbias.dtype == dtype
    assert_matches(dx, xt.grad)
    assert_matches(dweight, wt.grad)
    assert_matches(dbias, bt.grad)


def test_batch_norm_backward_without_weight_matches_torch(random, torch64, assert_matches):
    x, dy = random((4, 3, 5), np.float64), random((4, 3, 5), np.float64)
    xt = torch64(x, True)
    tF.batch_norm(xt, None, None, None, None, training=True, eps=EPS).backward(torch64(dy))
    mean, var = batch_norm_stats(x)
    dx, _, _ = batch_norm_backward(dy, x, mean, _invstd(var), None)
    assert_matches(dx, xt.grad)


def test_batch_norm_rejects_bad_arguments(random):
    x = random((4, 3, 5), np.float32)
    with pytest.raises(ValueError, match=r"mean must have shape \(3,\)"):
        batch_norm_forward(x, np.zeros(4), np.ones(3), None, None)
    with pytest.raises(ValueError, match="dy has shape"):
        batch_norm_backward(x[:2], x, np.zeros(3), np.ones(3), None)
    with pytest.raises(TypeError, match="dtype"):
        batch_norm_backward(x.astype(np.float64), x, np.zeros(3), np.ones(3), None)
    with pytest.raises(ValueError, match="2-d or 3-d or 4-d"):
        batch_norm_stats(np.zeros(3, np.float32))
