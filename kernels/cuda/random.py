"""Counter-based random numbers on the GPU (Philox-4x32-10); the twin of kernels.cpu.random.

Element i of a draw with (seed, offset) is word i % 4 of  philox(counter=offset + i // 4,
key=seed), so the numbers depend only on (seed, offset, i), never on the launch configuration,
and match kernels.cpu.random bit for bit (normal: to the last float32 bit whenever the GPU's
float64 log/cos/sin round as NumPy's do). A draw of n elements uses ceil(n / 4) counters.

Thread mapping: one thread per Philox block (4 consecutive elements), grid-stride loop.
"""
import math

import numpy as np
from numba import cuda

from kernels.cpu.random import (MASK32, PHILOX_M0, PHILOX_M1, PHILOX_W0, PHILOX_W1, SHIFT8,
                                SHIFT32, TWO_TO_MINUS_24, counters_needed)
from kernels.cuda.launch import empty, grid_1d, launch
from kernels.cuda.recipes import kernel_factory

ZERO, ONE = np.uint64(0), np.uint64(1)
TWO_PI = 2.0 * math.pi


@cuda.jit(device=True)
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox-4x32-10 of counter words c0..c3 and key words k0, k1 (uint64 holding 32 bits)."""
    for _ in range(10):
        p0, p1 = PHILOX_M0 * c0, PHILOX_M1 * c2
        c0, c1, c2, c3 = ((p1 >> SHIFT32) ^ c1 ^ k0, p1 & MASK32,
                          (p0 >> SHIFT32) ^ c3 ^ k1, p0 & MASK32)
        k0, k1 = (k0 + PHILOX_W0) & MASK32, (k1 + PHILOX_W1) & MASK32
    return c0, c1, c2, c3


@cuda.jit(device=True)
def _uniform_words(w0, w1, w2, w3, unused):
    """(word >> 8) * 2^-24 for each word: uniform in [0, 1)."""
    return ((w0 >> SHIFT8) * TWO_TO_MINUS_24, (w1 >> SHIFT8) * TWO_TO_MINUS_24,
            (w2 >> SHIFT8) * TWO_TO_MINUS_24, (w3 >> SHIFT8) * TWO_TO_MINUS_24)


@cuda.jit(device=True)
def _box_muller(w_radius, w_angle):
    """(r cos a, r sin a) with r = sqrt(-2 log u), u in (0, 1], a = 2 pi v, v in [0, 1)."""
    radius = math.sqrt(-2.0 * math.log(((w_radius >> SHIFT8) + ONE) * TWO_TO_MINUS_24))
    angle = TWO_PI * ((w_angle >> SHIFT8) * TWO_TO_MINUS_24)
    return radius * math.cos(angle), radius * math.sin(angle)


@cuda.jit(device=True)
def _normal_words(w0, w1, w2, w3, unused):
    z0, z1 = _box_muller(w0, w1)
    z2, z3 = _box_muller(w2, w3)
    return z0, z1, z2, z3


@cuda.jit(device=True)
def _keep_words(w0, w1, w2, w3, p):
    """Dropout keep flags: uniform >= p, compared in float32 like the CPU twin."""
    u0, u1, u2, u3 = _uniform_words(w0, w1, w2, w3, p)
    return (np.float32(u0) >= p, np.float32(u1) >= p, np.float32(u2) >= p,
            np.float32(u3) >= p)


@kernel_factory
def _stream_kernel(transform):
    """Kernel filling out (flat) with transform(philox block words, parameter), 4 per block."""
    @cuda.jit
    def kernel(out, seed, offset, parameter):
        for block in range(cuda.grid(1), (out.size + 3) // 4, cuda.gridsize(1)):
            counter = offset + np.uint64(block)
            w0, w1, w2, w3 = philox4x32(counter & MASK32, counter >> SHIFT32, ZERO, ZERO,
                                        seed & MASK32, seed >> SHIFT32)
            values = transform(w0, w1, w2, w3, parameter)
            for lane in range(4):
                if 4 * block + lane < out.size:
                    out[4 * block + lane] = values[lane]
    return kernel


_uniform_kernel = _stream_kernel(_uniform_words)
_normal_kernel = _stream_kernel(_normal_words)
_keep_kernel = _stream_kernel(_keep_words)


def _draw(kernel, shape, dtype, seed, offset, parameter):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    for value, name in ((seed, "seed"), (offset, "offset")):
        if not isinstance(value, (int, np.integer)) or not 0 <= value < 2**64:
            raise ValueError(f"{name} must be an int in [0, 2**64), got {value!r}")
    out = empty(shape, dtype)
    if out.size:
        blocks, threads = grid_1d(counters_needed(out.size))
        launch(kernel, blocks, threads, out.reshape(out.size), np.uint64(seed), np.uint64(offset),
               np.float32(parameter))
    return out


def uniform(shape, seed, offset):
    """float32 device array of `shape`, uniform in [0, 1)."""
    return _draw(_uniform_kernel, shape, np.float32, seed, offset, 0.0)


def normal(shape, seed, offset):
    """float32 device array of `shape`, standard normal (Box-Muller)."""
    return _draw(_normal_kernel, shape, np.float32, seed, offset, 0.0)


def dropout_mask(shape, p, seed, offset):
    """bool device array of `shape`: True (keep) with probability 1 - p."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    return _draw(_keep_kernel, shape, np.bool_, seed, offset, p)
