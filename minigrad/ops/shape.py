"""Ops that move values around without arithmetic: reshape, permute, expand, index, concat, pad."""
import numbers

from ..autodiff import Op


class Reshape(Op):
    """z = x viewed with another shape;   the gradient is reshaped back"""
    symbol = "reshape({0})"
    is_view = True

    def forward(self, x):
        return self.xp.reshape(x, self.shape)

    def vjp(self, g):
        return g.reshape(self.inputs[0].shape)

    def jvp(self, dx):
        return dx.reshape(self.shape)


class Permute(Op):
    """z = x with its axes reordered;   the gradient takes the inverse permutation"""
    symbol = "permute({0})"
    is_view = True

    def forward(self, x):
        return self.xp.transpose(x, self.axes)

    def vjp(self, g):
        return g.permute(*self._inverse())

    def jvp(self, dx):
        return dx.permute(*self.axes)

    def write_back(self, x, z):
        """x = z permuted back (where the backend's permuted view is a copy)."""
        self.xp.assign(x, self.xp.transpose(z, self._inverse()))

    def _inverse(self):
        inverse = [0] * len(self.axes)
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return inverse


class Expand(Op):
    """z = x broadcast to ``shape``;   the gradient is summed back (unbroadcast)"""
    symbol = "expand({0})"
    is_view = True

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape)

    def vjp(self, g):
        from .elementwise import unbroadcast
        return unbroadcast(g, self.inputs[0].shape)

    def jvp(self, dx):
        return dx.expand(self.shape)


def is_basic_index(index) -> bool:
    """Only ints, slices, None and Ellipsis: x[index] is a view of x (no integer or boolean arrays)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (slice, numbers.Integral, type(None), type(Ellipsis))) and not isinstance(i, bool) for i in items)


class Getitem(Op):
    """z = x[index] (slices and integer arrays);   the gradient is scatter-added into zeros of x's shape

    Basic indexing (ints, slices, None, ...) gives a view of x, so it shares x's version counter."""
    symbol = "{0}[…]"

    def shares_memory(self):
        return is_basic_index(self.index)

    def forward(self, x):
        return self.xp.getitem(x, self._view_index())

    def write_back(self, x, z):
        """x[index] = z (where the backend's basic-index view is a copy)."""
        self.xp.assign(x, z, self._view_index())

    def _view_index(self):
        index = self.index
        if self.shares_memory() and not any(i is Ellipsis for i in (index if isinstance(index, tuple) else (index,))):
            index = (index if isinstance(index, tuple) else (index,)) + (Ellipsis,)  # x[0, ...] is a 0-d view
        return index

    def vjp(self, g):
        return IndexAdd.apply(g, index=self.index, shape=self.inputs[0].shape)

    def jvp(self, dx):
        return dx[self.index]


class IndexAdd(Op):
    """z = zeros(shape); z[index] += g  (repeated indices add up);   the adjoint of Getitem"""
    symbol = "scatter({0})"

    def forward(self, g):
        return self.xp.index_add(self.shape, self.index, g)

    def vjp(self, gz):
        return gz[self.index]

    def jvp(self, dg):
        return IndexAdd.apply(dg, index=self.index, shape=self.shape)


class Concat(Op):
    """z = [x₁, x₂, ...] joined along ``axis``;   each input gets its slice of the gradient"""
    symbol = "concat({0}, …)"

    def forward(self, *xs):
        return self.xp.concatenate(xs, axis=self.axis)

    def _slices(self):
        start = 0
        for x in self.inputs:
            index = [slice(None)] * x.ndim
            index[self.axis] = slice(start, start + x.shape[self.axis])
            start += x.shape[self.axis]
            yield tuple(index)

    def vjp(self, g):
        return tuple(g[s] for s in self._slices())

    def jvp(self, *dxs):
        return dxs[0].concat(list(dxs[1:]), axis=self.axis) if len(dxs) > 1 else dxs[0]


class Pad(Op):
    """z = x padded with a constant: ``pad_width`` is ((before, after), ...) per axis;   gradient: the slice"""
    symbol = "pad({0})"

    def forward(self, x):
        return self.xp.pad(x, self.pad_width, self.value)

    def _inner(self):
        return tuple(slice(b, b + n) for (b, _), n in zip(self.pad_width, self.inputs[0].shape))

    def vjp(self, g):
        return g[self._inner()]

    def jvp(self, dx):
        return Pad.apply(dx, pad_width=self.pad_width, value=0.0)
