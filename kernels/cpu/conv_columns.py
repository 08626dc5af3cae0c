"""The im2col columns of recent convolution forwards, kept for their weight gradients.

dw = dY @ cols^T needs the columns the forward has already built; building them again costs as much as
the forward's im2col (about 1 ms for LeNet-5's second layer at batch 64). So the forward stores them here
together with a copy of its input x, and the backward takes them only when its own x is bit for bit that
copy: the columns are then exactly those im2col would build now, whatever happened to x in between
(modified in place, or a recycled array now holding other data). Otherwise it builds them again.

The buffers are scratch buffers of the workspace cache (counted in its ``allocations()``), one pair per
slot; at most CACHE_BYTES (columns and input copies together) are held per thread. A forward overwrites a
slot whose columns a backward has already taken, else adds one while the cap allows, else overwrites the
oldest: a training loop reuses the same slots step after step, and an evaluation loop (no backward) fills
slots up to the cap and then cycles through them.
"""
import itertools
import threading

import numpy as np

from .workspace import scratch

CACHE_BYTES = 32 * 2**20


class _Slot:
    __slots__ = ("index", "key", "x", "cols", "taken", "stamp")

    def __init__(self, index):
        self.index, self.key, self.x, self.cols, self.taken, self.stamp = index, None, None, None, True, 0

    @property
    def nbytes(self):
        return 0 if self.key is None else self.x.nbytes + self.cols.nbytes


class _Cache(threading.local):
    def __init__(self):
        self.slots = []


_cache = _Cache()
_clock = itertools.count()


def _bits(a):
    return a.view(np.uint32 if a.itemsize == 4 else np.uint64)


def _same(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(_bits(a), _bits(b))


def _slot_for(key, size):
    """A slot to overwrite: one whose columns a backward has taken (of this key first) or an empty one; else
    a new one while the cap allows; else the oldest one of this key, or the oldest of all, forgetting
    the oldest others until the new columns fit."""
    slots = _cache.slots
    free = sorted((s for s in slots if s.taken or s.key is None), key=lambda s: s.key != key)
    if free:
        return free[0]
    if sum(s.nbytes for s in slots) + size <= CACHE_BYTES:
        slots.append(_Slot(len(slots)))
        return slots[-1]
    own = [s for s in slots if s.key == key]
    slot = min(own or slots, key=lambda s: s.stamp)
    others = sorted((s for s in slots if s is not slot), key=lambda s: s.stamp)
    while others and sum(s.nbytes for s in others) + size > CACHE_BYTES:
        gone = others.pop(0)
        gone.key = gone.x = gone.cols = None
    return slot


def store(key, x, cols_shape, fill):
    """An array of cols_shape that ``fill(cols)`` has written the columns of x (C-contiguous) into, kept for
    ``take(key, x)``; or None (and fill not called) when they would not fit in CACHE_BYTES. ``key`` must name
    everything besides x the columns depend on (geometry, dtype)."""
    size = x.nbytes + int(np.prod(cols_shape)) * x.itemsize
    if size > CACHE_BYTES:
        return None
    slot = _slot_for(key, size)
    slot.key = None  # not valid until filled
    slot.x = scratch(("conv.columns.x", slot.index), x.shape, x.dtype)
    slot.cols = scratch(("conv.columns", slot.index), cols_shape, x.dtype)
    np.copyto(slot.x, x)
    fill(slot.cols)
    slot.key, slot.taken, slot.stamp = key, False, next(_clock)
    return slot.cols


def take(key, x):
    """The columns stored under key for an input bit for bit equal to x, or None."""
    for slot in _cache.slots:
        if slot.key == key and _same(slot.x, x):
            slot.taken = True
            return slot.cols
    return None


def clear():
    """Forget every stored column (this thread)."""
    _cache.slots = []
