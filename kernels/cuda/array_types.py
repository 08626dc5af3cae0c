"""One numba type per (dtype, ndim, layout) for device arrays, instead of one built per array.

numba-cuda types every device-array argument of every launch through the array's ``_numba_type_``,
a cached property that builds a new ``types.Array`` (interned, but only after hashing it) for each
fresh array; the views and pool arrays of a training step are all fresh, so this was about a third
of the host time of a launch. ``install()`` replaces it with a lookup in a dict keyed by what the
type depends on (the layout rules are numba-cuda's own: C, else F, else A for broadcast arrays)."""
import functools

from numba import config, types
from numba.np import numpy_support

_TYPES = {}


def array_key(array):
    """(dtype, ndim, layout): what the numba type of a device array depends on. numba-cuda's rule is
    C, else F, else A for broadcast arrays (a 0 stride, not empty); its layout model's flags are
    already False for broadcast arrays and True for empty ones, so they decide alone."""
    dummy = getattr(array, "_dummy", None)  # the simulator's arrays have NumPy's flags instead
    flags = array.flags if dummy is None else dummy.flags
    if dummy is None and 0 in array.strides and array.size != 0:
        return array.dtype, array.ndim, "A"
    layout = "C" if flags["C_CONTIGUOUS"] else "F" if flags["F_CONTIGUOUS"] else "A"
    return array.dtype, array.ndim, layout


def array_type(array):
    """The numba type of a device array, as numba-cuda's ``_numba_type_`` computes it."""
    key = array_key(array)
    numba_type = _TYPES.get(key)
    if numba_type is None:
        numba_type = _TYPES[key] = types.Array(numpy_support.from_dtype(key[0]), key[1], key[2])
    return numba_type


def install():
    """Use ``array_type`` for every numba-cuda device array (nothing to do under the simulator)."""
    if config.ENABLE_CUDASIM:
        return
    from numba.cuda.cudadrv import devicearray
    cls = devicearray.DeviceNDArrayBase
    if getattr(cls._numba_type_, "func", None) is array_type:
        return
    cached = functools.cached_property(array_type)
    cached.__set_name__(cls, "_numba_type_")
    cls._numba_type_ = cached


install()
