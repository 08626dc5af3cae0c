"""Winograd F(2×2, 3×3) convolution against PyTorch (float64 oracle) and against the im2col path.

Tolerances: the kernel tests' own (tests/kernels/conftest.py: float32 rtol = atol = 2e-5 scaled by
max |expected|, float64 1e-10), the same as for im2col: Winograd's transforms (entries 0, ±½, ±1) lose
only a little more float32 accuracy, measured about 5e-6 × max |y| on these sizes. Against im2col in
float64 both must agree to 1e-12 relative.
"""
import numpy as np
import pytest
import torch.nn.functional as tF

from kernels.cpu import conv, winograd
from kernels.cpu.conv import conv2d_backward, conv2d_forward, uses_winograd

# (N, C, H, W, Cout, padding): odd and even sizes, padding 0/1/2/3 and unequal, batch 1 and > 1
CASES = [
    (1, 3, 7, 9, 4, 1),
    (2, 5, 8, 8, 6, 0),
    (3, 4, 5, 6, 2, 2),
    (2, 3, 6, 5, 3, (1, 3)),
    (1, 2, 3, 3, 3, 0),
    (2, 17, 9, 10, 16, 1),
]
IDS = [f"case{i}" for i in range(len(CASES))]


def _inputs(case, dtype, random):
    n, c, h, w, c_out, padding = case
    return (random((n, c, h, w), dtype), random((c_out, c, 3, 3), dtype), random((c_out,), dtype),
            dict(stride=1, padding=padding, dilation=1, groups=1))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_winograd_forward_and_gradients_match_torch(case, dtype, random, torch64, assert_matches):
    x, weight, bias, geometry = _inputs(case, dtype, random)
    assert uses_winograd("winograd", x.shape, weight.shape, 1, geometry["padding"], 1, 1)
    xt, wt, bt = torch64(x, True), torch64(weight, True), torch64(bias, True)
    yt = tF.conv2d(xt, wt, bt, padding=geometry["padding"])
    dy = random(tuple(yt.shape), dtype)
    yt.backward(torch64(dy))
    y = conv2d_forward(x, weight, bias, **geometry, algorithm="winograd")
    dx, dw, db = conv2d_backward(dy, x, weight, **geometry, algorithm="winograd")
    assert y.dtype == dx.dtype == dw.dtype == db.dtype == dtype
    for got, expected in ((y, yt), (dx, xt.grad), (dw, wt.grad), (db, bt.grad)):
        assert_matches(got, expected)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_winograd_matches_im2col_in_float64(case, random):
    x, weight, bias, geometry = _inputs(case, np.float64, random)
    dy = random(conv2d_forward(x, weight, bias, **geometry).shape, np.float64)
    results = {}
    for algorithm in ("im2col", "winograd"):
        results[algorithm] = [a.copy() for a in (conv2d_forward(x, weight, bias, **geometry, algorithm=algorithm),
                                                  *conv2d_backward(dy, x, weight, **geometry, algorithm=algorithm))]
    for got, expected in zip(results["winograd"], results["im2col"]):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("case", [CASES[0], CASES[5]], ids=["case0", "case5"])
def test_winograd_forward_without_bias_matches_torch(case, dtype, random, torch64, assert_matches):
    x, weight, _, geometry = _inputs(case, dtype, random)
    expected = tF.conv2d(torch64(x), torch64(weight), padding=geometry["padding"])
    assert_matches(conv2d_forward(x, weight, None, **geometry, algorithm="winograd"), expected)


@pytest.mark.parametrize("transposed", [False, True], ids=["u", "flipped"])
def test_filter_transform_is_g_w_gt(transposed, random):
    """u[ξ = 4 i + j, k, c] = (G w[k, c] Gᵀ)[i, j] with G of Lavin & Gray (2016); flipped: of w[k, c] rotated 180°,
    stored as u[ξ, c, k]."""
    g = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
    weight = random((5, 3, 3, 3), np.float64)
    if transposed:
        u = winograd._filter_transform(weight, winograd.FLIPPED_FILTER_TRANSFORM, transposed=True)
        expected = np.einsum("ip,kcpq,jq->ijck", g, weight[:, :, ::-1, ::-1], g).reshape(16, 3, 5)
    else:
        u = winograd._filter_transform(weight, winograd.FILTER_TRANSFORM)
        expected = np.einsum("ip,kcpq,jq->ijkc", g, weight, g).reshape(16, 5, 3)
    np.testing.assert_allclose(u, expected, rtol=1e-14, atol=1e-14)


def test_winograd_batch_chunks_give_the_same_result(monkeypatch, random):
    x, weight, bias, geometry = _inputs(CASES[2], np.float64, random)
    dy = random(conv2d_forward(x, weight, bias, **geometry).shape, np.float64)

    def run():
        return [a.copy() for a in (conv2d_forward(x, weight, bias, **geometry, algorithm="winograd"),
                                   *conv2d_backward(dy, x, weight, **geometry, algorithm="winograd"))]
    whole = run()
    monkeypatch.setattr(winograd, "CHUNK_BYTES", 1)  # one sample per chunk
    for got, expected in zip(run(), whole):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


@pytest.mark.parametrize("algorithm, x_shape, weight_shape, stride, dilation, groups, expected", [
    ("auto", (8, 64, 32, 32), (64, 64, 3, 3), 1, 1, 1, True),
    ("auto", (8, 512, 4, 4), (512, 512, 3, 3), 1, 1, 1, False),   # 4×4 output: im2col is faster
    ("auto", (8, 6, 14, 14), (16, 6, 3, 3), 1, 1, 1, False),      # 6 input channels
    ("winograd", (8, 6, 4, 4), (16, 6, 3, 3), 1, 1, 1, True),
    ("winograd", (8, 64, 32, 32), (64, 64, 3, 3), 2, 1, 1, False),  # stride 2
    ("winograd", (8, 64, 32, 32), (64, 64, 3, 3), 1, 2, 1, False),  # dilated
    ("winograd", (8, 64, 32, 32), (64, 32, 3, 3), 1, 1, 2, False),  # grouped
    ("winograd", (8, 64, 32, 32), (64, 64, 5, 5), 1, 1, 1, False),  # 5×5
    ("im2col", (8, 64, 32, 32), (64, 64, 3, 3), 1, 1, 1, False),
])
def test_algorithm_choice(algorithm, x_shape, weight_shape, stride, dilation, groups, expected):
    assert uses_winograd(algorithm, x_shape, weight_shape, stride, 1, dilation, groups) is expected


def test_unknown_algorithm_is_rejected(random):
    x, weight, bias, geometry = _inputs(CASES[0], np.float32, random)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        conv.conv2d_forward(x, weight, bias, **geometry, algorithm="fft")
