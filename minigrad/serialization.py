"""``mg.save(obj, path)`` / ``mg.load(path)``: nested dicts and lists of arrays, tensors and plain
values in one ``.npz`` file, written atomically (a temporary file in the same folder, then a rename),
so an interrupted save never leaves a half-written checkpoint. No pickle: the structure is stored as
JSON beside the arrays.
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from .atomic import atomic_write

_ARRAY = "__array__"


def _flatten(obj, arrays):
    if hasattr(obj, "numpy") and callable(obj.numpy):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray):
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {_ARRAY: key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {"__dict__": [[_flatten(k, arrays), _flatten(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_flatten(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return [_flatten(v, arrays) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"mg.save cannot store a {type(obj).__name__}; use dicts, lists, tuples, arrays, tensors, "
                    "numbers and strings")


def _unflatten(obj, arrays):
    if isinstance(obj, list):
        return [_unflatten(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if _ARRAY in obj:
            return arrays[obj[_ARRAY]]
        if "__tuple__" in obj:
            return tuple(_unflatten(v, arrays) for v in obj["__tuple__"])
        return {_unflatten(k, arrays): _unflatten(v, arrays) for k, v in obj["__dict__"]}
    return obj


def save(obj, path) -> str:
    """Write ``obj`` to ``path`` (.npz) atomically; returns the path."""
    path = os.fspath(path)
    arrays = {}
    structure = json.dumps(_flatten(obj, arrays))
    with atomic_write(path) as f:
        np.savez(f, __structure__=np.frombuffer(structure.encode(), dtype=np.uint8), **arrays)
    return path


def load(path):
    """Read what ``save`` wrote."""
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise ValueError(f"{path} is not a readable minigrad checkpoint ({e}); it may be truncated or corrupt") from None
    if "__structure__" not in arrays:
        raise ValueError(f"{path} is an .npz file but not a minigrad checkpoint (no __structure__ entry)")
    structure = json.loads(arrays.pop("__structure__").tobytes().decode())
    return _unflatten(structure, arrays)
