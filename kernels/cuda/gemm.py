"""Tiled, register-blocked GEMM:  C = alpha * op(A) @ op(B) + beta * C,  op(X) = X or X^T.

Shapes: op(A) (M, K), op(B) (K, N), C (M, N), each with an optional leading batch dim; an
operand without a batch dim (or with batch 1) is broadcast over the batch, as in np.matmul.
3-D operands may be strided views (e.g. a channel slice y[:, c0:c1, :]); 2-D ones are contiguous.

Thread mapping: block (bx, by, z) owns the BM x BN tile of C at rows by*BM and columns bx*BN of
batch z; its (BM/TM) * (BN/TN) threads each own a TM x TN block of that tile in registers. For
every BK-wide slice of K the block copies op(A)[rows, slice] and op(B)[slice, columns] into
shared memory (zeros outside the matrices, so any M, N, K works), then every thread adds
TM * TN * BK products from registers.
"""

import numpy as np
from numba import cuda, from_dtype

from kernels.cuda.launch import ceil_div, check_device_array, check_out
from kernels.cuda.recipes import kernel_factory

DEFAULT_TILE = (64, 64, 8, 4, 4)


@kernel_factory
def _gemm_kernel(dtype, bm, bn, bk, tm, tn):
    """The GEMM kernel for one dtype and tile (BM, BN, BK, TM, TN); 1-D blocks of threads."""
    element = from_dtype(dtype)
    zero = dtype.type(0)
    threads = (bm // tm) * (bn // tn)
    thread_columns = bn // tn

    @cuda.jit
    def kernel(c, a, b, trans_a, trans_b, alpha, beta):
        a_tile = cuda.shared.array((bk, bm), element)
        b_tile = cuda.shared.array((bk, bn), element)
        acc = cuda.local.array((tm, tn), element)
        a_column = cuda.local.array(tm, element)
        b_row = cuda.local.array(tn, element)
        t = cuda.threadIdx.x
        row0, col0, batch = cuda.blockIdx.y * bm, cuda.blockIdx.x * bn, cuda.blockIdx.z
        a_batch = batch if a.shape[0] > 1 else 0
        b_batch = batch if b.shape[0] > 1 else 0
        m, n = c.shape[1], c.shape[2]
        k_total = a.shape[1] if trans_a else a.shape[2]
        ty, tx = (t // thread_columns) * tm, (t % thread_columns) * tn
        for i in range(tm):
            for j in range(tn):
                acc[i, j] = zero
        for k0 in range(0, k_total, bk):
            for e in range(t, bm * bk, threads):
                if trans_a:
                    kk, mm = e // bm, e % bm
                else:
                    mm, kk = e // bk, e % bk
                r, k = row0 + mm, k0 + kk
                a_tile[kk, mm] = zero
                if r < m and k < k_total:
                    a_tile[kk, mm] = a[a_batch, k, r] if trans_a else a[a_batch, r, k]
            for e in range(t, bk * bn, threads):
                if trans_b:
                    nn, kk = e // bk, e % bk
                else:
                    kk, nn = e // bn, e % bn
                col, k = col0 + nn, k0 + kk
                b_tile[kk, nn] = zero
                if col < n and k < k_total:
                    b_tile[kk, nn] = b[b_batch, col, k] if trans_b else b[b_batch, k, col]
            cuda.syncthreads()
            for kk in range(bk):
                for i in range(tm):
                    a_column[i] = a_tile[kk, ty + i]
                for j in range(tn):
                    b_row[j] = b_tile[kk, tx + j]
                for i in range(tm):
                    for j in range(tn):
                        acc[i, j] += a_column[i] * b_row[j]
            cuda.syncthreads()
        for i in range(tm):
            for j in range(tn):
                r, col = row0 + ty + i, col0 + tx + j
                if r < m and col < n:
                    value = alpha * acc[i, j]
                    if beta != zero:
                        value += beta * c[batch, r, col]
                    c[batch, r, col] = value

    return kernel


def _as_batched(x, name):
    """x as a 3-D (batch, rows, cols) device array; a 2-D x must be C-contiguous."""
    if x.ndim not in (2, 3):
        raise ValueError(f"gemm: {name} must be 2-D or 3-D, got shape {tuple(x.shape)}")
    check_device_array(x, name, contiguous=x.ndim == 2)
    return x.reshape((1,) + tuple(x.shape)) if x.ndim == 2 else x


def gemm(a, b, c=None, trans_a=False, trans_b=False, alpha=1.0, beta=0.0, tile=DEFAULT_TILE):
    """C = alpha * op(A) @ op(B) + beta * C on device arrays (see the module docstring).

    c is written in place and returned; it is required when beta != 0 and is not read when
    beta == 0. `tile` = (BM, BN, BK, TM, TN) with TM | BM, TN | BN and at most 1024 threads.
    """
    for x, name in ((a, "a"), (b, "b")):
        check_device_array(x, name, dtypes=(np.float32, np.float64), contiguous=False)
    if a.dtype != b.dtype:
        raise TypeError(f"gemm: a and b must have one dtype, got {a.dtype} and {b.dtype}")
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
    shape = (batch, m, n) if 3 in (a.ndim, b.ndim) else (m, n)
    if beta != 0 and c is None:
        raise ValueError("gemm: beta != 0 needs the array c to accumulate into")
    c = check_out(c, shape, a.dtype, "c", contiguous=len(shape) == 2)
    if c.size == 0:
        return c
    dtype = np.dtype(a.dtype)
    kernel = _gemm_kernel(dtype, bm, bn, bk, tm, tn)
    grid = (ceil_div(n, bn), ceil_div(m, bm), batch)
    kernel[grid, (bm // tm) * (bn // tn)](_as_batched(c, "c"), a3, b3, bool(trans_a),
                                          bool(trans_b), dtype.type(alpha), dtype.type(beta))
    return c


def matmul(a, b, out=None):
    """np.matmul for 2-D and 3-D (batched, broadcast) device arrays."""
    return gemm(a, b, out)
