"""Elementwise ops, for Scalars and Tensors alike: forward, reverse rule and forward rule side by side.

Binary ops broadcast like NumPy; their reverse rules sum the gradient back to each input's shape
(``unbroadcast``). Rules are written with node operations so they can be differentiated again.
"""
import numbers

from ..autodiff import Node, Op, is_absent, is_grad_enabled


def unbroadcast(g, shape):
    """Sum ``g`` over the axes that broadcasting added or stretched, so it has ``shape``."""
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape) if axes else g.reshape(shape)


# ---- binary arithmetic ------------------------------------------------------------------------

class Add(Op):
    """z = x + y;   dz/dx = 1, dz/dy = 1"""
    symbol = "{0} + {1}"

    def forward(self, x, y):
        return self.xp.add(x, y)

    def vjp(self, g):
        x, y = self.inputs
        return unbroadcast(g, x.shape), unbroadcast(g, y.shape)

    def jvp(self, dx, dy):
        return dx + dy


class Sub(Op):
    """z = x - y;   dz/dx = 1, dz/dy = -1"""
    symbol = "{0} - {1}"

    def forward(self, x, y):
        return self.xp.subtract(x, y)

    def vjp(self, g):
        x, y = self.inputs
        return unbroadcast(g, x.shape), unbroadcast(-g, y.shape)

    def jvp(self, dx, dy):
        return dx - dy


class Mul(Op):
    """z = x · y;   dz/dx = y, dz/dy = x"""
    symbol = "{0} · {1}"

    def forward(self, x, y):
        return self.xp.multiply(x, y)

    def vjp(self, g):
        x, y = self.inputs
        gx = unbroadcast(g * y, x.shape) if self.needs_grad[0] else None
        gy = unbroadcast(g * x, y.shape) if self.needs_grad[1] else None
        return gx, gy

    def jvp(self, dx, dy):
        x, y = self.inputs
        return _times(dy, x) + _times(dx, y)


class Div(Op):
    """z = x / y;   dz/dx = 1/y, dz/dy = -x/y²;   tangent (dx - dy·z) / y  (PyTorch's formulas)"""
    symbol = "{0} / {1}"

    def forward(self, x, y):
        return self.xp.divide(x, y)

    def vjp(self, g):
        x, y = self.inputs
        gx = unbroadcast(g / y, x.shape) if self.needs_grad[0] else None
        gy = unbroadcast(-g * ((x / y) / y), y.shape) if self.needs_grad[1] else None
        return gx, gy

    def jvp(self, dx, dy):
        return (dx - _times(dy, self.out)) / self.inputs[1]


def _times(t, local):
    """t · local, but exactly 0 when t is an absent tangent (forward mode's zero for an input it does not
    follow, like PyTorch's ZeroTensor), even where local is ±inf or nan."""
    return t if is_absent(t) else t * local


def _zero_where(mask, value):
    """``value``, but a constant 0 where ``mask`` holds (a boolean tensor; a Python bool for Scalars)."""
    if isinstance(mask, bool):
        return value.zeros_like() if mask else value
    return value.zeros_like().where(mask, value)


class Pow(Op):
    """z = x ** y;   dz/dx = y·x^(y-1) (0 where y = 0),   dz/dy = z·log x (0 where x = 0 and y ≥ 0)

    PyTorch's pow_backward_self / pow_backward_exponent, literally, so every case at base 0 (and the
    second order through them) gives what PyTorch gives for Tensors, including the nan that reaches a
    second derivative through the branch ``where`` did not pick. Scalars pick their branch with an
    ``if`` and give the true value there (d²/dx² x^(0·x) = 0 at 0, where PyTorch says nan)."""
    symbol = "{0} ^ {1}"

    def forward(self, x, y):
        return self.xp.power(x, y)

    def _by_base(self, g):
        x, y = self.inputs
        return _zero_where(y == 0, g * (y * x ** (y - 1)))

    def _by_exponent(self, g):
        x, y = self.inputs
        return g * _zero_where((x == 0) & (y >= 0), self.out * x.log())

    def vjp(self, g):
        x, y = self.inputs
        gx = unbroadcast(self._by_base(g), x.shape) if self.needs_grad[0] else None
        gy = unbroadcast(self._by_exponent(g), y.shape) if self.needs_grad[1] else None
        return gx, gy

    def jvp(self, dx, dy):
        by_base = dx if is_absent(dx) else self._by_base(dx)
        by_exponent = dy if is_absent(dy) else self._by_exponent(dy)
        return by_base + by_exponent


