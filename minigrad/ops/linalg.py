"""Matrix multiplication (batched and broadcasting, with NumPy's 1-D rules)."""
from ..autodiff import Op
from .elementwise import unbroadcast


class Matmul(Op):
    """Z = A @ B with A = X or Xᵀ (``transpose_x``), B = Y or Yᵀ (``transpose_y``), Xᵀ swapping the last
    two axes: the backend's GEMM reads the operand transposed, nothing is copied.
    reverse: dA = dZ @ Bᵀ, dB = Aᵀ @ dZ, and dX = dA or dAᵀ, dY = dB or dBᵀ (again as flags)
    forward: dZ = op(dX) @ B + A @ op(dY)          (1-D operands act as a row / a column)
    """
    symbol = "{0} @ {1}"
    transpose_x = transpose_y = False

    def forward(self, x, y):
        return self.xp.matmul(x, y, self.transpose_x, self.transpose_y)

    def vjp(self, g):
        x, y = self.inputs
        tx, ty = self.transpose_x, self.transpose_y
        x2 = x.unsqueeze(0) if x.ndim == 1 else x
        y2 = y.unsqueeze(-1) if y.ndim == 1 else y
        if y.ndim == 1:
            g = g.unsqueeze(-1)
        if x.ndim == 1:
            g = g.unsqueeze(-2)
        gx = gy = None
        if self.needs_grad[0]:
            gx = matmul(y2, g, ty, True) if tx else matmul(g, y2, False, not ty)
            gx = unbroadcast(gx, x2.shape).reshape(x.shape)
        if self.needs_grad[1]:
            gy = matmul(g, x2, True, tx) if ty else matmul(x2, g, not tx, False)
            gy = unbroadcast(gy, y2.shape).reshape(y.shape)
        return gx, gy

    def jvp(self, dx, dy):
        x, y = self.inputs
        tx, ty = self.transpose_x, self.transpose_y
        return matmul(dx, y, tx, ty) + matmul(x, dy, tx, ty)


class Linear(Op):
    """z = x @ Wᵀ + b as one op (one GEMM launch, the bias added in its epilogue): x (..., in), W (out, in),
    b (out,);  with G = g and X = x as (rows, ·) matrices:
    reverse: dx = g @ W, dW = Gᵀ X, db = Σ_rows G;   forward: dz = dx @ Wᵀ + x @ dWᵀ + db
    Used on backends with a fused ``linear`` (CUDA); elsewhere Linear is Matmul then Add."""
    symbol = "{0} @ {1}ᵀ + {2}"

    def forward(self, x, w, b):
        return self.xp.linear(x, w, b)

    def vjp(self, g):
        x, w, _ = self.inputs
        rows = g.reshape(-1, g.shape[-1])
        gx = g.matmul(w) if self.needs_grad[0] else None
        gw = matmul(rows, x.reshape(-1, x.shape[-1]), transpose_x=True) if self.needs_grad[1] else None
        gb = rows.sum(axis=0) if self.needs_grad[2] else None
        return gx, gw, gb

    def jvp(self, dx, dw, db):
        x, w, _ = self.inputs
        return matmul(dx, w, transpose_y=True) + matmul(x, dw, transpose_y=True) + db


def matmul(x, y, transpose_x=False, transpose_y=False):
    """op(x) @ op(y) as one recorded op, op(t) = t with its last two axes swapped where asked."""
    for t, flag, name in ((x, transpose_x, "x"), (y, transpose_y, "y")):
        if flag and t.ndim < 2:
            raise ValueError(f"matmul: transposing {name} needs at least 2 dimensions, got shape {t.shape}")
    if not (transpose_x or transpose_y):
        return x.matmul(y)
    return Matmul.apply(x, y, transpose_x=transpose_x, transpose_y=transpose_y)
