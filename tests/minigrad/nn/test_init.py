"""Initialisers: gains as in PyTorch, sample statistics against the formulas, seeding, in-place behaviour."""
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.nn import init

torch = pytest.importorskip("torch")

SHAPE = (256, 64, 3, 3)  # fan_in = 576, fan_out = 2304, 147,456 samples: relative sd of a std ≈ 0.2%
FAN_IN, FAN_OUT = 64 * 9, 256 * 9


@pytest.mark.parametrize("nonlinearity, param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                                 ("tanh", None), ("relu", None), ("leaky_relu", None),
                                                 ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("fill, expected_std", [
    (lambda t: init.lecun_normal_(t), 1 / math.sqrt(FAN_IN)),
    (lambda t: init.xavier_normal_(t), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda t: init.xavier_normal_(t, gain=5 / 3), 5 / 3 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda t: init.xavier_uniform_(t), math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / FAN_IN)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(2 / FAN_OUT)),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(2 / FAN_IN)),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(3 * FAN_IN)),
    (lambda t: init.normal_(t, 0.0, 0.02), 0.02),
    (lambda t: init.uniform_(t, -0.5, 0.5), 1 / math.sqrt(12)),
], ids=["lecun", "xavier_normal", "xavier_normal_gain", "xavier_uniform", "kaiming_normal", "kaiming_normal_fan_out",
        "kaiming_uniform", "kaiming_uniform_a_sqrt5", "normal", "uniform"])
def test_sample_std_matches_formula(fill, expected_std):
    t = mg.zeros(*SHAPE)
    assert fill(t) is t
    values = t.numpy()
    assert abs(values.mean()) < 0.02 * expected_std
    assert values.std() == pytest.approx(expected_std, rel=0.02)


@pytest.mark.parametrize("fill, bound", [
    (lambda t: init.xavier_uniform_(t), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out"), math.sqrt(2) * math.sqrt(3 / FAN_OUT)),
    (lambda t: init.uniform_(t, -0.1, 0.1), 0.1),
])
def test_uniform_initialisers_respect_their_bound(fill, bound):
    values = fill(mg.zeros(*SHAPE)).numpy()
    assert values.min() >= -bound and values.max() <= bound
    assert values.max() > 0.99 * bound and values.min() < -0.99 * bound


def test_constants():
    t = mg.zeros(3, 4)
    np.testing.assert_array_equal(init.constant_(t, 0.5).numpy(), np.full((3, 4), 0.5))
    np.testing.assert_array_equal(init.ones_(t).numpy(), np.ones((3, 4)))
    np.testing.assert_array_equal(init.zeros_(t).numpy(), np.zeros((3, 4)))


def test_seeded_and_in_place_on_parameters():
    lin = nn.Linear(30, 20)
    weight = lin.weight
    mg.manual_seed(7)
    first = init.kaiming_normal_(lin.weight).numpy().copy()
    mg.manual_seed(7)
    again = init.kaiming_normal_(lin.weight).numpy().copy()
    np.testing.assert_array_equal(first, again)
    assert lin.weight is weight and weight.requires_grad and weight.is_leaf
    assert not np.array_equal(init.kaiming_normal_(lin.weight).numpy(), first)
    mg.manual_seed(3)
    a = nn.Linear(4, 4).weight.numpy()
    mg.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(4, 4).weight.numpy(), a)


def test_float64_tensors_stay_float64():
    t = init.xavier_normal_(mg.zeros(10, 10, dtype=mg.float64))
    assert t.dtype == np.float64


def test_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.xavier_normal_(mg.zeros(5))
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.kaiming_normal_(mg.zeros(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def deep_activation_std(weight_std, activation, width=512, depth=6):
    """The lecture's experiment (cs231n, Lecture 7), narrower: std of the last of six layers."""
    x = mg.randn(16, width)
    for _ in range(depth):
        w = mg.zeros(width, width)
        init.normal_(w, 0.0, weight_std(w))
        x = activation(x @ w)
    return x.numpy().std()


def test_activation_statistics_of_the_lecture():
    """Small random weights make tanh activations vanish; Xavier keeps tanh alive; Kaiming keeps ReLU alive."""
    small = deep_activation_std(lambda w: 0.01, mg.tanh)
    xavier = deep_activation_std(lambda w: 1 / math.sqrt(w.shape[0]), mg.tanh)
    kaiming = deep_activation_std(lambda w: math.sqrt(2 / w.shape[0]), mg.relu)
    xavier_relu = deep_activation_std(lambda w: 1 / math.sqrt(w.shape[0]), mg.relu)
    assert small < 1e-3
    assert 0.15 < xavier < 0.8
    assert 0.4 < kaiming < 2.0
    assert xavier_relu < kaiming / 4  # without the factor 2 ReLU halves the variance per layer
