"""Winograd F(2×2, 3×3): stride-1, undilated, ungrouped 3×3 convolutions with 16 GEMMs instead of one 9× larger.

Each 2×2 block of outputs ("tile" t = (n, th, tw), read from the 4×4 input patch at (2 th - ph, 2 tw - pw),
zero outside the image) is

    Y_t = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d_t B) ] A,        U = G g Gᵀ (16, Cout, C),  V = Bᵀ d B (16, C, tiles)

with Bᵀ = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]], G = [[1,0,0],[½,½,½],[½,-½,½],[0,0,1]],
Aᵀ = [[1,1,1,0],[0,1,-1,-1]]; the sum over input channels is, for each of the 16 points ξ of the 4×4
transformed domain, one GEMM M[ξ] = U[ξ] @ V[ξ] (np.matmul over the leading axis). 2.25× fewer
multiplications than direct convolution.

The filter transform and its adjoint are GEMMs too: vec(G g Gᵀ) = (G ⊗ G) vec(g), a (16, 9) matrix applied
to all Cout C filters at once. The input, output and output-gradient transforms are Numba loops that read
x and dy directly (one small zero-bordered copy of a plane, no padded copy of the batch), run along a row
of tiles and write the C-contiguous planes of V and M (a strided view kept LLVM from vectorising); the bias
is added in the output transform. LLVM vectorises the loops along whole rows; the loop that stores 16
planes per tile stays mostly scalar (seen in the assembly). Measured against the previous loops (one thread's CPU time, conv 64→64, batch 64, 32×32,
best of 7 in one process): input transform 25 → 16 ms, output transform and bias 13–21 → 4–5 ms, output-grad
transform and padded copy 15 → 12 ms; 512×512 filter transform 29 → 5 ms. A whole forward + backward, new
/ old (alternating in one process, median of 9 pairs, one thread's CPU time): 0.82× at 64 channels 32×32
batch 64, 0.89× at 128 ch. 16×16, 0.79× at 256 ch. 8×8, 0.54× at 512 ch. 4×4 (batch 32). The transforms
still cost about as much as the GEMMs: V is 4× the input, and writing 64 MiB takes 7-10 ms on one core
here. The output transform combines each tile's own 16 values only, so it runs over a whole plane of tiles
per loop and writes the four phases of the output plane (8.7 → 4.5 ms above). Tried and not kept: the same
for the input transform, whose tiles overlap, needs one extra tile per row of tiles (GEMMs 1/TW larger):
22 → 18 ms at 32×32 but slower at 8×8, no better overall; for the output-grad transform, slower below 32×32;
chunks sized for L2 (0.25-4 MiB): within 10%, either way.

The loops are ``prange`` loops over channels compiled with ``parallel=PARALLEL``, False: they alternate
with OpenBLAS calls, as im2col does, and two threads did not pay. Forward + backward, best of 11
alternating in one process with OpenBLAS's two threads (load 1.6-2.8), parallel / serial: 1.01 at 64 ch.
32×32 batch 64, 0.87 at batch 32, 1.00 at 128 ch. 16×16, 1.10 at 256 ch. 8×8 (and these serial loops /
the previous ones 0.89, 0.89, 0.79, 0.57). The ratios of single pairs ranged over 0.05-18 on this shared
machine: worth measuring again on a quiet one.

Not taken: F(4×4, 3×3) (V 2.25× the input, 4× fewer multiplications than direct): its transforms have entries
up to 8 and 1/24, and in float32 its error relative to max |y| was 2.6e-6, 5.6e-6, 1.2e-5 at 16, 64, 256
input channels (F(2×2, 3×3): 1.9e-7, 3.1e-7, 7.0e-7), too close to the kernels' float32 tolerance of 2e-5
before the weight gradient sums over every tile.

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
from numba import njit, prange

from .workspace import recycled, scratch

CHUNK_BYTES = 32 * 2**20
STAGGER = 64
PARALLEL = False  # see the module docstring
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]])
# vec(G g Gᵀ) = (G ⊗ G) vec(g) (row-major vec): the filter transform of every (k, c) at once is one GEMM
FILTER_TRANSFORM = np.kron(G, G)                   # (16, 9)
FLIPPED_FILTER_TRANSFORM = FILTER_TRANSFORM[:, ::-1]  # the same for g rotated 180°: vec(g) reversed


def applies(weight_shape, stride, dilation, groups):
    """Whether a convolution of this geometry is one Winograd F(2×2, 3×3) computes: 3×3, stride 1, dilation 1,
    groups 1 (stride, dilation as (h, w) pairs)."""
    return tuple(weight_shape[2:]) == (3, 3) and stride == (1, 1) and dilation == (1, 1) and groups == 1


@njit(cache=True, parallel=PARALLEL)
def _input_transform(x, top, left, tiles_h, tiles_w, v):
    """v[ξ, c, t] = (Bᵀ d B)[ξ] for the 4×4 patch d of x[n, c] at (2 th - top, 2 tw - left), zero outside x;
    x (N, C, H, W), v (16, ≥ C N TH TW) holding v[ξ, c, t] at v[ξ, c N TH TW + t], t = (n TH + th) TW + tw.

    Each plane goes first into a small zero-bordered copy (its border is zeroed once per channel), then per
    row of tiles Bᵀ d runs along whole rows and d B along the row of tiles, loops that vectorise.
    """
    batch, channels, height, width = x.shape
    rows, cols = 2 * tiles_h + 2, 2 * tiles_w + 2
    r_lo, r_hi = max(0, top), min(rows, height + top)
    q_lo, q_hi = max(0, left), min(cols, width + left)
    tiles = batch * tiles_h * tiles_w
    for c in prange(channels):
        plane = np.zeros((rows, cols), x.dtype)
        e = np.empty((4, cols), x.dtype)
        for n in range(batch):
            for r in range(r_lo, r_hi):
                for q in range(q_lo, q_hi):
                    plane[r, q] = x[n, c, r - top, q - left]
            for th in range(tiles_h):
                for q in range(cols):
                    d0, d1, d2, d3 = plane[2 * th, q], plane[2 * th + 1, q], plane[2 * th + 2, q], plane[2 * th + 3, q]
                    e[0, q] = d0 - d2
                    e[1, q] = d1 + d2
                    e[2, q] = d2 - d1
                    e[3, q] = d1 - d3
                t0 = c * tiles + (n * tiles_h + th) * tiles_w
                for i in range(4):
                    for tw in range(tiles_w):
                        a0, a1, a2, a3 = e[i, 2 * tw], e[i, 2 * tw + 1], e[i, 2 * tw + 2], e[i, 2 * tw + 3]
                        v[4 * i, t0 + tw] = a0 - a2
                        v[4 * i + 1, t0 + tw] = a1 + a2
                        v[4 * i + 2, t0 + tw] = a2 - a1
                        v[4 * i + 3, t0 + tw] = a1 - a3


@njit(cache=True, parallel=PARALLEL)
def _output_transform(m, bias, tiles_h, tiles_w, y):
    """y[n, k, 2 th + a, 2 tw + b] = (Aᵀ m[:, k, t] A)[a, b] + bias[k] where that lies inside y: m (16, ≥ K tiles)
    holding m[ξ, k, t] at m[ξ, k tiles + t], bias (K,), y (N, K, OH, OW).

    Each output combines the 16 values of its own tile only, so both products run over a whole plane of
    tiles at once (long loops, one store each, which vectorise): s = Aᵀ m (2×4 per tile), then s A into the
    four phases of the output plane, phases[a, b, th TW + tw] = y[2 th + a, 2 tw + b]; the phases are then
    interleaved into y.
    """
    batch, channels, out_h, out_w = y.shape
    size = tiles_h * tiles_w
    tiles = batch * size
    for k in prange(channels):
        s = np.empty((2, 4, size), m.dtype)
        phases = np.empty((2, 2, size), m.dtype)
        bias_k = bias[k]
        for n in range(batch):
            base = k * tiles + n * size
            for j in range(4):
                m0, m1 = m[j, base:base + size], m[4 + j, base:base + size]
                m2, m3 = m[8 + j, base:base + size], m[12 + j, base:base + size]
                s0, s1 = s[0, j], s[1, j]
                for t in range(size):
                    s0[t] = m0[t] + m1[t] + m2[t]
                for t in range(size):
                    s1[t] = m1[t] - m2[t] - m3[t]
            for a in range(2):
                sa0, sa1, sa2, sa3 = s[a, 0], s[a, 1], s[a, 2], s[a, 3]
                even, odd = phases[a, 0], phases[a, 1]
                for t in range(size):
                    even[t] = sa0[t] + sa1[t] + sa2[t] + bias_k
                for t in range(size):
                    odd[t] = sa1[t] - sa2[t] - sa3[t] + bias_k
            for r in range(out_h):
                for q in range(out_w):
                    y[n, k, r, q] = phases[r % 2, q % 2, (r // 2) * tiles_w + q // 2]


@njit(cache=True, parallel=PARALLEL)
def _output_grad_transform(dy, tiles_h, tiles_w, dm):
    """dm[ξ, k, t] = (A dY_t Aᵀ)[ξ] (the adjoint of _output_transform), dY_t the 2×2 tile (2 th, 2 tw) of dy
    (N, K, OH, OW), zero beyond it; dm (16, ≥ K N TH TW) as v of _input_transform. Each pair of rows goes through a zero-tailed buffer."""
    batch, channels, out_h, out_w = dy.shape
    tiles = batch * tiles_h * tiles_w
    for k in prange(channels):
        g = np.zeros((2, 2 * tiles_w), dy.dtype)
        for n in range(batch):
            for th in range(tiles_h):
                for a in range(2):
                    row = 2 * th + a
                    if row < out_h:
                        for q in range(out_w):
                            g[a, q] = dy[n, k, row, q]
                    else:
                        for q in range(out_w):
                            g[a, q] = 0
                t0 = k * tiles + (n * tiles_h + th) * tiles_w
                for tw in range(tiles_w):
                    g00, g01, g10, g11 = g[0, 2 * tw], g[0, 2 * tw + 1], g[1, 2 * tw], g[1, 2 * tw + 1]
                    s0, s1, s2, s3 = g00, g00 + g10, g00 - g10, -g10
                    r0, r1, r2, r3 = g01, g01 + g11, g01 - g11, -g11
                    t = t0 + tw
                    dm[0, t], dm[1, t], dm[2, t], dm[3, t] = s0, s0 + r0, s0 - r0, -r0
                    dm[4, t], dm[5, t], dm[6, t], dm[7, t] = s1, s1 + r1, s1 - r1, -r1
                    dm[8, t], dm[9, t], dm[10, t], dm[11, t] = s2, s2 + r2, s2 - r2, -r2
                    dm[12, t], dm[13, t], dm[14, t], dm[15, t] = s3, s3 + r3, s3 - r3, -r3


def _transformed(name, channels, tiles, dtype):
    """(planes, matrices): a (16, channels tiles + STAGGER) scratch array and its (16, channels, tiles) view. The
    kernels take the planes (C-contiguous, so their loops vectorise), the GEMMs the view. The planes lie STAGGER
    elements further apart than packed: the transforms write (or read) all 16 at once, and planes a power of
    two apart would share cache sets (measured 5× slower)."""
    plane = channels * tiles
    planes = scratch(name, (16, plane + STAGGER), dtype)
    return planes, planes[:, :plane].reshape(16, channels, tiles)


def _tiles(size):
    return (size + 1) // 2


def _chunks(batch, channels, tiles_per_sample, dtype):
    """(n0, m, tiles) for chunks of m samples from n0, as many as keep a (16, channels, tiles) buffer under
    CHUNK_BYTES (tiles = m tiles_per_sample)."""
    per_sample = 16 * channels * tiles_per_sample * np.dtype(dtype).itemsize
    chunk = max(1, min(batch, CHUNK_BYTES // per_sample))
    for n0 in range(0, batch, chunk):
        m = min(batch, n0 + chunk) - n0
        yield n0, m, m * tiles_per_sample


def _correlate(x, u, ph, pw, out_h, out_w, bias, y):
    """y (N, K, out_h, out_w) = the stride-1 3×3 correlation of x (N, C, H, W), padded by (ph, pw), with the
    filter whose transform is u (16, K, C); plus bias (K,)."""
    n, c = x.shape[:2]
    k = u.shape[1]
    tiles_h, tiles_w = _tiles(out_h), _tiles(out_w)
    for n0, m, tiles in _chunks(n, max(c, k), tiles_h * tiles_w, x.dtype):
        v_planes, v = _transformed("winograd.v", c, tiles, x.dtype)
        m_planes, product = _transformed("winograd.m", k, tiles, x.dtype)
        _input_transform(x[n0:n0 + m], ph, pw, tiles_h, tiles_w, v_planes)
        np.matmul(u, v, out=product)
        _output_transform(m_planes, bias, tiles_h, tiles_w, y[n0:n0 + m])
    return y


def _filter_transform(weight, transform, transposed=False):
    """u[:, k, c] = transform @ vec(weight[k, c]) for weight (K, C, 3, 3) and transform (16, 9): u (16, K, C),
    or with transposed u (16, C, K) (as one batched GEMM over c, so that the Winograd GEMMs read it packed)."""
    k, c = weight.shape[:2]
    transform = transform.astype(weight.dtype)
    if transposed:
        u = scratch("winograd.u", (16, c, k), weight.dtype)
        np.matmul(transform, weight.reshape(k, c, 9).transpose(1, 2, 0), out=u.transpose(1, 0, 2))
    else:
        u = scratch("winograd.u", (16, k, c), weight.dtype)
        np.matmul(transform, weight.reshape(k * c, 9).T, out=u.reshape(16, k * c))
    return u


def forward(x, weight, bias, padding):
    """y = conv2d(x, weight, stride 1) + bias for a 3×3 weight (Cout, C, 3, 3), padding (ph, pw)."""
    ph, pw = padding
    out_h, out_w = x.shape[2] + 2 * ph - 2, x.shape[3] + 2 * pw - 2
    u = _filter_transform(weight, FILTER_TRANSFORM)
    y = recycled((x.shape[0], weight.shape[0], out_h, out_w), x.dtype)
    if bias is None:
        bias = np.zeros(weight.shape[0], x.dtype)
    return _correlate(x, u, ph, pw, out_h, out_w, bias, y)


def input_grad(dy, weight, padding, x_shape):
    """dx of forward for the output gradient dy: the correlation of dy, padded by (2 - ph, 2 - pw), with
    weight's 180° rotation, input and output channels swapped."""
    ph, pw = padding
    u = _filter_transform(weight, FLIPPED_FILTER_TRANSFORM, transposed=True)
    dx = recycled(x_shape, dy.dtype)
    return _correlate(dy, u, 2 - ph, 2 - pw, x_shape[2], x_shape[3], np.zeros(x_shape[1], dy.dtype), dx)


