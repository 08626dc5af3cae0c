"""Argument normalisation shared by the CPU kernels' Python wrappers.

The jitted cores see only C-contiguous float32/float64 arrays of a fixed ndim and int64
scalars, so each core compiles once per dtype.
"""
import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def pair(value, name):
    """Return `value` as an (h, w) tuple of Python ints; an int means (value, value)."""
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    try:
        h, w = value
        if isinstance(h, (int, np.integer)) and isinstance(w, (int, np.integer)):
            return int(h), int(w)
    except (TypeError, ValueError):
        pass
    raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}")


def float_array(x, name, ndims):
    """Return `x` as a C-contiguous float32/float64 array whose ndim is one of `ndims`."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float32 or float64, got {x.dtype}")
    if x.ndim not in ndims:
        expected = " or ".join(f"{d}-d" for d in ndims)
        raise ValueError(f"{name} must be {expected}, got shape {x.shape}")
    return np.ascontiguousarray(x)


def same_dtype(reference, **arrays):
    """Raise TypeError unless every array in `arrays` has the dtype of `reference`."""
    for name, array in arrays.items():
        if array is not None and array.dtype != reference.dtype:
            raise TypeError(f"{name} has dtype {array.dtype}, expected {reference.dtype} like the input")


def positive(values, name):
    if min(values) < 1:
        raise ValueError(f"{name} must be positive, got {values}")


def non_negative(values, name):
    if min(values) < 0:
        raise ValueError(f"{name} must be non-negative, got {values}")
