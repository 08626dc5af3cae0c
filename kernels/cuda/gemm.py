"""GEMM on device arrays:  C = alpha * op(A) @ op(B) + beta * C (+ bias),  op(X) = X or X^T.

Shapes: op(A) (M, K), op(B) (K, N), C (M, N), each with an optional leading batch dim; an
operand without a batch dim (or with batch 1) is broadcast over the batch, as in np.matmul.
3-D operands may be strided views (e.g. a channel slice y[:, c0:c1, :]); 2-D ones are contiguous.
An optional ``bias`` is added in the kernel's epilogue, per row (``bias_rows``: bias (M,), conv2d's
per-channel bias) or per column (bias (N,), Linear's), so a layer with a bias is one launch.

``gemm`` goes to cuBLAS (kernels.cuda.cublas, from nvmath-python) when that is importable and a GPU
is in use, and to the numba kernel below otherwise, or whenever a tile is asked for: the kernel is
cuBLAS's tested twin and the fallback.

The numba kernel, tiled and register-blocked. Block (bx, by, z) owns the BM x BN tile of C at rows
by*BM and columns bx*BN of batch z; its (BM/TM) x (BN/TN) threads each own TM x TN entries, thread
(ty, tx) the rows ty + i BM/TM and columns tx + j BN/TN (interleaved, so neighbouring threads read
neighbouring shared words and write neighbouring columns of C). For every BK-wide slice of K the
block stages op(A)[rows, slice] and op(B)[slice, columns] in shared memory (zeros outside the
matrices, so any M, N, K works), then each thread adds TM TN BK products from registers: TM + TN
shared loads per TM TN FFMA. Double buffering: while the block computes on one shared buffer, each
thread's global loads of the next slice are already in flight into registers, stored into the other
buffer afterwards; one barrier per slice. The A tile is stored k-major with rows padded by PAD words,
so the stores of a warp (8 k values x 4 rows) fall in 32 different banks. Tiles are chosen by shape
(``choose_tile``): sides of 16, 32, 64 or 128, so LeNet's and ResNet's thin layers (6 or 16 output
channels, 4x4 feature maps) do not idle most of a 64 x 64 tile. numba has no vector (128-bit) loads
of a generic array, so global loads are scalar.

The shared tiles are flat arrays indexed with unsigned offsets (a running row offset plus constant
steps), so the compiler folds the steps into the loads' immediates and emits no negative-index
wraparound. SASS of the inner k-loop (ptxas 13.0 for sm_90, float32, nvdisasm 13.2; the loop body
LLVM unrolls twice): tile 64x64, 4x4 per thread: 32 FFMA, 16 LDS, 14 other = 52% FFMA, 72 registers;
tile 128x128, 8x8 per thread: 64 FFMA, 16 LDS, 11 other = 70% FFMA, 160 registers; no spills
(``FFMA_SHARE``). Before this rewrite (3-D shared indices, 4x4, no unrolling) it was 16 of 59 = 27%.
"""
import numpy as np
from numba import config, cuda, from_dtype, uint32

from kernels.cuda import cublas, elementwise
from kernels.cuda.launch import ceil_div, check_device_array, check_out, empty, launch, to_device
from kernels.cuda.recipes import kernel_factory

PAD = 4
BK = 8
MAX_GRID_YZ = 65535
DEFAULT_TILE = (64, 64, BK, 4, 4)
FFMA_SHARE = {(64, 64, 4, 4): 0.52, (128, 128, 8, 8): 0.70}  # sm_90 float32 k-loop, see the docstring
BLAS = None if config.ENABLE_CUDASIM else cublas.load()


def _side(extent):
    """(tile side, entries per thread along it) for a matrix side of `extent`."""
    for side, per_thread in ((16, 2), (32, 2), (64, 4)):
        if extent <= side:
            return side, per_thread
    return 128, 8


def choose_tile(m, n, dtype=np.float32):
    """(BM, BN, BK, TM, TN) for C of m x n: the smallest sides covering m and n, 128 only in float32
    (64 float64 accumulators per thread would spill)."""
    (bm, tm), (bn, tn) = _side(m), _side(n)
    if np.dtype(dtype) == np.float64:
        (bm, tm), (bn, tn) = min((bm, tm), (64, 4)), min((bn, tn), (64, 4))
    return bm, bn, BK, tm, tn


