"""Scalar: a Python float on the graph — the blackboard engine.

    x, y = Scalar(3.0, name="x"), Scalar(2.0, name="y")
    f = y * x.log() + (y * x.log()).sqrt()
    f.backward(); x.grad, y.grad

Scalars keep ``.grad`` on every node (not only leaves), so each step of backprop can be read off.
"""
from __future__ import annotations

import math

from . import autodiff
from .autodiff import Node
from .backend import scalar as scalar_backend
from .ops import elementwise as E


class Scalar(Node):
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

    # ---- arithmetic -----------------------------------------------------------------------------
    def __add__(self, o): return E.Add.apply(self, self._lift(o))
    def __radd__(self, o): return E.Add.apply(self._lift(o), self)
    def __sub__(self, o): return E.Sub.apply(self, self._lift(o))
    def __rsub__(self, o): return E.Sub.apply(self._lift(o), self)
    def __mul__(self, o): return E.Mul.apply(self, self._lift(o))
    def __rmul__(self, o): return E.Mul.apply(self._lift(o), self)
    def __truediv__(self, o): return E.Div.apply(self, self._lift(o))
    def __rtruediv__(self, o): return E.Div.apply(self._lift(o), self)
    def __neg__(self): return E.Neg.apply(self)

    def __pow__(self, o):
        if isinstance(o, (int, float)):
            return E.PowConst.apply(self, c=o)
        return E.Pow.apply(self, self._lift(o))

    def __rpow__(self, o):
        return E.Pow.apply(self._lift(o), self)

    def __lt__(self, o): return self.data < float(o)
    def __le__(self, o): return self.data <= float(o)
    def __gt__(self, o): return self.data > float(o)
    def __ge__(self, o): return self.data >= float(o)

    # ---- functions ------------------------------------------------------------------------------
    def exp(self): return E.Exp.apply(self)
    def log(self): return E.Log.apply(self)
    def log1p(self): return E.Log1p.apply(self)
    def sqrt(self): return E.Sqrt.apply(self)
    def sin(self): return E.Sin.apply(self)
    def cos(self): return E.Cos.apply(self)
    def tanh(self): return E.Tanh.apply(self)
    def sigmoid(self): return E.Sigmoid.apply(self)
    def relu(self): return E.Relu.apply(self)
    def abs(self): return E.Abs.apply(self)
    def erf(self): return E.Erf.apply(self)

    def sign(self):
        return Scalar(math.copysign(1.0, self.data) if self.data != 0 else 0.0, requires_grad=False)

    def positive_mask(self):
        return Scalar(1.0 if self.data > 0 else 0.0, requires_grad=False)

    def expand(self, shape):
        return self


autodiff.Scalar = Scalar
