"""ResNet-18/34 (BasicBlocks) and ResNet-50/101/152 (Bottlenecks) for 32×32 images (CIFAR stem: one 3×3
conv, stride 1, no max-pool).

    conv1 3×3 → 64, bn1, ReLU → layer1..layer4 (BasicBlocks; 64, 128, 256, 512 channels; the first block of
    layers 2-4 halves the size with stride 2) → global average pool → fc

Names follow torchvision (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc), so a state dict maps one
to one onto a PyTorch model of the same architecture. ResNet18(num_classes=10): 11,173,962 parameters.
"""
from __future__ import annotations

from .. import nn


def conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """y = ReLU(bn2(conv2(ReLU(bn1(conv1(x))))) + shortcut(x)); the shortcut is x itself, or a 1×1 conv + BN
    projection (``downsample``) when the block changes the size or the number of channels."""

    expansion = 1
    conv_bn_pairs = (("conv1", "bn1"), ("conv2", "bn2"))

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))
        else:
            self.downsample = None

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class Bottleneck(nn.Module):
    """y = ReLU(bn3(conv3(ReLU(bn2(conv2(ReLU(bn1(conv1(x)))))))) + shortcut(x)): 1×1 to ``planes``, 3×3,
    1×1 to 4·planes. A downsampling block strides its first 1×1 conv in ``version="1"`` (which skips 3 of
    every 4 positions) and its 3×3 conv in ``version="1.5"``; the shortcut projection strides in both."""

    expansion = 4
    conv_bn_pairs = (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3"))

    def __init__(self, in_planes: int, planes: int, stride: int = 1, version: str = "1.5"):
        super().__init__()
        if version not in ("1", "1.5"):
            raise ValueError(f"Bottleneck: version must be '1' or '1.5', got {version!r}")
        first, middle = (stride, 1) if version == "1" else (1, stride)
        self.conv1 = nn.Conv2d(in_planes, planes, 1, stride=first, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes, middle)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        if stride != 1 or in_planes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes * 4, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))
        else:
            self.downsample = None

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet(nn.Module):
    """conv1-bn1-ReLU stem, four stages of ``block`` (64, 128, 256, 512 planes), global average pool, fc.
    ``block(in_planes, planes, stride)`` builds one block; its ``expansion`` says how many channels it outputs."""
    conv_bn_pairs = (("conv1", "bn1"),)

    def __init__(self, blocks_per_layer, num_classes: int = 10, in_channels: int = 3, block=None):
        super().__init__()
        self.block = BasicBlock if block is None else block
        self.in_planes = 64
        self.conv1 = conv3x3(in_channels, 64)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        self.layer1 = self._make_layer(64, blocks_per_layer[0], stride=1)
        self.layer2 = self._make_layer(128, blocks_per_layer[1], stride=2)
        self.layer3 = self._make_layer(256, blocks_per_layer[2], stride=2)
        self.layer4 = self._make_layer(512, blocks_per_layer[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(512 * self.block.expansion, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int) -> nn.Sequential:
        layers = []
        for s in [stride] + [1] * (blocks - 1):
            layers.append(self.block(self.in_planes, planes, s))
            self.in_planes = planes * self.block.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


def ResNet18(num_classes: int = 10, in_channels: int = 3) -> ResNet:
    """ResNet-18: [2, 2, 2, 2] BasicBlocks."""
    return ResNet([2, 2, 2, 2], num_classes, in_channels)


def ResNet34(num_classes: int = 10, in_channels: int = 3) -> ResNet:
    """ResNet-34: [3, 4, 6, 3] BasicBlocks."""
    return ResNet([3, 4, 6, 3], num_classes, in_channels)


def bottleneck_block(version: str):
    """Bottleneck blocks of ``version`` "1" or "1.5" as a ``block`` for ResNet."""
    def block(in_planes, planes, stride):
        return Bottleneck(in_planes, planes, stride, version)
    block.expansion = Bottleneck.expansion
    return block


def ResNet50(num_classes: int = 10, in_channels: int = 3, version: str = "1.5") -> ResNet:
    """ResNet-50: [3, 4, 6, 3] Bottlenecks, ``version`` "1" (stride in the first 1×1) or "1.5" (in the 3×3)."""
    return ResNet([3, 4, 6, 3], num_classes, in_channels, bottleneck_block(version))


def ResNet101(num_classes: int = 10, in_channels: int = 3, version: str = "1.5") -> ResNet:
    """ResNet-101: [3, 4, 23, 3] Bottlenecks."""
    return ResNet([3, 4, 23, 3], num_classes, in_channels, bottleneck_block(version))


def ResNet152(num_classes: int = 10, in_channels: int = 3, version: str = "1.5") -> ResNet:
    """ResNet-152: [3, 8, 36, 3] Bottlenecks."""
    return ResNet([3, 8, 36, 3], num_classes, in_channels, bottleneck_block(version))
