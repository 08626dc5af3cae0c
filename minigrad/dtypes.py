"""Type promotion, as ``torch.result_type``: which dtype an op on tensors and Python numbers produces.

Dtypes come in categories, bool < integer < floating. Operands come in three tiers:

    tensors with dimensions  >  0-d tensors  >  Python numbers

A lower tier decides the dtype only when it is of a higher category: ``int32 tensor + 1`` stays
int32, ``int64 tensor + 0.5`` is float32 (a Python float counts as the default float dtype, float32),
``float16 tensor + 1.5`` stays float16, ``bool tensor + 1`` is int64. Within a tier dtypes promote
pairwise (``promote_types``): an integer with a float gives the float (int64 + float32 -> float32,
not NumPy's float64), two floats give the wider one.

One place differs from PyTorch on purpose: ``bool tensor - 1`` is int64 ``[0, -1]`` (as ``True - 1``
is in Python), where PyTorch refuses subtraction with a bool tensor; ``bool - bool`` still raises.
"""
from __future__ import annotations

import numbers

import numpy as np

float32 = np.dtype("float32")
default_float = float32

_BOOL, _INT, _FLOAT = 0, 1, 2


def category(dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    return {"b": _BOOL, "i": _INT, "u": _INT, "f": _FLOAT}[np.dtype(dtype).kind]


def promote_types(a, b) -> np.dtype:
    """The dtype both ``a`` and ``b`` convert to (PyTorch's table; NumPy's where they agree)."""
    a, b = np.dtype(a), np.dtype(b)
    if category(a) == _FLOAT and category(b) != _FLOAT:
        return a
    if category(b) == _FLOAT and category(a) != _FLOAT:
        return b
    return np.promote_types(a, b)


def number_dtype(x) -> np.dtype:
    """The dtype a Python number stands for: bool, int64 or the default float dtype."""
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(bool)
    if isinstance(x, numbers.Integral):
        return np.dtype("int64")
    if isinstance(x, numbers.Real):
        return default_float
    raise TypeError(f"expected a real number, got {type(x).__name__}")


def _tier_result(dtypes):
    out = None
    for d in dtypes:
        out = d if out is None else promote_types(out, d)
    return out


def _combine(higher, lower):
    """The result of a higher tier and a lower one: the lower decides only when of a higher category."""
    if higher is None:
        return lower
    if lower is None or category(higher) >= category(lower):
        return higher
    return promote_types(higher, lower)


def result_type(*operands) -> np.dtype:
    """``torch.result_type`` of tensors (anything with ``dtype`` and ``ndim``) and Python numbers."""
    dims, zeros, numbers_ = [], [], []
    for x in operands:
        if hasattr(x, "dtype") and hasattr(x, "ndim") and not isinstance(x, np.generic):
            (dims if x.ndim > 0 else zeros).append(np.dtype(x.dtype))
        else:
            numbers_.append(number_dtype(x))
    return _combine(_tier_result(dims), _combine(_tier_result(zeros), _tier_result(numbers_)))


def floating(dtype) -> np.dtype:
    """``dtype`` if it is floating point, else the default float dtype (for true division, exp, sqrt, ...)."""
    return np.dtype(dtype) if category(dtype) == _FLOAT else default_float
