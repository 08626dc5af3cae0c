"""kernels.cuda.gemm against np.matmul: a small tile (8x8x4, 2x2 per thread, 16 threads) under
the CUDA simulator for every flag combination, the default tile once; full sizes on a GPU."""
import numpy as np
import pytest
from numba import cuda

from kernels.cuda.gemm import DEFAULT_TILE, choose_tile, gemm, matmul

pytestmark = pytest.mark.needs_cuda


SMALL_TILE = (8, 8, 4, 2, 2)
SHAPES = [  # (M, K, N, batch of A, batch of B); None = no batch dim
    (13, 7, 11, None, None), (9, 5, 10, 2, None), (3, 9, 17, None, 3), (8, 8, 8, 2, 2),
    (1, 13, 2, 1, 3),
]


def _operand(rng, batch, rows, cols, transposed, dtype):
    shape = (cols, rows) if transposed else (rows, cols)
    x = rng.standard_normal(shape if batch is None else (batch,) + shape).astype(dtype)
    return x, (np.swapaxes(x, -1, -2) if transposed else x)


def _run(rng, m, k, n, batch_a, batch_b, trans_a, trans_b, alpha, beta, tile, dtype=np.float32):
    a, op_a = _operand(rng, batch_a, m, k, trans_a, dtype)
    b, op_b = _operand(rng, batch_b, k, n, trans_b, dtype)
    want = alpha * np.matmul(op_a.astype(np.float64), op_b)
    c = rng.standard_normal(want.shape).astype(dtype)
    want = want + beta * c
    got = gemm(cuda.to_device(a), cuda.to_device(b), cuda.to_device(c), trans_a, trans_b,
               alpha, beta, tile=tile).copy_to_host()
    assert got.shape == want.shape and got.dtype == dtype
    return got, want


@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (True, False), (False, True),
                                              (True, True)], ids=["NN", "TN", "NT", "TT"])
@pytest.mark.parametrize("m, k, n, batch_a, batch_b", SHAPES, ids=str)
def test_gemm_matches_numpy(m, k, n, batch_a, batch_b, trans_a, trans_b, rng):
    got, want = _run(rng, m, k, n, batch_a, batch_b, trans_a, trans_b, 0.5, 0.0, SMALL_TILE)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (-2.0, 0.5), (0.0, 3.0)])
