"""CPU kernels: Numba loops on NumPy arrays (float32 and float64), GEMMs through np.matmul."""
from .batchnorm import batch_norm_backward, batch_norm_forward, batch_norm_stats
from .conv import col2im, conv2d_backward, conv2d_forward, conv_output_size, im2col
from .elementwise import erf
from .pool import (avg_pool2d_backward, avg_pool2d_forward, global_avg_pool2d, global_avg_pool2d_backward,
                   max_pool2d_backward, max_pool2d_forward, pool_output_size)
from .softmax import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from . import workspace

__all__ = [
    "batch_norm_backward", "batch_norm_forward", "batch_norm_stats",
    "col2im", "conv2d_backward", "conv2d_forward", "conv_output_size", "im2col",
    "erf",
    "avg_pool2d_backward", "avg_pool2d_forward", "global_avg_pool2d", "global_avg_pool2d_backward",
    "max_pool2d_backward", "max_pool2d_forward", "pool_output_size",
    "softmax_cross_entropy_backward", "softmax_cross_entropy_forward",
]
