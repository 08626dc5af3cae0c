"""DistributedSampler: the share of a dataset that one rank of a data-parallel job reads.

Epoch e orders the N samples as default_rng([seed, e]).permutation(N) (0..N-1 without shuffling),
the same on every rank; with ``pad`` the first ones are repeated up to K·⌈N/K⌉ (with ``drop_last``
the tail is cut to K·⌊N/K⌋), and rank r takes every K-th from position r:

    shard_r = order[r], order[r + K], order[r + 2K], …

So batch b of every rank together is batch b of one process with K times the batch, in the same
epoch order. Without ``pad`` (evaluation) the ranks' shards differ by at most one sample and
nothing is seen twice; training needs ``pad`` (or ``drop_last``), since the ranks step together.

``DataLoader(dataset, batch_size, sampler=DistributedSampler(dataset))`` calls ``set_epoch`` with
its own epoch counter, so the loader's state_dict resumes a sharded epoch exactly.
"""
from __future__ import annotations

import math
import numbers

import numpy as np


class DistributedSampler:
    """Sample indices of rank ``rank`` of ``num_replicas`` (both default to ``minigrad.distributed``'s world)."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False, pad: bool = True):
        if num_replicas is None or rank is None:
            from ..distributed import world
            w = world()
            num_replicas = w.size if num_replicas is None else num_replicas
            rank = w.rank if rank is None else rank
        for name, value, low in (("num_replicas", num_replicas, 1), ("rank", rank, 0), ("seed", seed, 0)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"DistributedSampler: {name} must be an int >= {low}, got {value!r}")
        if rank >= num_replicas:
            raise ValueError(f"DistributedSampler: rank must be in [0, {num_replicas}), got {rank}")
        self.dataset_size = len(dataset)
        self.num_replicas, self.rank, self.shuffle, self.seed = int(num_replicas), int(rank), shuffle, int(seed)
        self.drop_last, self.pad = drop_last, pad
        self.epoch = 0
        if drop_last:
            self.total_size = num_replicas * (self.dataset_size // num_replicas)
        elif pad:
            self.total_size = num_replicas * math.ceil(self.dataset_size / num_replicas)
        else:
            self.total_size = self.dataset_size
        if drop_last and self.total_size == 0:
            raise ValueError(f"DistributedSampler: {self.dataset_size} samples cannot be shared by "
                             f"{num_replicas} ranks with drop_last=True")

    def set_epoch(self, epoch: int):
        """The epoch whose order ``indices()`` returns (the DataLoader sets it)."""
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """This rank's sample indices for the current epoch."""
        n = self.dataset_size
        order = np.random.default_rng([self.seed, self.epoch]).permutation(n) if self.shuffle else np.arange(n)
        if self.total_size > n:
            order = np.concatenate([order, np.resize(order, self.total_size - n)])
        return order[self.rank:self.total_size:self.num_replicas]

    def __iter__(self):
        return iter(self.indices().tolist())

    def __len__(self):
        return len(range(self.rank, self.total_size, self.num_replicas))

    def __repr__(self):
        return (f"DistributedSampler(rank {self.rank} of {self.num_replicas}, {len(self)} of {self.dataset_size} "
                f"samples, shuffle={self.shuffle}, seed={self.seed})")
