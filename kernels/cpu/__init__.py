"""CPU kernels: Numba loops on NumPy arrays (float32 and float64), GEMMs through np.matmul."""
from .conv import col2im, conv2d_backward, conv2d_forward, conv_output_size, im2col

__all__ = ["col2im", "conv2d_backward", "conv2d_forward", "conv_output_size", "im2col"]
