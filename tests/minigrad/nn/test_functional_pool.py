"""F.max_pool2d, F.avg_pool2d and F.adaptive_avg_pool2d against PyTorch and central differences."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _image(rng, shape, dtype=np.float64):
    """Distinct values (a shuffled grid plus noise), so no window has a tied maximum."""
    size = int(np.prod(shape))
    return (rng.permutation(size).reshape(shape) + 0.25 * rng.random(shape)).astype(dtype) / size


MAX_POOL_CASES = [
    # x shape, kernel_size, stride, padding, dilation, ceil_mode
    ((2, 3, 8, 8), 2, None, 0, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, False),
    ((2, 3, 7, 9), 3, 2, 1, 1, True),
    ((1, 2, 9, 8), (3, 2), (2, 1), (1, 0), (2, 1), False),
    ((1, 2, 10, 7), 2, 3, 1, 2, True),
    ((2, 1, 5, 6), (2, 3), 1, 0, 1, True),
]


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding, dilation, ceil_mode", MAX_POOL_CASES)
def test_max_pool2d_matches_torch(x_shape, kernel_size, stride, padding, dilation, ceil_mode, rng, match_torch):
    args = (kernel_size, stride, padding, dilation, ceil_mode)
    match_torch(lambda x: F.max_pool2d(x, *args), lambda x: TF.max_pool2d(x, *args), [_image(rng, x_shape)])


AVG_POOL_CASES = [
    # x shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override
    ((2, 3, 8, 8), 2, None, 0, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, True, None),
    ((2, 3, 7, 9), 3, 2, 1, False, False, None),
    ((2, 3, 7, 9), 3, 2, 1, True, True, None),
    ((2, 3, 7, 9), 3, 2, 1, True, False, None),
    ((1, 2, 9, 8), (3, 2), (2, 1), (1, 0), True, False, None),
    ((1, 2, 6, 7), 3, 2, 1, True, True, 5),
]


@pytest.mark.parametrize("x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override",
                         AVG_POOL_CASES)
def test_avg_pool2d_matches_torch(x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                  divisor_override, rng, match_torch):
    args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    match_torch(lambda x: F.avg_pool2d(x, *args), lambda x: TF.avg_pool2d(x, *args), [_image(rng, x_shape)])


@pytest.mark.parametrize("x_shape, output_size", [
    ((2, 3, 5, 7), 1), ((2, 3, 5, 7), (1, 1)), ((2, 3, 6, 8), (3, 4)), ((2, 3, 5, 7), (3, 4)),
    ((1, 2, 7, 5), (4, None)), ((1, 2, 3, 3), 5), ((3, 6, 6), 2),
])
def test_adaptive_avg_pool2d_matches_torch(x_shape, output_size, rng, match_torch):
    match_torch(lambda x: F.adaptive_avg_pool2d(x, output_size), lambda x: TF.adaptive_avg_pool2d(x, output_size),
                [_image(rng, x_shape)])


def test_pools_in_float32_and_unbatched_match_torch(rng, match_torch):
    x = [_image(rng, (2, 4, 9, 9), np.float32)]
    match_torch(lambda x: F.max_pool2d(x, 3, 2, 1), lambda x: TF.max_pool2d(x, 3, 2, 1), x)
    match_torch(lambda x: F.avg_pool2d(x, 3, 2, 1), lambda x: TF.avg_pool2d(x, 3, 2, 1), x)
    match_torch(lambda x: F.adaptive_avg_pool2d(x, 1), lambda x: TF.adaptive_avg_pool2d(x, 1), x)
    x = [_image(rng, (3, 5, 6))]
    match_torch(lambda x: F.max_pool2d(x, 2, ceil_mode=True), lambda x: TF.max_pool2d(x, 2, ceil_mode=True), x)
    match_torch(lambda x: F.avg_pool2d(x, 2, ceil_mode=True), lambda x: TF.avg_pool2d(x, 2, ceil_mode=True), x)


POOLS = {
    "max": lambda x: F.max_pool2d(x, 2, 1, 1, ceil_mode=True),
    "max_dilated": lambda x: F.max_pool2d(x, 2, 2, 1, dilation=2, ceil_mode=True),
    "avg": lambda x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    "avg_divisor": lambda x: F.avg_pool2d(x, 2, 1, divisor_override=3),
    "global": lambda x: F.adaptive_avg_pool2d(x, 1),
    "adaptive": lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
}


@pytest.mark.parametrize("name", POOLS)
def test_pool_gradcheck(name, rng):
    assert mg.gradcheck(POOLS[name], [_image(rng, (1, 2, 4, 5))])


@pytest.mark.parametrize("name", ["max", "avg", "global"])
def test_pool_second_order_gradcheck(name, rng, gradcheck_second_order):
    """Grad of grad and forward over reverse run through the adjoint ops (MaxPool2dBackward, ...)."""
    assert gradcheck_second_order(POOLS[name], [_image(rng, (1, 2, 3, 4))])


def test_max_pool2d_gradient_goes_to_the_window_maximum(assert_close):
    x = mg.tensor([[[[1.0, 5.0, 2.0], [3.0, 4.0, 0.0], [7.0, 6.0, 8.0]]]], requires_grad=True)
    F.max_pool2d(x, 2, 1).sum().backward()
    assert_close(x.grad, np.array([[[[0, 2, 0], [0, 0, 0], [1, 0, 1]]]], dtype=np.float32))


@pytest.mark.parametrize("call, error", [
    (lambda x: F.max_pool2d(x, 2, padding=2), ValueError),
    (lambda x: F.avg_pool2d(x, 3, padding=2), ValueError),
    (lambda x: F.max_pool2d(x, 7), ValueError),
    (lambda x: F.max_pool2d(x.reshape(12, 12), 2), ValueError),
    (lambda x: F.avg_pool2d(x, (2, 2, 2)), TypeError),
    (lambda x: F.adaptive_avg_pool2d(x, 0), ValueError),
])
def test_pools_reject_bad_arguments(call, error):
    with pytest.raises(error):
        call(mg.zeros(1, 4, 6, 6))
