"""Dataset readers: real MNIST / Fashion-MNIST, synthetic IDX and CIFAR-10 files in the
official formats, broken files, folder layouts, the shipped MNIST sample, get_dataset."""
import gzip
import hashlib
import importlib.resources
import io
import pickle
import re
import tarfile

import numpy as np
import pytest

from minigrad import data
from minigrad.data import make_mnist_sample
from minigrad.data.datasets import SAMPLE_FILE

from .file_formats import cifar_batch_pickle, py2_pickle, read_idx_independently, write_idx_dataset

# Digit counts of the official MNIST files, as published with the database.
MNIST_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}


# Real files

@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_real_mnist_parses_with_published_counts(shared_data, real_mnist, train):
    split = "train" if train else "test"
    dataset = data.MNIST(root=shared_data, train=train)
    oracle_images, oracle_labels = real_mnist[split]
    assert dataset.data.shape == ((60000 if train else 10000), 28, 28) and dataset.data.dtype == np.uint8
    assert dataset.targets.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(dataset.targets, minlength=10), MNIST_COUNTS[split])
    np.testing.assert_array_equal(np.bincount(oracle_labels, minlength=10), MNIST_COUNTS[split])
    np.testing.assert_array_equal(dataset.data, oracle_images)
    np.testing.assert_array_equal(dataset.targets, oracle_labels)


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_real_fashion_mnist_parses(fashion_dir, train):
    prefix = "train" if train else "t10k"
    dataset = data.FashionMNIST(root=fashion_dir.parent, train=train)
    oracle_labels = read_idx_independently(fashion_dir / f"{prefix}-labels-idx1-ubyte.gz")
    n = 60000 if train else 10000
    assert dataset.data.shape == (n, 28, 28)
    np.testing.assert_array_equal(dataset.targets, oracle_labels)
    np.testing.assert_array_equal(np.bincount(dataset.targets, minlength=10), [n // 10] * 10)
    assert dataset.classes[9] == "Ankle boot"


def test_mnist_items_are_scaled_float_images(shared_data, real_mnist):
    dataset = data.MNIST(root=shared_data / "mnist", train=False)
    images, labels = real_mnist["test"]
    for i in (0, 1, 9999):
        image, label = dataset[i]
        assert image.shape == (1, 28, 28) and image.dtype == np.float32
        np.testing.assert_allclose(image[0], images[i] / 255.0, rtol=1e-6)
        assert label == labels[i] and isinstance(label, np.int64)


def test_mnist_root_from_environment(shared_data, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DATA", str(shared_data))
    assert data.default_root("mnist") == shared_data / "mnist"
    assert len(data.MNIST(train=False)) == 10000


def test_default_root_is_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data.default_root("cifar10") == tmp_path / ".cache" / "minigrad" / "cifar10"


@pytest.mark.parametrize("name, mean, std", [("mnist", 0.1307, 0.3081), ("fashion-mnist", 0.2860, 0.3530)])
def test_documented_normalization_matches_training_set(fashion_dir, name, mean, std):
    images = data.get_dataset(name, root=fashion_dir.parent, normalize=False).data
    counts = np.bincount(images.ravel(), minlength=256)
    levels = np.arange(256) / 255.0
    pixel_mean = counts @ levels / counts.sum()
    pixel_std = np.sqrt(counts @ (levels - pixel_mean) ** 2 / counts.sum())
    assert data.NORMALIZATION[name] == ((mean,), (std,))
    assert pixel_mean == pytest.approx(mean, abs=5e-5)
    assert pixel_std == pytest.approx(std, abs=5e-5)


# Synthetic IDX files

@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize("layout", ["", "mnist", "MNIST/raw"])
def test_idx_files_round_trip(tmp_path, tiny_mnist, compress, layout):
    images, labels = tiny_mnist
    write_idx_dataset(tmp_path / layout, images, labels, train=False, compress=compress)
    dataset = data.MNIST(root=tmp_path, train=False)
    np.testing.assert_array_equal(dataset.data, images)
    np.testing.assert_array_equal(dataset.targets, labels)


def test_read_idx_gives_header_shape(tmp_path, tiny_mnist):
    images, labels = tiny_mnist
    images_path, labels_path = write_idx_dataset(tmp_path, images, labels)
    assert data.read_idx(images_path, data.IMAGES_MAGIC).shape == (12, 28, 28)
    assert data.read_idx(labels_path, data.LABELS_MAGIC).shape == (12,)


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
def test_truncated_file_is_named(tmp_path, tiny_mnist, compress):
    images, labels = tiny_mnist
    images_path, _ = write_idx_dataset(tmp_path, images, labels, compress=compress)
    images_path.write_bytes(images_path.read_bytes()[:-200])
    with pytest.raises(data.CorruptFileError, match=re.escape(str(images_path))) as error:
        data.MNIST(root=tmp_path)
    assert "download" in str(error.value)


def test_corrupt_magic_number_is_named(tmp_path, tiny_mnist):
    images, labels = tiny_mnist
    _, labels_path = write_idx_dataset(tmp_path, images, labels)
    raw = bytearray(gzip.decompress(labels_path.read_bytes()))
    raw[2:4] = b"\x08\x03"
    labels_path.write_bytes(gzip.compress(bytes(raw)))
    expected = rf"{re.escape(str(labels_path))}: magic number 2051, expected 2049"
    with pytest.raises(data.CorruptFileError, match=expected):
        data.MNIST(root=tmp_path)


def test_broken_gzip_stream_is_named(tmp_path, tiny_mnist):
    images, labels = tiny_mnist
    images_path, _ = write_idx_dataset(tmp_path, images, labels)
    compressed = bytearray(images_path.read_bytes())
    compressed[-6] ^= 0xFF
    images_path.write_bytes(bytes(compressed))
    with pytest.raises(data.CorruptFileError, match=re.escape(str(images_path))):
        data.MNIST(root=tmp_path)


def test_label_count_must_match_image_count(tmp_path, tiny_mnist):
    images, labels = tiny_mnist
    write_idx_dataset(tmp_path, images, labels[:-1])
    with pytest.raises(data.CorruptFileError, match="11 labels for the 12 images"):
        data.MNIST(root=tmp_path)


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "raw"])
@pytest.mark.parametrize("size", [(30, 30), (28, 20)])
def test_images_of_another_geometry_are_an_error_at_load_time(tmp_path, tiny_mnist, compress, size):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(12, *size), dtype=np.uint8)
    images_path, _ = write_idx_dataset(tmp_path, images, tiny_mnist[1], compress=compress)
    expected = rf"{re.escape(str(images_path))}: images of {size[0]} x {size[1]} pixels, but MNIST images are 28 x 28"
    with pytest.raises(data.CorruptFileError, match=expected):
        data.MNIST(root=tmp_path)


