"""Winograd F(2×2, 3×3): stride-1, undilated, ungrouped 3×3 convolutions with 16 GEMMs instead of one 9× larger.

Each 2×2 block of outputs ("tile" t = (n, th, tw), read from the 4×4 input patch at (2 th - ph, 2 tw - pw),
zero outside the image) is

    Y_t = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d_t B) ] A,        U = G g Gᵀ (16, Cout, C),  V = Bᵀ d B (16, C, tiles)

with Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]],
Aᵀ = [[1,1,1,0],[0,1,-1,-1]]; the sum over input channels is, for each of the 16 points ξ of the 4×4
transformed domain, one GEMM M[ξ] = U[ξ] @ V[ξ] (np.matmul over the leading axis). 2.25× fewer
multiplications than direct convolution; the transforms are Numba loops (one thread, as im2col, for
the same reason: they alternate with OpenBLAS calls).

The three rules of a convolution:
    forward       y  = winograd(x, U(w)),                  padding (ph, pw)
    input grad    dx = winograd(dy, U(w')), w'[c, k] = w[k, c] rotated 180°, padding (2 - ph, 2 - pw)
                  (a negative padding crops; the output has x's size)
    weight grad   dw = Gᵀ [ Σ_t (A dY_t Aᵀ) ⊙ V_t ] G: the adjoint of the forward rule in w, so per ξ one
                  GEMM dU[ξ] = dM[ξ] @ V[ξ]ᵀ over all tiles, dM = A dY Aᵀ (dY zero beyond the output)

Accuracy: the transforms' entries are 0, ±½ and ±1, so the rounding error grows only a little over
im2col's: relative to max |y|, within 1e-5 in float32 and 1e-12 in float64 on the tested layers
(tests/kernels/test_winograd.py states the tolerances). The batch goes in chunks that keep V and M under
CHUNK_BYTES each; V, M and the weight transforms are scratch buffers of kernels.cpu.workspace.
"""
import numpy as np
from numba import njit

from .workspace import recycled, scratch

CHUNK_BYTES = 32 * 2**20
STAGGER = 64


def applies(weight_shape, stride, dilation, groups):
    """Whether a convolution of this geometry is one Winograd F(2×2, 3×3) computes: 3×3, stride 1, dilation 1,
    groups 1 (stride, dilation as (h, w) pairs)."""
    return tuple(weight_shape[2:]) == (3, 3) and stride == (1, 1) and dilation == (1, 1) and groups == 1


@njit(cache=True)
def _filter_transform(w, u):
    """u[ξ, k, c] = (G w[k, c] Gᵀ)[ξ]: w (K, C, 3, 3), u (16, K, C)."""
    for k in range(w.shape[0]):
        for c in range(w.shape[1]):
            g = w[k, c]
            rows = np.empty((4, 3), dtype=w.dtype)
            for j in range(3):
                rows[0, j] = g[0, j]
                rows[1, j] = 0.5 * (g[0, j] + g[1, j] + g[2, j])
                rows[2, j] = 0.5 * (g[0, j] - g[1, j] + g[2, j])
                rows[3, j] = g[2, j]
            for i in range(4):
                r = rows[i]
                u[4 * i + 0, k, c] = r[0]
                u[4 * i + 1, k, c] = 0.5 * (r[0] + r[1] + r[2])
                u[4 * i + 2, k, c] = 0.5 * (r[0] - r[1] + r[2])
                u[4 * i + 3, k, c] = r[2]


@njit(cache=True)
def _filter_grad_transform(du, dw):
    """dw[k, c] = Gᵀ du[:, k, c] G (the adjoint of _filter_transform): du (16, K, C), dw (K, C, 3, 3)."""
    for k in range(dw.shape[0]):
        for c in range(dw.shape[1]):
            rows = np.empty((4, 3), dtype=dw.dtype)
            for i in range(4):
                a0, a1, a2, a3 = du[4 * i, k, c], du[4 * i + 1, k, c], du[4 * i + 2, k, c], du[4 * i + 3, k, c]
                rows[i, 0] = a0 + 0.5 * (a1 + a2)
                rows[i, 1] = 0.5 * (a1 - a2)
                rows[i, 2] = 0.5 * (a1 + a2) + a3
            for j in range(3):
                dw[k, c, 0, j] = rows[0, j] + 0.5 * (rows[1, j] + rows[2, j])
                dw[k, c, 1, j] = 0.5 * (rows[1, j] - rows[2, j])
                dw[k, c, 2, j] = 0.5 * (rows[1, j] + rows[2, j]) + rows[3, j]


