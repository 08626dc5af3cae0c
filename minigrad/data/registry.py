"""get_dataset: a dataset by name, with the usual normalization and augmentation.

Default normalization, per channel, from each training set's pixel mean and standard
deviation on the [0, 1] scale:

    mnist, mnist-sample   mean 0.1307                    std 0.3081
    fashion-mnist         mean 0.2860                    std 0.3530
    cifar10               mean (0.4914, 0.4822, 0.4465)  std (0.2470, 0.2435, 0.2616)

Augmentation (augment=True): cifar10 RandomCrop(32, padding=4) then
RandomHorizontalFlip(); the MNIST family RandomCrop(size, padding=2), no flip (a
mirrored digit is another shape).
"""
from .datasets import CIFAR10, MNIST, FashionMNIST, MNISTSample
from .transforms import Compose, Normalize, Pad, RandomCrop, RandomHorizontalFlip

DATASETS = {
    "mnist-sample": MNISTSample,
    "mnist": MNIST,
    "fashion-mnist": FashionMNIST,
    "cifar10": CIFAR10,
}

NORMALIZATION = {
    "mnist-sample": ((0.1307,), (0.3081,)),
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}

IMAGE_SIZE = {"mnist-sample": 28, "mnist": 28, "fashion-mnist": 28, "cifar10": 32}


def get_dataset(name, root=None, train=True, download=False, augment=False, pad_to=None, normalize=True):
    """The dataset `name` (see DATASETS) with its transform built in this order:

    Pad to `pad_to` x `pad_to` (e.g. 32 for MNIST into ResNet-18), the augmentation when
    `augment`, then the default normalization when `normalize`. `root` and `download`
    are as for MNIST / CIFAR10; mnist-sample ships with minigrad and ignores them.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(DATASETS)}")
    transform = build_transform(name, augment, pad_to, normalize)
    if name == "mnist-sample":
        return MNISTSample(train=train, transform=transform)
    return DATASETS[name](root=root, train=train, transform=transform, download=download)


def build_transform(name, augment=False, pad_to=None, normalize=True):
    """The Compose of get_dataset's transform for `name`, or None when it would be empty."""
    size = IMAGE_SIZE[name]
    steps = []
    if pad_to is not None and pad_to != size:
        if pad_to < size or (pad_to - size) % 2:
            raise ValueError(f"pad_to must be {size} plus an even number for {name}, got {pad_to}")
        steps.append(Pad((pad_to - size) // 2))
        size = pad_to
    if augment and name == "cifar10":
        steps += [RandomCrop(size, padding=4), RandomHorizontalFlip()]
    elif augment:
        steps.append(RandomCrop(size, padding=2))
    if normalize:
        steps.append(Normalize(*NORMALIZATION[name]))
    return Compose(steps) if steps else None