@pytest.mark.parametrize("dataset, folder", [(data.MNIST, "mnist"), (data.FashionMNIST, "fashion-mnist")])
def test_uncompressed_official_files_are_checked_against_their_md5(shared_data, tmp_path, dataset, folder):
    """The official .gz files (MD5s of download.FILE_MD5) decompressed: loads as they are; one flipped
    pixel byte (which keeps the format, size and geometry intact) is named as corrupt."""
    source = shared_data / folder
    if not source.is_dir():
        pytest.skip(f"{source} is missing")
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        gz = source / f"{name}.gz"
        assert data.file_digest(gz) == data.FILE_MD5[folder][gz.name]
        (tmp_path / name).write_bytes(gzip.decompress(gz.read_bytes()))
    clean = dataset(root=tmp_path, train=False)
    expected = read_idx_independently(source / "t10k-images-idx3-ubyte.gz")
    np.testing.assert_array_equal(clean.data, expected)

    images_path = tmp_path / "t10k-images-idx3-ubyte"
    raw = bytearray(images_path.read_bytes())
    raw[16 + 28 * 14 + 14] ^= 0x01  # the centre pixel of the first image
    images_path.write_bytes(bytes(raw))
    with pytest.raises(data.CorruptFileError, match=rf"{re.escape(str(images_path))}: MD5 [0-9a-f]{{32}}, but the "
                                                    r"official t10k-images-idx3-ubyte has MD5 "):
        dataset(root=tmp_path, train=False)