class PowConst(Op):
    """z = x ** c for a constant exponent c;   dz/dx = c·x^(c-1), and 0 for c = 0 (PyTorch's pow_backward)"""
    symbol = "{0} ^ {c}"

    def forward(self, x):
        return self.xp.power(x, self.c)

    def _local_times(self, g):
        (x,) = self.inputs
        return x.zeros_like() if self.c == 0 else g * (self.c * x ** (self.c - 1))

    def vjp(self, g):
        return self._local_times(g)

    def jvp(self, dx):
        return self._local_times(dx)


class Maximum(Op):
    """z = max(x, y);   the gradient goes to the larger input (split evenly on ties)"""
    symbol = "max({0}, {1})"

    def forward(self, x, y):
        return self.xp.maximum(x, y)

    def _first_wins(self, x, y):
        return x > y

    def _weights(self):
        x, y = self.inputs
        wx = self._first_wins(x, y).astype(x.dtype) + (x == y).astype(x.dtype) * 0.5
        return wx, 1 - wx

    def vjp(self, g):
        x, y = self.inputs
        wx, wy = self._weights()
        return unbroadcast(g * wx, x.shape), unbroadcast(g * wy, y.shape)

    def jvp(self, dx, dy):
        wx, wy = self._weights()
        return dx * wx + dy * wy


class Minimum(Maximum):
    """z = min(x, y);   the gradient goes to the smaller input (split evenly on ties)"""
    symbol = "min({0}, {1})"

    def forward(self, x, y):
        return self.xp.minimum(x, y)

    def _first_wins(self, x, y):
        return x < y


class Where(Op):
    """z = cond ? x : y  (cond is a constant mask);   dz/dx = cond, dz/dy = not cond"""
    symbol = "where(cond, {0}, {1})"

    def forward(self, x, y):
        return self.xp.where(self.cond, x, y)

    def vjp(self, g):
        x, y = self.inputs
        zero = g.zeros_like()
        return unbroadcast(g.where(self.cond, zero), x.shape), unbroadcast(zero.where(self.cond, g), y.shape)

    def jvp(self, dx, dy):
        return dx.where(self.cond, dy) if hasattr(dx, "where") else (dx if self.cond else dy)


# ---- unary --------------------------------------------------------------------------------------

class Neg(Op):
    """z = -x;   dz/dx = -1"""
    symbol = "-{0}"

    def forward(self, x):
        return self.xp.negative(x)

    def vjp(self, g):
        return -g

    def jvp(self, dx):
        return -dx


class Identity(Op):
    """z = x;   dz/dx = 1  (a fresh node on x's memory: transforms differentiate through it)"""
    symbol = "{0}"
    is_view = True

    def forward(self, x):
        return x

    def vjp(self, g):
        return g

    def jvp(self, dx):
        return dx


class Clone(Identity):
    """z = a copy of x;   dz/dx = 1"""
    is_view = False

    def forward(self, x):
        return self.xp.copy(x)


class Exp(Op):
    """z = exp x;   dz/dx = exp x = z"""
    symbol = "exp({0})"

    def forward(self, x):
        return self.xp.exp(x)

    def vjp(self, g):
        return g * self.out

    def jvp(self, dx):
        return dx * self.out


class Log(Op):
    """z = log x;   dz/dx = 1/x"""
    symbol = "log({0})"

    def forward(self, x):
        return self.xp.log(x)

    def vjp(self, g):
        return g / self.inputs[0]

    def jvp(self, dx):
        return dx / self.inputs[0]


class Log1p(Op):
    """z = log(1 + x);   dz/dx = 1/(1 + x)"""
    symbol = "log1p({0})"

    def forward(self, x):
        return self.xp.log1p(x)

    def vjp(self, g):
        return g / (self.inputs[0] + 1)

    def jvp(self, dx):
        return dx / (self.inputs[0] + 1)


class Sqrt(Op):
    """z = √x;   dz/dx = 1/(2√x)"""
    symbol = "√{0}"

    def forward(self, x):
        return self.xp.sqrt(x)

    def vjp(self, g):
        return g / (2 * self.out)

    def jvp(self, dx):
        return dx / (2 * self.out)


class Abs(Op):
    """z = |x|;   dz/dx = sign x"""
    symbol = "|{0}|"

    def forward(self, x):
        return self.xp.abs(x)

    def vjp(self, g):
        return g * self.inputs[0].sign()

    def jvp(self, dx):
        return dx * self.inputs[0].sign()


