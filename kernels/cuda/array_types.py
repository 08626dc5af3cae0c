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


def array_type(array):
    """The numba type of a device array, as numba-cuda's ``_numba_type_`` computes it."""
    broadcast = 0 in array.strides and array.size != 0
    flags = array.flags
    if flags["C_CONTIGUOUS"] and not broadcast:
        layout = "C"
    elif flags["F_CONTIGUOUS"] and not broadcast:
        layout = "F"
    else:
        layout = "A"
    key = (array.dtype, array.ndim, layout)
    numba_type = _TYPES.get(key)
    if numba_type is None:
        numba_type = _TYPES[key] = types.Array(numpy_support.from_dtype(array.dtype), array.ndim, layout)
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
