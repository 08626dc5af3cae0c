"""SyncBatchNorm: batch normalization whose statistics are those of the global batch over all ranks.

With M_r values per channel on rank r and M = Σ_r M_r,

    μ  = AllReduce(Σ x) / M                 σ² = AllReduce(Σ (x - μ)²) / M
    y  = γ · (x - μ) / √(σ² + ε) + β

``AllReduceSum`` is an op whose adjoint is itself (∂L/∂s_r = Σ_q ∂L/∂(Σ s)_q: every rank's copy of
the sum depends on every rank's part), so backward all-reduces Σ g and Σ g·x̂ per channel, as the
formula for the global batch demands; the rest of the backward is autodiff's. In a world of one it
is BatchNorm. Running statistics are updated with the global μ and the unbiased σ² · M/(M - 1).
"""
from __future__ import annotations

import numpy as np

from ..autodiff import Op, no_grad
from ..nn import functional as F
from ..nn.layers.normalization import _BatchNorm
from .collectives import all_reduce_array


class AllReduceSum(Op):
    """z = Σ over ranks of x (the same on every rank);   vjp: g ↦ Σ over ranks of g;   jvp likewise."""

    symbol = "all_reduce_sum({0})"

    def forward(self, x):
        return self.xp.from_numpy(all_reduce_array(self.xp.to_numpy(x)))

    def vjp(self, g):
        return AllReduceSum.apply(g)

    def jvp(self, t):
        return AllReduceSum.apply(t)


def all_reduce_sum(x):
    """Σ over ranks of the tensor x, differentiable (see AllReduceSum)."""
    return AllReduceSum.apply(x)


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over the global batch: input (N, C, ...) of any rank ≥ 2; the same arguments as BatchNorm2d."""

    expected_ndims = (2, 3, 4, 5)

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        if x.ndim not in self.expected_ndims or x.shape[1] != self.num_features:
            raise ValueError(f"SyncBatchNorm({self.num_features}) expects input of shape (N, {self.num_features}, ...),"
                             f" got {x.shape}")
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        m = int(all_reduce_array(np.array([x.size // self.num_features]))[0])
        if m < 2:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all ranks, got {m}")
        mean = all_reduce_sum(x.sum(axis=axes)) / m
        centred = x - mean.reshape(shape)
        var = all_reduce_sum((centred * centred).sum(axis=axes)) / m
        y = centred / (var.reshape(shape) + self.eps).sqrt()
        if self.weight is not None:
            y = y * self.weight.reshape(shape)
        if self.bias is not None:
            y = y + self.bias.reshape(shape)
        if self.track_running_stats:
            with no_grad():
                self.num_batches_tracked.add_(1)
                factor = 1.0 / self.num_batches_tracked.item() if self.momentum is None else self.momentum
                F._update_running(self.running_mean, mean.detach(), factor)
                F._update_running(self.running_var, var.detach() * (m / (m - 1)), factor)
        return y

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding its parameters and buffers."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm) and \
                type(module).__name__.startswith("BatchNorm"):
            sync = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                       bias=module.bias is not None)
            for name in ("weight", "bias"):
                sync.register_parameter(name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                sync.register_buffer(name, getattr(module, name))
            sync.train(module.training)
            return sync
        for name, child in list(module._modules.items()):
            if child is not None:
                setattr(module, name, cls.convert_sync_batchnorm(child))
        return module
