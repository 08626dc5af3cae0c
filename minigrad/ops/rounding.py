"""Piecewise-constant ops: floor, ceil, round, trunc, sign. Their derivative is 0 wherever it exists,
so both rules return zeros (as PyTorch does): a loss through them trains nothing, but backward works.
"""
from ..autodiff import Op


class PiecewiseConstant(Op):
    """z = f(x) with f constant between jumps;   dz/dx = 0"""

    def vjp(self, g):
        return g.zeros_like()

    def jvp(self, dx):
        return dx.zeros_like()


class Floor(PiecewiseConstant):
    """z = ⌊x⌋, the largest integer ≤ x;   dz/dx = 0"""
    symbol = "⌊{0}⌋"

    def forward(self, x):
        return self.xp.floor(x)


class Ceil(PiecewiseConstant):
    """z = ⌈x⌉, the smallest integer ≥ x;   dz/dx = 0"""
    symbol = "⌈{0}⌉"

    def forward(self, x):
        return self.xp.ceil(x)


class Trunc(PiecewiseConstant):
    """z = x rounded toward 0;   dz/dx = 0"""
    symbol = "trunc({0})"

    def forward(self, x):
        return self.xp.trunc(x)


class Round(PiecewiseConstant):
    """z = x rounded to ``decimals`` digits, halves to even (0.5 → 0, 1.5 → 2);   dz/dx = 0"""
    symbol = "round({0})"

    def forward(self, x):
        if self.decimals == 0:
            return self.xp.rint(x)
        scale = 10.0 ** self.decimals
        return self.xp.astype(self.xp.divide(self.xp.rint(self.xp.multiply(x, scale)), scale), x.dtype)


class Sign(PiecewiseConstant):
    """z = sign x ∈ {-1, 0, 1};   dz/dx = 0"""
    symbol = "sign({0})"

    def forward(self, x):
        return self.xp.sign(x)


class FloorDivide(Op):
    """z = ⌊x / y⌋ (Python's //, on integers and floats);   dz/dx = dz/dy = 0"""
    symbol = "{0} // {1}"

    def forward(self, x, y):
        return self.xp.floor_divide(x, y)

    def vjp(self, g):
        from .elementwise import unbroadcast
        x, y = self.inputs
        return unbroadcast(g.zeros_like(), x.shape), unbroadcast(g.zeros_like(), y.shape)

    def jvp(self, dx, dy):
        return (dx + dy).zeros_like()
