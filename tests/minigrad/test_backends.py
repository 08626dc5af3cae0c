"""mg.backends.cpu.conv_algorithm: every choice gives PyTorch's values and gradients, and float64
gradcheck holds through the Winograd path (first and second order)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as tF

import minigrad as mg


@pytest.fixture(params=["auto", "im2col", "winograd"])
def conv_algorithm(request):
    saved = mg.backends.cpu.conv_algorithm
    mg.backends.cpu.conv_algorithm = request.param
    yield request.param
    mg.backends.cpu.conv_algorithm = saved


@pytest.mark.parametrize("shape, padding", [((2, 16, 9, 8), 1), ((1, 3, 5, 5), 0), ((2, 4, 6, 7), 2)])
def test_conv2d_matches_torch_with_each_algorithm(conv_algorithm, shape, padding, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    w = rng.standard_normal((16, shape[1], 3, 3)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    xm, wm, bm = (mg.tensor(a, requires_grad=True) for a in (x, w, b))
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    ym = mg.nn.functional.conv2d(xm, wm, bm, padding=padding)
    yt = tF.conv2d(xt, wt, bt, padding=padding)
    (ym * ym).sum().backward()
    (yt * yt).sum().backward()
    for got, expected in ((ym, yt), (xm.grad, xt.grad), (wm.grad, wt.grad), (bm.grad, bt.grad)):
        expected = expected.detach().numpy()
        np.testing.assert_allclose(got.numpy(), expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())


def test_gradcheck_through_winograd(rng):
    saved = mg.backends.cpu.conv_algorithm
    mg.backends.cpu.conv_algorithm = "winograd"
    try:
        x = mg.tensor(rng.standard_normal((2, 2, 5, 4)), dtype=mg.float64, requires_grad=True)
        w = mg.tensor(rng.standard_normal((3, 2, 3, 3)), dtype=mg.float64, requires_grad=True)
        conv = lambda x, w: mg.nn.functional.conv2d(x, w, padding=1)
        assert mg.gradcheck(conv, (x, w))
        assert mg.gradcheck(lambda x, w: mg.grad(lambda x, w: (conv(x, w) ** 2).sum(), argnums=(0, 1))(x, w)[1],
                            (x, w))
    finally:
        mg.backends.cpu.conv_algorithm = saved


def test_unknown_conv_algorithm_is_rejected_and_leaves_the_setting():
    before = mg.backends.cpu.conv_algorithm
    with pytest.raises(ValueError, match="conv_algorithm must be one of"):
        mg.backends.cpu.conv_algorithm = "fft"
    assert mg.backends.cpu.conv_algorithm == before
