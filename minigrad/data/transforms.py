"""Image transforms on float32 arrays: one image (C, H, W) or a batch (N, C, H, W).

Datasets hand transforms float32 images in [0, 1]; a transform given a batch treats
every image on its own (random ones draw separate numbers for each image), so a
DataLoader can transform a whole batch in one call.

Random transforms draw from the generator passed as `rng` (the DataLoader passes one
seeded by its seed, epoch and batch), or else from their own generator, made from
`seed` when they are built. They never touch NumPy's global random state.
"""
import numpy as np


class Transform:
    """Base class: subclasses define `apply(batch, rng)` for a batch (N, C, H, W)."""

    batched = True

    def __call__(self, images, rng=None):
        images = np.asarray(images)
        if images.ndim == 3:
            return self.apply(images[None], rng)[0]
        if images.ndim == 4:
            return self.apply(images, rng)
        raise ValueError(
            f"{type(self).__name__} expects an image (C, H, W) or a batch (N, C, H, W), "
            f"got shape {images.shape}"
        )

    def apply(self, batch, rng):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class RandomTransform(Transform):
    """A transform that draws random numbers: from `rng` when given, else its own generator."""

    def __init__(self, seed=None):
        self.rng = np.random.default_rng(seed)

    def generator(self, rng):
        return self.rng if rng is None else rng


