"""More elementwise math: inverse trigonometry, inverse hyperbolics, tan, copysign and cumsum.

(Functions that are compositions — sinh, cosh, log2, exp2, rsqrt, lerp, logaddexp, prod,
logcumsumexp — are Tensor methods in ``minigrad.tensor_vocabulary`` and get their rules from the ops.)
"""
from ..autodiff import Op
from .elementwise import unbroadcast


class Tan(Op):
    """z = tan x = sin x / cos x;   dz/dx = 1 + z²"""
    symbol = "tan({0})"

    def forward(self, x):
        return self.xp.divide(self.xp.sin(x), self.xp.cos(x))

    def vjp(self, g):
        return g * (1 + self.out * self.out)

    def jvp(self, dx):
        return dx * (1 + self.out * self.out)


class Asin(Op):
    """z = arcsin x  (|x| ≤ 1);   dz/dx = 1/√(1 - x²)"""
    symbol = "asin({0})"

    def forward(self, x):
        return self.xp.arcsin(x)

    def _local(self):
        x = self.inputs[0]
        return (1 - x * x) ** -0.5

    def vjp(self, g):
        return g * self._local()

    def jvp(self, dx):
        return dx * self._local()


class Acos(Asin):
    """z = arccos x  (|x| ≤ 1);   dz/dx = -1/√(1 - x²)"""
    symbol = "acos({0})"

    def forward(self, x):
        return self.xp.arccos(x)

    def _local(self):
        return -super()._local()


class Atan(Op):
    """z = arctan x;   dz/dx = 1/(1 + x²)"""
    symbol = "atan({0})"

    def forward(self, x):
        return self.xp.arctan(x)

    def vjp(self, g):
        x = self.inputs[0]
        return g / (1 + x * x)

    def jvp(self, dx):
        x = self.inputs[0]
        return dx / (1 + x * x)


class Atan2(Op):
    """z = atan2(y, x), the angle of the point (x, y);   dz/dy = x/(x² + y²), dz/dx = -y/(x² + y²)"""
    symbol = "atan2({0}, {1})"

    def forward(self, y, x):
        return self.xp.arctan2(y, x)

    def _locals(self):
        y, x = self.inputs
        r2 = x * x + y * y
        return x / r2, -y / r2

    def vjp(self, g):
        y, x = self.inputs
        dy, dx = self._locals()
        return unbroadcast(g * dy, y.shape), unbroadcast(g * dx, x.shape)

    def jvp(self, ty, tx):
        dy, dx = self._locals()
        return ty * dy + tx * dx


class Asinh(Op):
    """z = arsinh x = sign x · log(|x| + √(x² + 1));   dz/dx = 1/√(x² + 1)

    Computed as sign x · log1p(|x| + x²/(1 + √(1 + x²))), exact to rounding near 0 too.
    """
    symbol = "asinh({0})"

    def forward(self, x):
        xp = self.xp
        a = xp.abs(x)
        root = xp.sqrt(xp.add(xp.multiply(x, x), 1))
        r = xp.log1p(xp.add(a, xp.divide(xp.multiply(a, a), xp.add(root, 1))))
        return xp.astype(xp.copysign(r, x), x.dtype)

    def _local(self):
        x = self.inputs[0]
        return (x * x + 1) ** -0.5

    def vjp(self, g):
        return g * self._local()

    def jvp(self, dx):
        return dx * self._local()


class Atanh(Op):
    """z = artanh x = ½ log((1 + x)/(1 - x))  (|x| < 1);   dz/dx = 1/(1 - x²)

    Computed as ½ log1p(2x/(1 - x)), exact to rounding near 0.
    """
    symbol = "atanh({0})"

    def forward(self, x):
        xp = self.xp
        return xp.astype(xp.multiply(xp.log1p(xp.divide(xp.multiply(x, 2), xp.subtract(1, x))), 0.5), x.dtype)

    def vjp(self, g):
        x = self.inputs[0]
        return g / (1 - x * x)

    def jvp(self, dx):
        x = self.inputs[0]
        return dx / (1 - x * x)


class Copysign(Op):
    """z = |x| with the sign of y (y's sign bit: -0.0 counts as negative);
    dz/dx = z/x (±1; 0 at x = 0, as PyTorch), dz/dy = 0"""
    symbol = "copysign({0}, {1})"

    def forward(self, x, y):
        return self.xp.copysign(x, y)

    def _local(self):
        """sign x · copysign(1, y), a constant of the output's shape."""
        x, y = self.inputs
        xp = self.xp
        return x._new(xp.astype(xp.multiply(xp.sign(x.data), xp.copysign(1.0, y.data)), x.dtype))

    def vjp(self, g):
        x, y = self.inputs
        return unbroadcast(g * self._local(), x.shape), unbroadcast(g.zeros_like(), y.shape)

    def jvp(self, dx, dy):
        return dx * self._local()


class Cumsum(Op):
    """z_i = Σ_{j ≤ i} x_j along ``axis``;   the gradient is the reversed running sum of g"""
    symbol = "cumsum({0})"

    def forward(self, x):
        return self.xp.cumsum(x, self.axis)

    def _reverse(self, t):
        index = [slice(None)] * t.ndim
        index[self.axis] = slice(None, None, -1)
        return t[tuple(index)]

    def vjp(self, g):
        return self._reverse(Cumsum.apply(self._reverse(g), axis=self.axis))

    def jvp(self, dx):
        return Cumsum.apply(dx, axis=self.axis)


class Remainder(Op):
    """z = x - ⌊x / y⌋·y (Python's %, the sign of y);   dz/dx = 1, dz/dy = -⌊x / y⌋"""
    symbol = "{0} % {1}"

    def forward(self, x, y):
        return self.xp.remainder(x, y)

    def _quotient(self):
        x, y = self.inputs
        return x._new(self.xp.floor_divide(x.data, y.data))

    def vjp(self, g):
        x, y = self.inputs
        gy = unbroadcast(-g * self._quotient(), y.shape) if self.needs_grad[1] else None
        return unbroadcast(g, x.shape), gy

    def jvp(self, dx, dy):
        return dx - dy * self._quotient()
