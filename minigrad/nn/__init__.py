"""Layers, losses and their helpers (PyTorch conventions): ``from minigrad import nn``."""
from . import functional, init
from .layers import (ELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv1d, Conv2d, CrossEntropyLoss,
                     Dropout, Flatten, GroupNorm, Identity, InstanceNorm2d, LayerNorm, LeakyReLU, Linear, MaxPool2d,
                     ModuleList, MSELoss, PReLU, ReLU, Sequential, Sigmoid, Softmax, Tanh)
from .layers import (CELU, SELU, BatchNorm3d, ConvTranspose2d, Dropout2d, Hardsigmoid, Hardswish, Hardtanh,
                     LocalResponseNorm, LogSigmoid, Maxout, MaxUnpool2d, Mish, ReLU6, SiLU, Softmin, Softsign,
                     Upsample)
from .module import Module, Parameter, StateDictError
from . import utils
from .summary import summary
from ..distributed.sync_batchnorm import SyncBatchNorm
