"""Max unpooling: the values of a max-pooled map put back where their maxima were."""
from ..autodiff import Op
from .pool import take_at_argmax


class MaxUnpool2d(Op):
    """z = zeros (N, C, *size) with z[n, c].flat[indices[n, c, i, j]] = x[n, c, i, j]
    reverse: dx = g at the indices (take_at_argmax);  forward: dz = the same unpooling of dx"""
    symbol = "maxunpool({0})"

    def forward(self, x):
        xp = self.xp
        n, c = x.shape[:2]
        out = xp.zeros((n, c, self.size[0] * self.size[1]), dtype=x.dtype)
        index = (xp.reshape(xp.arange(n), (n, 1, 1)), xp.reshape(xp.arange(c), (1, c, 1)),
                 xp.reshape(self.indices, (n, c, -1)))
        xp.assign(out, xp.reshape(x, (n, c, -1)), index)
        return xp.reshape(out, (n, c) + tuple(self.size))

    def vjp(self, g):
        return take_at_argmax(g, self.indices)

    def jvp(self, dx):
        return MaxUnpool2d.apply(dx, indices=self.indices, size=self.size)
