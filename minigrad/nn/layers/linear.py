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


class Maxout(Module):
    """y_k = max_j (w_kjᵀ x + b_kj), j = 1..pieces: a Linear layer to out_features·pieces values, then the
    maximum of each group of ``pieces`` (seed 004's max(w₁ᵀx + b₁, w₂ᵀx + b₂) for pieces=2)."""

    def __init__(self, in_features: int, out_features: int, pieces: int = 2, bias: bool = True, device="cpu",
                 dtype=None):
        super().__init__()
        if pieces < 1:
            raise ValueError(f"Maxout: pieces must be at least 1, got {pieces}")
        self.in_features, self.out_features, self.pieces = in_features, out_features, pieces
        self.linear = Linear(in_features, out_features * pieces, bias=bias, device=device, dtype=dtype)

    def forward(self, x):
        return F.maxout(self.linear(x), self.pieces, axis=-1)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, pieces={self.pieces}"
