"""erf against torch.erf (float64 oracle)."""
import numpy as np
import pytest
import torch

from kernels.cpu import erf


def test_erf_matches_torch(dtype, random, torch64, assert_matches):
    x = random((6, 7), dtype).T * 3
    x[0, :4] = [0.0, 30.0, -30.0, 1e-20]
    y = erf(x)
    assert y.dtype == dtype and y.shape == x.shape
    assert_matches(y, torch.erf(torch64(x)))


def test_erf_keeps_special_values_and_zero_dimensional_input():
    np.testing.assert_array_equal(erf(np.array([np.inf, -np.inf, 0.0])), [1.0, -1.0, 0.0])
    assert np.isnan(erf(np.array([np.nan], np.float32)))[0]
    assert erf(np.float64(0.5)).shape == ()
    np.testing.assert_allclose(erf(np.float64(0.5)), torch.erf(torch.tensor(0.5, dtype=torch.float64)).item())


def test_erf_rejects_integers():
    with pytest.raises(TypeError, match="float32 or float64"):
        erf(np.arange(3))
