"""Write the MNIST sample that ships with minigrad, and its provenance note.

    python -m minigrad.data.make_mnist_sample --src DIR

DIR holds the four official MNIST files. For each digit in turn, a generator seeded
with --seed picks 600 of its training and 100 of its test images without replacement;
the chosen images keep their order in the official files. The arrays go to
mnist_sample.npz and the provenance to MNIST_SAMPLE.md beside this file, each written
to a temporary file and renamed. The same files and seed give the same npz, byte for byte.
"""
import argparse
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .datasets import MNIST, SAMPLE_FILE
from .download import file_digest

NOTE_FILE = "MNIST_SAMPLE.md"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def stratified_indices(labels, per_class, rng):
    """Sorted indices of `per_class` items of each class 0..9, drawn without replacement."""
    chosen = [rng.choice(np.flatnonzero(labels == digit), size=per_class, replace=False) for digit in range(10)]
    return np.sort(np.concatenate(chosen))


def sample_arrays(src, seed=0, train_per_class=600, test_per_class=100):
    """{"x_train", "y_train", "train_indices", "x_test", ...}: the stratified sample of MNIST in `src`."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, train, per_class in (("train", True, train_per_class), ("test", False, test_per_class)):
        mnist = MNIST(src, train=train)
        indices = stratified_indices(mnist.targets, per_class, rng)
        arrays[f"x_{split}"] = mnist.data[indices]
        arrays[f"y_{split}"] = mnist.targets[indices]
        arrays[f"{split}_indices"] = indices.astype(np.int64)
    return arrays


def write_npz(path, arrays):
    """Like np.savez_compressed, but with a fixed timestamp in the zip, so equal arrays give
    equal bytes; written atomically."""
    with atomic_write(path) as file, zipfile.ZipFile(file, "w") as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            entry = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, buffer.getvalue(), compresslevel=9)


def provenance_note(sources, seed, train_per_class, test_per_class, npz_sha256):
    """The text of MNIST_SAMPLE.md."""
    source_lines = "\n".join(f"| {path.name} | {md5} |" for path, md5 in sources)
    return f"""# The MNIST sample shipped with minigrad

`{SAMPLE_FILE}` holds {10 * train_per_class:,} training and {10 * test_per_class:,} test images of MNIST,
{train_per_class} and {test_per_class} of each digit, so examples and tests run without a download.
Load it with `minigrad.data.MNISTSample(train=True)` or `minigrad.data.get_dataset("mnist-sample")`.

## Source and license

The MNIST database of handwritten digits, by Yann LeCun and Corinna Cortes, with Christopher J.C. Burges,
first published at http://yann.lecun.com/exdb/mnist/. The files carry no license; the license usually quoted
for MNIST is Creative Commons Attribution-Share Alike 3.0 (CC BY-SA 3.0), and this sample, an unchanged subset,
is shared under the same terms.

Made from the official files (MD5 of each as read):

| file | md5 |
| --- | --- |
{source_lines}

## How it was made

    python -m minigrad.data.make_mnist_sample --src DIR --seed {seed}

One generator, `numpy.random.default_rng({seed})`, draws for each digit 0 to 9 in turn {train_per_class} of that
digit's training images without replacement, then likewise {test_per_class} of each digit's test images. The
chosen images keep their order in the official files. Per class: {train_per_class} training and {test_per_class}
test images for every digit 0-9.

## Contents

| key | dtype | shape | meaning |
| --- | --- | --- | --- |
| x_train | uint8 | ({10 * train_per_class}, 28, 28) | images, 0 = background |
| y_train | int64 | ({10 * train_per_class},) | digits 0-9 |
| train_indices | int64 | ({10 * train_per_class},) | position of each image in the official training file |
| x_test | uint8 | ({10 * test_per_class}, 28, 28) | images |
| y_test | int64 | ({10 * test_per_class},) | digits 0-9 |
| test_indices | int64 | ({10 * test_per_class},) | position of each image in the official test file |

SHA-256 of `{SAMPLE_FILE}`: `{npz_sha256}`
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", required=True, type=Path, help="folder with the four official MNIST files")
    parser.add_argument("--out-dir", type=Path, default=Path(__file__).parent,
                        help="where to write (default: this package)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-per-class", type=int, default=600)
    parser.add_argument("--test-per-class", type=int, default=100)
    args = parser.parse_args(argv)

    arrays = sample_arrays(args.src, args.seed, args.train_per_class, args.test_per_class)
    npz_path = args.out_dir / SAMPLE_FILE
    write_npz(npz_path, arrays)
    sources = [(path, file_digest(path)) for train in (True, False) for path in MNIST.locate(args.src, train)]
    sha256 = hashlib.sha256(npz_path.read_bytes()).hexdigest()
    note = provenance_note(sources, args.seed, args.train_per_class, args.test_per_class, sha256)
    with atomic_write(args.out_dir / NOTE_FILE) as file:
        file.write(note.encode())
    print(f"wrote {npz_path} ({npz_path.stat().st_size:,} bytes, sha256 {sha256}) and {NOTE_FILE}")


if __name__ == "__main__":
    main()
