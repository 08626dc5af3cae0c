"""DataLoader: coverage of every sample, seeded order, resuming, the prefetch thread."""
import threading
import time

import numpy as np
import pytest

import minigrad
from minigrad import data


def loader_of(n, **options):
    """A loader over TensorDataset(0..n-1, 10 * (0..n-1)) yielding NumPy arrays."""
    return data.DataLoader(data.TensorDataset(np.arange(n), 10 * np.arange(n)), as_numpy=True, **options)


def epoch_of(loader):
    return [x.tolist() for x, _ in loader]


class ListDataset:
    """A dataset with nothing but __len__ and __getitem__; item i is (float array [i, -i], i)."""

    def __init__(self, n, fail_at=None):
        self.n, self.fail_at = n, fail_at

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        if index == self.fail_at:
            raise KeyError(f"sample {index} is broken")
        return np.array([index, -index], dtype=np.float32), index


def prefetch_threads():
    return [thread for thread in threading.enumerate() if thread.name == "minigrad-prefetch"]


def wait_for_no_prefetch_threads(seconds=2.0):
    deadline = time.monotonic() + seconds
    while prefetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    return prefetch_threads()


@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (23, 10, False, [10, 10, 3]), (23, 10, True, [10, 10]), (20, 10, True, [10, 10]),
    (5, 8, False, [5]), (5, 8, True, []),
])
def test_length_and_batch_sizes(n, batch_size, drop_last, sizes):
    loader = loader_of(n, batch_size=batch_size, drop_last=drop_last, shuffle=True, seed=0)
    assert [len(x) for x, _ in loader] == sizes
    assert len(loader) == len(sizes)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("prefetch", [False, True])
def test_every_sample_once_per_epoch(shuffle, prefetch):
    loader = loader_of(103, batch_size=10, shuffle=shuffle, seed=1, prefetch=prefetch)
    for _ in range(2):
        seen, labels = [], []
        for x, y in loader:
            seen += x.tolist()
            labels += y.tolist()
        assert sorted(seen) == list(range(103))
        assert labels == [10 * i for i in seen]
        assert (seen == sorted(seen)) != shuffle


def test_drop_last_drops_only_the_short_batch():
    batches = epoch_of(loader_of(103, batch_size=10, shuffle=True, seed=2, drop_last=True))
    assert len({i for batch in batches for i in batch}) == 100


def test_seed_fixes_the_order_and_epochs_differ():
    first, second = loader_of(50, batch_size=7, shuffle=True, seed=3), loader_of(50, batch_size=7, shuffle=True, seed=3)
    epochs_first = [epoch_of(first) for _ in range(3)]
    assert epochs_first == [epoch_of(second) for _ in range(3)]
    assert epochs_first[0] != epochs_first[1]
    assert epochs_first[0] != epoch_of(loader_of(50, batch_size=7, shuffle=True, seed=4))
    expected = np.random.default_rng([3, 1]).permutation(50)
    assert sum(epochs_first[1], []) == expected.tolist()


def test_prefetch_does_not_change_the_batches():
    with_thread = loader_of(40, batch_size=6, shuffle=True, seed=5)
    without = loader_of(40, batch_size=6, shuffle=True, seed=5, prefetch=False)
    assert [epoch_of(with_thread) for _ in range(2)] == [epoch_of(without) for _ in range(2)]


@pytest.fixture
def augmented_images():
    """An image dataset whose transform is random, so resuming must replay augmentation too."""
    images = np.random.default_rng(0).integers(0, 256, size=(30, 6, 6), dtype=np.uint8)
    transform = data.Compose([data.RandomCrop(6, padding=2), data.RandomHorizontalFlip()])
    return data.ImageDataset(images, np.arange(30) % 10, transform=transform)


@pytest.mark.parametrize("prefetch", [False, True])
def test_state_dict_resumes_mid_epoch_exactly(augmented_images, prefetch):
    loader = data.DataLoader(augmented_images, batch_size=4, shuffle=True, seed=11, as_numpy=True, prefetch=prefetch)
    list(loader)
    iterator = iter(loader)
    for _ in range(3):
        next(iterator)
    state = loader.state_dict()
    assert (state["epoch"], state["batch"]) == (1, 3)
    rest_of_epoch = list(iterator)
    next_epoch = list(loader)

    resumed = data.DataLoader(augmented_images, batch_size=4, shuffle=True, as_numpy=True, prefetch=prefetch)
    resumed.load_state_dict(state)
    assert resumed.state_dict() == state
    for expected_epoch in (rest_of_epoch, next_epoch):
        batches = list(resumed)
        assert len(batches) == len(expected_epoch)
        for (x, y), (x_expected, y_expected) in zip(batches, expected_epoch):
            np.testing.assert_array_equal(x, x_expected)
            np.testing.assert_array_equal(y, y_expected)


