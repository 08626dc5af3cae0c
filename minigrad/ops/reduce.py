"""Reductions: sum and max along axes (everything else — mean, var, logsumexp, ... — is built on them)."""
from ..autodiff import Op


def normalize_axis(axis, ndim):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes, checked against ``ndim``."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    return tuple(sorted(set(out)))


def kept_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Op):
    """z = Σ_axes x;   dz/dx = 1 (the gradient is broadcast back over the summed axes)"""
    symbol = "Σ {0}"

    def forward(self, x):
        return self.xp.sum(x, axis=self.axes, keepdims=self.keepdims)

    def vjp(self, g):
        (x,) = self.inputs
        return g.reshape(kept_shape(x.shape, self.axes)).expand(x.shape)

    def jvp(self, dx):
        return dx.sum(axis=self.axes, keepdims=self.keepdims)


class Max(Op):
    """z = max_axes x;   dz/dx = [x == z] / (number of maxima)  (ties share the gradient)"""
    symbol = "max {0}"

    def forward(self, x):
        return self.xp.max(x, axis=self.axes, keepdims=self.keepdims)

    def _weights(self):
        (x,) = self.inputs
        z = self.out.detach().reshape(kept_shape(x.shape, self.axes))
        hit = (x.detach() == z).astype(x.dtype)
        return hit / hit.sum(axis=self.axes, keepdims=True)

    def vjp(self, g):
        (x,) = self.inputs
        return g.reshape(kept_shape(x.shape, self.axes)) * self._weights()

    def jvp(self, dx):
        return (dx * self._weights()).sum(axis=self.axes, keepdims=self.keepdims)
