"""Normalization with batch statistics (batch norm in training; layer, group and instance norm reuse it
on a reshaped input).

    y = w · x̂ + b,   x̂ = (x - μ) / √(σ² + ε),   μ, σ² the mean and biased variance of each channel c
    (axis 1) over every other axis (m values each).
"""
from ..autodiff import Op, is_grad_enabled


def channel_axes(ndim):
    """The axes a channel's statistics run over: all but axis 1."""
    return (0,) + tuple(range(2, ndim))


def per_channel(t, ndim):
    """A (C,) tensor shaped (1, C, 1, ...) to broadcast against an ndim-dimensional input."""
    return t.reshape((1, -1) + (1,) * (ndim - 2))


class BatchNorm(Op):
    """y = w · x̂ + b with the batch's own statistics ``mean`` = μ and ``invstd`` = 1/√(σ² + ε) (C,)
    reverse: dx = w/√(σ²+ε) · (g - mean(g) - x̂ · mean(g x̂)), dw = Σ g x̂, db = Σ g
    forward: dy = w · dx̂ + dw · x̂ + db,  dx̂ = (dx - mean(dx) - x̂ · mean(dx x̂)) / √(σ²+ε)

    ``output``, when given, is y already computed by the fused ``batch_norm_training`` kernel (with μ and
    σ² in the same pass); forward hands it over. First-order reverse mode runs the fused
    ``batch_norm_backward`` kernel. The forward rule, and the
    reverse rule when its result is itself recorded (``create_graph``), run as Tensor ops; while grad
    mode is on they recompute μ and σ² from x, so derivatives of any order are exact.
    """
    symbol = "batchnorm({0})"

    output = None

    def forward(self, x, w, b):
        if self.output is not None:
            y, self.output = self.output, None
            return y
        return self.xp.batch_norm_forward(x, self.mean, self.invstd, w, b)

    def _normalized(self):
        """(x̂, 1/√(σ²+ε)) as tensors: recorded functions of x when grad mode is on, else from the saved stats."""
        x = self.inputs[0]
        axes = channel_axes(x.ndim)
        if is_grad_enabled():
            centered = x - x.mean(axes, keepdims=True)
            invstd = ((centered * centered).mean(axes, keepdims=True) + self.eps) ** -0.5
        else:
            centered = x - per_channel(x._new(self.mean), x.ndim)
            invstd = per_channel(x._new(self.invstd), x.ndim)
        return centered * invstd, invstd

    @staticmethod
    def _project(d, x_hat, axes):
        """d - mean(d) - x̂ · mean(d x̂): d with the directions that the statistics remove taken out."""
        return d - d.mean(axes, keepdims=True) - x_hat * (d * x_hat).mean(axes, keepdims=True)

    def vjp(self, g):
        x, w, _ = self.inputs
        if not is_grad_enabled():
            dx, dw, db = self.xp.batch_norm_backward(g.data, x.data, self.mean, self.invstd, w.data)
            return tuple(g._new(d) if need else None for d, need in zip((dx, dw, db), self.needs_grad))
        axes = channel_axes(x.ndim)
        x_hat, invstd = self._normalized()
        gx = self._project(g * per_channel(w, x.ndim), x_hat, axes) * invstd if self.needs_grad[0] else None
        gw = (g * x_hat).sum(axes) if self.needs_grad[1] else None
        gb = g.sum(axes) if self.needs_grad[2] else None
        return gx, gw, gb

    def jvp(self, dx, dw, db):
        x, w, _ = self.inputs
        x_hat, invstd = self._normalized()
        dx_hat = self._project(dx, x_hat, channel_axes(x.ndim)) * invstd
        return per_channel(w, x.ndim) * dx_hat + per_channel(dw, x.ndim) * x_hat + per_channel(db, x.ndim)
