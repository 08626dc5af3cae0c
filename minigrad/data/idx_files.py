"""Reader for the IDX files of MNIST and Fashion-MNIST, gzipped or not.

An IDX file of unsigned bytes starts with the magic number 0x0000_08_<ndim>, then
`ndim` big-endian uint32 sizes, then the bytes in C order: labels are magic 2049
(one dimension, N), images magic 2051 (three dimensions, N x H x W).
"""
import gzip
import math
import zlib
from pathlib import Path

import numpy as np

from .errors import CorruptFileError

LABELS_MAGIC = 2049
IMAGES_MAGIC = 2051
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path, magic):
    """Read the IDX file at `path` -> read-only uint8 array of the shape in its header.

    `magic` is LABELS_MAGIC or IMAGES_MAGIC. Raises CorruptFileError naming the file when
    the magic number differs, the header is cut short, or the data holds more or fewer
    bytes than the header's sizes multiply to.
    """
    path = Path(path)
    raw = read_maybe_gzipped(path)
    if len(raw) < 4:
        raise CorruptFileError(path, f"only {len(raw)} bytes, too short for an IDX header")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise CorruptFileError(path, f"magic number {found}, expected {magic}")
    ndim = magic & 0xFF
    header_bytes = 4 + 4 * ndim
    if len(raw) < header_bytes:
        raise CorruptFileError(path, f"header cut short: {len(raw)} of {header_bytes} bytes")
    shape = tuple(int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(ndim))
    data_bytes = len(raw) - header_bytes
    if data_bytes != math.prod(shape):
        raise CorruptFileError(
            path, f"header promises {shape} = {math.prod(shape)} bytes of data, the file holds {data_bytes}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_bytes).reshape(shape)


def read_maybe_gzipped(path):
    """The bytes of `path`, decompressed when it starts with the gzip magic bytes."""
    with open(path, "rb") as file:
        compressed = file.read(2) == GZIP_MAGIC
    if not compressed:
        return Path(path).read_bytes()
    try:
        with gzip.open(path, "rb") as file:
            return file.read()
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise CorruptFileError(path, f"cannot be decompressed ({error})") from error
