"""2-d convolution on the CPU: im2col/col2im loops in Numba, the GEMMs in OpenBLAS via np.matmul.

Shapes: x (N, C, H, W), weight (Cout, C/groups, kh, kw), y (N, Cout, OH, OW). The public im2col returns
cols (N, C kh kw, OH OW) whose row c kh kw + i kw + j holds x[n, c, oh sh - ph + i dh, ow sw - pw + j dw]
(zero outside the image), so that y[n] = weight.reshape(Cout, -1) @ cols[n]. Inside the convolution the
batch is folded into the GEMM instead: the columns of a chunk of m samples are laid out (C kh kw, m OH OW),
so y = W @ cols and dw^T = cols @ dY^T are one large GEMM per chunk (one small GEMM per sample runs at a
tenth of the speed on 2 threads). Chunks keep the column buffer under CHUNK_BYTES; the column buffer and
the other temporaries come from the workspace cache (kernels.cpu.workspace) and are reused call to call;
outputs and gradients are recycled arrays of that cache. At stride 1 the columns are contiguous runs of
input rows, copied as such (and col2im adds them back the same way); at other strides, outputs narrower
than GATHER_BELOW_WIDTH (ResNet's strided 8×8 and 4×4 layers) unfold from a zero-padded copy of the chunk
through a table of offsets, which has no bounds to test per output row (about 2× faster there).

The forward keeps its columns for the weight gradient when the whole batch is one chunk and groups is 1
(kernels.cpu.conv_columns: taken only for an input bit for bit equal to the forward's, else built again).
GEMMs under kernels.cpu.blas.SMALL_GEMM_FLOPS run with OpenBLAS on one thread (see that module).

With ``algorithm="winograd"`` or ``"auto"`` (see uses_winograd), 3×3 stride-1 undilated ungrouped convolutions
go to Winograd F(2×2, 3×3) instead (kernels.cpu.winograd); the default here is "im2col", the CPU backend
passes ``mg.backends.cpu.conv_algorithm``. One input channel per group at stride 1 (LeNet's first layer,
depthwise convolutions) goes to the direct kernels of kernels.cpu.conv_direct, with no columns at all
(its input gradient still takes the im2col path).

The stride-1 im2col (rows of cols) and col2im (samples) run in parallel on Numba's threads from
kernels.cpu._threads.PARALLEL_MIN_BYTES; the strided ones stay on one thread. A parallel loop between
two multithreaded GEMMs fights OpenBLAS's idle worker, which busy-waits for about 0.1 s after every call
(2-3× slower, measured before small GEMMs went to one thread); with small GEMMs on one thread the
parallel stride-1 loops and conv_direct's kernels took LeNet-5's b64 step to 0.81× (0.76-1.31, 5 pairs of
fresh processes, quiet machine, 2026-12-01) of the same tree with them on one thread.
"""
import numpy as np
from numba import njit, prange, uint64

from ._args import float_array, non_negative, pair, positive, same_dtype
from . import _threads, blas, conv_columns, conv_direct, winograd
from .workspace import recycled, scratch

CHUNK_BYTES = 8 * 2**20
ALGORITHMS = ("auto", "im2col", "winograd")
WINOGRAD_MIN_CHANNELS = 16  # "auto" takes Winograd from this many input and output channels ...
WINOGRAD_MIN_SIZE = 8       # ... and outputs at least this high and wide
GATHER_BELOW_WIDTH = 12  # outputs narrower than this unfold from a padded copy through an offset table
STRIDE1_KERNELS = True  # stride-1 convolutions unfold by contiguous row copies (tests turn it off)


