"""Fixtures for the data tests: the real MNIST / Fashion-MNIST files and small made-up datasets."""
from pathlib import Path

import numpy as np
import pytest

from .file_formats import read_idx_independently

SHARED_DATA = Path(__file__).parents[3] / ".." / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data():
    """The folder of real dataset files (../shared/data beside the repository)."""
    if not (SHARED_DATA / "mnist").is_dir():
        pytest.skip(f"real MNIST files not found in {SHARED_DATA.resolve()}")
    return SHARED_DATA.resolve()


@pytest.fixture(scope="session")
def fashion_dir(shared_data):
    if not (shared_data / "fashion-mnist").is_dir():
        pytest.skip(f"real Fashion-MNIST files not found in {shared_data / 'fashion-mnist'}")
    return shared_data / "fashion-mnist"


@pytest.fixture(scope="session")
def real_mnist(shared_data):
    """{"train": (images, labels), "test": (images, labels)} of the real MNIST, read by the oracle."""
    folder = shared_data / "mnist"
    return {
        split: (read_idx_independently(folder / f"{prefix}-images-idx3-ubyte.gz"),
                read_idx_independently(folder / f"{prefix}-labels-idx1-ubyte.gz"))
        for split, prefix in (("train", "train"), ("test", "t10k"))
    }


@pytest.fixture
def tiny_mnist():
    """Random images uint8 (12, 28, 28) and labels (12,) covering every digit."""
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    labels = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 5], dtype=np.uint8)
    return images, labels


@pytest.fixture
def cifar_batches():
    """{batch name: (uint8 data (n, 3072), labels)} for a tiny CIFAR-10: 5 training batches of 4
    images and a test batch of 6, random pixels, every class present in the training set."""
    rng = np.random.default_rng(3)
    names = [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]
    batches = {}
    for k, name in enumerate(names):
        n = 6 if name == "test_batch" else 4
        data = rng.integers(0, 256, size=(n, 3072), dtype=np.uint8)
        labels = [(4 * k + i) % 10 for i in range(n)]
        batches[name] = (data, labels)
    return batches
