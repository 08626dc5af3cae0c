"""VGG: 3×3 convolutions (padding 1) with (optional) BatchNorm and ReLU, 2×2 max-pools ("M"), then

    head="cifar"     one linear layer on the 512 features left after five pools of a 32×32 image
    head="imagenet"  the paper's classifier on 7·7·512 features (224×224 images): 4096-4096-classes with
                     ReLU and dropout 0.5. VGG19(batch_norm=False): 20,024,384 conv + 123,642,856 linear
                     = 143,667,240 parameters (seed 002)."""
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

    def __init__(self, cfg="VGG11", num_classes: int = 10, in_channels: int = 3, batch_norm: bool = True,
                 head: str = "cifar", dropout: float = 0.5, hidden: int = 4096):
        super().__init__()
        if head not in ("cifar", "imagenet"):
            raise ValueError(f"VGG: head must be 'cifar' or 'imagenet', got {head!r}")
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
        self.head = head
        if head == "imagenet":
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.flatten = nn.Flatten()
            self.classifier = nn.Sequential(
                nn.Linear(channels * 7 * 7, hidden), nn.ReLU(), nn.Dropout(dropout),
                nn.Linear(hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, num_classes))
        else:
            self.flatten = nn.Flatten()
            self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):
        x = self.features(x)
        if self.head == "imagenet":
            x = self.avgpool(x)
        return self.classifier(self.flatten(x))


def _vgg(name):
    def build(num_classes: int = 10, head: str = "cifar", batch_norm: bool = True, **kwargs) -> VGG:
        return VGG(name, num_classes, head=head, batch_norm=batch_norm, **kwargs)
    build.__name__ = build.__qualname__ = name
    build.__doc__ = f"{name} ({CONFIGS[name].count('M')} pools); head 'cifar' or 'imagenet' (use num_classes=1000)."
    return build


VGG11, VGG13, VGG16, VGG19 = (_vgg(name) for name in CONFIGS)
