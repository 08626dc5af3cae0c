"""2-d pooling. Each pooling is linear in x (max pooling once its argmax is fixed), so each op comes with
its adjoint as a second op: the forward rule of a linear map is the map itself, its reverse rule is
the adjoint, and the adjoint's rules are the map again. Gradients of any order follow.

Geometry attributes are (h, w) int pairs: kernel_size, stride, padding (symmetric), dilation.
"""
from ..autodiff import Op


def take_at_argmax(t, argmax):
    """t[n, c].flat[argmax[n, c, i, j]] for t (N, C, H, W) and argmax (N, C, OH, OW) indexing each H·W plane.

    Tensor ops (an integer-array index), so its reverse rule scatters back (the max-pool backward).
    """
    n, c = t.shape[:2]
    xp = t.backend
    index = (xp.reshape(xp.arange(n), (n, 1, 1)), xp.reshape(xp.arange(c), (1, c, 1)),
             xp.reshape(argmax, (n, c, -1)))
    return t.reshape(n, c, -1)[index].reshape(argmax.shape)


class MaxPool2d(Op):
    """y[n, c, i, j] = max of x[n, c] over window (i, j), x at its argmax a
    reverse: dx = g scattered to a (summed where windows share it);  forward: dy = dx at a"""
    symbol = "maxpool({0})"

    def forward(self, x):
        y, self.argmax = self.xp.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding,
                                                    self.dilation, self.ceil_mode)
        return y

    def vjp(self, g):
        return MaxPool2dBackward.apply(g, argmax=self.argmax, x_shape=self.inputs[0].shape)

    def jvp(self, dx):
        return take_at_argmax(dx, self.argmax)


class MaxPool2dBackward(Op):
    """dx = g scattered to the argmax positions (zeros elsewhere), shape ``x_shape``
    reverse (cotangent h): h at the argmax;  forward: the same scatter of dg"""
    symbol = "maxpoolᵀ({0})"

    def forward(self, g):
        return self.xp.max_pool2d_backward(g, self.argmax, self.x_shape)

    def vjp(self, h):
        return take_at_argmax(h, self.argmax)

    def jvp(self, dg):
        return MaxPool2dBackward.apply(dg, argmax=self.argmax, x_shape=self.x_shape)


class _AvgPoolOp(Op):
    def _settings(self):
        return dict(kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
                    ceil_mode=self.ceil_mode, count_include_pad=self.count_include_pad,
                    divisor_override=self.divisor_override)

    def _pool(self, x):
        return AvgPool2d.apply(x, **self._settings())

    def _unpool(self, g, x_shape):
        return AvgPool2dBackward.apply(g, x_shape=x_shape, **self._settings())


class AvgPool2d(_AvgPoolOp):
    """y[n, c, i, j] = Σ x[n, c] over window (i, j) / divisor  (the window size, with or without padding)
    reverse: dx = g spread back over each window / divisor;  forward: dy = avgpool(dx)"""
    symbol = "avgpool({0})"

    def forward(self, x):
        return self.xp.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                                          self.count_include_pad, self.divisor_override)

    def vjp(self, g):
        return self._unpool(g, self.inputs[0].shape)

    def jvp(self, dx):
        return self._pool(dx)


class AvgPool2dBackward(_AvgPoolOp):
    """dx = g spread back over each window / divisor, shape ``x_shape`` (the adjoint of AvgPool2d)
    reverse (cotangent h): avgpool(h);  forward: the same spreading of dg"""
    symbol = "avgpoolᵀ({0})"

    def forward(self, g):
        return self.xp.avg_pool2d_backward(g, self.x_shape, self.kernel_size, self.stride, self.padding,
                                           self.ceil_mode, self.count_include_pad, self.divisor_override)

    def vjp(self, h):
        return self._pool(h)

    def jvp(self, dg):
        return self._unpool(dg, self.x_shape)


class GlobalAvgPool2d(Op):
    """y[n, c] = mean of x[n, c] over H, W;   reverse: dx = g / (H W) everywhere;  forward: dy = mean dx"""
    symbol = "gap({0})"

    def forward(self, x):
        return self.xp.global_avg_pool2d(x)

    def vjp(self, g):
        return GlobalAvgPool2dBackward.apply(g, x_shape=self.inputs[0].shape)

    def jvp(self, dx):
        return GlobalAvgPool2d.apply(dx)


class GlobalAvgPool2dBackward(Op):
    """dx[n, c, h, w] = g[n, c] / (H W), shape ``x_shape``;   reverse: mean over H, W;  forward: itself"""
    symbol = "gapᵀ({0})"

    def forward(self, g):
        return self.xp.global_avg_pool2d_backward(g, self.x_shape)

    def vjp(self, h):
        return GlobalAvgPool2d.apply(h)

    def jvp(self, dg):
        return GlobalAvgPool2dBackward.apply(dg, x_shape=self.x_shape)
