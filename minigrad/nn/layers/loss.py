"""Loss layers: CrossEntropyLoss (softmax + negative log-likelihood) and MSELoss."""
from __future__ import annotations

from .. import functional as F
from ..module import Module


class CrossEntropyLoss(Module):
    """loss(z, t) = -Σ_k q_k log softmax(z)_k,  q = (1-ε)·onehot(t) + ε/C;  logits (N, C), labels (N,)."""

    def __init__(self, label_smoothing: float = 0.0, reduction: str = "mean"):
        super().__init__()
        self.label_smoothing, self.reduction = label_smoothing, reduction

    def forward(self, logits, target):
        return F.cross_entropy(logits, target, label_smoothing=self.label_smoothing, reduction=self.reduction)

    def extra_repr(self):
        return f"label_smoothing={self.label_smoothing}, reduction={self.reduction!r}"


class MSELoss(Module):
    """loss(x, y) = mean((x - y)²) (or the sum, or per element)."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)
