"""Scalar: a Python float on the graph — the blackboard engine.

    x, y = Scalar(3.0, name="x"), Scalar(2.0, name="y")
    f = y * x.log() + (y * x.log()).sqrt()
    f.backward(); x.grad, y.grad

Scalars keep ``.grad`` on every node (not only leaves), so each step of backprop can be read off.

A Scalar reads like a number: ``x.grad == 46.0``, ``abs(x.grad - y)``, ``f"{x.grad:.4f}"``,
``math.isclose(x.grad, 46.0)`` and ``pytest.approx`` work (it is registered as a ``numbers.Real``).
Comparisons (``==``, ``<``, ...) compare values and give a Python bool, not a node (unlike a
Tensor, whose ``==`` is elementwise): a Scalar has one value and its comparisons have no gradient.
Hashing stays by identity, so the graph core and ``viz`` can keep Scalars in sets and dicts.
"""
from __future__ import annotations

import math
import numbers

from . import autodiff
from .autodiff import Node
from .backend import scalar as scalar_backend
from .ops import elementwise as E


class Scalar(E.Arithmetic, Node):
    backend = scalar_backend
    shape = ()
    ndim = 0
    size = 1
    dtype = float
    device = "cpu"
    _retains_grad = True

    def __init__(self, value, name: str | None = None, requires_grad: bool = True):
        if isinstance(value, Scalar):
            value = value.data
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"Scalar takes a real number, got {type(value).__name__}")
        self.data = float(value)
        self.name = name
        self.requires_grad = requires_grad
        self.grad = None

    def _new(self, raw):
        return Scalar(raw, requires_grad=False)

    def _lift(self, other):
        if isinstance(other, Scalar):
            return other
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return Scalar(other, requires_grad=False)
        raise TypeError(f"cannot combine a Scalar with {type(other).__name__}; expected a Scalar or a number")

    def zeros_like(self):
        return Scalar(0.0, requires_grad=False)

    def ones_like(self):
        return Scalar(1.0, requires_grad=False)

    def item(self) -> float:
        return self.data

    def __float__(self):
        return self.data

    def __repr__(self):
        label = f"{self.name}=" if self.name else ""
        grad = "" if self.grad is None else f", grad={self.grad.data:.6g}"
        return f"Scalar({label}{self.data:.6g}{grad})"

    def __format__(self, spec):
        return format(self.data, spec)

    def __int__(self):
        return int(self.data)

    def __bool__(self):
        return self.data != 0

    def __abs__(self):
        return self.abs()

    def _other_value(self, o):
        if isinstance(o, Scalar):
            return o.data
        if isinstance(o, numbers.Real):
            return float(o)
        return None

    def _compare(self, compare, o):
        value = self._other_value(o)
        return NotImplemented if value is None else compare(self.data, value)

    def __eq__(self, o): return self._compare(float.__eq__, o)
    def __ne__(self, o): return self._compare(float.__ne__, o)
    def __lt__(self, o): return self._compare(float.__lt__, o)
    def __le__(self, o): return self._compare(float.__le__, o)
    def __gt__(self, o): return self._compare(float.__gt__, o)
    def __ge__(self, o): return self._compare(float.__ge__, o)

    __hash__ = Node.__hash__

    def sign(self):
        return Scalar(math.copysign(1.0, self.data) if self.data != 0 else 0.0, requires_grad=False)

    def positive_mask(self):
        return Scalar(1.0 if self.data > 0 else 0.0, requires_grad=False)

    def expand(self, shape):
        return self


numbers.Real.register(Scalar)
autodiff.Scalar = Scalar
