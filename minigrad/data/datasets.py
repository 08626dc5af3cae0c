"""Datasets held in memory: MNIST, Fashion-MNIST, CIFAR-10, the MNIST sample shipped with
minigrad, TensorDataset for arrays of your own and Subset for a part of a dataset.

An image dataset's item i is (image, label): the image float32 (C, H, W) in [0, 1] after
`transform`, the label an int64. `dataset.get_batch(indices)` gives a whole batch at once,
(float32 (B, C, H, W), int64 (B,)), which is what DataLoader uses.
"""
import importlib.resources
import operator
from pathlib import Path

import numpy as np

from .cifar_files import ARCHIVE, FOLDER, read_cifar10
from .download import RAW_IDX_MD5, default_root, download_dataset, file_digest
from .errors import CorruptFileError, DatasetNotFoundError
from .idx_files import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from .loader import default_collate
from .transforms import apply_to_batch, to_float_images

SAMPLE_FILE = "mnist_sample.npz"
DIGITS = tuple("0123456789")


class ImageDataset:
    """uint8 images and int64 labels in memory.

    data: uint8 (N, H, W) or (N, H, W, C); targets: integer labels (N,). `transform` acts
    on the float32 image (C, H, W), and in get_batch on the batch (B, C, H, W) when it can
    (transforms.Transform can); `target_transform` acts on the label.
    """

    classes = ()

    def __init__(self, data, targets, transform=None, target_transform=None):
        data, targets = np.asarray(data), np.asarray(targets)
        if data.dtype != np.uint8 or data.ndim not in (3, 4):
            raise ValueError(f"images must be uint8 (N, H, W) or (N, H, W, C), got {data.dtype} {data.shape}")
        if targets.shape != (len(data),) or not np.issubdtype(targets.dtype, np.integer):
            raise ValueError(f"labels must be integers of shape ({len(data)},), got {targets.dtype} {targets.shape}")
        self.data = data
        self.targets = targets.astype(np.int64, copy=False)
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        index = operator.index(index)
        image = to_float_images(self.data[index][None])[0]
        if self.transform is not None:
            image = self.transform(image)
        target = self.targets[index]
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def get_batch(self, indices, rng=None):
        """Images float32 (B, C, H, W) and labels int64 (B,) of `indices`.

        Random transforms draw from `rng`, or from their own generator when it is None.
        """
        indices = np.asarray(indices, dtype=np.intp)
        images = to_float_images(self.data[indices])
        if self.transform is not None:
            images = apply_to_batch(self.transform, images, rng)
        targets = self.targets[indices]
        if self.target_transform is not None:
            targets = np.asarray([self.target_transform(target) for target in targets])
        return images, targets

    def __repr__(self):
        shape = tuple(to_float_images(self.data[:0]).shape[1:])
        return f"{type(self).__name__}({len(self)} images {shape}, transform={self.transform!r})"


class FileDataset(ImageDataset):
    """An image dataset read from its standard files in `root`, downloaded there on request.

    Subclasses name the dataset (`name`, a key of download.MIRRORS) and say where its
    files may be (`locate`) and how to read them (`read`).
    """

    name = ""

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=False):
        root = default_root(self.name) if root is None else Path(root).expanduser()
        found = self.locate(root, train)
        if found is None and download:
            download_dataset(self.name, root)
            found = self.locate(root, train)
        if found is None:
            split = "training" if train else "test"
            places = ", ".join(str(folder) for folder in self.search_folders(root))
            raise DatasetNotFoundError(
                f"{type(self).__name__} {split} files ({self.wanted_files(train)}) not found in {places}; "
                f"pass --data-dir DIR (root=DIR) pointing at them, or download=True"
            )
        images, labels = self.read(found, train)
        super().__init__(images, labels, transform, target_transform)
        self.root, self.train = root, train

    @classmethod
    def search_folders(cls, root):
        """The folders looked in: `root` itself, then `root/<name>`."""
        return [root, root / cls.name]

    @classmethod
    def wanted_files(cls, train):
        raise NotImplementedError

    @classmethod
    def locate(cls, root, train):
        raise NotImplementedError

    def read(self, found, train):
        raise NotImplementedError