def weight_grad(dy, x, padding):
    """dw (Cout, C, 3, 3) of forward for the output gradient dy (N, Cout, OH, OW): Gᵀ (Σ_t dM_t ⊙ V_t) G."""
    ph, pw = padding
    n, c = x.shape[:2]
    k, out_h, out_w = dy.shape[1:]
    tiles_h, tiles_w = _tiles(out_h), _tiles(out_w)
    du = scratch("winograd.du", (16, k, c), x.dtype)
    du_part = scratch("winograd.du_part", (16, k, c), x.dtype)
    for n0, m, tiles in _chunks(n, max(c, k), tiles_h * tiles_w, x.dtype):
        v_planes, v = _transformed("winograd.v", c, tiles, x.dtype)
        dm_planes, dm = _transformed("winograd.m", k, tiles, x.dtype)
        _input_transform(x[n0:n0 + m], ph, pw, tiles_h, tiles_w, v_planes)
        _output_grad_transform(dy[n0:n0 + m], tiles_h, tiles_w, dm_planes)
        np.matmul(dm, v.transpose(0, 2, 1), out=du if n0 == 0 else du_part)
        if n0:
            du += du_part
    dw = recycled((k, c, 3, 3), x.dtype)
    np.matmul(du.reshape(16, k * c).T, FILTER_TRANSFORM.astype(x.dtype), out=dw.reshape(k * c, 9))
    return dw
