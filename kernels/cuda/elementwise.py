"""Elementwise maps with NumPy broadcasting, all made by one factory from scalar device functions.

`elementwise(fn, arity, name, result)` turns a scalar `cuda.jit(device=True)` function of 1, 2
or 3 arguments into a launcher `op(*operands, out=None)`:

    out[i] = fn(a[offset_a(i)], b[offset_b(i)], ...)      for every flat output index i

Thread mapping: one thread per output element in a grid-stride loop; each operand's offset comes
from the broadcast geometry (`kernels.cuda.strides`), 0 strides on broadcast axes. The common case,
every operand either of the output's shape or a single value, takes a contiguous kernel instead:
offset i or 0 (i times 0 or 1), no division or remainder per operand. Operands are
C-contiguous device arrays or Python scalars; a scalar takes the dtype NumPy would give it
(`np.result_type` of all operands). A binary map with one scalar passes it by value, as a kernel
argument of that dtype (one kernel per dtype, not per value; no device memory, no copy):

    out[i] = fn(a[i], s)    or    out[i] = fn(s, b[i])

A scalar operand of `where` is filled into a 1-element device array by a kernel that gets it as an
argument (again no host-to-device copy). `out`, when given, must have the broadcast shape; values
are stored with a cast to its dtype.
"""
import math

import numpy as np
from numba import cuda

from kernels.cuda.launch import check_device_array, check_out, empty, grid_1d, int64_constant, launch
from kernels.cuda.recipes import kernel_factory
from kernels.cuda.shape import full
from kernels.cuda.strides import broadcast_shape, broadcast_strides, coalesce, strided_offset


@kernel_factory
def _unary_kernel(fn):
    @cuda.jit
    def kernel(out, a, geometry):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(a[strided_offset(i, geometry, 1)])
    return kernel


@kernel_factory
def _binary_kernel(fn):
    @cuda.jit
    def kernel(out, a, b, geometry):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(a[strided_offset(i, geometry, 1)], b[strided_offset(i, geometry, 2)])
    return kernel


@kernel_factory
def _ternary_kernel(fn):
    @cuda.jit
    def kernel(out, a, b, c, geometry):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(a[strided_offset(i, geometry, 1)], b[strided_offset(i, geometry, 2)],
                        c[strided_offset(i, geometry, 3)])
    return kernel


@kernel_factory
def _contiguous_unary_kernel(fn):
    @cuda.jit
    def kernel(out, a):
        step_a = 1 if a.size > 1 else 0
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(a[i * step_a])
    return kernel


@kernel_factory
def _contiguous_binary_kernel(fn):
    @cuda.jit
    def kernel(out, a, b):
        step_a, step_b = (1 if a.size > 1 else 0), (1 if b.size > 1 else 0)
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(a[i * step_a], b[i * step_b])
    return kernel


@kernel_factory
def _contiguous_ternary_kernel(fn):
    @cuda.jit
    def kernel(out, a, b, c):
        step_a, step_b, step_c = (1 if a.size > 1 else 0), (1 if b.size > 1 else 0), (1 if c.size > 1 else 0)
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(a[i * step_a], b[i * step_b], c[i * step_c])
    return kernel


@kernel_factory
def _scalar_right_kernel(fn):
    @cuda.jit
    def kernel(out, a, s):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(a[i], s)
    return kernel


@kernel_factory
def _scalar_left_kernel(fn):
    @cuda.jit
    def kernel(out, s, b):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = fn(s, b[i])
    return kernel


_KERNELS = {1: _unary_kernel, 2: _binary_kernel, 3: _ternary_kernel}
_CONTIGUOUS_KERNELS = {1: _contiguous_unary_kernel, 2: _contiguous_binary_kernel, 3: _contiguous_ternary_kernel}


def promoted_dtype(operands):
    """NumPy's result dtype of the operands (device arrays count by dtype, scalars are weak)."""
    return np.result_type(*[np.dtype(x.dtype) if cuda.devicearray.is_cuda_ndarray(x) else x
                            for x in operands])


def floating_dtype(operands):
    """The promoted dtype, which must be floating point (for exp, log, sqrt, ...)."""
    dtype = promoted_dtype(operands)
    if dtype.kind != "f":
        raise TypeError(f"expected floating-point operands, got dtype {dtype.name}")
    return dtype


