"""The scalar backend: Python floats and the ``math`` module (the blackboard engine)."""
import math
import operator

name = "scalar"

add, subtract, multiply, divide, negative = operator.add, operator.sub, operator.mul, operator.truediv, operator.neg
sqrt, sin, cos, tanh, erf, log1p = math.sqrt, math.sin, math.cos, math.tanh, math.erf, math.log1p


def power(x, y):
    return float(x) ** y


def exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


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
