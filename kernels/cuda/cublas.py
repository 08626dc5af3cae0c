"""cuBLAS GEMMs on numba device arrays, through nvmath-python's bindings (``nvmath.bindings.cublas``),
on the backend's stream (kernels.cuda.streams) and the arrays' raw device pointers. Untested on a GPU so far: the argument mapping
is tested against a stand-in that does cuBLAS's column-major arithmetic on host memory.

cuBLAS is column-major. A row-major (R, C) array with row stride ld is, read column-major, its (C, R)
transpose with leading dimension ld; so C = op(A) op(B) in row-major is Cᵀ = op(B)ᵀ op(A)ᵀ in
column-major: cuBLAS gets B as its first operand and A as its second, each transposed exactly when
minigrad's flag says so, m = N, n = M, k = K, and the row strides as leading dimensions. Operands
broadcast over the batch have batch stride 0. FP32 stays FP32 (the default math mode: no TF32).
"""
import warnings

import numpy as np

OPERATION_N, OPERATION_T = 0, 1


def load():
    """A Blas on nvmath-python's cuBLAS bindings, or None when nvmath-python is not importable."""
    try:
        from nvmath.bindings import cublas
    except ImportError:
        return None
    from kernels.cuda import streams
    return Blas(cublas, stream=streams.stream)


def pointer(x):
    """The address of x's first element (device memory; host memory for the simulator's arrays)."""
    interface = getattr(x, "__cuda_array_interface__", None) or x.__array_interface__
    return interface["data"][0]


def stream_handle(stream):
    """The CUstream of a numba stream as an int (0: the legacy default stream)."""
    handle = getattr(stream, "handle", stream)
    value = getattr(handle, "value", handle)
    return int(value or 0)


class Blas:
    """One cuBLAS handle, made on first use; ``gemm`` on (batch, rows, cols) device arrays."""

    def __init__(self, library, stream=None):
        self.library = library
        self.stream = stream  # a callable giving the numba stream to run on (numba's default when None)
        self.handle = None

    def _ready_handle(self):
        """The handle on the current stream; None (with one warning) when cuBLAS cannot start, e.g.
        nvmath-python is installed but no libcublas is found: the numba kernel then does the work."""
        if self.handle is None:
            try:
                self.handle = self.library.create()
            except Exception as e:  # nvmath raises its own error types for a missing library or driver
                warnings.warn(f"cuBLAS is unavailable ({type(e).__name__}: {e}); GEMMs use the numba kernel",
                              RuntimeWarning, stacklevel=3)
                self.handle = False
        if self.handle is False:
            return None
        current = self.stream() if self.stream is not None else None
        self.library.set_stream(self.handle, 0 if current is None else stream_handle(current))
        return self.handle

    @staticmethod
    def layout(x):
        """(leading dimension, batch stride) in elements of a (batch, rows, cols) array, or None when its
        rows are not contiguous (cuBLAS needs unit stride along a row)."""
        itemsize = np.dtype(x.dtype).itemsize
        batch_stride, row_stride, column_stride = (s // itemsize for s in x.strides)
        if x.shape[2] > 1 and column_stride != 1:
            return None
        leading = max(row_stride, x.shape[2], 1) if x.shape[1] > 1 else max(x.shape[2], 1)
        return leading, (batch_stride if x.shape[0] > 1 else 0)

    def gemm(self, c, a, b, trans_a, trans_b, alpha, beta):
        """c = alpha op(a) op(b) + beta c on (batch, rows, cols) arrays; False (nothing done) when the
        layout does not suit cuBLAS, so the caller runs the numba kernel instead."""
        dtype = np.dtype(c.dtype)
        layouts = [self.layout(x) for x in (a, b, c)]
        if None in layouts or dtype not in (np.float32, np.float64):
            return False
        (lda, stride_a), (ldb, stride_b), (ldc, stride_c) = layouts
        m, n = c.shape[1], c.shape[2]
        k = a.shape[1] if trans_a else a.shape[2]
        handle = self._ready_handle()
        if handle is None:
            return False
        scalars = np.array([alpha, beta], dtype)
        routine = self.library.sgemm_strided_batched if dtype == np.float32 else self.library.dgemm_strided_batched
        routine(handle, OPERATION_T if trans_b else OPERATION_N, OPERATION_T if trans_a else OPERATION_N,
                n, m, k, scalars.ctypes.data, pointer(b), ldb, stride_b, pointer(a), lda, stride_a,
                scalars.ctypes.data + dtype.itemsize, pointer(c), ldc, stride_c, c.shape[0])
        return True
