"""F.conv2d and F.conv1d against PyTorch (values, gradients of x, w and b, JVPs) and central differences."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _conv_arrays(rng, x_shape, w_shape, bias, dtype=np.float64):
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if bias:
        arrays.append(rng.standard_normal(w_shape[0]))
    return [a.astype(dtype) for a in arrays]


CONV2D_CASES = [
    # x shape, w shape, stride, padding, dilation, groups, bias
    ((2, 3, 7, 6), (4, 3, 3, 3), 1, 0, 1, 1, True),
    ((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), (1, 2), 1, 1, True),
    ((1, 4, 9, 8), (6, 2, 3, 3), 2, 1, (2, 1), 2, False),
    ((2, 4, 5, 5), (4, 1, 3, 3), 1, 1, 1, 4, True),  # depthwise
    ((3, 2, 6, 7), (5, 2, 1, 1), 3, 0, 1, 1, True),  # 1x1, stride skips inputs
    ((1, 6, 8, 9), (3, 2, 2, 3), (3, 2), (0, 1), (2, 3), 3, True),
    ((2, 1, 9, 8), (3, 1, 5, 5), 1, 2, 1, 1, True),  # one input channel (LeNet's first layer): direct kernels
]


@pytest.mark.parametrize("x_shape, w_shape, stride, padding, dilation, groups, bias", CONV2D_CASES)
def test_conv2d_matches_torch(x_shape, w_shape, stride, padding, dilation, groups, bias, rng, match_torch):
    def mg_fn(x, w, *b):
        return F.conv2d(x, w, *b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    def torch_fn(x, w, *b):
        return TF.conv2d(x, w, *b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    match_torch(mg_fn, torch_fn, _conv_arrays(rng, x_shape, w_shape, bias))


def test_conv2d_float32_matches_torch(rng, match_torch):
    arrays = _conv_arrays(rng, (4, 8, 10, 10), (16, 8, 3, 3), True, np.float32)
    match_torch(lambda x, w, b: F.conv2d(x, w, b, padding=1), lambda x, w, b: TF.conv2d(x, w, b, padding=1), arrays)


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("w_shape, dilation", [((2, 3, 3, 3), 1), ((2, 3, 2, 4), 1), ((2, 3, 2, 3), (2, 1))])
def test_conv2d_string_padding_matches_torch(padding, w_shape, dilation, rng, match_torch):
    arrays = _conv_arrays(rng, (2, 3, 6, 7), w_shape, True)
    match_torch(lambda x, w, b: F.conv2d(x, w, b, padding=padding, dilation=dilation),
                lambda x, w, b: TF.conv2d(x, w, b, padding=padding, dilation=dilation), arrays)


def test_conv2d_same_padding_keeps_the_size(rng):
    x = mg.tensor(rng.standard_normal((1, 2, 5, 6)))
    assert F.conv2d(x, mg.tensor(rng.standard_normal((3, 2, 4, 2))), padding="same").shape == (1, 3, 5, 6)


def test_conv2d_unbatched_input_matches_torch(rng, match_torch):
    arrays = _conv_arrays(rng, (3, 5, 5), (2, 3, 3, 3), True)
    match_torch(lambda x, w, b: F.conv2d(x, w, b, padding=1), lambda x, w, b: TF.conv2d(x, w, b, padding=1), arrays)


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 2, 1, 1), (1, "same", 2, 2),
                                                                ((3,), (1,), (2,), 1)])
def test_conv1d_matches_torch(stride, padding, dilation, groups, rng, match_torch):
    arrays = _conv_arrays(rng, (2, 4, 11), (6, 4 // groups, 3), True)
    match_torch(lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups),
                lambda x, w, b: TF.conv1d(x, w, b, stride, padding, dilation, groups), arrays)


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 1, 1, 1), (2, 1, 1, 2), (1, 0, 2, 1),
                                                                (1, (1, 0), (1, 2), 2)])
def test_conv2d_gradcheck(stride, padding, dilation, groups, rng):
    x, w, b = _conv_arrays(rng, (1, 2, 5, 4), (2, 2 // groups, 2, 2), True)
    assert mg.gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), [x, w, b])


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 1, 2, 1), (2, 0, 1, 2), (1, 1, 1, 2)])
def test_conv2d_second_order_gradcheck(stride, padding, dilation, groups, rng, gradcheck_second_order):
    """Grad of grad and forward over reverse run through Conv2dInputGrad and Conv2dWeightGrad."""
    x, w, b = _conv_arrays(rng, (1, 2, 3, 4), (2, 2 // groups, 2, 2), True)
    assert gradcheck_second_order(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups), [x, w, b])


def test_conv2d_double_backward_matches_torch(rng, assert_close):
    """A gradient penalty: d/dw ‖∂L/∂x‖² with L = Σ conv2d(x, w)², against torch's double backward."""
    x, w = _conv_arrays(rng, (2, 3, 6, 5), (4, 3, 3, 3), False)
    mx, mw = mg.tensor(x, dtype=mg.float64, requires_grad=True), mg.tensor(w, dtype=mg.float64, requires_grad=True)
    (gx,) = mg.autodiff.grad([(F.conv2d(mx, mw, stride=2, padding=1) ** 2).sum()], [mx], create_graph=True)
    (gx * gx).sum().backward()
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (tgx,) = torch.autograd.grad((TF.conv2d(tx, tw, stride=2, padding=1) ** 2).sum(), tx, create_graph=True)
    (tgx * tgx).sum().backward()
    assert_close(mx.grad, tx.grad, rtol=1e-9)
    assert_close(mw.grad, tw.grad, rtol=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda x, w: F.conv2d(x, w, stride=2, padding="same"), "stride 1"),
    (lambda x, w: F.conv2d(x, w, padding="full"), "'same' or 'valid'"),
    (lambda x, w: F.conv2d(x.reshape(6, 36), w), r"\(N, C, H, W\)"),
    (lambda x, w: F.conv2d(x, w, groups=2), "groups"),
    (lambda x, w: F.conv2d(x, w, bias=mg.zeros(3)), r"bias must have shape \(4,\)"),
])
def test_conv2d_rejects_bad_arguments(call, message):
    x, w = mg.zeros(2, 3, 6, 6), mg.zeros(4, 3, 3, 3)
    with pytest.raises(ValueError, match=message):
        call(x, w)


def test_conv2d_rejects_a_non_integer_stride():
    with pytest.raises(TypeError, match="stride must be an int or a pair"):
        F.conv2d(mg.zeros(1, 1, 4, 4), mg.zeros(1, 1, 2, 2), stride=1.5)


def test_weight_grad_after_writing_into_the_input_behind_autodiff(rng):
    """Writing into x's array (no version bump) between forward and backward: the weight gradient uses the
    array as it is then, as PyTorch's does (the kept im2col columns of the old values are not used)."""
    x_data, w_data = rng.standard_normal((2, 3, 6, 7)), rng.standard_normal((4, 3, 3, 3))
    x = mg.tensor(x_data.copy(), dtype=np.float64)
    w = mg.tensor(w_data, dtype=np.float64, requires_grad=True)
    xt = torch.tensor(x_data.copy())
    wt = torch.tensor(w_data, requires_grad=True)
    y, yt = F.conv2d(x, w, None, 1, 1), TF.conv2d(xt, wt, None, 1, 1)
    x.data[...] *= -3.0
    xt.data.mul_(-3.0)
    (y ** 2).sum().backward()
    (yt ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-10, atol=1e-10)
