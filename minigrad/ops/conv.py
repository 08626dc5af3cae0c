"""2-d convolution as three ops that differentiate into one another.

y = conv2d(x, w) is bilinear in (x, w). With T(x, w, g) = <g, conv2d(x, w)>:

    Conv2d             y  = conv2d(x, w) + b
    Conv2dInputGrad    dx = ∂T/∂x = conv2d_input_grad(g, w)    (the transposed convolution)
    Conv2dWeightGrad   dw = ∂T/∂w = conv2d_weight_grad(g, x)

Each is linear in each of its inputs, and the reverse and forward rules of each one are the other
two, so gradients of any order (grad of grad, forward over reverse) come from the same three
kernels: ``conv2d_forward`` and the two halves of ``conv2d_backward``.

Geometry attributes (all (h, w) int pairs, padding symmetric): stride, padding, dilation; and groups.
"""
from ..autodiff import Op


class _ConvOp(Op):
    def _geometry(self):
        return dict(stride=self.stride, padding=self.padding, dilation=self.dilation, groups=self.groups)

    def _args(self):
        return self.stride, self.padding, self.dilation, self.groups

    def _conv(self, x, w, b=None):
        return Conv2d.apply(x, w, *([] if b is None else [b]), **self._geometry())

    def _input_grad(self, g, w, x_shape):
        return Conv2dInputGrad.apply(g, w, x_shape=x_shape, **self._geometry())

    def _weight_grad(self, g, x, w_shape):
        return Conv2dWeightGrad.apply(g, x, w_shape=w_shape, **self._geometry())


class Conv2d(_ConvOp):
    """y = conv2d(x, w) + b,  x (N, C, H, W), w (Cout, C/groups, kh, kw), b (Cout,)
    reverse: dx = conv2d_input_grad(g, w), dw = conv2d_weight_grad(g, x), db = Σ_(n,h,w) g
    forward: dy = conv2d(dx, w) + conv2d(x, dw) + db"""
    symbol = "conv2d({0}, {1})"

    def forward(self, x, w, b=None):
        return self.xp.conv2d_forward(x, w, b, *self._args())

    def vjp(self, g):
        x, w = self.inputs[:2]
        grads = (self._input_grad(g, w, x.shape) if self.needs_grad[0] else None,
                 self._weight_grad(g, x, w.shape) if self.needs_grad[1] else None)
        if len(self.inputs) == 3:
            grads += (g.sum(axis=(0, 2, 3)) if self.needs_grad[2] else None,)
        return grads

    def jvp(self, dx, dw, db=None):
        x, w = self.inputs[:2]
        return self._conv(dx, w, db) + self._conv(x, dw)


class Conv2dInputGrad(_ConvOp):
    """dx = conv2d_input_grad(g, w): the adjoint of x ↦ conv2d(x, w) applied to g (shape ``x_shape``)
    reverse (cotangent h): dg = conv2d(h, w), dw = conv2d_weight_grad(g, h)
    forward: d(dx) = conv2d_input_grad(dg, w) + conv2d_input_grad(g, dw)"""
    symbol = "conv2dᵀ({0}, {1})"

    def forward(self, g, w):
        placeholder = self.xp.empty(self.x_shape, dtype=g.dtype)  # only its shape is read
        return self.xp.conv2d_backward(g, placeholder, w, *self._args(),
                                       need_dx=True, need_dw=False, need_db=False)[0]

    def vjp(self, h):
        g, w = self.inputs
        return (self._conv(h, w) if self.needs_grad[0] else None,
                self._weight_grad(g, h, w.shape) if self.needs_grad[1] else None)

    def jvp(self, dg, dw):
        g, w = self.inputs
        return self._input_grad(dg, w, self.x_shape) + self._input_grad(g, dw, self.x_shape)


class Conv2dWeightGrad(_ConvOp):
    """dw = conv2d_weight_grad(g, x): the adjoint of w ↦ conv2d(x, w) applied to g (shape ``w_shape``)
    reverse (cotangent k): dg = conv2d(x, k), dx = conv2d_input_grad(g, k)
    forward: d(dw) = conv2d_weight_grad(dg, x) + conv2d_weight_grad(g, dx)"""
    symbol = "conv2d_w({0}, {1})"

    def forward(self, g, x):
        placeholder = self.xp.empty(self.w_shape, dtype=g.dtype)  # only its shape is read
        return self.xp.conv2d_backward(g, x, placeholder, *self._args(),
                                       need_dx=False, need_dw=True, need_db=False)[1]

    def vjp(self, k):
        g, x = self.inputs
        return (self._conv(x, k) if self.needs_grad[0] else None,
                self._input_grad(g, k, x.shape) if self.needs_grad[1] else None)

    def jvp(self, dg, dx):
        g, x = self.inputs
        return self._weight_grad(dg, x, self.w_shape) + self._weight_grad(g, dx, self.w_shape)
