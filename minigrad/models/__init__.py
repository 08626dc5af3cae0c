"""Ready-made models from the lecture notes: ``from minigrad import models``."""
from .lenet import LeNet5
from .nin import NiN
from .resnet import BasicBlock, ResNet, ResNet18, ResNet34
from .vgg import VGG
from .alexnet import AlexNet
from .googlenet import GoogLeNet, Inception
from .resnet import Bottleneck, ResNet50, ResNet101, ResNet152
from .resnet_variants import PreActResNet18, SEResNet18, SqueezeExcitation
from .vgg import VGG11, VGG13, VGG16, VGG19