def test_missing_files_error_says_where_and_what_to_do(tmp_path):
    with pytest.raises(data.DatasetNotFoundError) as error:
        data.MNIST(root=tmp_path)
    message = str(error.value)
    assert "\n" not in message
    assert str(tmp_path) in message and str(tmp_path / "mnist") in message
    assert "--data-dir" in message and "download=True" in message


def test_download_flag_fetches_from_mirrors(tmp_path, tiny_mnist, monkeypatch):
    images, labels = tiny_mnist
    mirror = tmp_path / "mirror"
    for train in (True, False):
        write_idx_dataset(mirror, images, labels, train=train)
    checksums = {path.name: hashlib.md5(path.read_bytes()).hexdigest() for path in mirror.iterdir()}
    monkeypatch.setitem(data.FILE_MD5, "mnist", checksums)
    monkeypatch.setitem(data.MIRRORS, "mnist", [(tmp_path / "nowhere").as_uri(), mirror.as_uri()])
    dataset = data.MNIST(root=tmp_path / "cache", train=True, download=True)
    np.testing.assert_array_equal(dataset.data, images)
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == sorted(checksums)


# CIFAR-10

def write_cifar_folder(folder, batches):
    folder.mkdir(parents=True)
    for name, (batch_data, labels) in batches.items():
        (folder / name).write_bytes(cifar_batch_pickle(name, batch_data, labels))
    (folder / "batches.meta").write_bytes(py2_pickle({"label_names": list(data.CIFAR10.classes),
                                                      "num_cases_per_batch": 4, "num_vis": 3072}))


def write_cifar_archive(path, batches):
    with tarfile.open(path, "w:gz") as tar:
        for name, (batch_data, labels) in batches.items():
            blob = cifar_batch_pickle(name, batch_data, labels)
            member = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            member.size = len(blob)
            tar.addfile(member, io.BytesIO(blob))


@pytest.fixture(params=["folder", "archive", "cifar10/folder"])
def cifar_root(request, tmp_path, cifar_batches):
    root = tmp_path / "cifar10" if request.param.startswith("cifar10/") else tmp_path
    if request.param.endswith("folder"):
        write_cifar_folder(root / "cifar-10-batches-py", cifar_batches)
    else:
        write_cifar_archive(root / "cifar-10-python.tar.gz", cifar_batches)
    return tmp_path


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_cifar10_reads_the_official_format(cifar_root, cifar_batches, train):
    names = [f"data_batch_{k}" for k in range(1, 6)] if train else ["test_batch"]
    rows = np.concatenate([cifar_batches[name][0] for name in names])
    labels = np.concatenate([cifar_batches[name][1] for name in names])
    dataset = data.CIFAR10(root=cifar_root, train=train)
    assert dataset.data.shape == (len(rows), 32, 32, 3) and dataset.data.dtype == np.uint8
    np.testing.assert_array_equal(dataset.targets, labels)
    image, label = dataset[len(rows) - 1]
    red, green, blue = rows[-1].reshape(3, 32, 32) / 255.0
    assert image.shape == (3, 32, 32) and label == labels[-1]
    np.testing.assert_allclose(image, np.stack([red, green, blue]), rtol=1e-6)
    np.testing.assert_array_equal(dataset.data[0, 0, 1], rows[0][[1, 1025, 2049]])


def test_cifar10_test_pickles_load_with_plain_pickle(cifar_batches):
    batch_data, labels = cifar_batches["test_batch"]
    loaded = pickle.loads(cifar_batch_pickle("test_batch", batch_data, labels), encoding="latin1")
    np.testing.assert_array_equal(loaded["data"], batch_data)
    assert loaded["labels"] == labels


