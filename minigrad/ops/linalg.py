"""Matrix multiplication (batched and broadcasting, with NumPy's 1-D rules)."""
from ..autodiff import Op
from .elementwise import unbroadcast


def _mT(t):
    return t.swapaxes(-1, -2)


class Matmul(Op):
    """Z = X @ Y;   dX = dZ @ Yᵀ, dY = Xᵀ @ dZ  (1-D operands act as a row / a column)"""
    symbol = "{0} @ {1}"

    def forward(self, x, y):
        return self.xp.matmul(x, y)

    def vjp(self, g):
        x, y = self.inputs
        x2 = x.unsqueeze(0) if x.ndim == 1 else x
        y2 = y.unsqueeze(-1) if y.ndim == 1 else y
        if y.ndim == 1:
            g = g.unsqueeze(-1)
        if x.ndim == 1:
            g = g.unsqueeze(-2)
        gx = gy = None
        if self.needs_grad[0]:
            gx = unbroadcast(g @ _mT(y2), x2.shape).reshape(x.shape)
        if self.needs_grad[1]:
            gy = unbroadcast(_mT(x2) @ g, y2.shape).reshape(y.shape)
        return gx, gy

    def jvp(self, dx, dy):
        x, y = self.inputs
        return dx @ y + x @ dy
