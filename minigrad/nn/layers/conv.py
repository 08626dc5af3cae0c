"""Convolution layers (cross-correlation, as in PyTorch): Conv1d and Conv2d.

    y[n, o, i, j] = b[o] + Σ_c Σ_a Σ_b W[o, c, a, b] · x[n, g·C/G + c, s·i + d·a - p, s·j + d·b - p]

with stride s, padding p (zeros), dilation d and G groups (input channel c of group g).
Output size per spatial axis: ⌊(n + 2p - d·(k-1) - 1)/s⌋ + 1.
"""
from __future__ import annotations


import numpy as np

from .. import functional as F, init
from ..module import Module, Parameter
from ...tensor import zeros


def _tuple(value, n: int, what: str) -> tuple:
    items = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(items) != n or not all(isinstance(v, (int, np.integer)) for v in items):
        raise ValueError(f"{what} must be an int or a tuple of {n} ints, got {value!r}")
    return tuple(int(v) for v in items)


def conv_repr(layer) -> str:
    """PyTorch's repr of a conv layer: channels, kernel and stride, then what differs from the defaults."""
    s = f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, stride={layer.stride}"
    if isinstance(layer.padding, str) or any(layer.padding):
        s += f", padding={layer.padding}"
    if any(getattr(layer, "output_padding", ())):
        s += f", output_padding={layer.output_padding}"
    if any(d != 1 for d in layer.dilation):
        s += f", dilation={layer.dilation}"
    if layer.groups != 1:
        s += f", groups={layer.groups}"
    if layer.bias is None:
        s += ", bias=False"
    return s


class _ConvNd(Module):
    dims = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device="cpu", dtype=None):
        super().__init__()
        name = type(self).__name__
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                             f"divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        n = self.dims
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, n, "kernel_size")
        self.stride = _tuple(stride, n, "stride")
        if isinstance(padding, str) and padding not in ("same", "valid"):
            raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
        self.padding = padding if isinstance(padding, str) else _tuple(padding, n, "padding")
        self.dilation = _tuple(dilation, n, "dilation")
        weight_shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(zeros(*weight_shape, dtype=dtype, device=device))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: W ~ U(±1/√fan_in) (kaiming_uniform_, a=√5), b likewise."""
        init.default_layer_init_(self.weight, self.bias)

    def extra_repr(self):
        return conv_repr(self)


class Conv1d(_ConvNd):
    """x (N, C_in, L) → y (N, C_out, L_out);   W (C_out, C_in/groups, k)."""
    dims = 1

    def forward(self, x):
        if x.ndim != 3:
            raise ValueError(f"Conv1d expects input of shape (N, C, L), got {x.shape}")
        return F.conv1d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv2d(_ConvNd):
    """x (N, C_in, H, W) → y (N, C_out, H_out, W_out);   W (C_out, C_in/groups, kh, kw)."""
    dims = 2

    def forward(self, x):
        if x.ndim != 4:
            raise ValueError(f"Conv2d expects input of shape (N, C, H, W), got {x.shape}")
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class ConvTranspose2d(Module):
    """x (N, C_in, H, W) → y (N, C_out, H_out, W_out), the transposed convolution (conv2d's input gradient);
    W (C_in, C_out/groups, kh, kw). H_out = (H - 1)·s - 2p + d·(kh - 1) + output_padding + 1."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                 groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros", device="cpu",
                 dtype=None):
        super().__init__()
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"ConvTranspose2d: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                             f"both be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"ConvTranspose2d: only padding_mode='zeros' is supported, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, 2, "kernel_size")
        self.stride, self.padding = _tuple(stride, 2, "stride"), _tuple(padding, 2, "padding")
        self.output_padding, self.dilation = _tuple(output_padding, 2, "output_padding"), _tuple(dilation, 2, "dilation")
        self.weight = Parameter(zeros(in_channels, out_channels // groups, *self.kernel_size, dtype=dtype,
                                      device=device))
        if bias:
            self.bias = Parameter(zeros(out_channels, dtype=dtype, device=device))
        else:
            self.register_parameter("bias", None)
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"ConvTranspose2d expects input of shape (N, C, H, W) or (C, H, W), got {x.shape}")
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)

    def extra_repr(self):
        return conv_repr(self)
