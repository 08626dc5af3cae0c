"""Network in Network for 32×32 images (Lin et al. 2014, as in Ryu's notes): three blocks of a spatial conv
followed by two 1×1 convs (an MLP at every pixel), max-pools f=3, s=2 with ``ceil_mode=True``
(32 → 16 → 8, since (32 - 3)/2 + 1 = 15.5 rounds up) and dropout, then a global average pool in place of
linear layers: the last 1×1 conv has one channel per class."""
from __future__ import annotations

from .. import nn


def nin_block(in_channels: int, out_channels: int, kernel_size: int, padding: int, hidden: tuple) -> list:
    c1, c2 = hidden
    return [nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding), nn.ReLU(),
            nn.Conv2d(out_channels, c1, 1), nn.ReLU(),
            nn.Conv2d(c1, c2, 1), nn.ReLU()]


class NiN(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 3, dropout: float = 0.5):
        super().__init__()
        self.features = nn.Sequential(
            *nin_block(in_channels, 192, 5, 2, (160, 96)),
            nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.Dropout(dropout),
            *nin_block(96, 192, 5, 2, (192, 192)),
            nn.MaxPool2d(3, stride=2, ceil_mode=True), nn.Dropout(dropout),
            *nin_block(192, 192, 3, 1, (192, num_classes)))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()

    def forward(self, x):
        return self.flatten(self.avgpool(self.features(x)))