def test_gemm_scales_and_accumulates(alpha, beta, rng):
    got, want = _run(rng, 10, 6, 9, 2, 2, False, True, alpha, beta, SMALL_TILE, np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_default_tile_with_edges(rng):
    got, want = _run(rng, 70, 9, 65, None, None, True, False, 1.0, 0.0, DEFAULT_TILE)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("m, k, n, trans_a, trans_b", [(6, 25, 40, False, False), (40, 9, 3, True, True),
                                                    (20, 17, 33, False, True)], ids=str)
def test_shape_chosen_tiles_match_numpy(m, k, n, trans_a, trans_b, rng):
    """The tiles choose_tile gives thin layers (16 or 32 wide: LeNet's 6 and 16 channels, ResNet's 4x4 maps)."""
    got, want = _run(rng, m, k, n, 2, None, trans_a, trans_b, 1.0, 0.0, choose_tile(m, n))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("beta", [0.0, 1.0])
def test_reduce_batch_sums_the_products_over_the_batch(beta, rng):
    """conv2d's weight gradient: C = sum_z A_z @ B_z^T + beta C in one GEMM."""
    a, b = rng.standard_normal((3, 5, 7)), rng.standard_normal((3, 4, 7))
    c = rng.standard_normal((5, 4))
    got = gemm(cuda.to_device(a), cuda.to_device(b), cuda.to_device(c), trans_b=True, beta=beta,
               tile=SMALL_TILE, reduce_batch=True).copy_to_host()
    np.testing.assert_allclose(got, np.einsum("zmk,znk->mn", a, b) + beta * c, rtol=1e-12, atol=1e-12)


def test_choose_tile_covers_the_shape_with_the_smallest_side():
    assert choose_tile(6, 784) == (16, 128, 8, 2, 8)
    assert choose_tile(64, 16) == (64, 16, 8, 4, 2)
    assert choose_tile(512, 512, np.float64) == (64, 64, 8, 4, 4)  # float64 stays at 4x4 per thread


def test_beta_zero_ignores_garbage_in_c(rng):
    a, b = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    c = cuda.to_device(np.full((5, 4), np.nan, np.float32))
    gemm(cuda.to_device(a), cuda.to_device(b), c, tile=SMALL_TILE)
    np.testing.assert_allclose(c.copy_to_host(), a @ b, rtol=1e-5, atol=1e-6)


def test_matmul_allocates_the_output(rng):
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((3, 5))
    np.testing.assert_allclose(matmul(cuda.to_device(a), cuda.to_device(b)).copy_to_host(), a @ b,
                               rtol=1e-12)


def test_errors_name_the_problem():
    a = cuda.to_device(np.ones((4, 3), np.float32))
    with pytest.raises(ValueError, match=r"shapes \(4, 3\) and \(4, 3\) do not multiply"):
        gemm(a, a)
    with pytest.raises(ValueError, match="do not multiply"):
        gemm(cuda.to_device(np.ones((2, 4, 3), np.float32)), cuda.to_device(np.ones((3, 3, 2), np.float32)))
    with pytest.raises(ValueError, match="beta != 0"):
        gemm(a, a, trans_b=True, beta=1.0)
    with pytest.raises(TypeError, match="one dtype"):
        gemm(a, cuda.to_device(np.ones((3, 2), np.float64)))
    with pytest.raises(ValueError, match="tile"):
        gemm(a, a, trans_b=True, tile=(64, 64, 8, 3, 4))


@pytest.mark.cuda
@pytest.mark.parametrize("m, k, n, batch_a, batch_b", [(1024, 1024, 1024, None, None),
                                                       (1000, 777, 1031, None, None),
                                                       (64, 576, 1024, None, 64),
                                                       (512, 300, 256, 8, 8)], ids=str)
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (True, False), (False, True), (True, True)],
                         ids=["NN", "TN", "NT", "TT"])
def test_gemm_full_size_on_gpu(m, k, n, batch_a, batch_b, trans_a, trans_b, rng):
    got, want = _run(rng, m, k, n, batch_a, batch_b, trans_a, trans_b, 1.0, 0.5, DEFAULT_TILE)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


@pytest.mark.cuda
@pytest.mark.parametrize("m, k, n, batch_a, batch_b", [(1000, 777, 1031, None, None), (64, 576, 1024, None, 64)],
                         ids=str)
def test_default_path_matches_the_numba_twin_on_gpu(m, k, n, batch_a, batch_b, rng):
    """tile=None: cuBLAS where nvmath-python is installed (else the shape-chosen numba tile)."""
    got, want = _run(rng, m, k, n, batch_a, batch_b, False, True, 1.0, 0.5, None)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("bias_rows", [False, True], ids=["per-column", "per-row"])
@pytest.mark.parametrize("m, k, n, batch_a, batch_b", SHAPES[:3], ids=str)
def test_the_bias_is_added_in_the_epilogue(m, k, n, batch_a, batch_b, bias_rows, rng):
    """C = op(A) @ op(B) + beta C + bias, the bias broadcast along rows (Linear) or columns (conv2d)."""
    a, _ = _operand(rng, batch_a, m, k, False, np.float32)
    b, _ = _operand(rng, batch_b, k, n, True, np.float32)
    bias = rng.standard_normal(m if bias_rows else n).astype(np.float32)
    want = np.matmul(a.astype(np.float64), np.swapaxes(b, -1, -2))
    c = rng.standard_normal(want.shape).astype(np.float32)
    want = want + 0.5 * c + (bias[:, None] if bias_rows else bias)
    got = gemm(cuda.to_device(a), cuda.to_device(b), cuda.to_device(c), trans_b=True, beta=0.5, tile=SMALL_TILE,
               bias=cuda.to_device(bias), bias_rows=bias_rows).copy_to_host()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"bias must have shape"):
        gemm(cuda.to_device(a), cuda.to_device(b), trans_b=True, bias=cuda.to_device(bias[:-1]), bias_rows=bias_rows)
