"""numba.cuda kernels: each takes and returns numba device arrays and has a CPU twin it is tested
against (NumPy, or the same module name in kernels.cpu). Importing needs no GPU; launching needs
one, or Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1 before numba is imported).

The elementwise factory and the full GEMM stay under their modules' names
(kernels.cuda.elementwise.elementwise, kernels.cuda.gemm.gemm) so those names keep meaning the
modules."""
from kernels.cuda.batchnorm import (batch_norm_backward, batch_norm_forward, batch_norm_stats,
                                    batch_norm_training)
from kernels.cuda.conv import col2im, conv2d_backward, conv2d_forward, conv_output_size, im2col
from kernels.cuda.elementwise import (absolute, add, astype, copy, cos, divide, equal, erf,
                                      exp, greater, greater_equal, less, less_equal, log,
                                      log1p, maximum, minimum, multiply, negative, not_equal,
                                      power, relu, relu_backward, sigmoid, sign, sin, sqrt,
                                      subtract, tanh, tanh_backward, where)
from kernels.cuda.gemm import matmul
from kernels.cuda.launch import grid_1d, zeros
from kernels.cuda.optim import adam_update, adam_update_many, sgd_update, sgd_update_many
from kernels.cuda.pool import (avg_pool2d_backward, avg_pool2d_forward, global_avg_pool2d,
                               global_avg_pool2d_backward, max_pool2d_backward,
                               max_pool2d_forward, pool_output_size)
from kernels.cuda.random import dropout_mask, normal, uniform
from kernels.cuda.reduce import argmax, reduce_max, reduce_min, reduce_sum
from kernels.cuda.softmax import softmax_cross_entropy_backward, softmax_cross_entropy_forward

__all__ = [
    "absolute", "adam_update", "adam_update_many", "add", "argmax", "astype", "avg_pool2d_backward",
    "avg_pool2d_forward", "batch_norm_backward", "batch_norm_forward", "batch_norm_stats",
    "batch_norm_training",
    "col2im", "conv2d_backward", "conv2d_forward", "conv_output_size", "copy", "cos", "divide",
    "dropout_mask", "equal", "erf", "exp", "global_avg_pool2d",
    "global_avg_pool2d_backward", "greater", "greater_equal", "grid_1d", "im2col", "less",
    "less_equal", "log", "log1p", "matmul", "max_pool2d_backward", "max_pool2d_forward",
    "maximum", "minimum", "multiply", "negative", "normal", "not_equal", "pool_output_size",
    "power", "reduce_max", "reduce_min", "reduce_sum", "relu", "relu_backward", "sgd_update",
    "sgd_update_many", "sigmoid", "sign",
    "sin", "softmax_cross_entropy_backward", "softmax_cross_entropy_forward", "sqrt", "subtract",
    "tanh", "tanh_backward", "uniform", "where", "zeros",
]
