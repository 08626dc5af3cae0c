"""The cuBLAS path of kernels.cuda.gemm without a GPU: its row-major -> column-major argument mapping
runs against a stand-in for nvmath's cuBLAS bindings that does cuBLAS's documented column-major
arithmetic on the simulator's host memory, and must give np.matmul; and the import-time choice."""
import ctypes
import sys
import types
import warnings

import numpy as np
import pytest
from numba import cuda

from kernels.cuda import cublas, gemm as gemm_module

pytestmark = pytest.mark.needs_cuda


class ColumnMajorBlas:
    """cublas<S,D>gemmStridedBatched semantics on host addresses: C_b = alpha op(A_b) op(B_b) + beta C_b,
    each matrix column-major with its leading dimension, operand b at pointer + b * stride."""
    OP_N, OP_T = 0, 1

    def __init__(self):
        self.calls, self.streams = [], []

    def create(self):
        return 7

    def set_stream(self, handle, stream):
        self.streams.append((handle, stream))

    @staticmethod
    def _matrix(address, rows, cols, ld, ctype):
        itemsize = ctypes.sizeof(ctype)
        buffer = np.ctypeslib.as_array((ctype * ((cols - 1) * ld + rows)).from_address(address))
        return np.lib.stride_tricks.as_strided(buffer, (rows, cols), (itemsize, ld * itemsize))

    def _gemm(self, ctype, handle, transa, transb, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c,
              ldc, stride_c, batch):
        assert handle == 7 and lda >= 1 and ldb >= 1 and ldc >= m
        self.calls.append((transa, transb, m, n, k, lda, ldb, ldc, batch))
        size = ctypes.sizeof(ctype)
        alpha, beta = ctype.from_address(alpha).value, ctype.from_address(beta).value
        for z in range(batch):
            op_a = self._matrix(a + z * stride_a * size, *((m, k) if transa == self.OP_N else (k, m)), lda, ctype)
            op_b = self._matrix(b + z * stride_b * size, *((k, n) if transb == self.OP_N else (n, k)), ldb, ctype)
            op_a = op_a if transa == self.OP_N else op_a.T
            op_b = op_b if transb == self.OP_N else op_b.T
            out = self._matrix(c + z * stride_c * size, m, n, ldc, ctype)
            out[...] = alpha * (op_a.astype(np.float64) @ op_b) + (beta * out if beta else 0)

    def sgemm_strided_batched(self, *args):
        self._gemm(ctypes.c_float, *args)

    def dgemm_strided_batched(self, *args):
        self._gemm(ctypes.c_double, *args)


@pytest.fixture
def fake_blas(monkeypatch):
    library = ColumnMajorBlas()
    monkeypatch.setattr(gemm_module, "BLAS", cublas.Blas(library))
    return library


CASES = [  # (M, K, N, batch of A, batch of B, trans_a, trans_b)
    (5, 3, 4, None, None, False, False), (5, 3, 4, None, None, True, False), (5, 3, 4, None, None, False, True),
    (2, 6, 3, 3, None, True, True), (4, 2, 5, None, 2, False, True), (3, 4, 1, 2, 2, True, False),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n, batch_a, batch_b, trans_a, trans_b", CASES, ids=str)
def test_cublas_argument_mapping_gives_matmul(m, k, n, batch_a, batch_b, trans_a, trans_b, dtype, fake_blas, rng):
    def operand(batch, rows, cols, transposed):
        x = rng.standard_normal(((batch,) if batch else ()) + ((cols, rows) if transposed else (rows, cols)))
        return x.astype(dtype), (np.swapaxes(x, -1, -2) if transposed else x)
    a, op_a = operand(batch_a, m, k, trans_a)
    b, op_b = operand(batch_b, k, n, trans_b)
    c = rng.standard_normal(np.broadcast_shapes(op_a.shape[:-2], op_b.shape[:-2]) + (m, n)).astype(dtype)
    want = 0.5 * np.matmul(op_a, op_b) + 2.0 * c
    got = gemm_module.gemm(cuda.to_device(a), cuda.to_device(b), cuda.to_device(c), trans_a, trans_b, 0.5, 2.0)
    assert len(fake_blas.calls) == 1
    np.testing.assert_allclose(got.copy_to_host(), want, rtol=1e-5, atol=1e-5)


def test_cublas_writes_a_strided_channel_slice(fake_blas, rng):
    """conv2d's y[:, c0:c1] = W @ cols: C is a 3-D view whose batch stride is not M N."""
    w = rng.standard_normal((2, 3)).astype(np.float32)
    cols = rng.standard_normal((4, 3, 5)).astype(np.float32)
    y = cuda.to_device(np.zeros((4, 6, 5), np.float32))
    gemm_module.gemm(cuda.to_device(w), cuda.to_device(cols), y[:, 1:3])
    want = np.zeros((4, 6, 5), np.float32)
    want[:, 1:3] = w @ cols
    np.testing.assert_allclose(y.copy_to_host(), want, rtol=1e-5, atol=1e-6)


def test_an_explicit_tile_runs_the_numba_twin(fake_blas, rng):
    a, b = (cuda.to_device(rng.standard_normal((3, 3)).astype(np.float32)) for _ in range(2))
    gemm_module.gemm(a, b, tile=(8, 8, 4, 2, 2))
    assert fake_blas.calls == []


def test_load_picks_nvmath_when_importable_and_none_otherwise(monkeypatch):
    monkeypatch.setitem(sys.modules, "nvmath", None)
    monkeypatch.delitem(sys.modules, "nvmath.bindings", raising=False)
    assert cublas.load() is None
    bindings = types.ModuleType("nvmath.bindings")
    bindings.cublas = ColumnMajorBlas()
    monkeypatch.setitem(sys.modules, "nvmath", types.ModuleType("nvmath"))
    monkeypatch.setitem(sys.modules, "nvmath.bindings", bindings)
    loaded = cublas.load()
    assert isinstance(loaded, cublas.Blas) and loaded.library is bindings.cublas


def test_blas_runs_on_the_stream_it_is_given():
    library = ColumnMajorBlas()
    stream = types.SimpleNamespace(handle=types.SimpleNamespace(value=1234))
    blas = cublas.Blas(library, stream=lambda: stream)
    c = cuda.to_device(np.zeros((1, 2, 2), np.float32))
    a = cuda.to_device(np.eye(2, dtype=np.float32).reshape(1, 2, 2))
    assert blas.gemm(c, a, a, False, False, 1.0, 0.0)
    assert library.streams == [(7, 1234)]
    np.testing.assert_array_equal(c.copy_to_host()[0], np.eye(2))


def test_a_cublas_that_cannot_start_warns_once_and_leaves_the_gemm_to_numba(monkeypatch, rng):
    library = ColumnMajorBlas()
    library.create = lambda: (_ for _ in ()).throw(OSError("libcublas.so.13: cannot open shared object file"))
    monkeypatch.setattr(gemm_module, "BLAS", cublas.Blas(library))
    a = rng.standard_normal((3, 4)).astype(np.float32)
    with pytest.warns(RuntimeWarning, match="cuBLAS is unavailable .*libcublas"):
        got = gemm_module.gemm(cuda.to_device(a), cuda.to_device(a), trans_b=True).copy_to_host()
    np.testing.assert_allclose(got, a @ a.T, rtol=1e-5, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would raise
        gemm_module.gemm(cuda.to_device(a), cuda.to_device(a), trans_b=True)
    assert library.calls == []
