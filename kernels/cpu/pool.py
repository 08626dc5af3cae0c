"""2-d max and average pooling with PyTorch's semantics, one Numba loop per (N, C) plane.

x is (N, C, H, W) or (C, H, W); the kernels see it as P = N C planes of (H, W).
Windows start at o stride - padding; padded positions never win a max and, for averages,
count in the divisor only when count_include_pad. With ceil_mode the last window may run
past the padding, but it must start inside the input or the left padding.
"""
import numpy as np
from numba import njit, prange

from ._args import float_array, non_negative, pair, positive
from ._threads import run
from .workspace import recycled


def pool_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Output length of a pooling: floor or ceil of (size + 2 padding - dilation (kernel - 1) - 1) / stride, + 1."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)
    out = span // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _geometry(op, x_shape, kernel_size, stride, padding, dilation, ceil_mode, max_padding):
    """Validated (kh, kw, sh, sw, ph, pw, dh, dw, OH, OW); max_padding(k, d) bounds the padding."""
    kernel_size = pair(kernel_size, "kernel_size")
    stride = kernel_size if stride is None or stride == () else pair(stride, "stride")
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    positive(kernel_size, "kernel_size")
    positive(stride, "stride")
    positive(dilation, "dilation")
    non_negative(padding, "padding")
    for p, k, d in zip(padding, kernel_size, dilation):
        if p > max_padding(k, d):
            raise ValueError(
                f"{op}: padding {padding} must be at most half of the kernel size {kernel_size} (dilation {dilation})")
    out_size = tuple(pool_output_size(*args, ceil_mode)
                     for args in zip(x_shape[-2:], kernel_size, stride, padding, dilation))
    if min(out_size) < 1:
        raise ValueError(
            f"{op}: input of spatial size {tuple(x_shape[-2:])} is too small for kernel_size {kernel_size}, "
            f"stride {stride}, padding {padding} and dilation {dilation} (output size {out_size})")
    return (*kernel_size, *stride, *padding, *dilation, *out_size)


def _planes(x, name):
    x = float_array(x, name, (3, 4))
    return x, x.reshape(-1, *x.shape[-2:])


def _x_shape(x_shape):
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) not in (3, 4):
        raise ValueError(f"x_shape must be (N, C, H, W) or (C, H, W), got {x_shape}")
    return x_shape


@njit(parallel=True, cache=True)
def _max_pool_kernel(x, kh, kw, sh, sw, ph, pw, dh, dw, y, argmax):
    """y[p, oh, ow] = max of the window, argmax = its flat index ih W + iw (first maximum, NaN wins)."""
    height, width = x.shape[1], x.shape[2]
    for p in prange(x.shape[0]):
        for oh in range(y.shape[1]):
            h0 = oh * sh - ph
            h1 = min(h0 + (kh - 1) * dh + 1, height)
            while h0 < 0:
                h0 += dh
            for ow in range(y.shape[2]):
                w0 = ow * sw - pw
                w1 = min(w0 + (kw - 1) * dw + 1, width)
                while w0 < 0:
                    w0 += dw
                best = -np.inf
                best_index = h0 * width + w0
                for ih in range(h0, h1, dh):
                    for iw in range(w0, w1, dw):
                        value = x[p, ih, iw]
                        if value > best or np.isnan(value):
                            best = value
                            best_index = ih * width + iw
                y[p, oh, ow] = best
                argmax[p, oh, ow] = best_index


@njit(parallel=True, cache=True)
def _max_pool_2x2_kernel(x, y, argmax):
    """_max_pool_kernel for 2×2 windows at stride 2 without padding or dilation, all inside x: the four
    values compared in the same order (row by row) with the same rule, without the general loop's bounds,
    as selects rather than branches (random data mispredicts half of them)."""
    width = x.shape[2]
    for p in prange(x.shape[0]):
        for oh in range(y.shape[1]):
            top = 2 * oh
            bottom = top + 1
            for ow in range(y.shape[2]):
                iw = 2 * ow
                best = x[p, top, iw]
                best_index = top * width + iw
                value = x[p, top, iw + 1]
                take = (value > best) | (value != value)
                best = value if take else best
                best_index = top * width + iw + 1 if take else best_index
                value = x[p, bottom, iw]
                take = (value > best) | (value != value)
                best = value if take else best
                best_index = bottom * width + iw if take else best_index
                value = x[p, bottom, iw + 1]
                take = (value > best) | (value != value)
                best = value if take else best
                best_index = bottom * width + iw + 1 if take else best_index
                y[p, oh, ow] = best
                argmax[p, oh, ow] = best_index


