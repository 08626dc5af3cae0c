"""Fully connected layers: Linear (y = x Wᵀ + b) and Identity."""
from __future__ import annotations

from .. import functional as F, init
from ..module import Module, Parameter
from ...tensor import zeros


class Identity(Module):
    """y = x (a placeholder, for example where a fused BatchNorm was)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """y = x Wᵀ + b;   x (*, in_features) → y (*, out_features), W (out, in), b (out,).

    PyTorch's default init: W ~ U(-1/√in, 1/√in) (kaiming_uniform_ with a=√5), b ~ U(-1/√in, 1/√in).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device="cpu", dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(zeros(out_features, in_features, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: W ~ U(±1/√fan_in) (kaiming_uniform_, a=√5), b likewise."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