def to_float_images(images):
    """uint8 (N, H, W) or (N, H, W, C) -> float32 (N, C, H, W) = images / 255."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise TypeError(f"expected uint8 images, got {images.dtype}")
    if images.ndim == 3:
        images = images[:, None]
    elif images.ndim == 4:
        images = images.transpose(0, 3, 1, 2)
    else:
        raise ValueError(f"expected images (N, H, W) or (N, H, W, C), got shape {images.shape}")
    scaled = images.astype(np.float32, order="C")
    scaled /= 255
    return scaled


class ToTensor(Transform):
    """uint8 image (H, W) or (H, W, C), or batch (N, H, W, C) -> float32 (C, H, W) or
    (N, C, H, W) = x / 255, in [0, 1]. Dataset items are converted already: use ToTensor
    on raw uint8 arrays of your own."""

    def __call__(self, images, rng=None):
        images = np.asarray(images)
        if images.dtype != np.uint8:
            raise TypeError(
                f"ToTensor expects uint8 images (H, W), (H, W, C) or (N, H, W, C), got {images.dtype}; "
                f"dataset items are float32 (C, H, W) already, so leave ToTensor out of their transform"
            )
        if images.ndim in (2, 3):
            return to_float_images(images[None])[0]
        if images.ndim == 4:
            return to_float_images(images)
        raise ValueError(f"ToTensor expects (H, W), (H, W, C) or (N, H, W, C), got shape {images.shape}")


class Normalize(Transform):
    """out[c] = (x[c] - mean[c]) / std[c] for each channel c (one value serves all channels)."""

    def __init__(self, mean, std):
        mean = tuple(float(m) for m in np.atleast_1d(mean))
        std = tuple(float(s) for s in np.atleast_1d(std))
        if len(mean) != len(std):
            raise ValueError(f"Normalize got {len(mean)} means and {len(std)} standard deviations")
        if min(std) <= 0:
            raise ValueError(f"Normalize needs positive standard deviations, got {std}")
        self.mean, self.std = mean, std

    def apply(self, batch, rng):
        if not np.issubdtype(batch.dtype, np.floating):
            raise TypeError(f"Normalize expects float images in [0, 1], got {batch.dtype}")
        channels = batch.shape[1]
        if len(self.mean) not in (1, channels):
            raise ValueError(f"Normalize has {len(self.mean)} channels of statistics, the images have {channels}")
        mean = np.asarray(self.mean, dtype=batch.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=batch.dtype).reshape(-1, 1, 1)
        return (batch - mean) / std

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


def pad_images(batch, padding, fill):
    """Batch (N, C, H, W) -> (N, C, H + 2 padding, W + 2 padding), the border set to `fill`."""
    if padding == 0:
        return batch
    return np.pad(batch, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=fill)


def check_padding(padding):
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ValueError(f"padding must be an int >= 0, got {padding!r}")
    return int(padding)


class Pad(Transform):
    """Adds `padding` pixels of value `fill` on every side: (C, H, W) -> (C, H + 2p, W + 2p)."""

    def __init__(self, padding, fill=0.0):
        self.padding = check_padding(padding)
        self.fill = fill

    def apply(self, batch, rng):
        return pad_images(batch, self.padding, self.fill)

    def __repr__(self):
        fill = "" if self.fill == 0 else f", fill={self.fill}"
        return f"Pad(padding={self.padding}{fill})"


class RandomCrop(RandomTransform):
    """Pads by `padding`, then cuts a window of `size` (int or (h, w)) at a random place,
    drawn separately for each image."""

    def __init__(self, size, padding=0, fill=0.0, seed=None):
        super().__init__(seed)
        height, width = (size, size) if np.isscalar(size) else size
        if min(height, width) < 1:
            raise ValueError(f"RandomCrop size must be positive, got {size!r}")
        self.size = (int(height), int(width))
        self.padding = check_padding(padding)
        self.fill = fill

    def apply(self, batch, rng):
        padded = pad_images(batch, self.padding, self.fill)
        n, channels, padded_height, padded_width = padded.shape
        height, width = self.size
        if height > padded_height or width > padded_width:
            raise ValueError(
                f"RandomCrop size {self.size} is larger than the padded image {(padded_height, padded_width)}"
            )
        rng = self.generator(rng)
        tops = rng.integers(0, padded_height - height + 1, size=n)
        lefts = rng.integers(0, padded_width - width + 1, size=n)
        out = np.empty((n, channels, height, width), dtype=batch.dtype)
        for k, (top, left) in enumerate(zip(tops, lefts)):
            out[k] = padded[k, :, top:top + height, left:left + width]
        return out

    def __repr__(self):
        fill = "" if self.fill == 0 else f", fill={self.fill}"
        return f"RandomCrop(size={self.size}, padding={self.padding}{fill})"


class RandomHorizontalFlip(RandomTransform):
    """Mirrors each image left to right with probability `p`, drawn separately for each image."""

    def __init__(self, p=0.5, seed=None):
        super().__init__(seed)
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip probability must be in [0, 1], got {p}")
        self.p = p

    def apply(self, batch, rng):
        flip = self.generator(rng).random(len(batch)) < self.p
        out = batch.copy()
        out[flip] = batch[flip, :, :, ::-1]
        return out

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class Compose(Transform):
    """Applies `transforms` in order, passing `rng` to each. Plain functions are allowed
    too (called without `rng`); then the chain works on single images only."""

    def __init__(self, transforms):
        self.transforms = list(transforms)
        not_callable = [t for t in self.transforms if not callable(t)]
        if not_callable:
            raise TypeError(f"Compose needs callables, got {not_callable!r}")

    @property
    def batched(self):
        return all(getattr(t, "batched", False) for t in self.transforms)

    def __call__(self, images, rng=None):
        for transform in self.transforms:
            images = call_transform(transform, images, rng)
        return images

    def __repr__(self):
        lines = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose({lines}\n)" if lines else "Compose()"


def call_transform(transform, images, rng=None):
    """`transform(images, rng=rng)` for a Transform, `transform(images)` for a plain function."""
    return transform(images, rng=rng) if isinstance(transform, Transform) else transform(images)


def apply_to_batch(transform, batch, rng=None):
    """`transform` of a batch (N, C, H, W): in one call when it handles batches, else image by image."""
    if getattr(transform, "batched", False):
        return transform(batch, rng=rng)
    return np.stack([call_transform(transform, image, rng) for image in batch])
