"""2-d convolution on the GPU: im2col/col2im kernels and the GEMMs of kernels.cuda.gemm.

Same signatures, shapes and layout as the CPU twin kernels.cpu.conv: x (N, C, H, W), weight
(Cout, C/groups, kh, kw), cols (N, C kh kw, OH OW) whose row c kh kw + i kw + j holds
x[n, c, oh sh - ph + i dh, ow sw - pw + j dw] (zero outside the image), y[n] = W @ cols[n].
The batch goes through in chunks whose buffers stay under CHUNK_BYTES (one chunk for the usual
batch sizes); the forward is one batched GEMM over the chunk, the weight gradient one GEMM whose
reduction runs over the batch and the positions (K = N OH OW), so no per-sample gradients are summed.
The GEMMs use GEMM_TILE (None: cuBLAS where available, else a tile chosen by shape).
"""
import numpy as np
from numba import cuda

from kernels.cpu.conv import _geometry, col2im_geometry, conv_output_size  # noqa: F401  (same name as the CPU twin)
from kernels.cuda import reduce
from kernels.cuda.views import part
from kernels.cuda.gemm import gemm
from kernels.cuda.launch import check_device_array, empty, grid_1d, launch

CHUNK_BYTES = 512 * 2**20  # ResNet-18 at batch 128 on 32x32 images: every layer one chunk
GEMM_TILE = None


