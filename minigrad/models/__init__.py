"""Ready-made models from the lecture notes: ``from minigrad import models``."""
from .lenet import LeNet5
from .nin import NiN
from .resnet import BasicBlock, ResNet, ResNet18, ResNet34
from .vgg import VGG
