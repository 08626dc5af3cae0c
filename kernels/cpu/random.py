"""Counter-based random numbers (Philox-4x32-10) in NumPy, bit for bit the twin of kernels.cuda.random.

Philox maps a 128-bit counter and a 64-bit key to four 32-bit words (Salmon et al., 2011); ten
rounds of  (c0, c1, c2, c3) -> (hi(M1 c2) ^ c1 ^ k0, lo(M1 c2), hi(M0 c0) ^ c3 ^ k1, lo(M0 c0))
with the key bumped by (W0, W1) between rounds. Stream layout: element i of a draw with
(seed, offset) is word i % 4 of block  philox(counter=(offset + i // 4) as 64 bits, key=seed).
A draw of n elements uses ceil(n / 4) counters, so the next draw starts at offset + ceil(n / 4).

uniform:  (word >> 8) * 2^-24, in [0, 1) with 24 random bits (exact in float32).
normal:   Box-Muller on word pairs (w0, w1) and (w2, w3) of a block, in float64, rounded to float32:
          r = sqrt(-2 log u), u = ((w0 >> 8) + 1) 2^-24 in (0, 1];  z0 = r cos(2 pi v), z1 = r sin(2 pi v).
dropout:  keep = uniform >= p.
All 32-bit words are held in uint64, so products of two words never overflow.
"""
import numpy as np

PHILOX_M0, PHILOX_M1 = np.uint64(0xD2511F53), np.uint64(0xCD9E8D57)
PHILOX_W0, PHILOX_W1 = np.uint64(0x9E3779B9), np.uint64(0xBB67AE85)
MASK32 = np.uint64(0xFFFFFFFF)
SHIFT32 = np.uint64(32)
SHIFT8 = np.uint64(8)
TWO_TO_MINUS_24 = 2.0 ** -24


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox-4x32-10 of counter words c0..c3 and key words k0, k1 (uint64 arrays holding 32 bits)."""
    for _ in range(10):
        p0, p1 = PHILOX_M0 * c0, PHILOX_M1 * c2
        c0, c1, c2, c3 = ((p1 >> SHIFT32) ^ c1 ^ k0, p1 & MASK32,
                          (p0 >> SHIFT32) ^ c3 ^ k1, p0 & MASK32)
        k0, k1 = (k0 + PHILOX_W0) & MASK32, (k1 + PHILOX_W1) & MASK32
    return c0, c1, c2, c3


def counters_needed(n):
    """Philox counters that a draw of n elements uses: ceil(n / 4)."""
    return -(-n // 4)


def random_words(n, seed, offset):
    """The first n words of the stream for (seed, offset), as a uint64 array (see module docstring)."""
    counter = np.uint64(offset) + np.arange(counters_needed(n), dtype=np.uint64)
    seed = np.uint64(seed)
    words = philox4x32(counter & MASK32, counter >> SHIFT32, np.zeros_like(counter),
                       np.zeros_like(counter), seed & MASK32, seed >> SHIFT32)
    return np.stack(words, axis=1).reshape(-1)[:n]


def _check(shape, seed, offset):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    for value, name in ((seed, "seed"), (offset, "offset")):
        if not isinstance(value, (int, np.integer)) or not 0 <= value < 2**64:
            raise ValueError(f"{name} must be an int in [0, 2**64), got {value!r}")
    return shape, int(np.prod(shape, dtype=np.int64))


def uniform(shape, seed, offset):
    """float32 array of `shape`, uniform in [0, 1)."""
    shape, n = _check(shape, seed, offset)
    words = random_words(n, seed, offset)
    return ((words >> SHIFT8) * TWO_TO_MINUS_24).astype(np.float32).reshape(shape)


def normal(shape, seed, offset):
    """float32 array of `shape`, standard normal (Box-Muller on the words of each block)."""
    shape, n = _check(shape, seed, offset)
    words = random_words(4 * counters_needed(n), seed, offset).reshape(-1, 2, 2)
    u = ((words[:, :, 0] >> SHIFT8) + np.uint64(1)) * TWO_TO_MINUS_24
    v = (words[:, :, 1] >> SHIFT8) * TWO_TO_MINUS_24
    radius, angle = np.sqrt(-2.0 * np.log(u)), 2.0 * np.pi * v
    z = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=2)
    return z.reshape(-1)[:n].astype(np.float32).reshape(shape)


def dropout_mask(shape, p, seed, offset):
    """bool array of `shape`: True (keep) with probability 1 - p, from uniform >= p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    return uniform(shape, seed, offset) >= np.float32(p)
