"""LeNet-5 in the two forms of the lecture notes (input 1×28×28 or 1×32×32).

    classic (STATS 507, after LeCun et al. 1998): conv 5×5 → 6, tanh, max-pool 2 → conv 5×5 → 16, tanh,
              max-pool 2 → 400 → 120 → 84 → classes, tanh between; a 28×28 input gets padding 2 on the
              first conv so it sees 32×32 as in the paper.
    relu      (IIT Patna table): conv 5×5 pad 2 → 20, ReLU, max-pool 2 → conv 5×5 pad 2 → 50, ReLU,
              max-pool 2 → flatten 2450 → 500, ReLU → classes.
"""
from __future__ import annotations

from .. import nn


class LeNet5(nn.Module):
    """``features`` (convolutions and pooling), ``flatten``, ``classifier`` (linear layers); returns logits."""

    def __init__(self, variant: str = "classic", num_classes: int = 10, in_channels: int = 1, input_size: int = 28):
        super().__init__()
        if variant not in ("classic", "relu"):
            raise ValueError(f"LeNet5: variant must be 'classic' or 'relu', got {variant!r}")
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 28 or 32, got {input_size}")
        self.variant = variant
        if variant == "classic":
            pad = 2 if input_size == 28 else 0
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 6, 5, padding=pad), nn.Tanh(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5), nn.Tanh(), nn.MaxPool2d(2))
            self.flatten = nn.Flatten()
            self.classifier = nn.Sequential(
                nn.Linear(16 * 5 * 5, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, num_classes))
        else:
            side = input_size // 4
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 20, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
                nn.Conv2d(20, 50, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2))
            self.flatten = nn.Flatten()
            self.classifier = nn.Sequential(nn.Linear(50 * side * side, 500), nn.ReLU(), nn.Linear(500, num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))
