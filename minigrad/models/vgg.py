"""VGG for 32×32 images: 3×3 convolutions (padding 1) with BatchNorm and ReLU, 2×2 max-pools ("M"),
then one linear layer on the 512 features left after five pools."""
from __future__ import annotations

from .. import nn

CONFIGS = {
    "VGG11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "VGG13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "VGG16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "VGG19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}


class VGG(nn.Module):
    """``cfg``: a name from CONFIGS or a list of channel counts and "M"; ``batch_norm=False`` gives the
    original (BN-free) blocks with biased convolutions."""

    def __init__(self, cfg="VGG11", num_classes: int = 10, in_channels: int = 3, batch_norm: bool = True):
        super().__init__()
        if isinstance(cfg, str):
            if cfg not in CONFIGS:
                raise ValueError(f"VGG: unknown configuration {cfg!r}; expected one of {', '.join(CONFIGS)} or a list")
            cfg = CONFIGS[cfg]
        layers, channels = [], in_channels
        for item in cfg:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
                continue
            layers.append(nn.Conv2d(channels, item, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(item))
            layers.append(nn.ReLU())
            channels = item
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))
