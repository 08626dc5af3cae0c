"""Transforms against hand-computed values, on single images and on batches."""
import numpy as np
import pytest

from minigrad.data import transforms as T


@pytest.fixture
def batch():
    """Float32 batch (6, 2, 5, 7) with every pixel distinct."""
    return (np.arange(6 * 2 * 5 * 7, dtype=np.float32) / 420).reshape(6, 2, 5, 7)


@pytest.mark.parametrize("shape, expected_shape", [
    ((4, 3), (1, 4, 3)),
    ((4, 3, 2), (2, 4, 3)),
    ((5, 4, 3, 2), (5, 2, 4, 3)),
])
def test_to_tensor_moves_channels_first_and_scales(shape, expected_shape):
    images = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    out = T.ToTensor()(images)
    assert out.shape == expected_shape and out.dtype == np.float32
    channels_last = out if len(shape) == 2 else np.moveaxis(out, -3, -1)
    np.testing.assert_allclose(channels_last.reshape(shape), images / 255.0, rtol=1e-6)
    assert out.max() <= 1.0


def test_to_tensor_rejects_float_images():
    with pytest.raises(TypeError, match="leave ToTensor out"):
        T.ToTensor()(np.zeros((1, 28, 28), np.float32))


def test_normalize_matches_the_formula(batch):
    normalize = T.Normalize(mean=(0.5, 0.25), std=(2.0, 0.5))
    out = normalize(batch)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, 0], (batch[:, 0] - 0.5) / 2.0, rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], (batch[:, 1] - 0.25) / 0.5, rtol=1e-6)
    np.testing.assert_array_equal(normalize(batch[3]), out[3])
    np.testing.assert_allclose(T.Normalize(0.5, 0.25)(np.full((3, 1, 1), 1.0, np.float32)), 2.0)


@pytest.mark.parametrize("make, images, message", [
    (lambda: T.Normalize((0.5, 0.5), (1.0,)), None, "2 means and 1 standard"),
    (lambda: T.Normalize(0.5, 0.0), None, "positive"),
    (lambda: T.Normalize((0.1, 0.2, 0.3), (1, 1, 1)), np.zeros((2, 4, 4), np.float32), "3 channels"),
    (lambda: T.RandomCrop(9), np.zeros((1, 8, 8), np.float32), "larger than the padded image"),
    (lambda: T.Pad(-1), None, "padding must be an int"),
    (lambda: T.RandomHorizontalFlip(1.5), None, r"\[0, 1\]"),
    (lambda: T.Pad(1), np.zeros((8, 8), np.float32), r"got shape \(8, 8\)"),
])
def test_bad_arguments_are_named(make, images, message):
    with pytest.raises(ValueError, match=message):
        make()(images)


def test_normalize_rejects_uint8():
    with pytest.raises(TypeError, match="float images"):
        T.Normalize(0.5, 0.5)(np.zeros((1, 4, 4), np.uint8))


def test_pad_adds_a_zero_border(batch):
    out = T.Pad(2)(batch)
    assert out.shape == (6, 2, 9, 11)
    np.testing.assert_array_equal(out[:, :, 2:-2, 2:-2], batch)
    assert out.sum() == pytest.approx(batch.sum(), rel=1e-6)


def windows(image, padding, size):
    """{(top, left): window} of the zero-padded `image` (C, H, W), the oracle for RandomCrop."""
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    height, width = size
    return {(top, left): padded[:, top:top + height, left:left + width]
            for top in range(padded.shape[1] - height + 1) for left in range(padded.shape[2] - width + 1)}


def test_random_crop_with_padding_shifts_the_content(batch):
    crop = T.RandomCrop((5, 7), padding=2)
    out = crop(batch, rng=np.random.default_rng(0))
    assert out.shape == batch.shape
    offsets = []
    for image, cropped in zip(batch, out):
        matches = [offset for offset, window in windows(image, 2, (5, 7)).items() if np.array_equal(window, cropped)]
        assert len(matches) == 1
        offsets.append(matches[0])
    assert len(set(offsets)) > 1


def test_random_crop_without_padding_of_full_size_is_identity(batch):
    np.testing.assert_array_equal(T.RandomCrop((5, 7))(batch), batch)


def test_flip_twice_is_identity(batch):
    flip = T.RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(flip(batch), batch[..., ::-1])
    np.testing.assert_array_equal(flip(flip(batch)), batch)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(p=0.0)(batch), batch)


def test_flip_draws_per_image():
    images = np.random.default_rng(1).random((64, 1, 3, 4)).astype(np.float32)
    out = T.RandomHorizontalFlip()(images, rng=np.random.default_rng(2))
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, images)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, images)])
    assert (flipped ^ kept).all()
    assert 10 < flipped.sum() < 54


@pytest.mark.parametrize("make", [lambda seed: T.RandomCrop(5, padding=3, seed=seed),
                                  lambda seed: T.RandomHorizontalFlip(seed=seed)])
def test_random_transforms_are_reproducible(batch, make):
    np.testing.assert_array_equal(make(4)(batch), make(4)(batch))
    np.testing.assert_array_equal(make(None)(batch, rng=np.random.default_rng(9)),
                                  make(None)(batch, rng=np.random.default_rng(9)))
    state = np.random.get_state()
    make(None)(batch)
    assert np.random.get_state()[1].tolist() == state[1].tolist()


def test_compose_applies_in_order_and_passes_rng(batch):
    pipeline = T.Compose([T.Pad(1), T.RandomCrop((5, 7), padding=1), T.Normalize(0.5, 0.5)])
    assert pipeline.batched
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    out = pipeline(batch, rng=rng_a)
    expected = T.Normalize(0.5, 0.5)(T.RandomCrop((5, 7), padding=1)(T.Pad(1)(batch), rng=rng_b))
    np.testing.assert_array_equal(out, expected)


def test_compose_with_a_plain_function_is_not_batched(batch):
    pipeline = T.Compose([T.Pad(1), lambda image: image * 2])
    assert not pipeline.batched
    np.testing.assert_array_equal(T.apply_to_batch(pipeline, batch), 2 * T.Pad(1)(batch))


@pytest.mark.parametrize("transform, text", [
    (T.ToTensor(), "ToTensor()"),
    (T.Normalize((0.1307,), (0.3081,)), "Normalize(mean=(0.1307,), std=(0.3081,))"),
    (T.Pad(2), "Pad(padding=2)"),
    (T.RandomCrop(32, padding=4), "RandomCrop(size=(32, 32), padding=4)"),
    (T.RandomHorizontalFlip(), "RandomHorizontalFlip(p=0.5)"),
    (T.Compose([T.Pad(2), T.RandomHorizontalFlip(0.25)]),
     "Compose(\n    Pad(padding=2),\n    RandomHorizontalFlip(p=0.25),\n)"),
])
def test_reprs_are_readable(transform, text):
    assert repr(transform) == text
