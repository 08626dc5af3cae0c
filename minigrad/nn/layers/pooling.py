"""Pooling layers: MaxPool2d, AvgPool2d and AdaptiveAvgPool2d (no parameters; channels pooled separately).

Output size per axis: ⌊(n + 2p - d·(k-1) - 1)/s⌋ + 1, rounded up instead with ``ceil_mode=True``
(a last window may then start in the right padding, never past it).
"""
from __future__ import annotations

from .. import functional as F
from ..module import Module


def _check_4d(layer, x):
    if x.ndim != 4:
        raise ValueError(f"{type(layer).__name__} expects input of shape (N, C, H, W), got {x.shape}")


class MaxPool2d(Module):
    """y[n, c, i, j] = max over the k×k window at (s·i - p, s·j - p); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices: bool = False,
                 ceil_mode: bool = False):
        super().__init__()
        if not isinstance(return_indices, bool):
            raise TypeError(f"MaxPool2d: return_indices must be a bool (ceil_mode comes after it, as in PyTorch), "
                            f"got {return_indices!r}")
        self.kernel_size, self.padding, self.dilation, self.ceil_mode = kernel_size, padding, dilation, ceil_mode
        self.return_indices = return_indices
        self.stride = kernel_size if stride is None else stride

    def forward(self, x):
        _check_4d(self, x)
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """y = mean over the k×k window; ``count_include_pad`` decides whether padded zeros count in the mean,
    ``divisor_override`` replaces the divisor."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size, self.padding, self.ceil_mode = kernel_size, padding, ceil_mode
        self.stride = kernel_size if stride is None else stride
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        _check_4d(self, x)
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (H_out, W_out); ``output_size=1`` is the global average pool."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        _check_4d(self, x)
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class MaxUnpool2d(Module):
    """Put max-pooled values back at their ``indices`` (from MaxPool2d(return_indices=True)), zeros elsewhere."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = kernel_size if stride is None else stride

    def forward(self, x, indices, output_size=None):
        return F.max_unpool2d(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Upsample(Module):
    """Resize (N, C, H, W) maps to ``size`` or by ``scale_factor``, mode "nearest" or "bilinear" (F.interpolate)."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest", align_corners=None):
        super().__init__()
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        scale = self.scale_factor
        scale = tuple(float(f) for f in scale) if isinstance(scale, (tuple, list)) else scale and float(scale)
        which = f"size={self.size}" if self.size is not None else f"scale_factor={scale}"
        return f"{which}, mode={self.mode!r}"