def conv_output_size(size, kernel, stride, padding, dilation):
    """Output length of a convolution: (size + 2 padding - dilation (kernel - 1) - 1) // stride + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _geometry(x_shape, kernel_size, stride, padding, dilation):
    """Validated (kh, kw, sh, sw, ph, pw, dh, dw, OH, OW) for an input of shape (N, C, H, W)."""
    kernel_size = pair(kernel_size, "kernel_size")
    stride, padding, dilation = pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")
    positive(kernel_size, "kernel_size")
    positive(stride, "stride")
    positive(dilation, "dilation")
    non_negative(padding, "padding")
    out_size = tuple(conv_output_size(*args) for args in zip(x_shape[2:], kernel_size, stride, padding, dilation))
    if min(out_size) < 1:
        raise ValueError(
            f"conv2d: input of spatial size {tuple(x_shape[2:])} is too small for kernel_size {kernel_size}, "
            f"padding {padding} and dilation {dilation} (output size {out_size})")
    return (*kernel_size, *stride, *padding, *dilation, *out_size)


@njit(cache=True)
def _valid_outputs(offset, stride, size, count):
    """Range [lo, hi) of the outputs o < count whose input index o stride + offset lies in [0, size)."""
    lo = 0 if offset >= 0 else (stride - 1 - offset) // stride
    hi = 0 if offset > size - 1 else min((size - 1 - offset) // stride + 1, count)
    return min(lo, hi), hi


@njit(cache=True)
def _stride1_row(r, c0, kh, kw, ph, pw, dh, dw, height, width, out_h, out_w):
    """Row r = c kh kw + i kw + j of stride-1 columns: (channel c0 + c, input row and column offsets
    i dh - ph and j dw - pw, and the ranges [oh_lo, oh_hi), [ow_lo, ow_hi) of outputs that read inside)."""
    i = (r // kw) % kh
    j = r % kw
    row_offset, col_offset = i * dh - ph, j * dw - pw
    oh_lo, oh_hi = _valid_outputs(row_offset, 1, height, out_h)
    ow_lo, ow_hi = _valid_outputs(col_offset, 1, width, out_w)
    return c0 + r // (kh * kw), row_offset, col_offset, oh_lo, oh_hi, ow_lo, ow_hi


@njit(cache=True)
def _im2col_kernel(x, c0, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w, cols):
    """cols[r, n OH OW + t] = the (OH, OW) image of sample n seen by row r = c kh kw + i kw + j (channel c0 + c).

    cols is (rows, N OH OW) for the N samples of x: the batch lies along the columns, so that one GEMM
    serves the whole batch. The innermost indices are unsigned: Numba then skips its negative-index test
    and the copies vectorise.
    """
    rows = cols.shape[0]
    batch, height, width = x.shape[0], x.shape[2], x.shape[3]
    length = out_h * out_w
    for task in range(rows * batch):
        r = task // batch
        n = task - r * batch
        c = c0 + r // (kh * kw)
        i = (r // kw) % kh
        j = r % kw
        row = cols[r]
        base = uint64(n * length)
        row_offset, col_offset = i * dh - ph, j * dw - pw
        oh_lo, oh_hi = _valid_outputs(row_offset, sh, height, out_h)
        ow_lo, ow_hi = _valid_outputs(col_offset, sw, width, out_w)
        for t in range(uint64(oh_lo * out_w)):
            row[base + t] = 0
        for oh in range(oh_lo, oh_hi):
            ih = oh * sh + row_offset
            start = base + uint64(oh * out_w)
            for t in range(start, start + uint64(ow_lo)):
                row[t] = 0
            first_out, first_in = start + uint64(ow_lo), uint64(ow_lo * sw + col_offset)
            for t in range(uint64(ow_hi - ow_lo)):
                row[first_out + t] = x[n, c, ih, first_in + t * uint64(sw)]
            for t in range(start + uint64(ow_hi), start + uint64(out_w)):
                row[t] = 0
        for t in range(base + uint64(oh_hi * out_w), base + uint64(length)):
            row[t] = 0


@njit(cache=True)
def _col2im_kernel(cols, c0, kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w, dx):
    """dx[n, c0 + c] = the sum of the rows of cols for channel c and sample n, each added back where im2col
    read it; cols is (C kh kw, N OH OW) as _im2col_kernel writes it."""
    batch, channels = dx.shape[0], cols.shape[0] // (kh * kw)
    height, width = dx.shape[2], dx.shape[3]
    length = out_h * out_w
    for task in range(batch * channels):
        n = task // channels
        c = task - n * channels
        base = n * length
        for ih in range(height):
            for t in range(uint64(width)):
                dx[n, c0 + c, ih, t] = 0
        for i in range(kh):
            for j in range(kw):
                row = cols[(c * kh + i) * kw + j]
                row_offset, col_offset = i * dh - ph, j * dw - pw
                oh_lo, oh_hi = _valid_outputs(row_offset, sh, height, out_h)
                ow_lo, ow_hi = _valid_outputs(col_offset, sw, width, out_w)
                for oh in range(oh_lo, oh_hi):
                    ih = oh * sh + row_offset
                    first_out, first_in = uint64(base + oh * out_w + ow_lo), uint64(ow_lo * sw + col_offset)
                    for t in range(uint64(ow_hi - ow_lo)):
                        dx[n, c0 + c, ih, first_in + t * uint64(sw)] += row[first_out + t]


@njit(cache=True, parallel=True)
def _im2col_stride1_kernel(x, c0, kh, kw, ph, pw, dh, dw, out_h, out_w, cols):
    """_im2col_kernel at stride 1: each output row copies a contiguous run of an input row, row r of cols
    sample after sample (no padded copy, no offset table); rows in parallel."""
    rows = cols.shape[0]
    batch, height, width = x.shape[0], x.shape[2], x.shape[3]
    length = out_h * out_w
    for r in prange(rows):
        c, row_offset, col_offset, oh_lo, oh_hi, ow_lo, ow_hi = _stride1_row(
            r, c0, kh, kw, ph, pw, dh, dw, height, width, out_h, out_w)
        row = cols[r]
        for n in range(batch):
            plane = x[n, c]
            base = uint64(n * length)
            for t in range(uint64(oh_lo * out_w)):
                row[base + t] = 0
            for oh in range(oh_lo, oh_hi):
                source = plane[oh + row_offset]
                start = base + uint64(oh * out_w)
                for t in range(uint64(ow_lo)):
                    row[start + t] = 0
                first_in, first_out = uint64(ow_lo + col_offset), start + uint64(ow_lo)
                for t in range(uint64(ow_hi - ow_lo)):
                    row[first_out + t] = source[first_in + t]
                for t in range(uint64(ow_hi), uint64(out_w)):
                    row[start + t] = 0
            for t in range(base + uint64(oh_hi * out_w), base + uint64(length)):
                row[t] = 0


@njit(cache=True, parallel=True)
def _col2im_stride1_kernel(cols, c0, kh, kw, ph, pw, dh, dw, out_h, out_w, dx):
    """_col2im_kernel at stride 1: per sample (in parallel), row r of cols after row r adds into contiguous
    runs of input rows, so each pixel sums its contributions in the order of r."""
    batch, channels = dx.shape[0], cols.shape[0] // (kh * kw)
    height, width = dx.shape[2], dx.shape[3]
    length = out_h * out_w
    for n in prange(batch):
        for c in range(c0, c0 + channels):
            for ih in range(height):
                for t in range(uint64(width)):
                    dx[n, c, ih, t] = 0
        base = n * length
        for r in range(channels * kh * kw):
            c, row_offset, col_offset, oh_lo, oh_hi, ow_lo, ow_hi = _stride1_row(
                r, c0, kh, kw, ph, pw, dh, dw, height, width, out_h, out_w)
            row = cols[r]
            plane = dx[n, c]
            for oh in range(oh_lo, oh_hi):
                target = plane[oh + row_offset]
                first_in, first_out = uint64(ow_lo + col_offset), uint64(base + oh * out_w + ow_lo)
                for t in range(uint64(ow_hi - ow_lo)):
                    target[first_in + t] += row[first_out + t]


@njit(cache=True)
def _im2col_gather_kernel(padded, c0, kh, kw, offsets, cols):
    """cols[r, n L + t] = padded[n, c0 + c, offsets[i kw + j, t]] for row r = c kh kw + i kw + j.

    padded is the input with its zero border, each (H + 2 ph, W + 2 pw) plane flattened, and offsets the
    (kh kw, L) table of where each output reads: no bounds to test, so small outputs (4×4) copy fast.
    """
    rows, batch, length = cols.shape[0], padded.shape[0], offsets.shape[1]
    for task in range(rows * batch):
        r = task // batch
        n = task - r * batch
        plane = padded[n, c0 + r // (kh * kw)]
        table = offsets[r % (kh * kw)]
        row = cols[r]
        base = n * length
        for t in range(length):
            row[base + t] = plane[table[t]]


@njit(cache=True)
def _col2im_scatter_kernel(cols, c0, kh, kw, offsets, padded):
    """padded[n, c0 + c, offsets[i kw + j, t]] += cols[r, n L + t]: the adjoint of _im2col_gather_kernel,
    into a zeroed padded gradient whose interior is dx."""
    batch, channels, length = padded.shape[0], cols.shape[0] // (kh * kw), offsets.shape[1]
    for task in range(batch * channels):
        n = task // channels
        c = task - n * channels
        plane = padded[n, c0 + c]
        base = n * length
        for k in range(kh * kw):
            row = cols[c * kh * kw + k]
            table = offsets[k]
            for t in range(length):
                plane[table[t]] += row[base + t]


def _gather_offsets(geometry, padded_width):
    """The (kh kw, OH OW) int64 table of flat offsets into a padded plane that _im2col_gather_kernel reads."""
    kh, kw, sh, sw, _, _, dh, dw, out_h, out_w = geometry
    i, j = np.arange(kh)[:, None, None, None], np.arange(kw)[None, :, None, None]
    oh, ow = np.arange(out_h)[None, None, :, None], np.arange(out_w)[None, None, None, :]
    return ((oh * sh + i * dh) * padded_width + ow * sw + j * dw).reshape(kh * kw, out_h * out_w)


def _padded_copy(x, geometry):
    """x (m, C, H, W) with its zero border, as (m, C, (H + 2 ph) (W + 2 pw)) in a scratch buffer."""
    ph, pw = geometry[4], geometry[5]
    m, c, h, w = x.shape
    padded = scratch("conv.padded", (m, c, h + 2 * ph, w + 2 * pw), x.dtype)
    padded.fill(0)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded.reshape(m, c, -1)


class _Unfolder:
    """im2col and col2im of one convolution's chunks: at stride 1 by contiguous row copies; else by bounds
    (wide outputs) or by offset table (narrow ones).

    ``source(x_chunk)`` is what ``unfold`` reads (x itself, or its padded copy); ``unfold`` and ``fold``
    write rows c0 kh kw ... of cols and the channels c0 ... of dx_chunk.
    """

    def __init__(self, geometry, x_shape):
        self.geometry = geometry
        self.stride1 = STRIDE1_KERNELS and geometry[2:4] == (1, 1)
        self.offsets = (_gather_offsets(geometry, x_shape[3] + 2 * geometry[5])
                        if geometry[-1] < GATHER_BELOW_WIDTH and not self.stride1 else None)

    def source(self, x_chunk):
        return x_chunk if self.offsets is None else _padded_copy(x_chunk, self.geometry)

    def unfold(self, source, c0, cols):
        if self.stride1:
            g = self.geometry
            _threads.run(_im2col_stride1_kernel, cols.nbytes, source, c0, g[0], g[1], *g[4:], cols)
        elif self.offsets is None:
            _im2col_kernel(source, c0, *self.geometry, cols)
        else:
            _im2col_gather_kernel(source, c0, self.geometry[0], self.geometry[1], self.offsets, cols)

    def fold_into(self, cols, c0, dx_chunk, padded_dx):
        if self.stride1:
            g = self.geometry
            _threads.run(_col2im_stride1_kernel, cols.nbytes, cols, c0, g[0], g[1], *g[4:], dx_chunk)
        elif self.offsets is None:
            _col2im_kernel(cols, c0, *self.geometry, dx_chunk)
        else:
            _col2im_scatter_kernel(cols, c0, self.geometry[0], self.geometry[1], self.offsets, padded_dx)

    def padded_gradient(self, dx_chunk):
        """A zeroed scratch (m, C, padded plane) for fold_into, or None when folding writes dx directly."""
        if self.offsets is None:
            return None
        m, c, h, w = dx_chunk.shape
        padded = scratch("conv.padded_dx", (m, c, (h + 2 * self.geometry[4]) * (w + 2 * self.geometry[5])),
                         dx_chunk.dtype)
        padded.fill(0)
        return padded

    def crop_into(self, padded_dx, dx_chunk):
        if padded_dx is not None:
            ph, pw = self.geometry[4], self.geometry[5]
            m, c, h, w = dx_chunk.shape
            dx_chunk[...] = padded_dx.reshape(m, c, h + 2 * ph, w + 2 * pw)[:, :, ph:ph + h, pw:pw + w]


def im2col(x, kernel_size, stride, padding, dilation):
    """Unfold x (N, C, H, W) into cols (N, C kh kw, OH OW); see the module docstring for the layout."""
    x = float_array(x, "x", (4,))
    geometry = _geometry(x.shape, kernel_size, stride, padding, dilation)
    kh, kw, out_h, out_w = geometry[0], geometry[1], geometry[-2], geometry[-1]
    rows, length = x.shape[1] * kh * kw, out_h * out_w
    cols = np.empty((rows, x.shape[0] * length), dtype=x.dtype)
    _im2col_kernel(x, 0, *geometry, cols)
    return np.ascontiguousarray(cols.reshape(rows, x.shape[0], length).transpose(1, 0, 2))


def col2im_geometry(cols_shape, x_shape, kernel_size, stride, padding, dilation):
    """(x_shape, geometry) for col2im, checking that cols_shape is (N, C kh kw, OH OW) for x_shape."""
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"col2im: x_shape must be (N, C, H, W), got {x_shape}")
    geometry = _geometry(x_shape, kernel_size, stride, padding, dilation)
    kh, kw, out_h, out_w = geometry[0], geometry[1], geometry[-2], geometry[-1]
    expected = (x_shape[0], x_shape[1] * kh * kw, out_h * out_w)
    if tuple(cols_shape) != expected:
        raise ValueError(f"col2im: cols has shape {tuple(cols_shape)}, expected {expected} for x_shape {x_shape}")
    return x_shape, geometry


def col2im(cols, x_shape, kernel_size, stride, padding, dilation):
    """Fold cols (N, C kh kw, OH OW) back into dx of shape x_shape, summing overlaps (adjoint of im2col)."""
    cols = float_array(cols, "cols", (3,))
    x_shape, geometry = col2im_geometry(cols.shape, x_shape, kernel_size, stride, padding, dilation)
    dx = np.empty(x_shape, dtype=cols.dtype)
    batch_along_columns = np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(cols.shape[1], -1)
    _col2im_kernel(batch_along_columns, 0, *geometry, dx)
    return dx


def _check_conv(x, weight, groups):
    """Validated (N, C, Cout, C/groups, Cout/groups) of a grouped convolution."""
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    n, c = x.shape[:2]
    c_out, c_in_group = weight.shape[:2]
    if c % groups or c_out % groups:
        raise ValueError(f"conv2d: groups={groups} must divide the input channels {c} and output channels {c_out}")
    if c_in_group != c // groups:
        raise ValueError(
            f"conv2d: weight of shape {weight.shape} expects {c_in_group * groups} input channels "
            f"with groups={groups}, but x of shape {x.shape} has {c}")
    return n, c, c_out, c_in_group, c_out // groups


def _chunk_size(batch, rows, length, dtype):
    """Samples per chunk: as many as keep the (rows, chunk OH OW) column buffer under CHUNK_BYTES."""
    return max(1, min(batch, CHUNK_BYTES // (rows * length * np.dtype(dtype).itemsize)))


def _fold_batch(a, out):
    """out (C, m L) = a (m, C, L) with the batch moved next to the columns, as the GEMMs want it."""
    np.copyto(out.reshape(a.shape[1], a.shape[0], a.shape[2]), a.transpose(1, 0, 2))
    return out


def _columns_key(x, geometry, groups, chunk):
    """The key of x's columns in kernels.cpu.conv_columns, or None where they are not kept (grouped
    convolutions, batches split into chunks)."""
    return (x.shape, x.dtype.str, geometry) if groups == 1 and chunk == x.shape[0] else None


def uses_winograd(algorithm, x_shape, weight_shape, stride, padding, dilation, groups):
    """Whether conv2d runs this convolution by Winograd F(2×2, 3×3) (kernels.cpu.winograd) rather than im2col.

    algorithm "im2col": never; "winograd": whenever it applies (3×3, stride 1, dilation 1, groups 1, any
    padding); "auto": where it applies and was measured faster, that is with at least WINOGRAD_MIN_CHANNELS
    input and output channels and an output of at least WINOGRAD_MIN_SIZE × WINOGRAD_MIN_SIZE.

    Re-measured after Winograd's faster transforms, forward + backward at batch 32, Winograd / im2col
    alternating in one process: one thread's CPU time (median of 7 pairs) 64 ch. 32×32 0.77×, 128 ch.
    16×16 0.61×, 256 ch. 8×8 0.54×, 512 ch. 4×4 0.70×, 16 ch. 32×32 0.81×, 16 ch. 16×16 0.60×; with
    OpenBLAS's two threads (load 6-8, best of 11 each) 0.63×, 0.62×, 0.44×, 0.95×, 0.83×, 0.50×. 4×4
    outputs stay with im2col: no clear gain with two threads (and 1.56× before), where im2col's one
    large GEMM parallelises better than 16 small ones.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"conv2d: algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
    if algorithm == "im2col" or not winograd.applies(weight_shape, pair(stride, "stride"),
                                                      pair(dilation, "dilation"), groups):
        return False
    if algorithm == "winograd":
        return True
    ph, pw = pair(padding, "padding")
    out_h, out_w = x_shape[2] + 2 * ph - 2, x_shape[3] + 2 * pw - 2
    return (min(x_shape[1], weight_shape[0]) >= WINOGRAD_MIN_CHANNELS
            and min(out_h, out_w) >= WINOGRAD_MIN_SIZE)


