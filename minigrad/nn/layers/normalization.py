"""Normalization layers: x̂ = (x - μ)/√(σ² + ε), y = γ·x̂ + β, with μ, σ² taken over

    BatchNorm1d/2d    the batch (and positions), per channel; running averages used in eval mode
    LayerNorm         the last dimensions (``normalized_shape``), per sample
    GroupNorm         groups of channels and positions, per sample
    InstanceNorm2d    the positions, per sample and channel
"""
from __future__ import annotations

import numpy as np

from .. import functional as F
from ..module import Module, Parameter
from ...tensor import ones, tensor, zeros


def _affine_parameters(layer, n: int, weight: bool, bias: bool, device, dtype):
    """Register γ = ones(n) and β = zeros(n) as ``weight`` and ``bias`` (or empty slots)."""
    layer.register_parameter("weight", Parameter(ones(n, dtype=dtype, device=device)) if weight else None)
    layer.register_parameter("bias", Parameter(zeros(n, dtype=dtype, device=device)) if bias else None)


class _BatchNorm(Module):
    """Batch statistics in training (and running averages updated: r ← (1-m)·r + m·batch, the variance
    unbiased), running averages in evaluation. ``momentum=None`` averages all batches equally.

    ``num_batches_tracked`` is an int64 0-d tensor on the host whatever the layer's device (as PyTorch's
    in ``state_dict``, but counting it costs a CUDA step no launch and ``momentum=None`` no copy back)."""

    expected_ndims = ()
    host_buffers = ("num_batches_tracked",)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device="cpu", dtype=None, *, bias: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, num_features, affine, affine and bias, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1.0)
            self.num_batches_tracked.zero_()

    def forward(self, x):
        if x.ndim not in self.expected_ndims or x.shape[1] != self.num_features:
            positions = {2: "", 3: ", L", 4: ", H, W", 5: ", D, H, W"}
            shapes = " or ".join(f"(N, {self.num_features}{positions[n]})" for n in self.expected_ndims)
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects input of shape {shapes}, "
                             f"got {x.shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / self.num_batches_tracked.item()
        use_batch_stats = self.training or self.running_mean is None
        pass_running = not self.training or self.track_running_stats  # read in eval; updated in training if tracked
        return F.batch_norm(x, self.running_mean if pass_running else None,
                            self.running_var if pass_running else None,
                            self.weight, self.bias, use_batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Input (N, C) or (N, C, L); statistics per feature C."""
    expected_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Input (N, C, H, W); statistics per channel over N·H·W values."""
    expected_ndims = (4,)


class BatchNorm3d(_BatchNorm):
    """Input (N, C, D, H, W); statistics per channel over N·D·H·W values."""
    expected_ndims = (5,)


class LocalResponseNorm(Module):
    """y = x / (k + α/n · Σ x²)^β over a window of n = ``size`` neighbouring channels (AlexNet)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return F.local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LayerNorm(Module):
    """Statistics over the trailing ``normalized_shape`` dimensions of each sample; γ, β of that shape."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device="cpu", dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(ones(*shape, dtype=dtype, device=device))
            if bias:
                self.bias = Parameter(zeros(*shape, dtype=dtype, device=device))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Channels split into ``num_groups`` groups; statistics per sample and group; γ, β per channel."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True, device="cpu",
                 dtype=None, *, bias: bool = True):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, num_channels, affine, affine and bias, device, dtype)

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class InstanceNorm2d(_BatchNorm):
    """Input (N, C, H, W); statistics per sample and channel over H·W values (the same in train and eval
    unless ``track_running_stats``). PyTorch's defaults: no affine, no running statistics."""
    expected_ndims = (4,)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device="cpu", dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.num_features:
            raise ValueError(f"InstanceNorm2d({self.num_features}) expects input of shape (N, {self.num_features}, "
                             f"H, W), got {x.shape}")
        use_input_stats = self.training or not self.track_running_stats
        return F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias, use_input_stats,
                               0.1 if self.momentum is None else self.momentum, self.eps)
