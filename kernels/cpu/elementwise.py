"""Elementwise special functions that NumPy lacks."""
import math

import numpy as np
from numba import njit, prange

from ._args import FLOAT_DTYPES


@njit(parallel=True, cache=True)
def _erf_kernel(x, out):
    for i in prange(x.shape[0]):
        out[i] = math.erf(x[i])


def erf(x):
    """The error function erf(x) = 2/sqrt(pi) int_0^x exp(-t^2) dt, elementwise, same shape and dtype."""
    x = np.asarray(x)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"erf: x must be float32 or float64, got {x.dtype}")
    flat = np.ascontiguousarray(x).reshape(-1)
    out = np.empty_like(flat)
    _erf_kernel(flat, out)
    return out.reshape(x.shape)