def conv2d_forward(x, weight, bias, stride, padding, dilation, groups, algorithm="im2col"):
    """y = conv2d(x, weight) + bias: x (N, C, H, W), weight (Cout, C/groups, kh, kw), bias (Cout,) or None.

    Per chunk of m samples and group g: cols = im2col (C kh kw, m OH OW), then one GEMM W_g @ cols; or
    Winograd F(2×2, 3×3) where ``uses_winograd(algorithm, ...)`` says so.
    """
    x = float_array(x, "x", (4,))
    weight = float_array(weight, "weight", (4,))
    bias = None if bias is None else float_array(bias, "bias", (1,))
    same_dtype(x, weight=weight, bias=bias)
    n, _, c_out, c_in_group, c_out_group = _check_conv(x, weight, groups)
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"conv2d: bias must have shape ({c_out},), got {bias.shape}")
    geometry = _geometry(x.shape, weight.shape[2:], stride, padding, dilation)
    if uses_winograd(algorithm, x.shape, weight.shape, stride, padding, dilation, groups):
        return winograd.forward(x, weight, bias, geometry[4:6])
    if conv_direct.applies(weight.shape, geometry[2:4]):
        y = recycled((n, c_out, geometry[-2], geometry[-1]), x.dtype)
        return conv_direct.forward(x, weight, bias, geometry, y)
    length = geometry[-2] * geometry[-1]
    w = weight.reshape(groups, c_out_group, -1)
    rows = w.shape[2]
    y = recycled((n, c_out, length), x.dtype)
    unfolder = _Unfolder(geometry, x.shape)
    chunk = _chunk_size(n, rows, length, x.dtype)
    key = _columns_key(x, geometry, groups, chunk)
    with blas.single_threaded(2 * c_out_group * rows * chunk * length):
        for n0 in range(0, n, chunk):
            m = min(n, n0 + chunk) - n0
            product = scratch("conv.product", (c_out_group, m * length), x.dtype)
            source = unfolder.source(x[n0:n0 + m])
            for g in range(groups):
                cols = None if key is None else conv_columns.store(
                    key, x, (rows, m * length), lambda cols: unfolder.unfold(source, 0, cols))
                if cols is None:
                    cols = scratch("conv.cols", (rows, m * length), x.dtype)
                    unfolder.unfold(source, g * c_in_group, cols)
                np.matmul(w[g], cols, out=product)
                outputs = slice(g * c_out_group, (g + 1) * c_out_group)
                by_sample = product.reshape(c_out_group, m, length).transpose(1, 0, 2)
                if bias is None:
                    np.copyto(y[n0:n0 + m, outputs], by_sample)
                else:
                    np.add(by_sample, bias[outputs, None], out=y[n0:n0 + m, outputs])
    return y.reshape(n, c_out, geometry[-2], geometry[-1])


