"""Where each CUDA kernel comes from and which argument types it was launched with, written as plain
data, so that another process can rebuild the kernel and compile that signature.

This is what the compile check needs: it records the launches of a training step under Numba's CUDA
simulator (pure Python, no compiler) and compiles them in a process without the simulator
(``python -m kernels.cuda.ptx_check``). A kernel is named by its module and function, or, when a
factory made it, by the factory and its arguments (``recipe``); factories are marked ``@kernel_factory``.
"""
import functools
import importlib

import numpy as np


def kernel_factory(make):
    """Decorator for a function that makes a kernel from hashable arguments: cached (one kernel per
    arguments and their types: np.float32(0) == np.float64(0), but their kernels differ), and every
    kernel made remembers ``recipe = (module, factory name, arguments)``."""
    @functools.lru_cache(maxsize=None, typed=True)
    @functools.wraps(make)
    def cached(*args):
        kernel = make(*args)
        kernel.recipe = (make.__module__, make.__name__, args)
        return kernel
    return cached


def recipe(kernel):
    """(module, name, encoded factory arguments or None) of a kernel made by @cuda.jit or a factory."""
    made = getattr(kernel, "recipe", None)
    if made is not None:
        module, name, args = made
        return [module, name, [encode_value(a) for a in args]]
    return [kernel.py_func.__module__, kernel.py_func.__name__, None]


def rebuild(entry):
    """The kernel a ``recipe`` names, in this process."""
    module, name, args = entry
    made = getattr(importlib.import_module(module), name)
    return made if args is None else made(*[decode_value(a) for a in args])


def encode_value(value):
    """A factory argument as JSON data: numbers and strings as they are, dtypes, NumPy scalars and
    module-level (device) functions tagged."""
    if isinstance(value, np.dtype):
        return {"dtype": value.str}
    if isinstance(value, np.generic):
        return {"scalar": [value.dtype.str, value.item()]}
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return {"tuple": [encode_value(v) for v in value]}
    function = getattr(value, "py_func", value)
    return {"function": [function.__module__, function.__name__]}


def decode_value(data):
    if not isinstance(data, dict):
        return data
    (tag, content), = data.items()
    if tag == "dtype":
        return np.dtype(content)
    if tag == "scalar":
        return np.dtype(content[0]).type(content[1])
    if tag == "tuple":
        return tuple(decode_value(v) for v in content)
    return getattr(importlib.import_module(content[0]), content[1])


def encode_argument(value):
    """The Numba type a launch argument gets (what ``numba.typeof`` gives on a GPU), as JSON data."""
    if hasattr(value, "__cuda_array_interface__") or hasattr(value, "is_c_contiguous") or isinstance(value, np.ndarray):
        contiguous = value.is_c_contiguous() if hasattr(value, "is_c_contiguous") else value.flags.c_contiguous
        fortran = value.is_f_contiguous() if hasattr(value, "is_f_contiguous") else value.flags.f_contiguous
        layout = "C" if contiguous else "F" if fortran else "A"
        return ["array", np.dtype(value.dtype).str, value.ndim, layout]
    if isinstance(value, tuple):
        return ["tuple", [encode_argument(v) for v in value]]
    if isinstance(value, bool):
        return ["scalar", "?"]
    if isinstance(value, int):
        return ["scalar", np.dtype(np.int64).str]
    if isinstance(value, float):
        return ["scalar", np.dtype(np.float64).str]
    if isinstance(value, np.generic):
        return ["scalar", value.dtype.str]
    raise TypeError(f"cannot describe a kernel argument of type {type(value).__name__}")


def decode_argument(data):
    """The Numba type that ``encode_argument`` described."""
    from numba import from_dtype, types
    kind = data[0]
    if kind == "array":
        return types.Array(from_dtype(np.dtype(data[1])), data[2], data[3])
    if kind == "tuple":
        return types.BaseTuple.from_types([decode_argument(d) for d in data[1]])
    return from_dtype(np.dtype(data[1]))
