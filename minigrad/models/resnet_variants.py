"""Two ResNet-18 variants from seed 002, for 32×32 images, on the stages of ``models.resnet.ResNet``:

    PreActResNet18  ResNet v2: each block is BN-ReLU-conv, BN-ReLU-conv, with nothing after the addition,
                    so the identity path is clean; one BN-ReLU before the pooling closes the network.
    SEResNet18      squeeze-and-excitation: each BasicBlock's residual is scaled per channel by
                    s = σ(W₂ ReLU(W₁ GAP(r))), a global average pool, a 1×1 bottleneck (C → C/16 → C)
                    and a sigmoid, before the shortcut is added.
"""
from __future__ import annotations

from .. import nn
from .resnet import BasicBlock, ResNet, conv3x3


class PreActBlock(nn.Module):
    """y = conv2(ReLU(bn2(conv1(ReLU(bn1(x)))))) + shortcut; the projection shortcut (when the size or the
    channels change) reads the pre-activated ReLU(bn1(x)), as in He et al. (2016)."""

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes)
        self.relu = nn.ReLU()
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False))
        else:
            self.downsample = None

    def forward(self, x):
        pre = self.relu(self.bn1(x))
        shortcut = x if self.downsample is None else self.downsample(pre)
        out = self.conv2(self.relu(self.bn2(self.conv1(pre))))
        return out + shortcut


class PreActResNet(ResNet):
    """ResNet v2: a plain conv1 stem (BN-ReLU happen inside the blocks), pre-activation blocks, final BN-ReLU."""

    conv_bn_pairs = ()

    def __init__(self, blocks_per_layer, num_classes: int = 10, in_channels: int = 3):
        super().__init__(blocks_per_layer, num_classes, in_channels, PreActBlock)
        del self.bn1
        self.bn_final = nn.BatchNorm2d(512)

    def forward(self, x):
        x = self.layer4(self.layer3(self.layer2(self.layer1(self.conv1(x)))))
        return self.fc(self.flatten(self.avgpool(self.relu(self.bn_final(x)))))


def PreActResNet18(num_classes: int = 10, in_channels: int = 3) -> PreActResNet:
    return PreActResNet([2, 2, 2, 2], num_classes, in_channels)


class SqueezeExcitation(nn.Module):
    """s = σ(fc2(ReLU(fc1(GAP(x))))) with 1×1 convolutions C → C/r → C;  y = x · s (per channel)."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(hidden, channels, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        return x * self.sigmoid(self.fc2(self.relu(self.fc1(self.pool(x)))))


class SEBasicBlock(BasicBlock):
    """A BasicBlock whose residual bn2(conv2(...)) passes a SqueezeExcitation before the shortcut is added."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1, reduction: int = 16):
        super().__init__(in_planes, planes, stride)
        self.se = SqueezeExcitation(planes, reduction)

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


def SEResNet18(num_classes: int = 10, in_channels: int = 3) -> ResNet:
    return ResNet([2, 2, 2, 2], num_classes, in_channels, SEBasicBlock)
