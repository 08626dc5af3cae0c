"""Philox-4x32-10: both twins against Random123's published known-answer vectors, the CUDA draws
bit for bit against the CPU twin (simulator: tiny; real GPU: full size), the CPU twin's moments."""
import numpy as np
import pytest
from numba import cuda

from kernels.cpu import random as cpu
from kernels.cuda import random as gpu

pytestmark = pytest.mark.needs_cuda


KNOWN_ANSWERS = [  # Random123 kat_vectors: counter words, key words, output words
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF,) * 2, (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]
DRAWS = [((3, 7), 0, 0), (10, 2**40 + 3, 2**33 - 1), ((2, 3, 5), 2**64 - 1, 12345), ((1,), 7, 2**64 - 1)]


@cuda.jit
def _philox_on_device(out, words):
    out[0], out[1], out[2], out[3] = gpu.philox4x32(words[0], words[1], words[2], words[3],
                                                    words[4], words[5])


@pytest.mark.parametrize("counter, key, expected", KNOWN_ANSWERS)
def test_philox_known_answers(counter, key, expected):
    words = np.array(counter + key, dtype=np.uint64)
    assert tuple(int(w) for w in cpu.philox4x32(*words)) == expected
    out = cuda.device_array(4, np.uint64)
    _philox_on_device[1, 1](out, cuda.to_device(words))
    assert tuple(int(w) for w in out.copy_to_host()) == expected


@pytest.mark.parametrize("shape, seed, offset", DRAWS, ids=str)
def test_gpu_draws_match_the_cpu_twin_bit_for_bit(shape, seed, offset):
    np.testing.assert_array_equal(gpu.uniform(shape, seed, offset).copy_to_host(),
                                  cpu.uniform(shape, seed, offset))
    np.testing.assert_array_equal(gpu.normal(shape, seed, offset).copy_to_host(),
                                  cpu.normal(shape, seed, offset))
    np.testing.assert_array_equal(gpu.dropout_mask(shape, 0.3, seed, offset).copy_to_host(),
                                  cpu.dropout_mask(shape, 0.3, seed, offset))


def test_a_draw_depends_only_on_seed_offset_and_index():
    whole = cpu.uniform(40, seed=9, offset=5)
    np.testing.assert_array_equal(whole[8:], cpu.uniform(32, seed=9, offset=7))
    assert not np.array_equal(whole, cpu.uniform(40, seed=10, offset=5))
    assert cpu.counters_needed(40) == 10 and cpu.counters_needed(41) == 11


def test_cpu_twin_moments():
    u, z = cpu.uniform(1 << 20, 1, 0), cpu.normal(1 << 20, 2, 0)
    assert u.dtype == z.dtype == np.float32 and 0 <= u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 2e-3 and abs(u.var() - 1 / 12) < 1e-3
    assert abs(z.mean()) < 5e-3 and abs(z.std() - 1) < 5e-3
    assert abs((np.abs(z) < 1).mean() - 0.6827) < 3e-3
    assert abs(cpu.dropout_mask(1 << 20, 0.25, 3, 0).mean() - 0.75) < 3e-3


def test_bad_arguments_are_rejected():
    for module in (cpu, gpu):
        with pytest.raises(ValueError, match="dropout probability"):
            module.dropout_mask(4, 1.5, 0, 0)
        with pytest.raises(ValueError, match="seed"):
            module.uniform(4, -1, 0)
        with pytest.raises(ValueError, match="offset"):
            module.normal(4, 0, 2**64)


@pytest.mark.cuda
@pytest.mark.parametrize("n", [1 << 24, 10_000_003])
def test_full_size_draws_match_on_gpu(n):
    np.testing.assert_array_equal(gpu.uniform(n, 42, 7).copy_to_host(), cpu.uniform(n, 42, 7))
    np.testing.assert_array_equal(gpu.dropout_mask(n, 0.5, 42, 7).copy_to_host(),
                                  cpu.dropout_mask(n, 0.5, 42, 7))
    np.testing.assert_allclose(gpu.normal(n, 42, 7).copy_to_host(), cpu.normal(n, 42, 7),
                               rtol=1e-6, atol=1e-6)
