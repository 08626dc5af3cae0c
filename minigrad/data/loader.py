"""DataLoader: a dataset in batches, shuffled reproducibly, prepared one batch ahead."""
import math
import numbers
import queue
import threading

import numpy as np

PREFETCH_DEPTH = 2


class DataLoader:
    """Batches of `dataset` (anything with __len__ and __getitem__), as minigrad tensors.

    Each `iter(loader)` runs one epoch and yields (x, y) converted with minigrad.tensor;
    with as_numpy=True it yields the NumPy arrays, with `collate_fn` whatever
    collate_fn(list of samples) returns. A dataset with `get_batch(indices, rng)`
    (all of minigrad.data's do) is read a batch at a time, else sample by sample.

    Everything random follows from `seed`: epoch e visits the samples in the order
    default_rng([seed, e]).permutation(N) (in order when shuffle=False), and random
    transforms in batch b of epoch e draw from default_rng([seed, e, b]). So
    state_dict() (seed, epoch, batch) lets a run stopped mid-epoch resume exactly.
    Without a seed, one is drawn from the OS (and kept in state_dict, an int < 2**63).
    With prefetch=True a background thread prepares the next batches while the
    current one is used.

    With `sampler` (a DistributedSampler) the loader reads only that rank's shard:
    before each epoch it calls sampler.set_epoch(e), so the shard's order follows
    the loader's epoch counter (and its state_dict), and random transforms draw
    from default_rng([seed, e, b, rank]) so ranks do not augment alike.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 prefetch=True, collate_fn=None, as_numpy=False, sampler=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if seed is not None and (not isinstance(seed, numbers.Integral) or seed < 0):
            raise ValueError(f"seed must be an int >= 0 or None, got {seed!r}")
        if sampler is not None and shuffle:
            raise ValueError("give sampler or shuffle=True, not both (the sampler shuffles)")
        if collate_fn is not None and as_numpy:
            raise ValueError("give collate_fn or as_numpy=True, not both")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = int(np.random.default_rng().integers(2**63 - 1) if seed is None else seed)
        self.prefetch = prefetch
        self.collate_fn = collate_fn
        self.as_numpy = as_numpy
        self.sampler = sampler
        self._next_epoch = 0
        self._resume_batch = 0
        self._position = None

    def __len__(self):
        """Batches per epoch."""
        if self.drop_last:
            return self.num_samples // self.batch_size
        return math.ceil(self.num_samples / self.batch_size)

    @property
    def num_samples(self):
        """Samples per epoch: the sampler's shard, else the whole dataset."""
        return len(self.dataset) if self.sampler is None else len(self.sampler)

    def __iter__(self):
        epoch, start = self._next_epoch, self._resume_batch
        self._next_epoch, self._resume_batch = epoch + 1, 0
        self._position = [epoch, start]
        batches = (self.load_batch(epoch, b, indices) for b, indices in self.batch_indices(epoch, start))
        source = Prefetcher(batches) if self.prefetch else batches
        try:
            for batch in source:
                self._position[1] += 1
                yield batch if self.collate_fn is not None or self.as_numpy else to_tensors(batch)
        finally:
            source.close()

    def batch_indices(self, epoch, start=0):
        """(b, sample indices of batch b) for the batches b >= start of `epoch`."""
        if self.sampler is not None:
            self.sampler.set_epoch(epoch)
            order = self.sampler.indices()
        else:
            n = len(self.dataset)
            order = np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle else np.arange(n)
        for b in range(start, len(self)):
            yield b, order[b * self.batch_size:(b + 1) * self.batch_size]

    def load_batch(self, epoch, b, indices):
        """Batch b of `epoch`: arrays from dataset.get_batch when the dataset has it, else collated samples."""
        if self.collate_fn is not None:
            return self.collate_fn([self.dataset[int(i)] for i in indices])
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(indices, rng=np.random.default_rng(self._transform_seed(epoch, b)))
        return default_collate([self.dataset[int(i)] for i in indices])

    def _transform_seed(self, epoch, b):
        if self.sampler is None or self.sampler.num_replicas == 1:
            return [self.seed, epoch, b]
        return [self.seed, epoch, b, self.sampler.rank]

    def state_dict(self):
        """Where the loader stands: the next batch an iteration will yield, as plain ints."""
        if self._position is not None and self._position[1] < len(self):
            epoch, batch = self._position
        else:
            epoch, batch = self._next_epoch, self._resume_batch
        return {"seed": self.seed, "epoch": epoch, "batch": batch, "batch_size": self.batch_size,
                "num_samples": self.num_samples, "shuffle": self.shuffle, "drop_last": self.drop_last,
                "num_replicas": 1 if self.sampler is None else self.sampler.num_replicas}

    def load_state_dict(self, state):
        """Continue from `state`: the next iter(loader) starts at its epoch and batch."""
        mine = self.state_dict()
        state = {"num_replicas": 1, **state}  # (saved before samplers existed: one process)
        missing = sorted(set(mine) - set(state))
        if missing:
            raise ValueError(f"DataLoader state lacks {missing}")
        differing = [f"{key} {state[key]!r} (this loader: {mine[key]!r})"
                     for key in ("batch_size", "num_samples", "shuffle", "drop_last", "num_replicas") if state[key] != mine[key]]
        if differing:
            raise ValueError(f"DataLoader state was saved with {', '.join(differing)}")
        if not 0 <= state["batch"] <= len(self) or state["epoch"] < 0:
            raise ValueError(f"DataLoader state has epoch {state['epoch']}, batch {state['batch']} of {len(self)}")
        self.seed = int(state["seed"])
        self._next_epoch, self._resume_batch = int(state["epoch"]), int(state["batch"])
        self._position = None

    def __repr__(self):
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed})")


