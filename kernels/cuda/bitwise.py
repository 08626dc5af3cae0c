"""Bitwise and, or, not with broadcasting (logical on booleans), made by the elementwise factory.

CPU twins: np.bitwise_and, np.bitwise_or, np.invert.
"""
import numpy as np
from numba import cuda

from kernels.cuda.elementwise import elementwise


@cuda.jit(device=True)
def _and(a, b):
    return a & b


@cuda.jit(device=True)
def _or(a, b):
    return a | b


@cuda.jit(device=True)
def _not(x):
    return not x


@cuda.jit(device=True)
def _complement(x):
    return ~x


bitwise_and = elementwise(_and, 2, "bitwise_and")
bitwise_or = elementwise(_or, 2, "bitwise_or")
_logical_not = elementwise(_not, 1, "invert")
_integer_invert = elementwise(_complement, 1, "invert")


def invert(x):
    """~x: logical not on booleans, the bitwise complement on integers."""
    return _logical_not(x) if np.dtype(x.dtype) == np.bool_ else _integer_invert(x)
