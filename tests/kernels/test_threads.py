"""kernels.cpu._threads.run: small calls on one thread, large ones on all, the same results either way."""
import numba
import numpy as np
import pytest

from kernels.cpu import _threads
from kernels.cpu.batchnorm import batch_norm_backward, batch_norm_stats
from kernels.cpu.elementwise import relu_backward_into
from kernels.cpu.optim import sgd_update
from kernels.cpu.pool import max_pool2d_backward, max_pool2d_forward


@numba.njit
def _threads_inside():
    return numba.get_num_threads()


def test_small_calls_run_on_one_thread_and_large_ones_on_all():
    threads = numba.get_num_threads()
    assert _threads.run(_threads_inside, _threads.PARALLEL_MIN_BYTES - 1) == 1
    assert _threads.run(_threads_inside, _threads.PARALLEL_MIN_BYTES) == threads
    assert numba.get_num_threads() == threads


def test_the_thread_count_comes_back_when_the_kernel_raises():
    threads = numba.get_num_threads()

    def failing():
        raise RuntimeError("kernel failed")
    with pytest.raises(RuntimeError, match="kernel failed"):
        _threads.run(failing, 0)
    assert numba.get_num_threads() == threads


def _kernel_results(rng):
    x = rng.standard_normal((4, 6, 10, 12))
    dy = rng.standard_normal(x.shape)
    mean, var = batch_norm_stats(x)
    invstd = 1 / np.sqrt(var + 1e-5)
    y, argmax = max_pool2d_forward(x, 2, 2, 0, 1, False)
    p, buf = x.copy(), np.zeros_like(x)
    sgd_update(p, dy, buf, 0.1, 0.9, 0.0, 1e-2, True, True)
    return [mean, var, *batch_norm_backward(dy, x, mean, invstd, np.ones(6)), y, argmax,
            max_pool2d_backward(dy[..., ::2, ::2].copy(), argmax, x.shape), relu_backward_into(dy, x, np.empty_like(x)),
            p, buf]


def test_one_thread_and_all_threads_give_the_same_bits(monkeypatch):
    monkeypatch.setattr(_threads, "PARALLEL_MIN_BYTES", 0)
    parallel = [a.copy() for a in _kernel_results(np.random.default_rng(3))]
    monkeypatch.setattr(_threads, "PARALLEL_MIN_BYTES", np.inf)
    serial = _kernel_results(np.random.default_rng(3))
    for a, b in zip(parallel, serial):
        np.testing.assert_array_equal(a, b)
