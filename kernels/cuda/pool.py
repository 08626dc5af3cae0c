"""2-d max and average pooling on the GPU with PyTorch's semantics; twin of kernels.cpu.pool.

Same signatures as the CPU twin: x is (N, C, H, W) or (C, H, W), seen as P = N C planes of
(H, W); windows start at o stride - padding; padded positions never win a max and count in an
average's divisor only when count_include_pad; argmax is the flat index ih W + iw in a plane.
"""
import numpy as np
from numba import cuda

from kernels.cpu.pool import (_avg_options, _avg_pool_padding_limit, _geometry,
                              _max_pool_padding_limit, pool_output_size)  # noqa: F401
from kernels.cuda import reduce
from kernels.cuda.elementwise import divide
from kernels.cuda.launch import check_device_array, empty, grid_1d, launch, threads_for

MAX_PLANE_BLOCKS = 8192  # max-pool backward: blocks of one plane each, looping beyond this


@cuda.jit(cache=True)
def _max_pool_kernel(x, kh, kw, sh, sw, ph, pw, dh, dw, y, argmax):
    """y[p, oh, ow] = max of the window, argmax its index ih W + iw (first maximum; a NaN wins).

    Thread mapping: one thread per output element.
    """
    height, width = x.shape[1], x.shape[2]
    out_h, out_w = y.shape[1], y.shape[2]
    for e in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ow, oh, p = e % out_w, (e // out_w) % out_h, e // (out_w * out_h)
        h0, w0 = oh * sh - ph, ow * sw - pw
        h1, w1 = min(h0 + (kh - 1) * dh + 1, height), min(w0 + (kw - 1) * dw + 1, width)
        while h0 < 0:
            h0 += dh
        while w0 < 0:
            w0 += dw
        best, best_index = -np.inf, h0 * width + w0
        for ih in range(h0, h1, dh):
            for iw in range(w0, w1, dw):
                value = x[p, ih, iw]
                if value > best or value != value:
                    best, best_index = value, ih * width + iw
        y[p, oh, ow] = best
        argmax[p, oh, ow] = best_index


@cuda.jit(cache=True)
def _max_pool_backward_kernel(dy, argmax, dx):
    """dx[p] = 0, then dx[p].flat[argmax[p, o]] += dy[p, o] (atomic: overlapping windows may pick one
    input): the zeroing and the scatter in one launch.

    Thread mapping: one block per plane p (a grid-stride loop over planes), its threads first zero the
    plane, then after a barrier route the plane's dy elements.
    """
    height, width = dx.shape[1], dx.shape[2]
    out_h, out_w = dy.shape[1], dy.shape[2]
    for p in range(cuda.blockIdx.x, dx.shape[0], cuda.gridDim.x):
        for e in range(cuda.threadIdx.x, height * width, cuda.blockDim.x):
            dx[p, e // width, e % width] = 0
        cuda.syncthreads()
        for e in range(cuda.threadIdx.x, out_h * out_w, cuda.blockDim.x):
            oh, ow = e // out_w, e % out_w
            index = argmax[p, oh, ow]
            cuda.atomic.add(dx, (p, index // width, index % width), dy[p, oh, ow])


@cuda.jit(device=True)
def _avg_window(o, stride, padding, kernel, size):
    """Clipped window [start, end) of output o and its length counted with the padding."""
    start = o * stride - padding
    end = min(start + kernel, size + padding)
    return max(start, 0), min(end, size), end - start


@cuda.jit(device=True)
def _avg_divisor(rows, cols, padded_area, count_include_pad, divisor_override):
    if divisor_override:
        return divisor_override
    if count_include_pad:
        return padded_area
    return rows * cols


@cuda.jit(cache=True)
def _avg_pool_kernel(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, y):
    """y[p, oh, ow] = sum of the clipped window / divisor; 0 for a window wholly in the padding.

    Thread mapping: one thread per output element.
    """
    height, width = x.shape[1], x.shape[2]
    out_h, out_w = y.shape[1], y.shape[2]
    for e in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ow, oh, p = e % out_w, (e // out_w) % out_h, e // (out_w * out_h)
        h0, h1, padded_h = _avg_window(oh, sh, ph, kh, height)
        w0, w1, padded_w = _avg_window(ow, sw, pw, kw, width)
        total = 0.0
        for ih in range(h0, h1):
            for iw in range(w0, w1):
                total += x[p, ih, iw]
        if h0 < h1 and w0 < w1:
            total /= _avg_divisor(h1 - h0, w1 - w0, padded_h * padded_w, count_include_pad,
                                  divisor_override)
        y[p, oh, ow] = total


@cuda.jit(cache=True)
def _avg_pool_backward_kernel(dy, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, dx):
    """dx[p, ih, iw] = sum over the windows holding (ih, iw) of dy / divisor (a gather).

    Thread mapping: one thread per input element; output oh holds row ih when
    oh sh - ph <= ih < oh sh - ph + kh.
    """
    height, width = dx.shape[1], dx.shape[2]
    out_h, out_w = dy.shape[1], dy.shape[2]
    for e in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        iw, ih, p = e % width, (e // width) % height, e // (width * height)
        total = 0.0
        for oh in range(max(0, (ih + ph - kh) // sh + 1), min(out_h, (ih + ph) // sh + 1)):
            h0, h1, padded_h = _avg_window(oh, sh, ph, kh, height)
            for ow in range(max(0, (iw + pw - kw) // sw + 1), min(out_w, (iw + pw) // sw + 1)):
                w0, w1, padded_w = _avg_window(ow, sw, pw, kw, width)
                total += dy[p, oh, ow] / _avg_divisor(h1 - h0, w1 - w0, padded_h * padded_w,
                                                      count_include_pad, divisor_override)
        dx[p, ih, iw] = total


@cuda.jit(cache=True)
def _spread_kernel(dy, area, dx):
    """dx[q, k] = dy[q] / area for the H W positions k of plane q."""
    for e in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        dx[e // area, e % area] = dy[e // area] / area


def _planes(x, name):
    check_device_array(x, name, dtypes=(np.float32, np.float64))
    if x.ndim not in (3, 4):
        raise ValueError(f"{name} must be 3-d or 4-d, got shape {tuple(x.shape)}")
    return x.reshape((-1,) + tuple(x.shape[-2:]))


def _x_shape(x_shape):
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) not in (3, 4):
        raise ValueError(f"x_shape must be (N, C, H, W) or (C, H, W), got {x_shape}")
    return x_shape


def _launch(kernel, n, *args):
    if n:
        blocks, threads = grid_1d(n)
        launch(kernel, blocks, threads, *args)


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    """(y, argmax): window maxima and, int64 of y's shape, their flat indices ih W + iw per plane."""
    planes = _planes(x, "x")
    kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w = _geometry(
        "max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode,
        _max_pool_padding_limit)
    y = empty((planes.shape[0], out_h, out_w), x.dtype)
    argmax = empty(y.shape, np.int64)
    _launch(_max_pool_kernel, y.size, planes, kh, kw, sh, sw, ph, pw, dh, dw, y, argmax)
    out_shape = tuple(x.shape[:-2]) + (out_h, out_w)
    return y.reshape(out_shape), argmax.reshape(out_shape)


def max_pool2d_backward(dy, argmax, x_shape):
    """dx of shape x_shape: each dy routed to the input position argmax chose (summed on overlap)."""
    dy_planes = _planes(dy, "dy")
    x_shape = _x_shape(x_shape)
    check_device_array(argmax, "argmax", dtypes=(np.int64,))
    if argmax.shape != dy.shape:
        raise ValueError(f"max_pool2d_backward: argmax must be an int64 array of dy's shape "
                         f"{tuple(dy.shape)}, got {tuple(argmax.shape)}")
    if tuple(dy.shape[:-2]) != x_shape[:-2]:
        raise ValueError(f"max_pool2d_backward: dy of shape {tuple(dy.shape)} does not match "
                         f"x_shape {x_shape}")
    dx = empty((dy_planes.shape[0],) + x_shape[-2:], dy.dtype)
    if dx.size:
        blocks = min(dx.shape[0], MAX_PLANE_BLOCKS)
        launch(_max_pool_backward_kernel, blocks, threads_for(x_shape[-2] * x_shape[-1]),
               dy_planes, argmax.reshape(dy_planes.shape), dx)
    return dx.reshape(x_shape)


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override=None):
    """Window means; the divisor is divisor_override, else the window area with
    (count_include_pad) or without the zero padding, never counting positions past the padding
    that ceil_mode adds."""
    planes = _planes(x, "x")
    kh, kw, sh, sw, ph, pw, _, _, out_h, out_w = _geometry(
        "avg_pool2d", x.shape, kernel_size, stride, padding, 1, ceil_mode, _avg_pool_padding_limit)
    y = empty((planes.shape[0], out_h, out_w), x.dtype)
    _launch(_avg_pool_kernel, y.size, planes, kh, kw, sh, sw, ph, pw,
            *_avg_options(count_include_pad, divisor_override), y)
    return y.reshape(tuple(x.shape[:-2]) + (out_h, out_w))


def avg_pool2d_backward(dy, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override=None):
    """dx of shape x_shape: each dy spread evenly (dy / divisor) over its window's input positions."""
    dy_planes = _planes(dy, "dy")
    x_shape = _x_shape(x_shape)
    kh, kw, sh, sw, ph, pw, _, _, out_h, out_w = _geometry(
        "avg_pool2d", x_shape, kernel_size, stride, padding, 1, ceil_mode, _avg_pool_padding_limit)
    if tuple(dy.shape) != x_shape[:-2] + (out_h, out_w):
        raise ValueError(f"avg_pool2d_backward: dy has shape {tuple(dy.shape)}, expected "
                         f"{x_shape[:-2] + (out_h, out_w)} for x_shape {x_shape}")
    dx = empty((dy_planes.shape[0],) + x_shape[-2:], dy.dtype)
    _launch(_avg_pool_backward_kernel, dx.size, dy_planes, kh, kw, sh, sw, ph, pw,
            *_avg_options(count_include_pad, divisor_override), dx)
    return dx.reshape(x_shape)


def global_avg_pool2d(x):
    """Mean over the spatial axes: x (N, C, H, W) -> (N, C)."""
    check_device_array(x, "x", dtypes=(np.float32, np.float64))
    if x.ndim != 4:
        raise ValueError(f"x must be 4-d, got shape {tuple(x.shape)}")
    totals = reduce.reduce_sum(x, (2, 3))
    return divide(totals, x.shape[2] * x.shape[3], out=totals)


def global_avg_pool2d_backward(dy, x_shape):
    """dx (N, C, H, W) = dy[:, :, None, None] / (H W)."""
    check_device_array(dy, "dy", dtypes=(np.float32, np.float64))
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4 or tuple(dy.shape) != x_shape[:2]:
        raise ValueError(f"global_avg_pool2d_backward: dy of shape {tuple(dy.shape)} does not "
                         f"match x_shape {x_shape}")
    area = x_shape[2] * x_shape[3]
    dx = empty(x_shape, dy.dtype)
    _launch(_spread_kernel, dx.size, dy.reshape(dy.size), area, dx.reshape((dy.size, area)))
    return dx