@njit(cache=True)
def _input_transform(padded, tiles_h, tiles_w, v):
    """v[ξ, c, t] = (Bᵀ d B)[ξ] for the 4×4 patch d of padded[n, c] at (2 th, 2 tw), t = (n TH + th) TW + tw.

    padded is the input with its zero border (and zeros up to 2 TH + 2 rows, 2 TW + 2 columns), so the
    loop has no bounds to test.
    """
    batch, channels = padded.shape[0], padded.shape[1]
    e = np.empty((4, 4), dtype=padded.dtype)
    for c in range(channels):
        for n in range(batch):
            plane = padded[n, c]
            for th in range(tiles_h):
                top = 2 * th
                t0 = (n * tiles_h + th) * tiles_w
                for tw in range(tiles_w):
                    left = 2 * tw
                    for j in range(4):
                        d0, d1 = plane[top, left + j], plane[top + 1, left + j]
                        d2, d3 = plane[top + 2, left + j], plane[top + 3, left + j]
                        e[0, j] = d0 - d2
                        e[1, j] = d1 + d2
                        e[2, j] = d2 - d1
                        e[3, j] = d1 - d3
                    t = t0 + tw
                    for i in range(4):
                        v[4 * i + 0, c, t] = e[i, 0] - e[i, 2]
                        v[4 * i + 1, c, t] = e[i, 1] + e[i, 2]
                        v[4 * i + 2, c, t] = e[i, 2] - e[i, 1]
                        v[4 * i + 3, c, t] = e[i, 1] - e[i, 3]


@njit(cache=True)
def _output_transform(m, tiles_h, tiles_w, y):
    """y[n, k, 2 th + a, 2 tw + b] = (Aᵀ m[:, k, t] A)[a, b] where that lies inside y: m (16, K, tiles)."""
    batch, channels, out_h, out_w = y.shape
    s = np.empty((2, 4), dtype=y.dtype)
    for k in range(channels):
        for n in range(batch):
            for th in range(tiles_h):
                for tw in range(tiles_w):
                    t = (n * tiles_h + th) * tiles_w + tw
                    for j in range(4):
                        m0, m1, m2, m3 = m[j, k, t], m[4 + j, k, t], m[8 + j, k, t], m[12 + j, k, t]
                        s[0, j] = m0 + m1 + m2
                        s[1, j] = m1 - m2 - m3
                    for a in range(2):
                        row = 2 * th + a
                        if row < out_h:
                            y[n, k, row, 2 * tw] = s[a, 0] + s[a, 1] + s[a, 2]
                            if 2 * tw + 1 < out_w:
                                y[n, k, row, 2 * tw + 1] = s[a, 1] - s[a, 2] - s[a, 3]


@njit(cache=True)
def _output_grad_transform(padded_dy, tiles_h, tiles_w, dm):
    """dm[ξ, k, t] = (A dY_t Aᵀ)[ξ] (the adjoint of _output_transform), dY_t the 2×2 tile (2 th, 2 tw) of
    padded_dy, which is dy with zeros up to 2 TH rows and 2 TW columns."""
    batch, channels = padded_dy.shape[0], padded_dy.shape[1]
    for k in range(channels):
        for n in range(batch):
            plane = padded_dy[n, k]
            for th in range(tiles_h):
                t0 = (n * tiles_h + th) * tiles_w
                for tw in range(tiles_w):
                    g00, g01 = plane[2 * th, 2 * tw], plane[2 * th, 2 * tw + 1]
                    g10, g11 = plane[2 * th + 1, 2 * tw], plane[2 * th + 1, 2 * tw + 1]
                    s0, s1, s2, s3 = g00, g00 + g10, g00 - g10, -g10
                    r0, r1, r2, r3 = g01, g01 + g11, g01 - g11, -g11
                    t = t0 + tw
                    dm[0, k, t], dm[1, k, t], dm[2, k, t], dm[3, k, t] = s0, s0 + r0, s0 - r0, -r0
                    dm[4, k, t], dm[5, k, t], dm[6, k, t], dm[7, k, t] = s1, s1 + r1, s1 - r1, -r1
                    dm[8, k, t], dm[9, k, t], dm[10, k, t], dm[11, k, t] = s2, s2 + r2, s2 - r2, -r2
                    dm[12, k, t], dm[13, k, t], dm[14, k, t], dm[15, k, t] = s3, s3 + r3, s3 - r3, -r3


def _padded(x, top, left, height, width, name):
    """A zeroed scratch (m, C, height, width) holding x (m, C, H, W) at offset (top, left); a negative offset
    crops x."""
    m, c, h, w = x.shape
    padded = scratch(name, (m, c, height, width), x.dtype)
    padded.fill(0)
    r_lo, r_hi = max(0, top), min(height, h + top)
    c_lo, c_hi = max(0, left), min(width, w + left)
    if r_lo < r_hi and c_lo < c_hi:
        padded[:, :, r_lo:r_hi, c_lo:c_hi] = x[:, :, r_lo - top:r_hi - top, c_lo - left:c_hi - left]
    return padded


