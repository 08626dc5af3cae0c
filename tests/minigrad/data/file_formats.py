"""Writers (and an independent reader) of dataset files in their official formats:
MNIST's IDX files and CIFAR-10's Python 2 pickles."""
import gzip
import struct
from pathlib import Path

import numpy as np


def read_idx_independently(path):
    """The uint8 array of an IDX file, read with nothing but gzip, struct and NumPy (the oracle)."""
    raw = gzip.decompress(Path(path).read_bytes())
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def idx_bytes(array):
    """The IDX encoding of a uint8 array of 1 or 3 dimensions."""
    array = np.asarray(array, dtype=np.uint8)
    magic = 0x0800 | array.ndim
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.tobytes()


def write_idx_dataset(folder, images, labels, train=True, compress=True):
    """Write images/labels as the official MNIST file pair of one split into `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    paths = []
    for kind, array in (("images-idx3", images), ("labels-idx1", labels)):
        path = folder / f"{prefix}-{kind}-ubyte{'.gz' if compress else ''}"
        payload = idx_bytes(array)
        path.write_bytes(gzip.compress(payload) if compress else payload)
        paths.append(path)
    return paths


def py2_pickle(obj):
    """`obj` pickled the way Python 2 and NumPy 1 wrote CIFAR-10 (protocol 2, byte strings,
    arrays through numpy.core.multiarray._reconstruct). Handles dict, list, str, int, uint8 arrays."""
    return b"\x80\x02" + _py2_opcodes(obj) + b"."


def _py2_string(data):
    """A Python 2 byte string: opcode "T", 4-byte length, the bytes."""
    data = data.encode("latin1") if isinstance(data, str) else data
    return b"T" + struct.pack("<i", len(data)) + data


def _py2_opcodes(obj):
    """Pickle opcodes for `obj`. An array is written as NumPy 1 did: _reconstruct(ndarray, (0,), "b")
    then BUILD with (1, shape, dtype, False, raw bytes); its dtype as dtype("u1", 0, 1) then BUILD with
    (3, "|", None, None, None, -1, -1, 0). Opcodes: "(" mark, "t" tuple since mark, "\\x87" 3-tuple,
    "R" call, "b" setstate, "N" None, "\\x89" False, "}" / "]" empty dict / list, "u" / "e" fill them."""
    if isinstance(obj, dict):
        items = b"".join(_py2_opcodes(key) + _py2_opcodes(value) for key, value in obj.items())
        return b"}(" + items + b"u"
    if isinstance(obj, list):
        return b"](" + b"".join(_py2_opcodes(item) for item in obj) + b"e"
    if isinstance(obj, (str, bytes)):
        return _py2_string(obj)
    if isinstance(obj, (int, np.integer)):
        return b"J" + struct.pack("<i", int(obj))
    if isinstance(obj, np.ndarray) and obj.dtype == np.uint8:
        shape = b"(" + b"".join(_py2_opcodes(n) for n in obj.shape) + b"t"
        dtype = (b"cnumpy\ndtype\n" + _py2_string("u1") + _py2_opcodes(0) + _py2_opcodes(1) + b"\x87R"
                 + b"(" + _py2_opcodes(3) + _py2_string("|") + b"NNN"
                 + _py2_opcodes(-1) + _py2_opcodes(-1) + _py2_opcodes(0) + b"tb")
        new_array = (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n"
                     + b"(" + _py2_opcodes(0) + b"t" + _py2_string("b") + b"\x87R")
        state = b"(" + _py2_opcodes(1) + shape + dtype + b"\x89" + _py2_string(obj.tobytes()) + b"tb"
        return new_array + state
    raise TypeError(f"py2_pickle cannot write {type(obj)}")


def cifar_batch_pickle(name, data, labels):
    """One batch file's bytes, with the keys and value types of the official files."""
    return py2_pickle({
        "batch_label": f"{name.replace('_', ' ')} of 5",
        "labels": list(labels),
        "data": data,
        "filenames": [f"image_{i:05d}.png" for i in range(len(labels))],
    })
