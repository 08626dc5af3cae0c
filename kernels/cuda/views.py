"""A quicker ``reshape`` for C-contiguous numba-cuda device arrays.

numba-cuda reshapes through its ``dummyarray`` model of the layout: it walks the new strides and the
contiguous extents in Python for every view, and the GEMM, conv and reduction wrappers make about
three views per launch. For a C-contiguous array in C order the answer is known without that walk:
the new strides are the C strides of the new shape (``strides[i] = itemsize * prod(shape[i+1:])``)
over the same memory, and the view is filled in directly with what numba-cuda's constructor would
set (``install()`` checks that on one array first and keeps the constructor when it differs).
``install()`` puts that in front of numba-cuda's ``reshape``; anything else (another order, a
non-contiguous or empty array, a bad shape) goes to numba-cuda's own, which also raises its errors.
One difference from numba-cuda: a view keeps its base's ``stream`` (numba-cuda's are on stream 0), so
views of the backend's arrays stay ordered on the backend's stream (kernels.cuda.streams).
"""
import numpy as np
from numba import config

_original_reshape = []
_direct = []


def c_strides(shape, itemsize):
    """Strides in bytes of a C-contiguous array of `shape` (remembered: a step repeats its shapes)."""
    key = (shape, itemsize)
    strides = _strides.get(key)
    if strides is None:
        strides, step = [], itemsize
        for size in reversed(shape):
            strides.append(step)
            step *= size
        strides = tuple(reversed(strides))
        if len(_strides) >= 4096:
            _strides.clear()
        _strides[key] = strides
    return strides


_strides = {}