@kernel_factory
def _gemm_kernel(dtype, bm, bn, bk, tm, tn):
    """The GEMM kernel for one dtype and tile (BM, BN, BK, TM, TN); 1-D blocks of threads."""
    element = from_dtype(dtype)
    zero = dtype.type(0)
    threads = (bm // tm) * (bn // tn)
    thread_rows, thread_columns = bm // tm, bn // tn
    a_loads, b_loads = ceil_div(bm * bk, threads), ceil_div(bk * bn, threads)
    a_width = bm + PAD
    a_size, b_size = 2 * bk * a_width, 2 * bk * bn  # two buffers each (shared array sizes must be constants)

    @cuda.jit(cache=True)
    def kernel(c, a, b, bias, bias_axis, trans_a, trans_b, reduce_batch, alpha, beta):
        a_tile = cuda.shared.array(a_size, element)  # [buffer, kk, row], flat
        b_tile = cuda.shared.array(b_size, element)  # [buffer, kk, column], flat
        a_next = cuda.local.array(a_loads, element)
        b_next = cuda.local.array(b_loads, element)
        acc = cuda.local.array((tm, tn), element)
        a_column = cuda.local.array(tm, element)
        b_row = cuda.local.array(tn, element)
        t = cuda.threadIdx.x
        row0, col0, batch = cuda.blockIdx.y * bm, cuda.blockIdx.x * bn, cuda.blockIdx.z
        m, n = c.shape[1], c.shape[2]
        k_total = a.shape[1] if trans_a else a.shape[2]
        ty, tx = t // thread_columns, t % thread_columns
        for i in range(tm):
            for j in range(tn):
                acc[i, j] = zero
        per_matrix = (k_total + bk - 1) // bk
        slices = per_matrix * (max(a.shape[0], b.shape[0]) if reduce_batch else 1)
        for s in range(slices + 1):
            if s > 0:  # a_next, b_next hold slice s - 1: stage it, then compute on it
                buffer = (s - 1) % 2
                for q in range(a_loads):
                    e = t + q * threads
                    if e < bm * bk:
                        kk, mm = (e // bm, e % bm) if trans_a else (e % bk, e // bk)
                        a_tile[(buffer * bk + kk) * a_width + mm] = a_next[q]
                for q in range(b_loads):
                    e = t + q * threads
                    if e < bk * bn:
                        kk, nn = (e % bk, e // bk) if trans_b else (e // bn, e % bn)
                        b_tile[(buffer * bk + kk) * bn + nn] = b_next[q]
                cuda.syncthreads()
            if s < slices:  # global loads of slice s, in flight while slice s - 1 is computed
                z, k0 = batch + s // per_matrix, (s % per_matrix) * bk
                a_batch = z if a.shape[0] > 1 else 0
                b_batch = z if b.shape[0] > 1 else 0
                for q in range(a_loads):
                    e = t + q * threads
                    kk, mm = (e // bm, e % bm) if trans_a else (e % bk, e // bk)
                    r, k = row0 + mm, k0 + kk
                    a_next[q] = zero
                    if e < bm * bk and r < m and k < k_total:
                        a_next[q] = a[a_batch, k, r] if trans_a else a[a_batch, r, k]
                for q in range(b_loads):
                    e = t + q * threads
                    kk, nn = (e % bk, e // bk) if trans_b else (e // bn, e % bn)
                    col, k = col0 + nn, k0 + kk
                    b_next[q] = zero
                    if e < bk * bn and col < n and k < k_total:
                        b_next[q] = b[b_batch, col, k] if trans_b else b[b_batch, k, col]
            if s > 0:
                a_row = uint32((s - 1) % 2 * bk * a_width + ty)  # unsigned: no negative-index wraparound
                b_row0 = uint32((s - 1) % 2 * bk * bn + tx)
                for kk in range(bk):
                    for i in range(tm):
                        a_column[i] = a_tile[a_row + uint32(i * thread_rows)]
                    for j in range(tn):
                        b_row[j] = b_tile[b_row0 + uint32(j * thread_columns)]
                    a_row += uint32(a_width)
                    b_row0 += uint32(bn)
                    for i in range(tm):
                        for j in range(tn):
                            acc[i, j] += a_column[i] * b_row[j]
        for i in range(tm):
            for j in range(tn):
                r, col = row0 + ty + i * thread_rows, col0 + tx + j * thread_columns
                if r < m and col < n:
                    value = alpha * acc[i, j]
                    if beta != zero:
                        value += beta * c[batch, r, col]
                    if bias_axis == 1:
                        value += bias[r]
                    elif bias_axis == 2:
                        value += bias[col]
                    c[batch, r, col] = value

    return kernel


def _as_batched(x, name):
    """x as a 3-D (batch, rows, cols) device array; a 2-D x must be C-contiguous."""
    if x.ndim not in (2, 3):
        raise ValueError(f"gemm: {name} must be 2-D or 3-D, got shape {tuple(x.shape)}")
    check_device_array(x, name, contiguous=x.ndim == 2)
    return x.reshape((1,) + tuple(x.shape)) if x.ndim == 2 else x


def gemm(a, b, c=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, tile=None, reduce_batch=False,
         bias=None, bias_rows=False):
    """C = alpha * op(A) @ op(B) + beta * C on device arrays (see the module docstring); with
    ``reduce_batch``, C (M, N) = alpha * sum_z op(A_z) @ op(B_z) + beta * C: the batch is part of the
    reduction (conv2d's weight gradient), in the numba kernel. ``bias`` (N,), or (M,) with
    ``bias_rows``, is added to every row (column) of C in the same launch.

    c is written in place and returned; it is required when beta != 0 and is not read when
    beta == 0. `tile` = (BM, BN, BK, TM, TN) with TM | BM, TN | BN and at most 1024 threads runs the
    numba kernel with that tile; None takes cuBLAS where available, else the numba kernel with
    ``choose_tile``.
    """
    for x, name in ((a, "a"), (b, "b")):
        check_device_array(x, name, dtypes=(np.float32, np.float64), contiguous=False)
    if a.dtype != b.dtype:
        raise TypeError(f"gemm: a and b must have one dtype, got {a.dtype} and {b.dtype}")
    if tile is not None:
        bm, bn, bk, tm, tn = tile
        if bm % tm or bn % tn or (bm // tm) * (bn // tn) > 1024:
            raise ValueError(f"gemm: tile {tile} needs TM | BM, TN | BN and (BM/TM)*(BN/TN) <= 1024")
    a3, b3 = _as_batched(a, "a"), _as_batched(b, "b")
    m, k = (a3.shape[2], a3.shape[1]) if trans_a else (a3.shape[1], a3.shape[2])
    k_b, n = (b3.shape[2], b3.shape[1]) if trans_b else (b3.shape[1], b3.shape[2])
    batches = {a3.shape[0], b3.shape[0]} - {1}
    if k != k_b or len(batches) > 1:
        raise ValueError(f"gemm: shapes {tuple(a.shape)}{'^T' * trans_a} and "
                         f"{tuple(b.shape)}{'^T' * trans_b} do not multiply")
    batch = batches.pop() if batches else 1
    shape = (batch, m, n) if 3 in (a.ndim, b.ndim) and not reduce_batch else (m, n)
    if beta != 0 and c is None:
        raise ValueError("gemm: beta != 0 needs the array c to accumulate into")
    c = check_out(c, shape, a.dtype, "c", contiguous=len(shape) == 2)
    if c.size == 0:
        return c
    c3 = _as_batched(c, "c")
    if bias is not None:
        check_device_array(bias, "bias", dtypes=(a.dtype,))
        if tuple(bias.shape) != ((m,) if bias_rows else (n,)):
            raise ValueError(f"gemm: bias must have shape ({m if bias_rows else n},) to add to every "
                             f"{'column' if bias_rows else 'row'} of C {shape}, got {tuple(bias.shape)}")
    blas = tile is None and not reduce_batch and BLAS is not None
    if blas and BLAS.gemm(c3, a3, b3, trans_a, trans_b, alpha, beta):
        if bias is not None:  # cuBLAS has no bias epilogue here: one more launch
            elementwise.add(c3, bias.reshape((1, m, 1) if bias_rows else (1, 1, n)), out=c3)
        return c
    dtype = np.dtype(a.dtype)
    bm, bn, bk, tm, tn = choose_tile(m, n, dtype) if tile is None else tile
    grid = (ceil_div(n, bn), ceil_div(m, bm), c3.shape[0])
    if max(grid[1:]) > MAX_GRID_YZ:
        raise ValueError(f"gemm: {m} rows in tiles of {bm} and a batch of {batch} need a grid of "
                         f"{grid}; at most {MAX_GRID_YZ} along y and z")
    kernel = _gemm_kernel(dtype, bm, bn, bk, tm, tn)
    bias_axis = 0 if bias is None else 1 if bias_rows else 2
    launch(kernel, grid, (bm // tm) * (bn // tn), c3, a3, b3, _no_bias(dtype) if bias is None else bias, bias_axis,
           bool(trans_a), bool(trans_b), bool(reduce_batch),
           dtype.type(alpha), dtype.type(beta))
    return c


_NO_BIAS = {}


def _no_bias(dtype):
    """A 1-element stand-in for the kernel's bias argument when there is none (one signature either way)."""
    if dtype not in _NO_BIAS:
        _NO_BIAS[dtype] = to_device(np.zeros(1, dtype))
    return _NO_BIAS[dtype]


def matmul(a, b, transpose_a=False, transpose_b=False, out=None):
    """np.matmul of op(a), op(b) for 2-D and 3-D (batched, broadcast) device arrays."""
    return gemm(a, b, out, transpose_a, transpose_b)
