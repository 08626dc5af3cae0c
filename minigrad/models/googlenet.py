"""GoogLeNet (Inception v1) for 32×32 CIFAR-10 images (seed 002), with BatchNorm after every convolution.

    stem 3×3 conv → 192 → inception 3a, 3b → max-pool 3/2 → 4a … 4e → max-pool 3/2 → 5a, 5b
    → global average pool → dropout 0.4 → fc

An inception module runs four branches on the same input and concatenates their channels:
1×1; 1×1 → 3×3; 1×1 → 5×5; 3×3 max-pool (stride 1) → 1×1. Channel counts are the paper's (Table 1).
With ``aux_logits`` two auxiliary classifiers read 4a and 4d (5×5/3 average pool, 1×1 conv to 128,
fc 1024, dropout 0.7, fc); in training mode the model then returns (logits, aux1, aux2).
"""
from __future__ import annotations

from collections import namedtuple

from .. import nn
from ..tensor import concat

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class BasicConv2d(nn.Module):
    """conv (no bias) → BatchNorm → ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int = 0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    """Four branches concatenated: n1×1 | n3×3red → n3×3 | n5×5red → n5×5 | pool → pool_proj channels."""

    def __init__(self, in_channels, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, n1x1, 1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, n3x3red, 1), BasicConv2d(n3x3red, n3x3, 3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, n5x5red, 1), BasicConv2d(n5x5red, n5x5, 5, padding=2))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), BasicConv2d(in_channels, pool_proj, 1))
        self.out_channels = n1x1 + n3x3 + n5x5 + pool_proj

    def forward(self, x):
        return concat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], axis=1)


class InceptionAux(nn.Module):
    """5×5/3 average pool → 1×1 conv to 128 → fc 1024 → ReLU → dropout 0.7 → fc (on 16×16 maps: 4·4·128 inputs)."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.pool = nn.AvgPool2d(5, stride=3)
        self.conv = BasicConv2d(in_channels, 128, 1)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.relu = nn.ReLU()
        self.dropout = nn.Dropout(0.7)
        self.fc2 = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.flatten(self.conv(self.pool(x)))
        return self.fc2(self.dropout(self.relu(self.fc1(x))))


INCEPTIONS = {  # name: (in, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj)
    "inception3a": (192, 64, 96, 128, 16, 32, 32), "inception3b": (256, 128, 128, 192, 32, 96, 64),
    "inception4a": (480, 192, 96, 208, 16, 48, 64), "inception4b": (512, 160, 112, 224, 24, 64, 64),
    "inception4c": (512, 128, 128, 256, 24, 64, 64), "inception4d": (512, 112, 144, 288, 32, 64, 64),
    "inception4e": (528, 256, 160, 320, 32, 128, 128), "inception5a": (832, 256, 160, 320, 32, 128, 128),
    "inception5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    def __init__(self, num_classes: int = 10, aux_logits: bool = False, in_channels: int = 3, dropout: float = 0.4):
        super().__init__()
        self.aux_logits = aux_logits
        self.pre_layers = BasicConv2d(in_channels, 192, 3, padding=1)
        for name, sizes in INCEPTIONS.items():
            setattr(self, name, Inception(*sizes))
        self.maxpool3 = nn.MaxPool2d(3, stride=2, padding=1)
        self.maxpool4 = nn.MaxPool2d(3, stride=2, padding=1)
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes)
            self.aux2 = InceptionAux(528, num_classes)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.inception3b(self.inception3a(self.pre_layers(x)))
        x = self.inception4a(self.maxpool3(x))
        aux1 = self.aux1(x) if self.aux_logits and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux_logits and self.training else None
        x = self.inception5b(self.inception5a(self.maxpool4(self.inception4e(x))))
        logits = self.fc(self.dropout(self.flatten(self.avgpool(x))))
        return GoogLeNetOutputs(logits, aux2, aux1) if aux1 is not None else logits