def default_collate(samples):
    """A list of samples (tuples of arrays or numbers) -> a tuple of stacked arrays, one per field."""
    if isinstance(samples[0], (tuple, list)):
        return tuple(np.stack([np.asarray(field) for field in fields]) for fields in zip(*samples))
    return np.stack([np.asarray(sample) for sample in samples])


def to_tensors(batch):
    """Each array of the batch as a minigrad tensor."""
    import minigrad

    if isinstance(batch, tuple):
        return tuple(minigrad.tensor(array) for array in batch)
    return minigrad.tensor(batch)


class Prefetcher:
    """Iterates over `items` in a background thread, keeping up to `depth` results ready.

    An exception raised in the thread is raised again by __next__. The thread ends
    when `items` is exhausted, or soon after close() or after the Prefetcher is dropped.
    """

    def __init__(self, items, depth=PREFETCH_DEPTH):
        self._queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self.thread = threading.Thread(target=fill_queue, args=(iter(items), self._queue, self._stop),
                                       name="minigrad-prefetch", daemon=True)
        self.thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._finished:
            raise StopIteration
        kind, value = self._queue.get()
        if kind == "item":
            return value
        self._finished = True
        self.thread.join()
        if kind == "error":
            raise value
        raise StopIteration

    def close(self):
        self._stop.set()

    __del__ = close


def fill_queue(items, out, stop):
    """Puts ("item", x) for each x of `items`, then ("end", None), or ("error", exception)."""
    try:
        for item in items:
            if not put_unless_stopped(out, ("item", item), stop):
                return
    except Exception as error:
        put_unless_stopped(out, ("error", error), stop)
        return
    put_unless_stopped(out, ("end", None), stop)


def put_unless_stopped(out, message, stop, poll_seconds=0.05):
    """out.put(message), giving up when `stop` is set; True if it was put."""
    while not stop.is_set():
        try:
            out.put(message, timeout=poll_seconds)
            return True
        except queue.Full:
            pass
    return False
