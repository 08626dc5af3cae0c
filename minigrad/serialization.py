"""``mg.save(obj, path)`` / ``mg.load(path)``: nested dicts and lists of arrays, tensors and plain
values in one ``.npz`` file, written atomically (a temporary file in the same folder, then a rename),
so an interrupted save never leaves a half-written checkpoint. No pickle: the structure is stored as
JSON beside the arrays.
"""
from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Hashable

import numpy as np

from .atomic import atomic_write

_ARRAY = "__array__"


def _flatten(obj, arrays, where="obj"):
    if hasattr(obj, "numpy") and callable(obj.numpy):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError(f"mg.save cannot store {where}: an array of dtype {obj.dtype} holds Python objects, "
                            "which only pickle could write; convert it to numbers or strings first")
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {_ARRAY: key}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {"__dict__": [[_flatten(k, arrays, f"a key of {where}"), _flatten(v, arrays, f"{where}[{k!r}]")]
                             for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_flatten(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_flatten(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"mg.save cannot store a {type(obj).__name__} ({where}); use dicts, lists, tuples, arrays, "
                    "tensors, numbers and strings")


class _BrokenStructure(Exception):
    """The structure entry of a checkpoint does not describe what ``save`` writes."""


def _unflatten(obj, arrays):
    if isinstance(obj, list):
        return [_unflatten(v, arrays) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if _ARRAY in obj:
        if obj[_ARRAY] not in arrays:
            raise _BrokenStructure(f"the array {obj[_ARRAY]!r} it names is missing")
        return arrays[obj[_ARRAY]]
    if "__tuple__" in obj:
        return tuple(_unflatten(v, arrays) for v in _entries(obj, "__tuple__"))
    pairs = _entries(obj, "__dict__")
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise _BrokenStructure("a dict entry is not a list of [key, value] pairs")
    out = {}
    for k, v in pairs:
        key = _unflatten(k, arrays)
        if not isinstance(key, Hashable):
            raise _BrokenStructure(f"a dict key of type {type(key).__name__} cannot be a key")
        out[key] = _unflatten(v, arrays)
    return out


def _entries(obj: dict, tag: str) -> list:
    if set(obj) != {tag} or not isinstance(obj[tag], list):
        raise _BrokenStructure(f"an entry with keys {sorted(obj)} is none of array, tuple or dict")
    return obj[tag]


def save(obj, path) -> str:
    """Write ``obj`` to ``path`` (.npz) atomically; returns the path."""
    path = os.fspath(path)
    arrays = {}
    structure = json.dumps(_flatten(obj, arrays))
    with atomic_write(path) as f:
        np.savez(f, __structure__=np.frombuffer(structure.encode(), dtype=np.uint8), **arrays)
    return path


def load(path):
    """Read what ``save`` wrote. A missing file raises FileNotFoundError; anything else that is not a
    checkpoint written by ``save`` (a ``.npy`` file, a truncated or damaged file) raises one ValueError
    naming ``path``."""
    path = os.fspath(path)
    with open(path, "rb") as f:  # a missing file: FileNotFoundError, as torch.load
        head = f.read(6)
    if head == b"\x93NUMPY":
        raise ValueError(f"{path} holds a single NumPy array (.npy), not a minigrad checkpoint (an .npz of mg.save)")
    if not head.startswith(b"PK"):
        raise ValueError(f"{path} is not a minigrad checkpoint: it is not an .npz (zip) file")
    try:
        opened = np.load(path, allow_pickle=False)
    except _UNREADABLE as e:
        raise _unreadable(path, e) from None
    try:
        with opened as f:
            arrays = {k: f[k] for k in f.files}
    except _UNREADABLE as e:
        raise _unreadable(path, e) from None
    if "__structure__" not in arrays:
        raise ValueError(f"{path} is an .npz file but not a minigrad checkpoint (no __structure__ entry)")
    try:
        structure = json.loads(arrays.pop("__structure__").tobytes().decode())
        return _unflatten(structure, arrays)
    except (UnicodeDecodeError, json.JSONDecodeError, TypeError, _BrokenStructure) as e:
        raise ValueError(f"{path} is a damaged minigrad checkpoint: its __structure__ entry is broken ({e})") from None


_UNREADABLE = (zipfile.BadZipFile, ValueError, OSError, EOFError)


def _unreadable(path, error) -> ValueError:
    return ValueError(f"{path} is not a readable minigrad checkpoint ({error}); it may be truncated or corrupt")
