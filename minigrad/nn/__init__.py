"""Layers and losses (PyTorch conventions)."""
from . import functional
