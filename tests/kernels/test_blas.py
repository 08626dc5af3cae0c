"""kernels.cpu.blas: OpenBLAS on one thread inside the small-GEMM block only, the caller's count restored."""
import numpy as np
import pytest

from kernels.cpu import blas, conv2d_backward, conv2d_forward

pytestmark = pytest.mark.skipif(blas.num_threads() is None, reason="NumPy is not linked to a bundled OpenBLAS")


@pytest.fixture
def two_threads():
    previous = blas.num_threads()
    blas._functions[1](2)
    yield
    blas._functions[1](previous)


def test_small_gemms_run_on_one_thread_and_the_count_comes_back(two_threads):
    with blas.single_threaded(blas.SMALL_GEMM_FLOPS - 1):
        assert blas.num_threads() == 1
    assert blas.num_threads() == 2
    with blas.single_threaded(blas.SMALL_GEMM_FLOPS):
        assert blas.num_threads() == 2


def test_gemms_openblas_runs_on_one_thread_anyway_are_left_alone(two_threads, monkeypatch):
    calls = []
    monkeypatch.setattr(blas, "num_threads", lambda: calls.append(1) or 2)
    with blas.single_threaded(blas.ALREADY_ONE_THREAD_FLOPS - 1):
        pass
    assert calls == []
    with blas.single_threaded(blas.ALREADY_ONE_THREAD_FLOPS):
        pass
    assert calls == [1]


def test_the_count_comes_back_after_an_error(two_threads):
    with pytest.raises(ZeroDivisionError):
        with blas.single_threaded(blas.ALREADY_ONE_THREAD_FLOPS):
            1 / 0
    assert blas.num_threads() == 2


def test_conv_leaves_the_callers_count(two_threads, random):
    x, w = random((2, 3, 7, 7), np.float32), random((4, 3, 3, 3), np.float32)
    y = conv2d_forward(x, w, None, 2, 1, 1, 1)
    conv2d_backward(y, x, w, 2, 1, 1, 1)
    assert blas.num_threads() == 2