class Sin(Op):
    """z = sin x;   dz/dx = cos x"""
    symbol = "sin({0})"

    def forward(self, x):
        return self.xp.sin(x)

    def vjp(self, g):
        return g * self.inputs[0].cos()

    def jvp(self, dx):
        return dx * self.inputs[0].cos()


class Cos(Op):
    """z = cos x;   dz/dx = -sin x"""
    symbol = "cos({0})"

    def forward(self, x):
        return self.xp.cos(x)

    def vjp(self, g):
        return -g * self.inputs[0].sin()

    def jvp(self, dx):
        return -dx * self.inputs[0].sin()


class Tanh(Op):
    """z = tanh x;   dz/dx = 1 - z²"""
    symbol = "tanh({0})"

    def forward(self, x):
        return self.xp.tanh(x)

    def vjp(self, g):
        if not is_grad_enabled():  # first order: one fused kernel
            return g._new(self.xp.tanh_backward(g.data, self.out.data))
        return g * (1 - self.out * self.out)

    def jvp(self, dx):
        return dx * (1 - self.out * self.out)


class Sigmoid(Op):
    """z = σ(x) = 1/(1 + e^-x);   dz/dx = z(1 - z)"""
    symbol = "σ({0})"

    def forward(self, x):
        return self.xp.sigmoid(x)

    def vjp(self, g):
        return g * self.out * (1 - self.out)

    def jvp(self, dx):
        return dx * self.out * (1 - self.out)


class Relu(Op):
    """z = max(x, 0);   dz/dx = [x > 0]"""
    symbol = "relu({0})"

    def forward(self, x):
        return self.xp.relu(x)

    def vjp(self, g):
        if not is_grad_enabled():  # first order: one fused kernel
            return g._new(self.xp.relu_backward(g.data, self.inputs[0].data))
        return g * self.inputs[0].positive_mask()

    def jvp(self, dx):
        return dx * self.inputs[0].positive_mask()


class Erf(Op):
    """z = erf x;   dz/dx = 2/√π · exp(-x²)"""
    symbol = "erf({0})"

    def forward(self, x):
        return self.xp.erf(x)

    def _local(self):
        x = self.inputs[0]
        return (-(x * x)).exp() * 1.1283791670955126

    def vjp(self, g):
        return g * self._local()

    def jvp(self, dx):
        return dx * self._local()


class Arithmetic:
    """The operators and elementwise functions that Scalar and Tensor share.

    ``_operands(o)`` makes a number a constant and, for tensors, converts both operands to their
    common dtype (``minigrad.dtypes.result_type``); ``_floating()`` is the input of a function that
    needs floating point (an integer tensor becomes float32, as in PyTorch).
    """

    def _operands(self, o, reflected=False, to_float=False):
        o = self._lift(o)
        return (o, self) if reflected else (self, o)

    def _floating(self):
        return self

    def __add__(self, o): return Add.apply(*self._operands(o))
    def __radd__(self, o): return Add.apply(*self._operands(o, reflected=True))
    def __sub__(self, o): return Sub.apply(*self._operands(o))
    def __rsub__(self, o): return Sub.apply(*self._operands(o, reflected=True))
    def __mul__(self, o): return Mul.apply(*self._operands(o))
    def __rmul__(self, o): return Mul.apply(*self._operands(o, reflected=True))
    def __truediv__(self, o): return Div.apply(*self._operands(o, to_float=True))
    def __rtruediv__(self, o): return Div.apply(*self._operands(o, reflected=True, to_float=True))
    def __neg__(self): return Neg.apply(self)

    def __pow__(self, o):
        if isinstance(o, numbers.Number) and not isinstance(o, Node):  # (a Scalar is a numbers.Real)
            return PowConst.apply(self._operands(o)[0], c=o)
        return Pow.apply(*self._operands(o))

    def __rpow__(self, o):
        return Pow.apply(*self._operands(o, reflected=True))

    def exp(self): return Exp.apply(self._floating())
    def log(self): return Log.apply(self._floating())
    def log1p(self): return Log1p.apply(self._floating())
    def sqrt(self): return Sqrt.apply(self._floating())
    def abs(self): return Abs.apply(self)
    def sin(self): return Sin.apply(self._floating())
    def cos(self): return Cos.apply(self._floating())
    def tanh(self): return Tanh.apply(self._floating())
    def sigmoid(self): return Sigmoid.apply(self._floating())
    def relu(self): return Relu.apply(self)
    def erf(self): return Erf.apply(self._floating())
