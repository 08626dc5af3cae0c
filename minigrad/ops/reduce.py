"""Reductions: sum and max along axes (everything else — mean, var, logsumexp, ... — is built on them)."""
import numbers

from ..autodiff import Op


def check_axis(axis, ndim, op="axis", new=False) -> int:
    """``axis`` as a non-negative int, checked against ``ndim`` (a 0-d tensor takes 0 and -1, as in PyTorch);
    ``new``: an axis to insert (unsqueeze, stack), one of ndim + 1 places.

    Raises TypeError for a non-integer and IndexError, naming the valid range, for one out of range."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{op}: an axis must be an integer, got {axis!r}")
    n = ndim + 1 if new else max(ndim, 1)
    if not -n <= axis < n:
        raise IndexError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions "
                         f"(expected an axis in [{-n}, {n - 1}])")
    return int(axis) % n if ndim or new else 0


def normalize_axis(axis, ndim, op="axis"):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes, checked against ``ndim``."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    out = [check_axis(a, ndim, op) for a in axes]
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: axis {axis} names the same axis more than once")
    return tuple(sorted(out)) if ndim else ()


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
