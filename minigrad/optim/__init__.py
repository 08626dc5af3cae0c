"""Optimizers and learning-rate schedules (PyTorch conventions): ``from minigrad import optim``."""
from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
