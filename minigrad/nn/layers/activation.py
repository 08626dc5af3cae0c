"""Activation layers (no parameters, except PReLU's slope)."""
from __future__ import annotations

from .. import functional as F
from ..module import Module, Parameter
from ...tensor import full


class _Activation(Module):
    """Accepts PyTorch's ``inplace`` flag for compatibility; minigrad always computes a new tensor."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_Activation):
    """max(0, x)"""

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(_Activation):
    """max(0, x) + negative_slope·min(0, x)"""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(inplace)
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(_Activation):
    """x if x > 0 else α(eˣ - 1)"""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """x if x > 0 else a·x, with a learned slope a (one, or one per channel: ``num_parameters=C``)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device="cpu", dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(full((num_parameters,), init, dtype=dtype, device=device))

    def forward(self, x):
        if self.num_parameters == 1 or x.ndim < 2:
            slope = self.weight
        else:
            if x.shape[1] != self.num_parameters:
                raise ValueError(f"PReLU({self.num_parameters}) expects {self.num_parameters} channels on axis 1, "
                                 f"got input of shape {x.shape}")
            slope = self.weight.reshape((self.num_parameters,) + (1,) * (x.ndim - 2))
        return x.where(x > 0, slope * x)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Sigmoid(Module):
    """σ(x) = 1/(1 + e⁻ˣ)"""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """tanh x"""

    def forward(self, x):
        return F.tanh(x)


class Softmax(Module):
    """exp(xᵢ)/Σⱼ exp(xⱼ) along ``dim``."""

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class _Elementwise(_Activation):
    """An activation given by the name of its F function (``fn``); no parameters."""
    fn = None

    def forward(self, x):
        return getattr(F, self.fn)(x)


class SiLU(_Elementwise):
    """x·σ(x) (swish)"""
    fn = "silu"


class Mish(_Elementwise):
    """x·tanh(softplus(x))"""
    fn = "mish"


class Hardswish(_Elementwise):
    """x·relu6(x + 3)/6"""
    fn = "hardswish"


class Hardsigmoid(_Elementwise):
    """relu6(x + 3)/6"""
    fn = "hardsigmoid"


class ReLU6(_Elementwise):
    """min(max(0, x), 6)"""
    fn = "relu6"


class SELU(_Elementwise):
    """λ·(x if x > 0 else α(eˣ - 1)) with PyTorch's constants λ ≈ 1.0507, α ≈ 1.6733"""
    fn = "selu"


class Softsign(Module):
    """x/(1 + |x|)"""

    def forward(self, x):
        return F.softsign(x)


class LogSigmoid(Module):
    """log σ(x)"""

    def forward(self, x):
        return F.logsigmoid(x)


class Hardtanh(_Activation):
    """clip(x, min_val, max_val)"""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.min_val, self.max_val = min_val, max_val

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}"


class CELU(_Activation):
    """x if x > 0 else α(e^(x/α) - 1)"""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(inplace)
        self.alpha = alpha

    def forward(self, x):
        return F.celu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Softmin(Softmax):
    """exp(-xᵢ)/Σⱼ exp(-xⱼ) along ``dim``."""

    def forward(self, x):
        return F.softmin(x, self.dim)
