"""Elementwise special functions that NumPy lacks, and fused one-pass maps for the backend's large arrays.

The maps work on flat C-contiguous arrays of one float dtype (the backend hands them only those) in one
parallel pass, where NumPy needs a pass per ufunc and runs on one thread.
"""
import math

import numpy as np
from numba import njit, prange

from ._args import FLOAT_DTYPES
from ._threads import run


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
    run(_erf_kernel, flat.nbytes, flat, out)
    return out.reshape(x.shape)


@njit(parallel=True, cache=True)
def _relu_kernel(x, y):
    for i in prange(x.shape[0]):
        value = x[i]
        y[i] = 0.0 if value <= 0 else value


@njit(parallel=True, cache=True)
def _relu_backward_kernel(g, x, out):
    for i in prange(x.shape[0]):
        out[i] = g[i] if x[i] > 0 else g[i] * 0.0


def relu_into(x, out):
    """out = max(x, 0) elementwise (NaN stays NaN, like np.maximum); x and out C-contiguous, same shape and
    float dtype."""
    run(_relu_kernel, x.nbytes, x.reshape(-1), out.reshape(-1))
    return out


def relu_backward_into(g, x, out):
    """out = g [x > 0] elementwise, as the product g · [x > 0] gives it (NaN in g kept, x NaN gives 0 g);
    g, x and out C-contiguous, same shape and float dtype."""
    run(_relu_backward_kernel, x.nbytes, g.reshape(-1), x.reshape(-1), out.reshape(-1))
    return out
