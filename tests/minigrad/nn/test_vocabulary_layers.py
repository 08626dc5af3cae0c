"""The layers of issue 13 that test_layers' table cannot express: Maxout, Dropout2d in training,
max-pool indices and unpooling as layers, pooling of integer tensors, and the second-order rules
of the transposed convolution."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def test_maxout_is_the_max_of_pieces_affine_maps(rng, assert_close):
    layer = nn.Maxout(4, 3, pieces=2)
    x = rng.standard_normal((5, 4)).astype(np.float32)
    w, b = (torch.tensor(p.numpy(), requires_grad=True) for p in (layer.linear.weight, layer.linear.bias))
    xt = torch.tensor(x, requires_grad=True)
    affine = (xt @ w.T + b).reshape(5, 3, 2)
    expected = torch.maximum(affine[..., 0], affine[..., 1])  # max(w₁ᵀx + b₁, w₂ᵀx + b₂)
    xm = mg.tensor(x, requires_grad=True)
    out = layer(xm)
    assert_close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    assert_close(xm.grad, xt.grad)
    assert_close(layer.linear.weight.grad, w.grad)
    assert sum(p.size for p in layer.parameters()) == 2 * (4 * 3 + 3)  # twice a Linear(4, 3): seed 004's cost


def test_dropout2d_zeroes_whole_channels_and_keeps_the_mean():
    p = 0.3
    x = mg.ones(50, 80, 3, 3, dtype=mg.float64)
    y = nn.Dropout2d(p)(x).numpy()
    planes = y.reshape(50 * 80, 9)
    assert (planes == planes[:, :1]).all()  # each (n, c) plane is kept or dropped as a whole
    dropped = (planes[:, 0] == 0).mean()
    assert abs(dropped - p) < 4 * np.sqrt(p * (1 - p) / len(planes))
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / (1 - p)])
    assert nn.Dropout2d(p).eval()(x) is x


def test_maxpool_indices_and_unpool_layers_match_torch(rng, assert_close):
    x = rng.standard_normal((2, 3, 6, 7)).astype(np.float32)
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    tpool, tunpool = torch.nn.MaxPool2d(2, return_indices=True), torch.nn.MaxUnpool2d(2)
    xm, xt = mg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (y, i), (yt, it) = pool(xm), tpool(xt)
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    out, expected = unpool(y, i, output_size=(6, 7)), tunpool(yt, it, output_size=(6, 7))
    assert_close(out, expected)
    g = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(mg.tensor(g))
    expected.backward(torch.tensor(g))
    assert_close(xm.grad, xt.grad)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
@pytest.mark.parametrize("pool", [
    lambda lib, x: lib.max_pool2d(x, 2), lambda lib, x: lib.max_pool2d(x, 3, 2, 1),
    lambda lib, x: lib.avg_pool2d(x, 2), lambda lib, x: lib.avg_pool2d(x, 3, 1, 1, count_include_pad=False),
], ids=["max", "max-padded", "avg", "avg-exclude-pad"])
def test_pooling_integer_tensors_keeps_their_dtype_like_torch(pool, dtype, rng):
    low = 0 if dtype == np.uint8 else -100
    x = rng.integers(low, 100, (2, 3, 5, 6)).astype(dtype)
    out = pool(F, mg.tensor(x, dtype=dtype))
    expected = pool(TF, torch.tensor(x.astype(np.int64)))  # torch average-pools only int64 among the integers
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out.numpy(), expected.numpy().astype(dtype))


def test_max_unpool2d_rejects_indices_outside_the_output():
    y, i = F.max_pool2d(mg.randn(1, 1, 4, 4), 2, return_indices=True)
    with pytest.raises(ValueError, match="indices must lie"):
        F.max_unpool2d(y, i, 2, output_size=(3, 3))
    with pytest.raises(ValueError, match="integer tensor"):
        F.max_unpool2d(y, i.float(), 2)


def test_conv_transpose2d_second_order_rules(gradcheck_second_order):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 2, 2, 2))
    assert gradcheck_second_order(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1), [x, w])


@pytest.mark.parametrize("fn, match", [
    (lambda: F.conv_transpose2d(mg.randn(1, 2, 3, 3), mg.randn(3, 2, 2, 2)), "Cin=2"),
    (lambda: F.conv_transpose2d(mg.randn(1, 2, 3, 3), mg.randn(2, 2, 2, 2), stride=2, output_padding=2),
     "output_padding"),
    (lambda: F.interpolate(mg.randn(1, 1, 2, 2), size=3, scale_factor=2), "exactly one"),
    (lambda: F.interpolate(mg.randn(1, 1, 2, 2), size=3, mode="bicubic"), "mode"),
    (lambda: nn.Conv2d(2, 2, 3, padding="full"), "padding"),
    (lambda: F.maxout(mg.randn(2, 5), 2), "divisible"),
    (lambda: nn.MaxPool2d(2, 2, 0, 1, 1), "return_indices"),
])
def test_bad_layer_arguments_are_clear_errors(fn, match):
    with pytest.raises((ValueError, TypeError), match=match):
        fn()
