"""AlexNet (seed 002), in two versions:

    "imagenet"  torchvision's single-GPU AlexNet (64-192-384-256-256 channels) with the paper's local
                response normalization (size 5, α = 1e-4, β = 0.75, k = 2) after the first two ReLUs;
                overlapping 3×3/2 max-pools, dropout 0.5, 4096-4096-1000 classifier on 256·6·6 features.
                2,469,696 conv + 58,631,144 linear = 61,100,840 parameters (``hidden`` = 4096 units
                in the classifier; smaller values make small test models).
    "cifar10"   the lecture's CIFAR-10 variant: no split, no LRN, overlapping 3×3/2 max-pools, for 32×32
                inputs (4×4 and 3×3 stem convolutions, then 5×5 and three 3×3 as in AlexNet).
"""
from __future__ import annotations

from .. import nn


class AlexNet(nn.Module):
    def __init__(self, variant: str = "imagenet", num_classes: int | None = None, dropout: float = 0.5,
                 hidden: int = 4096):
        super().__init__()
        if variant == "imagenet":
            self.features = nn.Sequential(
                nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0),
                nn.MaxPool2d(3, 2),
                nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.LocalResponseNorm(5, 1e-4, 0.75, 2.0),
                nn.MaxPool2d(3, 2),
                nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(),
                nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
                nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
            self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
            features, classes = 256 * 6 * 6, 1000
        elif variant == "cifar10":
            self.features = nn.Sequential(
                nn.Conv2d(3, 96, 4), nn.ReLU(), nn.Conv2d(96, 96, 3), nn.ReLU(),
                nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
                nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
                nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
                nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2))
            self.avgpool = nn.Identity()
            features, classes = 256 * 6 * 6, 10
        else:
            raise ValueError(f"AlexNet: variant must be 'imagenet' or 'cifar10', got {variant!r}")
        self.variant = variant
        self.flatten = nn.Flatten()
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(features, hidden), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, classes if num_classes is None else num_classes))

    def forward(self, x):
        return self.classifier(self.flatten(self.avgpool(self.features(x))))