def conv2d_backward(dy, x, weight, stride, padding, dilation, groups, need_dx=True, need_dw=True, need_db=True,
                    algorithm="im2col"):
    """Gradients (dx, dw, db) of conv2d_forward for the output gradient dy (N, Cout, OH, OW).

    Winograd's input-grad and weight-grad rules (kernels.cpu.winograd) where ``uses_winograd`` says so, else:

    Per chunk of m samples and group g, with dY = dy of the chunk as (Cout/groups, m OH OW):
    dx = col2im(W_g^T @ dY), dw_g += (cols @ dY^T)^T (one GEMM over the chunk), db = dy.sum((0, 2, 3));
    those not needed are None.
    """
    x = float_array(x, "x", (4,))
    weight = float_array(weight, "weight", (4,))
    dy = float_array(dy, "dy", (4,))
    same_dtype(x, weight=weight, dy=dy)
    n, _, c_out, c_in_group, c_out_group = _check_conv(x, weight, groups)
    geometry = _geometry(x.shape, weight.shape[2:], stride, padding, dilation)
    y_shape = (n, c_out, geometry[-2], geometry[-1])
    if dy.shape != y_shape:
        raise ValueError(f"conv2d_backward: dy has shape {dy.shape}, expected the output shape {y_shape}")
    if uses_winograd(algorithm, x.shape, weight.shape, stride, padding, dilation, groups):
        return (winograd.input_grad(dy, weight, geometry[4:6], x.shape) if need_dx else None,
                winograd.weight_grad(dy, x, geometry[4:6]) if need_dw else None,
                dy.sum(axis=(2, 3)).sum(axis=0) if need_db else None)
    db = dy.sum(axis=(2, 3)).sum(axis=0) if need_db else None
    direct_dw = None
    if need_dw and conv_direct.applies(weight.shape, geometry[2:4]):
        direct_dw = conv_direct.weight_grad(dy, x, geometry, recycled(weight.shape, x.dtype))
        need_dw = False
    length = geometry[-2] * geometry[-1]
    dy = dy.reshape(n, c_out, length)
    w = weight.reshape(groups, c_out_group, -1)
    rows = w.shape[2]
    dx = recycled(x.shape, x.dtype) if need_dx else None
    dw = recycled((groups, c_out_group, rows), x.dtype) if need_dw else None
    if need_dx or need_dw:
        unfolder = _Unfolder(geometry, x.shape)
        chunk = _chunk_size(n, rows, length, x.dtype)
        key = _columns_key(x, geometry, groups, chunk)
        forward_cols = conv_columns.take(key, x) if need_dw and key is not None else None
        with blas.single_threaded(2 * c_out_group * rows * chunk * length):
            for n0 in range(0, n, chunk):
                m = min(n, n0 + chunk) - n0
                cols = scratch("conv.cols", (rows, m * length), x.dtype)
                dy_folded = scratch("conv.dy", (c_out_group, m * length), x.dtype)
                dw_part = scratch("conv.dw", (rows, c_out_group), x.dtype)
                source = unfolder.source(x[n0:n0 + m]) if need_dw and forward_cols is None else None
                padded_dx = unfolder.padded_gradient(dx[n0:n0 + m]) if need_dx else None
                for g in range(groups):
                    _fold_batch(dy[n0:n0 + m, g * c_out_group:(g + 1) * c_out_group], dy_folded)
                    if need_dw:
                        if forward_cols is None:
                            unfolder.unfold(source, g * c_in_group, cols)
                        x_cols = cols if forward_cols is None else forward_cols
                        np.matmul(x_cols, dy_folded.T, out=dw_part)  # dw^T: twice as fast as dY @ cols^T here
                        if n0 == 0:
                            np.copyto(dw[g], dw_part.T)
                        else:
                            dw[g] += dw_part.T
                    if need_dx:
                        np.matmul(w[g].T, dy_folded, out=cols)
                        unfolder.fold_into(cols, g * c_in_group, dx[n0:n0 + m], padded_dx)
                if need_dx:
                    unfolder.crop_into(padded_dx, dx[n0:n0 + m])
    dw = dw.reshape(weight.shape) if need_dw else direct_dw
    return dx, dw, db