def boolean_dtype(operands):
    """Comparisons give bool."""
    return np.dtype(np.bool_)


def where_dtype(operands):
    """where(cond, a, b) gives the promoted dtype of a and b."""
    return promoted_dtype(operands[1:])


def _is_scalar(x):
    return isinstance(x, (bool, int, float, np.generic))


def _as_device_operand(x, dtype, name, k):
    """A device array as it is, a Python scalar as a 1-element device array of `dtype` (filled on the device)."""
    if cuda.devicearray.is_cuda_ndarray(x):
        check_device_array(x, f"{name} operand {k}")
        return x.reshape(x.size), tuple(x.shape)
    if _is_scalar(x):
        return full((1,), x, dtype), ()
    raise TypeError(f"{name} operand {k} must be a device array or a Python scalar, got {type(x).__name__}")


def elementwise(fn, arity, name, result=promoted_dtype):
    """Launcher for out = fn(*operands) with broadcasting; `result(operands)` picks out's dtype."""
    kernel, contiguous_kernel = _KERNELS[arity](fn), _CONTIGUOUS_KERNELS[arity](fn)

    def op(*operands, out=None):
        if len(operands) != arity:
            raise TypeError(f"{name} takes {arity} operands, got {len(operands)}")
        if not any(cuda.devicearray.is_cuda_ndarray(x) for x in operands):
            raise TypeError(f"{name} needs at least one device array operand")
        dtype = promoted_dtype(operands)
        if arity == 2 and _is_scalar(operands[0]) != _is_scalar(operands[1]):
            return _with_scalar(fn, name, operands, dtype, result, out)
        flat, shapes = zip(*[_as_device_operand(x, dtype, name, k) for k, x in enumerate(operands)])
        shape = shapes[0] if shapes.count(shapes[0]) == arity else broadcast_shape(name, *shapes)
        if out is None:
            out = empty(shape, result(operands))
        else:
            check_out(out, shape, out.dtype)
        if out.size == 0:
            return out
        blocks, threads = grid_1d(out.size)
        if all(s == shape or x.size == 1 for s, x in zip(shapes, flat)):
            launch(contiguous_kernel, blocks, threads, out.reshape(out.size), *flat)
            return out
        geometry = int64_constant(coalesce(shape, *[broadcast_strides(s, shape) for s in shapes]))
        launch(kernel, blocks, threads, out.reshape(out.size), *flat, geometry)
        return out

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name} of {arity} broadcast operand(s) (see module docstring)."
    return op


def _with_scalar(fn, name, operands, dtype, result, out):
    """fn(a, s) or fn(s, b) with the scalar passed by value as `dtype` (see the module docstring)."""
    left = _is_scalar(operands[0])
    array, scalar = (operands[1], operands[0]) if left else operands
    check_device_array(array, f"{name} operand {0 if left else 1}")
    shape = tuple(array.shape)
    if out is None:
        out = empty(shape, result(operands))
    else:
        check_out(out, shape, out.dtype)
    if out.size == 0:
        return out
    value = dtype.type(scalar)
    blocks, threads = grid_1d(out.size)
    flat_out, flat_array = out.reshape(out.size), array.reshape(array.size)
    if left:
        launch(_scalar_left_kernel(fn), blocks, threads, flat_out, value, flat_array)
    else:
        launch(_scalar_right_kernel(fn), blocks, threads, flat_out, flat_array, value)
    return out


@cuda.jit(device=True)
def _add(a, b):
    return a + b


@cuda.jit(device=True)
def _subtract(a, b):
    return a - b


@cuda.jit(device=True)
def _multiply(a, b):
    return a * b


@cuda.jit(device=True)
def _divide(a, b):
    return a / b


@cuda.jit(device=True)
def _power(a, b):
    return a ** b


@cuda.jit(device=True)
def _maximum(a, b):
    """NaN-propagating, like np.maximum."""
    return a if a > b or a != a else b


@cuda.jit(device=True)
def _minimum(a, b):
    """NaN-propagating, like np.minimum."""
    return a if a < b or a != a else b


@cuda.jit(device=True)
def _negative(x):
    return -x