@cuda.jit(cache=True)
def _im2col_kernel(x, c0, kh, kw, sh, sw, ph, pw, dh, dw, out_w, cols):
    """cols[n, r, p] = x[n, c0 + c, oh sh - ph + i dh, ow sw - pw + j dw] or 0, r = (c kh + i) kw + j.

    Thread mapping: one thread per element of cols, p fastest (coalesced writes).
    """
    rows, length = cols.shape[1], cols.shape[2]
    height, width = x.shape[2], x.shape[3]
    for e in range(cuda.grid(1), cols.size, cuda.gridsize(1)):
        p, r, n = e % length, (e // length) % rows, e // (length * rows)
        c, i, j = r // (kh * kw), (r // kw) % kh, r % kw
        ih, iw = (p // out_w) * sh - ph + i * dh, (p % out_w) * sw - pw + j * dw
        inside = 0 <= ih < height and 0 <= iw < width
        cols[n, r, p] = x[n, c0 + c, ih, iw] if inside else 0


@cuda.jit(cache=True)
def _col2im_kernel(cols, c0, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w, dx):
    """dx[n, c0 + c, ih, iw] = sum of the cols entries that im2col read from there (a gather).

    Thread mapping: one thread per element of dx[:, c0:c0 + C]; output oh reads row ih through
    kernel row i when ih + ph - i dh = oh sh, so each thread visits at most kh kw entries.
    """
    channels, height, width = cols.shape[1] // (kh * kw), dx.shape[2], dx.shape[3]
    n_items = dx.shape[0] * channels * height * width
    for e in range(cuda.grid(1), n_items, cuda.gridsize(1)):
        iw, ih = e % width, (e // width) % height
        c, n = (e // (width * height)) % channels, e // (width * height * channels)
        total = 0.0
        for i in range(kh):
            th = ih + ph - i * dh
            oh = th // sh
            if th < 0 or th - oh * sh != 0 or oh >= out_h:
                continue
            for j in range(kw):
                tw = iw + pw - j * dw
                ow = tw // sw
                if tw >= 0 and tw - ow * sw == 0 and ow < out_w:
                    total += cols[n, (c * kh + i) * kw + j, oh * out_w + ow]
        dx[n, c0 + c, ih, iw] = total


def _im2col_into(x, c0, geometry, cols):
    blocks, threads = grid_1d(cols.size)
    launch(_im2col_kernel, blocks, threads, x, c0, *geometry[:8], geometry[9], cols)


def _col2im_into(cols, c0, geometry, dx):
    kh, kw = geometry[:2]
    blocks, threads = grid_1d(dx.shape[0] * (cols.shape[1] // (kh * kw)) * dx.shape[2] * dx.shape[3])
    launch(_col2im_kernel, blocks, threads, cols, c0, *geometry, dx)


def _float4(x, name):
    check_device_array(x, name, dtypes=(np.float32, np.float64))
    if x.ndim != 4:
        raise ValueError(f"{name} must be 4-d, got shape {tuple(x.shape)}")


def im2col(x, kernel_size, stride, padding, dilation):
    """Unfold x (N, C, H, W) into cols (N, C kh kw, OH OW); see the module docstring for the layout."""
    _float4(x, "x")
    geometry = _geometry(x.shape, kernel_size, stride, padding, dilation)
    kh, kw, out_h, out_w = geometry[0], geometry[1], geometry[-2], geometry[-1]
    cols = empty((x.shape[0], x.shape[1] * kh * kw, out_h * out_w), x.dtype)
    if cols.size:
        _im2col_into(x, 0, geometry, cols)
    return cols


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """Fold cols (N, C kh kw, OH OW) back into dx of shape x_shape, summing overlaps (adjoint of im2col)."""
    check_device_array(cols, "cols", dtypes=(np.float32, np.float64))
    x_shape, geometry = col2im_geometry(cols.shape, x_shape, kernel_size, stride, padding, dilation)
    dx = empty(x_shape, cols.dtype)
    if dx.size:
        _col2im_into(cols, 0, geometry, dx)
    return dx


def _check_conv(x, weight, groups):
    """Validated (N, C, Cout, C/groups, Cout/groups) of a grouped convolution."""
    _float4(x, "x")
    _float4(weight, "weight")
    if weight.dtype != x.dtype:
        raise TypeError(f"weight has dtype {weight.dtype}, expected {x.dtype} like the input")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    n, c = x.shape[:2]
    c_out, c_in_group = weight.shape[:2]
    if c % groups or c_out % groups:
        raise ValueError(f"conv2d: groups={groups} must divide the input channels {c} and "
                         f"output channels {c_out}")
    if c_in_group != c // groups:
        raise ValueError(f"conv2d: weight of shape {tuple(weight.shape)} expects "
                         f"{c_in_group * groups} input channels with groups={groups}, but x of "
                         f"shape {tuple(x.shape)} has {c}")
    return n, c, c_out, c_in_group, c_out // groups


def _batch_chunks(batch, per_sample_bytes):
    """(n0, n1) ranges covering the batch, each under CHUNK_BYTES of per-sample buffers."""
    chunk = max(1, min(batch, CHUNK_BYTES // max(per_sample_bytes, 1)))
    return [(n0, min(batch, n0 + chunk)) for n0 in range(0, batch, chunk)]


def conv2d_forward(x, weight, bias, stride, padding, dilation, groups):
    """y = conv2d(x, weight) + bias: x (N, C, H, W), weight (Cout, C/groups, kh, kw), bias (Cout,) or None.

    Per group g and batch chunk: cols = im2col(x[chunk], channels of g), y[chunk, outputs of g] = W_g @ cols
    + bias of g (added in the GEMM's epilogue).
    """
    n, _, c_out, c_in_group, c_out_group = _check_conv(x, weight, groups)
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"conv2d: bias must have shape ({c_out},), got {tuple(bias.shape)}")
    geometry = _geometry(x.shape, weight.shape[2:], stride, padding, dilation)
    length = geometry[-2] * geometry[-1]
    w = weight.reshape(groups, c_out_group, c_in_group * geometry[0] * geometry[1])
    y = empty((n, c_out, length), x.dtype)
    for n0, n1 in _batch_chunks(n, w.shape[2] * length * x.dtype.itemsize):
        cols = empty((n1 - n0, w.shape[2], length), x.dtype)
        for g in range(groups):
            _im2col_into(part(x, slice(n0, n1)), g * c_in_group, geometry, cols)
            outputs = slice(g * c_out_group, (g + 1) * c_out_group)
            gemm(part(w, g), cols, part(y, slice(n0, n1), outputs), tile=GEMM_TILE,
                 bias=None if bias is None else part(bias, outputs),
                 bias_rows=True)
    return y.reshape((n, c_out, geometry[-2], geometry[-1]))


def conv2d_backward(dy, x, weight, stride, padding, dilation, groups, need_dx=True, need_dw=True,
                    need_db=True):
    """Gradients (dx, dw, db) of conv2d_forward for the output gradient dy (N, Cout, OH, OW).

    dx = col2im(W^T @ dy_n), dw = sum_n dy_n @ cols_n^T (one GEMM), db = dy.sum((0, 2, 3)); those
    not needed are None.
    """
    n, _, c_out, c_in_group, c_out_group = _check_conv(x, weight, groups)
    _float4(dy, "dy")
    geometry = _geometry(x.shape, weight.shape[2:], stride, padding, dilation)
    y_shape = (n, c_out, geometry[-2], geometry[-1])
    if tuple(dy.shape) != y_shape or dy.dtype != x.dtype:
        raise ValueError(f"conv2d_backward: dy has shape {tuple(dy.shape)} and dtype {dy.dtype}, "
                         f"expected the output shape {y_shape} and {x.dtype}")
    length, rows = geometry[-2] * geometry[-1], c_in_group * geometry[0] * geometry[1]
    dy3 = dy.reshape((n, c_out, length))
    w = weight.reshape(groups, c_out_group, rows)
    dx = empty(x.shape, x.dtype) if need_dx else None
    dw = empty((groups, c_out_group, rows), x.dtype) if need_dw else None
    db = reduce.reduce_sum(dy3, (0, 2)) if need_db else None
    if not (need_dx or need_dw):
        return dx, dw, db
    sample_bytes = rows * length * x.dtype.itemsize
    for k, (n0, n1) in enumerate(_batch_chunks(n, sample_bytes)):
        cols = empty((n1 - n0, rows, length), x.dtype)
        for g in range(groups):
            dy_group = part(dy3, slice(n0, n1), slice(g * c_out_group, (g + 1) * c_out_group))
            if need_dw:
                _im2col_into(part(x, slice(n0, n1)), g * c_in_group, geometry, cols)
                gemm(dy_group, cols, part(dw, g), trans_b=True, beta=0.0 if k == 0 else 1.0, tile=GEMM_TILE,
                     reduce_batch=True)
            if need_dx:
                gemm(part(w, g), dy_group, cols, trans_a=True, tile=GEMM_TILE)
                _col2im_into(cols, g * c_in_group, geometry, part(dx, slice(n0, n1)))
    return dx, (dw.reshape(weight.shape) if need_dw else None), db