@njit(parallel=True, cache=True)
def _max_pool_backward_kernel(dy, argmax, dx):
    """dx[p].flat[argmax[p].flat[o]] += dy[p].flat[o]; dx is (P, H W), dy and argmax (P, OH OW)."""
    for p in prange(dx.shape[0]):
        for i in range(dx.shape[1]):
            dx[p, i] = 0
        for o in range(dy.shape[1]):
            dx[p, argmax[p, o]] += dy[p, o]


@njit(cache=True)
def _avg_window(o, stride, padding, kernel, size):
    """Clipped window [start, end) of output o and its length counted with the padding."""
    start = o * stride - padding
    end = min(start + kernel, size + padding)
    padded_length = end - start
    return max(start, 0), min(end, size), padded_length


@njit(cache=True)
def _avg_divisor(rows, cols, padded_area, count_include_pad, divisor_override):
    if divisor_override:
        return divisor_override
    if count_include_pad:
        return padded_area
    return rows * cols


@njit(parallel=True, cache=True)
def _avg_pool_kernel(x, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, y):
    """y[p, oh, ow] = sum of the clipped window / divisor; 0 for a window wholly in the padding."""
    height, width = x.shape[1], x.shape[2]
    for p in prange(x.shape[0]):
        for oh in range(y.shape[1]):
            h0, h1, padded_h = _avg_window(oh, sh, ph, kh, height)
            for ow in range(y.shape[2]):
                w0, w1, padded_w = _avg_window(ow, sw, pw, kw, width)
                if h0 >= h1 or w0 >= w1:
                    y[p, oh, ow] = 0
                    continue
                total = 0.0
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        total += x[p, ih, iw]
                divisor = _avg_divisor(h1 - h0, w1 - w0, padded_h * padded_w, count_include_pad, divisor_override)
                y[p, oh, ow] = total / divisor


@njit(parallel=True, cache=True)
def _avg_pool_backward_kernel(dy, kh, kw, sh, sw, ph, pw, count_include_pad, divisor_override, dx):
    """dx[p, window] += dy[p, oh, ow] / divisor for every output."""
    height, width = dx.shape[1], dx.shape[2]
    for p in prange(dx.shape[0]):
        for ih in range(height):
            for iw in range(width):
                dx[p, ih, iw] = 0
        for oh in range(dy.shape[1]):
            h0, h1, padded_h = _avg_window(oh, sh, ph, kh, height)
            for ow in range(dy.shape[2]):
                w0, w1, padded_w = _avg_window(ow, sw, pw, kw, width)
                if h0 >= h1 or w0 >= w1:
                    continue
                divisor = _avg_divisor(h1 - h0, w1 - w0, padded_h * padded_w, count_include_pad, divisor_override)
                share = dy[p, oh, ow] / divisor
                for ih in range(h0, h1):
                    for iw in range(w0, w1):
                        dx[p, ih, iw] += share


def _max_pool_padding_limit(kernel, dilation):
    return ((kernel - 1) * dilation + 1) // 2


def _avg_pool_padding_limit(kernel, dilation):
    return kernel // 2


def max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode):
    """(y, argmax): window maxima and, int64 of y's shape, their flat indices ih W + iw in each (H, W) plane."""
    x, planes = _planes(x, "x")
    kh, kw, sh, sw, ph, pw, dh, dw, out_h, out_w = _geometry(
        "max_pool2d", x.shape, kernel_size, stride, padding, dilation, ceil_mode, _max_pool_padding_limit)
    y = recycled((planes.shape[0], out_h, out_w), x.dtype)
    argmax = recycled(y.shape, np.int64)
    if (kh, kw, sh, sw, ph, pw, dh, dw) == (2, 2, 2, 2, 0, 0, 1, 1) and 2 * out_h <= x.shape[-2] \
            and 2 * out_w <= x.shape[-1]:
        run(_max_pool_2x2_kernel, planes.nbytes, planes, y, argmax)
    else:
        run(_max_pool_kernel, planes.nbytes, planes, kh, kw, sh, sw, ph, pw, dh, dw, y, argmax)
    out_shape = (*x.shape[:-2], out_h, out_w)
    return y.reshape(out_shape), argmax.reshape(out_shape)