def _new_shape(shape, size):
    """`shape` (ints, at most one -1) with the -1 filled in, or None when it is not plain or does not fit."""
    known, unknown = 1, None
    for i, dim in enumerate(shape):
        if type(dim) is not int:
            return None
        if dim < 0:
            if unknown is not None or dim != -1:
                return None
            unknown = i
        else:
            known *= dim
    if unknown is not None:
        if known == 0 or size % known:
            return None
        shape = shape[:unknown] + (size // known,) + shape[unknown + 1:]
    elif known != size:
        return None
    return shape


def reshape(self, *newshape, **kws):
    """numba-cuda's ``DeviceNDArray.reshape`` with a direct path for C-contiguous arrays in C order."""
    if len(newshape) == 1 and isinstance(newshape[0], (tuple, list)):
        newshape = tuple(newshape[0])
    if (_direct and not kws and newshape == (self.size,) and type(newshape[0]) is int and self.size
            and self._dummy.flags["C_CONTIGUOUS"]):  # the flat view every launch wrapper makes
        return _c_view(self, newshape, (self.dtype.itemsize,))
    if kws.get("order", "C") == "C" and len(kws) <= 1 and self.size and self._dummy.flags["C_CONTIGUOUS"]:
        shape = _new_shape(newshape, self.size)
        if shape is not None:
            strides = self.strides if shape == self.shape else c_strides(shape, self.dtype.itemsize)
            if _direct:
                return _c_view(self, shape, strides)
            return type(self)(shape=shape, strides=strides, dtype=self.dtype, gpu_data=self.gpu_data,
                              stream=self.stream)
    view = _original_reshape[0](self, *newshape, **kws)
    view.stream = self.stream
    return view


def _c_view(array, shape, strides):
    """What ``type(array)(shape, strides, array.dtype, gpu_data=array.gpu_data)`` builds, for a
    non-empty C-contiguous `shape`/`strides` of array's size, without its checks and conversions."""
    view = object.__new__(type(array))
    itemsize = array.dtype.itemsize
    view.ndim = len(shape)
    view._dummy = _from_desc[0](0, shape, strides, itemsize)
    view.shape, view.strides, view.dtype, view.size = shape, strides, array.dtype, array.size
    view.alloc_size = array.size * itemsize
    view.gpu_data, view.stream = array.gpu_data, array.stream
    return view


def new_array(shape, dtype, stream):
    """``cuda.device_array(shape, dtype, stream=stream)`` (C order), filled in directly like ``_c_view``
    when the shape is a non-empty tuple of ints: numba-cuda's constructor normalises and checks the
    shape, strides and dtype in Python on each of the ~50 arrays of a LeNet-5 step."""
    dtype = _dtypes.get(dtype) or _dtypes.setdefault(dtype, np.dtype(dtype))
    shape = (shape,) if type(shape) is int else shape
    size = 0
    if _direct and type(shape) is tuple and shape:
        size = 1
        for s in shape:
            if type(s) is not int or s <= 0:
                size = 0
                break
            size *= s
    if not size:
        from numba import cuda
        return cuda.device_array(shape, dtype, stream=stream)
    array = object.__new__(_device_array[0])
    itemsize = dtype.itemsize
    strides = c_strides(shape, itemsize)
    array.ndim, array._dummy = len(shape), _from_desc[0](0, shape, strides, itemsize)
    array.shape, array.strides, array.dtype, array.size = shape, strides, dtype, size
    array.alloc_size = size * itemsize
    array.gpu_data, array.stream = _devices[0].get_context().memalloc(array.alloc_size), stream
    return array


_dtypes = {}
_device_array, _devices = [], []


_from_desc = []


def _same_as_constructor(devicearray):
    """Whether ``_c_view`` builds what numba-cuda's constructor builds, on one small array over a
    stand-in for device memory (nothing is allocated, no context is needed)."""
    memory = object()
    array = devicearray.DeviceNDArray(shape=(2, 3, 4), strides=c_strides((2, 3, 4), 4), dtype="float32",
                                      gpu_data=memory)
    for shape in ((6, 4), (2, 3, 4), (24,)):
        strides = c_strides(shape, 4)
        built = devicearray.DeviceNDArray(shape=shape, strides=strides, dtype=array.dtype, gpu_data=array.gpu_data)
        direct = _c_view(array, shape, strides)
        if type(built) is not type(direct) or vars(built).keys() != vars(direct).keys():
            return False
        if any(vars(built)[k] != vars(direct)[k] for k in vars(built) if k != "_dummy"):
            return False
        if (built._dummy.shape, built._dummy.strides, built._dummy.extent, built._dummy.flags) != (
                direct._dummy.shape, direct._dummy.strides, direct._dummy.extent, direct._dummy.flags):
            return False
    return True


def install():
    """Use ``reshape`` for numba-cuda device arrays (nothing to do under the simulator)."""
    if config.ENABLE_CUDASIM or _original_reshape:
        return
    from numba.cuda.cudadrv import devicearray, devices, dummyarray
    _from_desc.append(dummyarray.Array.from_desc)
    _device_array.append(devicearray.DeviceNDArray)
    _devices.append(devices)
    try:
        if _same_as_constructor(devicearray):
            _direct.append(True)
    except Exception:  # another numba-cuda: keep the constructor
        pass
    _original_reshape.append(devicearray.DeviceNDArray.reshape)
    reshape.__wrapped__ = _original_reshape[0]
    devicearray.DeviceNDArray.reshape = reshape


install()


def part(array, *key):
    """``array[key]`` for a key of ints and slices, or ``array`` itself when the key selects all of it
    (a leading int over an axis of length 1 drops that axis by a reshape): a whole-array view costs a
    new memory view and array on every launch, for nothing (conv2d with one group and one batch chunk).
    """
    picked_all, shape = True, []
    for axis, index in enumerate(key):
        if isinstance(index, slice):
            if index.indices(array.shape[axis]) != (0, array.shape[axis], 1):
                picked_all = False
                break
            shape.append(array.shape[axis])
        elif type(index) is int and array.shape[axis] == 1 and index in (0, -1) and not shape:
            continue
        else:
            picked_all = False
            break
    if not picked_all:
        return array[key if len(key) != 1 else key[0]]
    shape += array.shape[len(key):]
    return array if len(shape) == array.ndim else array.reshape(tuple(shape))
