"""Kernel arguments packed as numba-cuda packs them, with the per-type decisions made once per kernel.

numba-cuda's ``_Kernel.launch`` turns each argument into the values of the kernel's ABI
(``_Kernel._prepare_args``):

    device array        0 (meminfo), 0 (parent), size, itemsize, data pointer, *shape, *strides (bytes)
    integer             its ctypes integer (int64 -> c_int64, uint32 -> c_uint32, ...)
    float32 / float64   c_float / c_double
    bool                itself
    tuple               its members, in order

It makes these decisions on every launch, through extension hooks, an argument wrapper and a ctypes
class looked up by name: 17-38 µs a launch on this box, 1 ms of a LeNet-5 step. ``packer(kernel)``
makes them once, from the compiled kernel's argument types, and returns ``pack(args) -> list``,
the same list (tests/kernels/test_cuda_arguments.py compares the two, value and type, on every
launch of a LeNet-5 and a ResNet-18 step; kernels.cuda.launch also compares them, with ``same``, on the
first launch of each signature, and keeps numba-cuda's launch where they differ). It returns None for
anything else (another argument type, extensions, a kernel compiled with debug=True), and that kernel
keeps numba-cuda's own launch.
"""
import ctypes

from numba.cuda import types


def _array(value, out):
    out += (0, 0, value.size, value.dtype.itemsize, value.device_ctypes_pointer.value, *value.shape, *value.strides)


def _scalar(ctype):
    def pack(value, out):
        out.append(ctype(value))
    return pack


def _as_is(value, out):
    out.append(value)


def _tuple(parts):
    def pack(value, out):
        if len(value) != len(parts):
            raise ValueError(f"kernel argument: a tuple of {len(parts)} expected, got {len(value)} items")
        for part, item in zip(parts, value):
            part(item, out)
    return pack


_FLOATS = {types.float32: ctypes.c_float, types.float64: ctypes.c_double}


def _argument_packer(numba_type):
    """pack(value, out) for one argument of `numba_type`, or None where numba-cuda does more."""
    if isinstance(numba_type, types.Array):
        return _array
    if isinstance(numba_type, types.Integer):
        ctype = getattr(ctypes, f"c_{numba_type}", None)
        return None if ctype is None else _scalar(ctype)
    if numba_type in _FLOATS:
        return _scalar(_FLOATS[numba_type])
    if numba_type == types.boolean:
        return _as_is
    if isinstance(numba_type, types.BaseTuple):
        parts = [_argument_packer(t) for t in numba_type]
        return None if None in parts else _tuple(parts)
    return None


def packer(kernel):
    """``pack(args) -> kernel arguments`` for a compiled numba-cuda kernel (``dispatcher._Kernel``),
    or None where its launch must go through numba-cuda (see the module docstring)."""
    if getattr(kernel, "debug", True) or getattr(kernel, "extensions", True):
        return None
    parts = [_argument_packer(t) for t in kernel.argument_types]
    if None in parts:
        return None

    def pack(args):
        if len(args) != len(parts):
            raise TypeError(f"{kernel.py_func.__name__} takes {len(parts)} arguments, got {len(args)}")
        out = []
        for part, value in zip(parts, args):
            part(value, out)
        return out
    return pack


def same(ours, theirs):
    """Whether two packed argument lists are equal in order, type and value (ctypes values by ``.value``)."""
    def described(values):
        return [(type(v), v.value if isinstance(v, ctypes._SimpleCData) else v) for v in values]
    return len(ours) == len(theirs) and described(ours) == described(theirs)