def test_truncated_cifar_archive_is_named(tmp_path, cifar_batches):
    archive = tmp_path / "cifar-10-python.tar.gz"
    write_cifar_archive(archive, cifar_batches)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(data.CorruptFileError, match=re.escape(str(archive))):
        data.CIFAR10(root=tmp_path)


def test_cifar_pickle_cannot_run_code(tmp_path, cifar_batches):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar_folder(folder, cifar_batches)
    (folder / "test_batch").write_bytes(b"\x80\x02cos\nsystem\n" + py2_pickle("true")[2:-1] + b"\x85R.")
    with pytest.raises(data.CorruptFileError, match=r"test_batch.*refusing os\.system"):
        data.CIFAR10(root=tmp_path, train=False)


def test_cifar_folder_missing_a_batch(tmp_path, cifar_batches):
    folder = tmp_path / "cifar-10-batches-py"
    write_cifar_folder(folder, cifar_batches)
    (folder / "data_batch_3").unlink()
    with pytest.raises(data.CorruptFileError, match="data_batch_3 missing"):
        data.CIFAR10(root=tmp_path)


# Batches and datasets of arrays

def test_get_batch_equals_stacked_items(tmp_path, tiny_mnist):
    images, labels = tiny_mnist
    write_idx_dataset(tmp_path, images, labels)
    transform = data.Compose([data.Pad(2), data.Normalize(0.5, 0.25)])
    dataset = data.MNIST(root=tmp_path, transform=transform, target_transform=lambda y: 9 - y)
    indices = [3, 0, 11, 3]
    batch_images, batch_labels = dataset.get_batch(indices)
    assert batch_images.shape == (4, 1, 32, 32) and batch_images.dtype == np.float32
    np.testing.assert_array_equal(batch_images, np.stack([dataset[i][0] for i in indices]))
    np.testing.assert_array_equal(batch_labels, 9 - labels[indices])
    np.testing.assert_allclose(batch_images[0, 0, 2:-2, 2:-2], (images[3] / 255.0 - 0.5) / 0.25, atol=1e-6)


def test_get_batch_applies_plain_functions_image_by_image(tmp_path, tiny_mnist):
    images, labels = tiny_mnist
    write_idx_dataset(tmp_path, images, labels)
    dataset = data.MNIST(root=tmp_path, transform=lambda image: image.sum(axis=0, keepdims=True))
    np.testing.assert_allclose(dataset.get_batch([1, 2])[0], images[[1, 2], None] / 255.0, rtol=1e-6)


def test_tensor_dataset_rows():
    x, y = np.arange(12).reshape(6, 2), np.arange(6) * 10
    dataset = data.TensorDataset(x, y)
    assert len(dataset) == 6
    np.testing.assert_array_equal(dataset[4][0], [8, 9])
    assert dataset[4][1] == 40
    batch_x, batch_y = dataset.get_batch([5, 1])
    np.testing.assert_array_equal(batch_x, [[10, 11], [2, 3]])
    np.testing.assert_array_equal(batch_y, [50, 10])
    with pytest.raises(ValueError, match="one length"):
        data.TensorDataset(x, y[:5])


# The shipped sample

@pytest.fixture(scope="module")
def sample():
    return {split: data.MNISTSample(train=split == "train") for split in ("train", "test")}


def test_sample_has_600_and_100_of_each_digit(sample):
    assert sample["train"].data.shape == (6000, 28, 28) and sample["test"].data.shape == (1000, 28, 28)
    np.testing.assert_array_equal(np.bincount(sample["train"].targets), [600] * 10)
    np.testing.assert_array_equal(np.bincount(sample["test"].targets), [100] * 10)
    image, label = sample["train"][0]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and label.dtype == np.int64


@pytest.mark.parametrize("split", ["train", "test"])
def test_sample_images_are_real_mnist_images(sample, real_mnist, split):
    real_images, real_labels = real_mnist[split]
    flat_real = real_images.reshape(len(real_images), -1)
    picks = np.random.default_rng(5).choice(len(sample[split]), size=5, replace=False)
    with np.load(importlib.resources.files("minigrad.data") / SAMPLE_FILE) as arrays:
        recorded = arrays[f"{split}_indices"]
    for k in picks:
        found = np.flatnonzero((flat_real == sample[split].data[k].reshape(-1)).all(axis=1))
        assert recorded[k] in found
        assert real_labels[recorded[k]] == sample[split].targets[k]


