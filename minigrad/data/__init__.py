"""Datasets, checked downloads, DataLoader and transforms.

    from minigrad import data
    train = data.get_dataset("mnist", root="~/data", augment=True)
    for x, y in data.DataLoader(train, batch_size=128, shuffle=True, seed=0): ...
"""
from . import transforms
from .cifar_files import read_cifar10
from .datasets import (CIFAR10, MNIST, FashionMNIST, FileDataset, ImageDataset, MNISTSample, Subset,
                       TensorDataset)
from .download import FILE_MD5, MIRRORS, default_root, download_dataset, download_file, file_digest
from .errors import ChecksumError, CorruptFileError, DatasetNotFoundError, DownloadError
from .idx_files import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from .loader import DataLoader, default_collate
from .sampler import DistributedSampler
from .registry import DATASETS, NORMALIZATION, build_transform, get_dataset
from .transforms import Compose, Normalize, Pad, RandomCrop, RandomHorizontalFlip, ToTensor, Transform

__all__ = [
    "transforms", "read_cifar10", "read_idx", "IMAGES_MAGIC", "LABELS_MAGIC",
    "ImageDataset", "FileDataset", "MNIST", "FashionMNIST", "CIFAR10", "MNISTSample", "TensorDataset", "Subset",
    "MIRRORS", "FILE_MD5", "default_root", "download_dataset", "download_file", "file_digest",
    "ChecksumError", "CorruptFileError", "DatasetNotFoundError", "DownloadError",
    "DataLoader", "default_collate", "DistributedSampler", "DATASETS", "NORMALIZATION", "build_transform", "get_dataset",
    "Transform", "ToTensor", "Normalize", "Pad", "RandomCrop", "RandomHorizontalFlip", "Compose",
]
