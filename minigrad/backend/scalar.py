"""The scalar backend: Python floats and the ``math`` module (the blackboard engine).

Results follow IEEE 754 like a float tensor does, where Python would raise: 1/0 = inf, log 0 = -inf,
√-1 = nan, 0^-1 = inf, (-8)^(1/3) = nan (a real, not a complex number).
"""
import math
import operator

import numpy as np

name = "scalar"


def _ieee(fn, fallback):
    """``fn``, but where Python raises (ZeroDivisionError, ValueError, OverflowError) the float64 IEEE result."""
    def ieee(*xs):
        try:
            out = fn(*xs)
        except (ZeroDivisionError, ValueError, OverflowError):
            with np.errstate(all="ignore"):
                return float(fallback(*[np.float64(x) for x in xs]))
        return out if not isinstance(out, complex) else math.nan
    ieee.__name__ = fn.__name__
    return ieee


add, subtract, multiply, negative = operator.add, operator.sub, operator.mul, operator.neg
divide = _ieee(operator.truediv, np.divide)
power = _ieee(lambda x, y: float(x) ** y, np.power)
sqrt, log1p = _ieee(math.sqrt, np.sqrt), _ieee(math.log1p, np.log1p)
sin, cos, tanh, erf = _ieee(math.sin, np.sin), _ieee(math.cos, np.cos), math.tanh, math.erf
exp = _ieee(math.exp, np.exp)


def log(x):
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def abs(x):
    return math.fabs(x)


def sigmoid(x):
    return 0.5 * math.tanh(0.5 * x) + 0.5


def relu(x):
    return x if x > 0 else 0.0


def relu_backward(g, x):
    """g · [x > 0]"""
    return g if x > 0 else g * 0.0


def tanh_backward(g, z):
    """g · (1 - z²) for z = tanh x"""
    return g * (1 - z * z)


def maximum(x, y):
    return x if x >= y else y
