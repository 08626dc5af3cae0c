"""Reader for CIFAR-10's "python version": six pickled batches of 10,000 images.

Each batch is a Python 2 pickle of a dict: "data" is a uint8 array (N, 3072) whose rows
hold the red, green and blue 32x32 planes one after the other, "labels" a list of N ints
in 0..9. The batches sit in `cifar-10-batches-py/`, either as files in a folder or inside
`cifar-10-python.tar.gz`, which is read as it is, without extracting it.
"""
import gzip
import io
import pickle
import tarfile
import zlib
from pathlib import Path

import numpy as np

from .errors import CorruptFileError

FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")
TEST_BATCHES = ("test_batch",)
NUM_CLASSES = 10
IMAGE_SHAPE = (3, 32, 32)


def read_cifar10(source, train=True):
    """Images uint8 (N, 32, 32, 3) and labels int64 (N,) of the training or test batches.

    `source` is the `cifar-10-batches-py` folder or the `cifar-10-python.tar.gz` archive.
    """
    source = Path(source)
    names = TRAIN_BATCHES if train else TEST_BATCHES
    blobs = read_folder(source, names) if source.is_dir() else read_archive(source, names)
    batches = [parse_batch(source / name, blobs[name]) for name in names]
    images = np.concatenate([images for images, _ in batches])
    labels = np.concatenate([labels for _, labels in batches])
    return images, labels


def read_folder(folder, names):
    """{name: bytes} of the batch files `names` in `folder`."""
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise CorruptFileError(folder, f"{', '.join(missing)} missing")
    return {name: (folder / name).read_bytes() for name in names}


def read_archive(archive, names):
    """{name: bytes} of the members `FOLDER/name` of the tar.gz `archive`, read in one pass."""
    wanted = {f"{FOLDER}/{name}": name for name in names}
    blobs = {}
    try:
        with tarfile.open(archive, "r|gz") as tar:
            for member in tar:
                if member.name in wanted and member.isfile():
                    blobs[wanted[member.name]] = tar.extractfile(member).read()
                if len(blobs) == len(names):
                    break
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise CorruptFileError(archive, f"cannot be read as a tar.gz archive ({error})") from error
    missing = [f"{FOLDER}/{name}" for name in names if name not in blobs]
    if missing:
        raise CorruptFileError(archive, f"{', '.join(missing)} missing from the archive")
    return blobs


def parse_batch(path, blob):
    """Images uint8 (N, 32, 32, 3) and labels int64 (N,) of one pickled batch."""
    try:
        batch = BatchUnpickler(io.BytesIO(blob), encoding="latin1").load()
        data, labels = batch["data"], np.asarray(batch["labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as error:
        raise CorruptFileError(path, f"not a CIFAR-10 batch ({type(error).__name__}: {error})") from error
    if not (isinstance(data, np.ndarray) and data.dtype == np.uint8 and data.ndim == 2
            and data.shape[1] == np.prod(IMAGE_SHAPE)):
        raise CorruptFileError(path, f"'data' should be uint8 (N, 3072), got {getattr(data, 'shape', type(data))}")
    if labels.shape != (len(data),):
        raise CorruptFileError(path, f"{labels.size} labels for {len(data)} images")
    if labels.size and not (labels.min() >= 0 and labels.max() < NUM_CLASSES):
        raise CorruptFileError(path, f"labels outside 0..{NUM_CLASSES - 1}")
    images = data.reshape(-1, *IMAGE_SHAPE).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


ARRAY_REBUILDER = np.empty(0).__reduce__()[0]
"""NumPy's `_reconstruct`, which array pickles name: numpy.core.multiarray before NumPy 2,
numpy._core.multiarray since."""


class BatchUnpickler(pickle.Unpickler):
    """An unpickler that builds only what a CIFAR-10 batch holds: dicts, lists, strings,
    ints and NumPy arrays. Anything else a pickle asks for (a pickle can call any
    function it names) is refused, so a tampered download cannot run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): ARRAY_REBUILDER,
        ("numpy._core.multiarray", "_reconstruct"): ARRAY_REBUILDER,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing {module}.{name}, which no CIFAR-10 batch holds")
        return self.ALLOWED[module, name]