def test_state_after_a_finished_epoch_points_at_the_next():
    loader = loader_of(10, batch_size=3, seed=0)
    assert loader.state_dict()["epoch"] == 0
    list(loader)
    assert (loader.state_dict()["epoch"], loader.state_dict()["batch"]) == (1, 0)


def test_load_state_dict_checks_the_loader_matches():
    state = loader_of(10, batch_size=3, seed=0).state_dict()
    with pytest.raises(ValueError, match="batch_size 3 .this loader: 4."):
        loader_of(10, batch_size=4).load_state_dict(state)
    with pytest.raises(ValueError, match="lacks"):
        loader_of(10, batch_size=3).load_state_dict({"seed": 0})


@pytest.mark.parametrize("prefetch", [False, True])
def test_dataset_without_get_batch_is_collated(prefetch):
    loader = data.DataLoader(ListDataset(7), batch_size=3, as_numpy=True, prefetch=prefetch)
    x, y = next(iter(loader))
    np.testing.assert_array_equal(x, [[0, 0], [1, -1], [2, -2]])
    np.testing.assert_array_equal(y, [0, 1, 2])


def test_collate_fn_receives_the_samples():
    loader = data.DataLoader(ListDataset(5), batch_size=2, collate_fn=lambda samples: [label for _, label in samples])
    assert list(loader) == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("prefetch", [False, True])
def test_errors_in_loading_reach_the_caller(prefetch):
    loader = data.DataLoader(ListDataset(20, fail_at=13), batch_size=4, as_numpy=True, prefetch=prefetch)
    received = []
    with pytest.raises(KeyError, match="sample 13 is broken"):
        for x, _ in loader:
            received.append(len(x))
    assert received == [4, 4, 4]
    assert not wait_for_no_prefetch_threads()


def test_prefetch_thread_ends_when_the_iterator_is_dropped():
    loader = loader_of(1000, batch_size=1, seed=0)
    iterator = iter(loader)
    next(iterator)
    assert len(prefetch_threads()) == 1
    del iterator
    assert not wait_for_no_prefetch_threads()


def test_prefetch_thread_ends_after_a_break():
    for _ in loader_of(1000, batch_size=1):
        break
    assert not wait_for_no_prefetch_threads()


@pytest.mark.parametrize("options, message", [
    (dict(batch_size=0), "batch_size"), (dict(seed=-1), "seed"), (dict(collate_fn=list, as_numpy=True), "not both"),
])
def test_bad_options_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        data.DataLoader(data.TensorDataset(np.arange(3)), **options)


def test_default_batches_are_minigrad_tensors():
    if not hasattr(minigrad, "tensor"):
        pytest.skip("minigrad.tensor is not written yet")
    x, y = next(iter(data.DataLoader(data.MNISTSample(train=False), batch_size=5)))
    assert isinstance(x, minigrad.Tensor) and isinstance(y, minigrad.Tensor)
    images, labels = data.MNISTSample(train=False).get_batch(np.arange(5))
    np.testing.assert_array_equal(x.numpy(), images)
    np.testing.assert_array_equal(y.numpy(), labels)


def test_subset_of_an_augmented_dataset_resumes_like_the_dataset(augmented_images):
    subset = data.Subset(augmented_images, np.arange(20))
    first = list(data.DataLoader(subset, batch_size=4, shuffle=True, seed=2, as_numpy=True))
    second = list(data.DataLoader(subset, batch_size=4, shuffle=True, seed=2, as_numpy=True))
    assert sorted(np.concatenate([y for _, y in first]).tolist()) == sorted((np.arange(20) % 10).tolist())
    for (x, _), (x_again, _) in zip(first, second):
        np.testing.assert_array_equal(x, x_again)


def test_subset_of_a_plain_dataset_is_collated():
    loader = data.DataLoader(data.Subset(ListDataset(10), [9, 4]), batch_size=2, as_numpy=True)
    np.testing.assert_array_equal(next(iter(loader))[1], [9, 4])
