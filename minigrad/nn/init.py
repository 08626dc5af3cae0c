"""Weight initialisation, in place, from minigrad's seeded generator (``mg.manual_seed``).

For a weight of shape (out, in, *kernel): fan_in = in·∏kernel, fan_out = out·∏kernel.

    lecun_normal_     N(0, 1/fan_in)                               (tanh, LeCun et al. 1998)
    xavier_normal_    N(0, gain²·2/(fan_in+fan_out))               (Glorot & Bengio 2010)
    xavier_uniform_   U(-a, a), a = gain·√(6/(fan_in+fan_out))
    kaiming_normal_   N(0, gain²/fan),  gain = √(2/(1+a²))         (He et al. 2015; fan = fan_in or fan_out)
    kaiming_uniform_  U(-b, b), b = gain·√(3/fan)
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff import no_grad
from ..tensor import Tensor, get_rng


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The factor that keeps activations' variance steady through ``nonlinearity`` (PyTorch's table)."""
    linear = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join(linear + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def _calculate_fan_in_and_fan_out(t: Tensor):
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:], dtype=np.int64))
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def _fill(t: Tensor, values: np.ndarray) -> Tensor:
    with no_grad():
        t.copy_(values)
    return t


def _float_dtype(t: Tensor):
    return t.dtype if t.dtype in (np.float32, np.float64) else np.float32


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill ``t`` with samples of U(a, b)."""
    rng = generator or get_rng()
    u = rng.random(t.shape, dtype=_float_dtype(t))
    return _fill(t, u * (b - a) + a)


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill ``t`` with samples of N(mean, std²)."""
    rng = generator or get_rng()
    z = rng.standard_normal(t.shape, dtype=_float_dtype(t))
    return _fill(t, z * std + mean)


def constant_(t: Tensor, val: float) -> Tensor:
    with no_grad():
        t.fill_(val)
    return t


def zeros_(t: Tensor) -> Tensor:
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    return constant_(t, 1.0)


def lecun_normal_(t: Tensor, generator=None) -> Tensor:
    """N(0, 1/fan_in): unit variance through a tanh layer in its linear region."""
    fan_in, _ = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, 1.0 / math.sqrt(fan_in), generator)


def xavier_normal_(t: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, σ²) with σ = gain·√(2/(fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def xavier_uniform_(t: Tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with a = gain·√(6/(fan_in + fan_out)) (the same variance as xavier_normal_)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(t)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -a, a, generator)


def kaiming_normal_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator=None) -> Tensor:
    """N(0, σ²) with σ = gain/√fan, gain = calculate_gain(nonlinearity, a) (√2 for ReLU)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(t, mode))
    return normal_(t, 0.0, std, generator)


def kaiming_uniform_(t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator=None) -> Tensor:
    """U(-b, b) with b = gain·√(3/fan) (the same variance as kaiming_normal_).

    With a = √5 this is PyTorch's default for Linear and Conv weights: b = 1/√fan_in.
    """
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(t, mode))
    return uniform_(t, -bound, bound, generator)


def default_layer_init_(weight: Tensor, bias: Tensor | None = None, generator=None) -> Tensor:
    """PyTorch's default for Linear and Conv: W ~ kaiming_uniform_(a=√5) = U(±1/√fan_in), b ~ U(±1/√fan_in)."""
    kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    if bias is not None:
        fan_in = _fan(weight, "fan_in")
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        uniform_(bias, -bound, bound, generator=generator)
    return weight