def test_sample_note_states_the_npz_checksum():
    folder = importlib.resources.files("minigrad.data")
    note = (folder / "MNIST_SAMPLE.md").read_text()
    digest = hashlib.sha256((folder / SAMPLE_FILE).read_bytes()).hexdigest()
    assert f"SHA-256 of `{SAMPLE_FILE}`: `{digest}`" in note
    assert "CC BY-SA 3.0" in note and "Yann LeCun" in note and "Corinna Cortes" in note


def test_sample_script_reproduces_the_shipped_arrays(shared_data, sample, tmp_path):
    make_mnist_sample.main(["--src", str(shared_data / "mnist"), "--out-dir", str(tmp_path)])
    with np.load(tmp_path / SAMPLE_FILE) as arrays:
        for split in ("train", "test"):
            np.testing.assert_array_equal(arrays[f"x_{split}"], sample[split].data)
            np.testing.assert_array_equal(arrays[f"y_{split}"], sample[split].targets)
    digest = hashlib.sha256((tmp_path / SAMPLE_FILE).read_bytes()).hexdigest()
    assert digest in (tmp_path / "MNIST_SAMPLE.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["MNIST_SAMPLE.md", SAMPLE_FILE]


# get_dataset

def test_get_dataset_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError, match="mnist-sample, mnist, fashion-mnist, cifar10"):
        data.get_dataset("imagenet")


def test_get_dataset_missing_files(tmp_path):
    with pytest.raises(data.DatasetNotFoundError, match="--data-dir"):
        data.get_dataset("fashion-mnist", root=tmp_path)


def test_get_dataset_pads_and_normalizes(sample):
    dataset = data.get_dataset("mnist-sample", train=False, pad_to=32)
    image, _ = dataset[7]
    assert image.shape == (1, 32, 32)
    background = (0 - 0.1307) / 0.3081
    np.testing.assert_allclose(image[0, :2], background, rtol=1e-5)
    np.testing.assert_allclose(image[0, 2:-2, 2:-2], (sample["test"].data[7] / 255.0 - 0.1307) / 0.3081,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, pad_to, expected", [
    ("cifar10", None, "Compose(\n    RandomCrop(size=(32, 32), padding=4),\n    RandomHorizontalFlip(p=0.5),\n"
                      "    Normalize(mean=(0.4914, 0.4822, 0.4465), std=(0.247, 0.2435, 0.2616)),\n)"),
    ("fashion-mnist", 32, "Compose(\n    Pad(padding=2),\n    RandomCrop(size=(32, 32), padding=2),\n"
                          "    Normalize(mean=(0.286,), std=(0.353,)),\n)"),
])
def test_augmentation_recipes(name, pad_to, expected):
    assert repr(data.build_transform(name, augment=True, pad_to=pad_to)) == expected


def test_augmented_sample_batches_keep_shape():
    dataset = data.get_dataset("mnist-sample", augment=True, pad_to=32)
    images, labels = dataset.get_batch(np.arange(8), rng=np.random.default_rng(0))
    assert images.shape == (8, 1, 32, 32) and images.dtype == np.float32
    np.testing.assert_array_equal(labels, dataset.targets[:8])


def test_pad_to_must_fit():
    with pytest.raises(ValueError, match="even"):
        data.build_transform("mnist", pad_to=31)


def test_subset_renumbers_items_and_batches():
    dataset = data.TensorDataset(np.arange(10) * 3)
    subset = data.Subset(dataset, [7, 2, 5])
    assert len(subset) == 3 and subset[1] == (6,)
    np.testing.assert_array_equal(subset.get_batch([2, 0])[0], [15, 21])
    with pytest.raises(ValueError, match="10 items"):
        data.Subset(dataset, [10])