def max_pool2d_backward(dy, argmax, x_shape):
    """dx of shape x_shape: each dy routed to the input position argmax chose (summed where windows overlap)."""
    dy, dy_planes = _planes(dy, "dy")
    x_shape = _x_shape(x_shape)
    if not isinstance(argmax, np.ndarray) or argmax.shape != dy.shape or argmax.dtype != np.int64:
        raise ValueError(f"max_pool2d_backward: argmax must be an int64 array of dy's shape {dy.shape}")
    if dy.shape[:-2] != x_shape[:-2]:
        raise ValueError(f"max_pool2d_backward: dy of shape {dy.shape} does not match x_shape {x_shape}")
    planes = dy_planes.shape[0]
    dx = recycled((planes, x_shape[-2] * x_shape[-1]), dy.dtype)
    argmax = np.ascontiguousarray(argmax).reshape(planes, -1)
    run(_max_pool_backward_kernel, dx.nbytes, dy_planes.reshape(planes, -1), argmax, dx)
    return dx.reshape(x_shape)


def _avg_options(count_include_pad, divisor_override):
    if divisor_override is None:
        return bool(count_include_pad), 0
    if not isinstance(divisor_override, (int, np.integer)) or divisor_override == 0:
        raise ValueError(f"avg_pool2d: divisor_override must be a non-zero int or None, got {divisor_override!r}")
    return bool(count_include_pad), int(divisor_override)


def avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override=None):
    """Window means; the divisor is divisor_override, else the window area with (count_include_pad) or
    without the zero padding, never counting positions past the padding that ceil_mode adds."""
    x, planes = _planes(x, "x")
    kh, kw, sh, sw, ph, pw, _, _, out_h, out_w = _geometry(
        "avg_pool2d", x.shape, kernel_size, stride, padding, 1, ceil_mode, _avg_pool_padding_limit)
    y = np.empty((planes.shape[0], out_h, out_w), dtype=x.dtype)
    options = _avg_options(count_include_pad, divisor_override)
    run(_avg_pool_kernel, planes.nbytes, planes, kh, kw, sh, sw, ph, pw, *options, y)
    return y.reshape(*x.shape[:-2], out_h, out_w)


def avg_pool2d_backward(dy, x_shape, kernel_size, stride, padding, ceil_mode, count_include_pad,
                        divisor_override=None):
    """dx of shape x_shape: each dy spread evenly (dy / divisor) over its window's input positions."""
    dy, dy_planes = _planes(dy, "dy")
    x_shape = _x_shape(x_shape)
    kh, kw, sh, sw, ph, pw, _, _, out_h, out_w = _geometry(
        "avg_pool2d", x_shape, kernel_size, stride, padding, 1, ceil_mode, _avg_pool_padding_limit)
    if dy.shape != (*x_shape[:-2], out_h, out_w):
        raise ValueError(
            f"avg_pool2d_backward: dy has shape {dy.shape}, expected {(*x_shape[:-2], out_h, out_w)} for x_shape {x_shape}")
    dx = recycled((dy_planes.shape[0], *x_shape[-2:]), dy.dtype)
    options = _avg_options(count_include_pad, divisor_override)
    run(_avg_pool_backward_kernel, dx.nbytes, dy_planes, kh, kw, sh, sw, ph, pw, *options, dx)
    return dx.reshape(x_shape)


def global_avg_pool2d(x):
    """Mean over the spatial axes: x (N, C, H, W) -> (N, C)."""
    x = float_array(x, "x", (4,))
    return x.mean(axis=(2, 3))


def global_avg_pool2d_backward(dy, x_shape):
    """dx (N, C, H, W) = dy[:, :, None, None] / (H W)."""
    dy = float_array(dy, "dy", (2,))
    x_shape = tuple(int(s) for s in x_shape)
    if len(x_shape) != 4 or dy.shape != x_shape[:2]:
        raise ValueError(f"global_avg_pool2d_backward: dy of shape {dy.shape} does not match x_shape {x_shape}")
    area = x_shape[2] * x_shape[3]
    dx = recycled(x_shape, dy.dtype)
    np.copyto(dx, (dy / area)[:, :, None, None])
    return dx