@cuda.jit(device=True)
def _exp(x):
    return math.exp(x)


@cuda.jit(device=True)
def _log(x):
    return math.log(x)


@cuda.jit(device=True)
def _log1p(x):
    return math.log1p(x)


@cuda.jit(device=True)
def _sqrt(x):
    return math.sqrt(x)


@cuda.jit(device=True)
def _absolute(x):
    return abs(x)


@cuda.jit(device=True)
def _sin(x):
    return math.sin(x)


@cuda.jit(device=True)
def _cos(x):
    return math.cos(x)


@cuda.jit(device=True)
def _tanh(x):
    return math.tanh(x)


@cuda.jit(device=True)
def _sigmoid(x):
    """1 / (1 + e^-x), written so that the exponential never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@cuda.jit(device=True)
def _relu(x):
    """max(x, 0), keeping NaN."""
    return 0.0 if x < 0 else x


@cuda.jit(device=True)
def _relu_backward(g, x):
    """g [x > 0], NaN in g kept."""
    return g if x > 0 else g * 0


@cuda.jit(device=True)
def _tanh_backward(g, z):
    """g (1 - z^2) for z = tanh x."""
    return g * (1 - z * z)


@cuda.jit(device=True)
def _erf(x):
    return math.erf(x)


@cuda.jit(device=True)
def _sign(x):
    """-1, 0 or 1; NaN stays NaN."""
    if x > 0:
        return 1
    if x < 0:
        return -1
    return x


@cuda.jit(device=True)
def _where(condition, a, b):
    return a if condition else b


@cuda.jit(device=True)
def _greater(a, b):
    return a > b


@cuda.jit(device=True)
def _greater_equal(a, b):
    return a >= b


@cuda.jit(device=True)
def _less(a, b):
    return a < b


@cuda.jit(device=True)
def _less_equal(a, b):
    return a <= b


@cuda.jit(device=True)
def _equal(a, b):
    return a == b


@cuda.jit(device=True)
def _not_equal(a, b):
    return a != b


@cuda.jit(device=True)
def _identity(x):
    return x


add = elementwise(_add, 2, "add")
subtract = elementwise(_subtract, 2, "subtract")
multiply = elementwise(_multiply, 2, "multiply")
divide = elementwise(_divide, 2, "divide", floating_dtype)
power = elementwise(_power, 2, "power")
maximum = elementwise(_maximum, 2, "maximum")
minimum = elementwise(_minimum, 2, "minimum")
negative = elementwise(_negative, 1, "negative")
exp = elementwise(_exp, 1, "exp", floating_dtype)
log = elementwise(_log, 1, "log", floating_dtype)
log1p = elementwise(_log1p, 1, "log1p", floating_dtype)
sqrt = elementwise(_sqrt, 1, "sqrt", floating_dtype)
absolute = elementwise(_absolute, 1, "absolute")
sin = elementwise(_sin, 1, "sin", floating_dtype)
cos = elementwise(_cos, 1, "cos", floating_dtype)
tanh = elementwise(_tanh, 1, "tanh", floating_dtype)
sigmoid = elementwise(_sigmoid, 1, "sigmoid", floating_dtype)
relu = elementwise(_relu, 1, "relu")
relu_backward = elementwise(_relu_backward, 2, "relu_backward")
tanh_backward = elementwise(_tanh_backward, 2, "tanh_backward")
erf = elementwise(_erf, 1, "erf", floating_dtype)
sign = elementwise(_sign, 1, "sign")
where = elementwise(_where, 3, "where", where_dtype)
greater = elementwise(_greater, 2, "greater", boolean_dtype)
greater_equal = elementwise(_greater_equal, 2, "greater_equal", boolean_dtype)
less = elementwise(_less, 2, "less", boolean_dtype)
less_equal = elementwise(_less_equal, 2, "less_equal", boolean_dtype)
equal = elementwise(_equal, 2, "equal", boolean_dtype)
not_equal = elementwise(_not_equal, 2, "not_equal", boolean_dtype)
copy = elementwise(_identity, 1, "copy")


def astype(x, dtype, out=None):
    """x converted to `dtype` (a new device array, or `out`)."""
    return copy(x, out=empty(x.shape, dtype) if out is None else out)