def _transformed(name, channels, tiles, dtype):
    """A (16, channels, tiles) scratch array whose 16 planes lie STAGGER elements further apart than packed:
    the transforms write (or read) all 16 planes at once, and planes a power of two apart would share cache
    sets (measured 5× slower)."""
    plane = channels * tiles
    buffer = scratch(name, (16, plane + STAGGER), dtype)
    return buffer[:, :plane].reshape(16, channels, tiles)


def _tiles(size):
    return (size + 1) // 2


def _chunk_size(batch, channels, tiles_per_sample, dtype):
    """Samples per chunk: as many as keep a (16, channels, chunk tiles) buffer under CHUNK_BYTES."""
    per_sample = 16 * channels * tiles_per_sample * np.dtype(dtype).itemsize
    return max(1, min(batch, CHUNK_BYTES // per_sample))


def _correlate(x, u, ph, pw, out_h, out_w, bias, y):
    """y (N, K, out_h, out_w) = the stride-1 3×3 correlation of x (N, C, H, W), padded by (ph, pw), with the
    filter whose transform is u (16, K, C); plus bias (K,) if given."""
    n, c = x.shape[:2]
    k = u.shape[1]
    tiles_h, tiles_w = _tiles(out_h), _tiles(out_w)
    chunk = _chunk_size(n, max(c, k), tiles_h * tiles_w, x.dtype)
    for n0 in range(0, n, chunk):
        m = min(n, n0 + chunk) - n0
        tiles = m * tiles_h * tiles_w
        v = _transformed("winograd.v", c, tiles, x.dtype)
        product = _transformed("winograd.m", k, tiles, x.dtype)
        padded = _padded(x[n0:n0 + m], ph, pw, 2 * tiles_h + 2, 2 * tiles_w + 2, "winograd.padded")
        _input_transform(padded, tiles_h, tiles_w, v)
        np.matmul(u, v, out=product)
        _output_transform(product, tiles_h, tiles_w, y[n0:n0 + m])
        if bias is not None:
            y[n0:n0 + m] += bias[:, None, None]
    return y


def forward(x, weight, bias, padding):
    """y = conv2d(x, weight, stride 1) + bias for a 3×3 weight (Cout, C, 3, 3), padding (ph, pw)."""
    ph, pw = padding
    out_h, out_w = x.shape[2] + 2 * ph - 2, x.shape[3] + 2 * pw - 2
    u = scratch("winograd.u", (16,) + weight.shape[:2], x.dtype)
    _filter_transform(weight, u)
    y = recycled((x.shape[0], weight.shape[0], out_h, out_w), x.dtype)
    return _correlate(x, u, ph, pw, out_h, out_w, bias, y)


def input_grad(dy, weight, padding, x_shape):
    """dx of forward for the output gradient dy: the correlation of dy, padded by (2 - ph, 2 - pw), with
    weight's 180° rotation, input and output channels swapped."""
    ph, pw = padding
    flipped = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    u = scratch("winograd.u", (16,) + flipped.shape[:2], dy.dtype)
    _filter_transform(flipped, u)
    dx = recycled(x_shape, dy.dtype)
    return _correlate(dy, u, 2 - ph, 2 - pw, x_shape[2], x_shape[3], None, dx)


def weight_grad(dy, x, padding):
    """dw (Cout, C, 3, 3) of forward for the output gradient dy (N, Cout, OH, OW): Gᵀ (Σ_t dM_t ⊙ V_t) G."""
    ph, pw = padding
    n, c = x.shape[:2]
    k, out_h, out_w = dy.shape[1:]
    tiles_h, tiles_w = _tiles(out_h), _tiles(out_w)
    du = scratch("winograd.du", (16, k, c), x.dtype)
    du_part = scratch("winograd.du_part", (16, k, c), x.dtype)
    chunk = _chunk_size(n, max(c, k), tiles_h * tiles_w, x.dtype)
    for n0 in range(0, n, chunk):
        m = min(n, n0 + chunk) - n0
        tiles = m * tiles_h * tiles_w
        v = _transformed("winograd.v", c, tiles, x.dtype)
        dm = _transformed("winograd.m", k, tiles, x.dtype)
        padded = _padded(x[n0:n0 + m], ph, pw, 2 * tiles_h + 2, 2 * tiles_w + 2, "winograd.padded")
        _input_transform(padded, tiles_h, tiles_w, v)
        padded_dy = _padded(dy[n0:n0 + m], 0, 0, 2 * tiles_h, 2 * tiles_w, "winograd.padded_dy")
        _output_grad_transform(padded_dy, tiles_h, tiles_w, dm)
        np.matmul(dm, v.transpose(0, 2, 1), out=du if n0 == 0 else du_part)
        if n0:
            du += du_part
    dw = recycled((k, c, 3, 3), x.dtype)
    _filter_grad_transform(du, dw)
    return dw