class MNIST(FileDataset):
    """The MNIST digits: 60,000 training and 10,000 test images 1 x 28 x 28, labels 0-9.

    `root` holds the four IDX files, gzipped or not, directly or in `root/mnist/` (or
    torchvision's `root/MNIST/raw/`); None means default_root("mnist"). download=True
    fetches missing files from download.MIRRORS["mnist"] into `root`, checking their MD5.

    Reading checks, each a CorruptFileError naming the file: the IDX format (magic number,
    header, size); images of the dataset's geometry (28 x 28); as many labels as images, each a
    class; and an uncompressed file of the official file's size has the official MD5
    (download.RAW_IDX_MD5; a gzipped one is checked by gzip's CRC). A file of another size (a
    subset you made) is checked for format and geometry only.
    """

    name = "mnist"
    classes = DIGITS
    FILES = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }
    IMAGE_SHAPE = (28, 28)

    @classmethod
    def search_folders(cls, root):
        return [root, root / cls.name, root / cls.__name__ / "raw"]

    @classmethod
    def wanted_files(cls, train):
        return ", ".join(f"{name}[.gz]" for name in cls.FILES[train])

    @classmethod
    def locate(cls, root, train):
        """(images path, labels path) from the first folder holding both, else None."""
        for folder in cls.search_folders(root):
            paths = [existing_file(folder / name, folder / f"{name}.gz") for name in cls.FILES[train]]
            if all(paths):
                return paths
        return None

    def read(self, found, train):
        images_path, labels_path = found
        for path in found:
            self.check_official_checksum(path)
        images = read_idx(images_path, IMAGES_MAGIC)
        labels = read_idx(labels_path, LABELS_MAGIC)
        if images.shape[1:] != self.IMAGE_SHAPE:
            raise CorruptFileError(images_path, f"images of {images.shape[1]} x {images.shape[2]} pixels, but "
                                                f"{type(self).__name__} images are {self.IMAGE_SHAPE[0]} x "
                                                f"{self.IMAGE_SHAPE[1]}")
        if len(labels) != len(images):
            raise CorruptFileError(
                labels_path, f"{len(labels)} labels for the {len(images)} images of {images_path.name}"
            )
        if labels.size and labels.max() >= len(self.classes):
            raise CorruptFileError(labels_path, f"label {labels.max()} outside 0..{len(self.classes) - 1}")
        return images, labels

    @classmethod
    def check_official_checksum(cls, path):
        """An uncompressed file named and sized as an official one must have its MD5."""
        size, md5 = RAW_IDX_MD5.get(cls.name, {}).get(path.name, (None, None))
        if size is not None and path.stat().st_size == size:
            actual = file_digest(path, "md5")
            if actual != md5:
                raise CorruptFileError(path, f"MD5 {actual}, but the official {path.name} has MD5 {md5}")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's file format and sizes, ten kinds of clothing.

    `root` as for MNIST, with `root/fashion-mnist/` (or `root/FashionMNIST/raw/`).
    """

    name = "fashion-mnist"
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


class CIFAR10(FileDataset):
    """CIFAR-10: 50,000 training and 10,000 test colour images 3 x 32 x 32, ten classes.

    `root` holds the `cifar-10-batches-py/` folder or the `cifar-10-python.tar.gz`
    archive (read without extracting it), directly or in `root/cifar10/`. `.data` is
    uint8 (N, 32, 32, 3).
    """

    name = "cifar10"
    classes = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")

    @classmethod
    def wanted_files(cls, train):
        return f"{FOLDER}/ or {ARCHIVE}"

    @classmethod
    def locate(cls, root, train):
        """The batches folder, or else the archive, from the first folder holding one."""
        for folder in cls.search_folders(root):
            if (folder / FOLDER).is_dir():
                return folder / FOLDER
            if (folder / ARCHIVE).is_file():
                return folder / ARCHIVE
        return None

    def read(self, found, train):
        return read_cifar10(found, train)


class MNISTSample(ImageDataset):
    """The MNIST sample shipped with minigrad: 6,000 training and 1,000 test images,
    600 and 100 of each digit (provenance in MNIST_SAMPLE.md)."""

    name = "mnist-sample"
    classes = DIGITS

    def __init__(self, train=True, transform=None, target_transform=None):
        resource = importlib.resources.files(__package__) / SAMPLE_FILE
        if not resource.is_file():
            raise DatasetNotFoundError(
                f"{resource} is missing: minigrad was installed without its data files; reinstall it, "
                f"or write the file with python -m minigrad.data.make_mnist_sample --src DIR"
            )
        split = "train" if train else "test"
        with resource.open("rb") as file, np.load(file) as arrays:
            images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        super().__init__(images, labels, transform, target_transform)
        self.train = train


class TensorDataset:
    """Samples are the rows of equally long arrays: item i is (arrays[0][i], arrays[1][i], ...)."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        arrays = tuple(np.asarray(array) for array in arrays)
        lengths = [len(array) if array.ndim else None for array in arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = [array.shape for array in arrays]
            raise ValueError(f"TensorDataset needs arrays of one length along axis 0, got shapes {shapes}")
        self.arrays = arrays

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(array[index] for array in self.arrays)

    def get_batch(self, indices, rng=None):
        """The rows `indices` of every array; `rng` is unused, as nothing here is random."""
        indices = np.asarray(indices, dtype=np.intp)
        return tuple(array[indices] for array in self.arrays)

    def __repr__(self):
        return f"TensorDataset({', '.join(str(array.shape) for array in self.arrays)})"


class Subset:
    """The items `indices` of `dataset`, numbered 0 .. len(indices) - 1."""

    def __init__(self, dataset, indices):
        indices = np.asarray(indices, dtype=np.intp)
        in_range = indices.size == 0 or (-len(dataset) <= indices.min() and indices.max() < len(dataset))
        if indices.ndim != 1 or not in_range:
            raise ValueError(f"Subset indices must be a list of indices into {len(dataset)} items")
        self.dataset, self.indices = dataset, indices

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices, rng=None):
        """Items `indices` as a batch: through dataset.get_batch when it has one, else collated."""
        chosen = self.indices[np.asarray(indices, dtype=np.intp)]
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(chosen, rng=rng)
        return default_collate([self.dataset[int(i)] for i in chosen])

    def __repr__(self):
        return f"Subset({self.dataset!r}, {len(self)} items)"


def existing_file(*candidates):
    """The first of `candidates` that is a file, else None."""
    return next((path for path in candidates if path.is_file()), None)
