"""Fused multi-tensor optimizer updates in place on device arrays; twins of kernels.cpu.optim
(PyTorch's formulas), one launch for many parameters.

The parameters (and their gradients and state) arrive as tuples of 1-D views; block (x, t) of the
2-D grid walks tensor t with a grid-stride loop along x, each thread reading param, grad and state
once and writing the new param and state: one pass over memory and one launch per step for up to
TENSORS_PER_LAUNCH parameters (the tuples travel in the kernel's parameter space, which CUDA 12.1+
allows to be 32 KiB; every 1-D array argument takes ARRAY_ARG_BYTES of it).
Hyperparameters arrive cast to the parameters' dtype; step-dependent scalars come from the host.
A different number of tensors is another specialisation, so a model compiles one or two.
"""
import math

import numpy as np
from numba import cuda

from kernels.cpu.optim import adam_scalars
from kernels.cuda.launch import MAX_THREADS, ceil_div, check_device_array, launch

PARAM_SPACE_BYTES = 32_000
ARRAY_ARG_BYTES = 56  # a 1-D numba array argument: meminfo, parent, size, itemsize, data, shape, stride
MAX_BLOCKS_PER_TENSOR = 1024


@cuda.jit(device=True)
def _lerp(start, end, weight, one):
    """start + weight (end - start), from the nearer end as torch.lerp does."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (one - weight)


@cuda.jit(cache=True)
def _sgd_kernel(params, grads, bufs, lr, momentum, dampening_complement, weight_decay, nesterov,
                first_step):
    """g = grad + wd p; buf = g or momentum buf + (1 - dampening) g; g = g + momentum buf or buf;
    p -= lr g."""
    t = cuda.blockIdx.y
    param, grad, buf = params[t], grads[t], bufs[t]
    for i in range(cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x, param.size,
                   cuda.gridDim.x * cuda.blockDim.x):
        g = grad[i]
        if weight_decay != 0:
            g += weight_decay * param[i]
        if momentum != 0:
            b = g if first_step else momentum * buf[i] + dampening_complement * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        param[i] -= lr * g


@cuda.jit(cache=True)
def _adam_kernel(params, grads, ms, vs, vmaxs, decay_factor, weight_decay, one, beta1_complement,
                 beta2, beta2_complement, step_size, bias_correction2_sqrt, eps, amsgrad, decoupled):
    """p *= 1 - lr wd (decoupled) or g += wd p; m = lerp(m, g, 1 - beta1);
    v = beta2 v + (1 - beta2) g^2; vmax = max(vmax, v); p -= step_size m / (sqrt(v) / bc2 + eps)."""
    t = cuda.blockIdx.y
    param, grad, m, v, vmax = params[t], grads[t], ms[t], vs[t], vmaxs[t]
    for i in range(cuda.blockIdx.x * cuda.blockDim.x + cuda.threadIdx.x, param.size,
                   cuda.gridDim.x * cuda.blockDim.x):
        p, g = param[i], grad[i]
        if weight_decay != 0:
            if decoupled:
                p *= decay_factor
            else:
                g += weight_decay * p
        m_i = _lerp(m[i], g, beta1_complement, one)
        v_i = v[i] * beta2 + beta2_complement * g * g
        m[i], v[i] = m_i, v_i
        if amsgrad:
            v_i = max(vmax[i], v_i)
            vmax[i] = v_i
        param[i] = p - step_size * m_i / (math.sqrt(v_i) / bias_correction2_sqrt + eps)


def _check_tensors(params, **states):
    """The scalar type of the parameters, after checking that every state list matches them."""
    if not params:
        raise ValueError("the optimizer update needs at least one parameter")
    dtype = np.dtype(params[0].dtype)
    for k, param in enumerate(params):
        check_device_array(param, f"params[{k}]", dtypes=(np.float32, np.float64))
        if np.dtype(param.dtype) != dtype:
            raise TypeError(f"params[{k}] has dtype {param.dtype}, expected {dtype} like params[0]")
    for name, arrays in states.items():
        if arrays is None:
            continue
        if len(arrays) != len(params):
            raise ValueError(f"{name} has {len(arrays)} arrays for {len(params)} parameters")
        for k, (param, array) in enumerate(zip(params, arrays)):
            check_device_array(array, f"{name}[{k}]")
            if array.shape != param.shape or array.dtype != param.dtype:
                raise ValueError(f"{name}[{k}] has shape {array.shape} and dtype {array.dtype}, "
                                 f"expected {param.shape} and {param.dtype} like params[{k}]")
    return dtype.type


def _launches(kernel, arrays_per_tensor, tensor_lists, *scalars):
    """Launch ``kernel`` over the tensors in groups that fit the parameter space (one group for most
    models); each list in tensor_lists is passed as a tuple of flat views."""
    per_launch = PARAM_SPACE_BYTES // (ARRAY_ARG_BYTES * arrays_per_tensor)
    count = len(tensor_lists[0])
    for start in range(0, count, per_launch):
        group = [[x.reshape(x.size) for x in tensors[start:start + per_launch]] for tensors in tensor_lists]
        largest = max(x.size for x in group[0])
        if largest == 0:
            continue
        blocks = min(MAX_BLOCKS_PER_TENSOR, ceil_div(largest, MAX_THREADS))
        launch(kernel, (blocks, len(group[0])), MAX_THREADS, *map(tuple, group), *scalars)


def sgd_update_many(params, grads, bufs, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One torch.optim.SGD step in place for every parameter in the list ``params`` (one launch);
    bufs may be None when momentum == 0 (see kernels.cpu.optim.sgd_update)."""
    cast = _check_tensors(params, grads=grads, bufs=bufs)
    if momentum != 0 and bufs is None:
        raise ValueError("sgd_update: momentum != 0 needs the momentum buffers bufs")
    _launches(_sgd_kernel, 3, [params, grads, params if bufs is None else bufs], cast(lr), cast(momentum),
              cast(1 - dampening), cast(weight_decay), bool(nesterov), bool(first_step))


def adam_update_many(params, grads, ms, vs, vmaxs, lr, beta1, beta2, eps, weight_decay, step, amsgrad,
                     decoupled):
    """One torch.optim.Adam step in place (AdamW when decoupled) for every parameter in ``params`` at
    the same step count (one launch); vmaxs may be None unless amsgrad."""
    cast = _check_tensors(params, grads=grads, ms=ms, vs=vs, vmaxs=vmaxs)
    if amsgrad and vmaxs is None:
        raise ValueError("adam_update: amsgrad needs the running maxima vmaxs")
    step_size, bias_correction2_sqrt = adam_scalars(lr, beta1, beta2, step)
    _launches(_adam_kernel, 5, [params, grads, ms, vs, vs if vmaxs is None else vmaxs],
              cast(1 - lr * weight_decay), cast(weight_decay), cast(1), cast(1 - beta1), cast(beta2),
              cast(1 - beta2), cast(step_size), cast(bias_correction2_sqrt), cast(eps), bool(amsgrad),
              bool(decoupled))


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One torch.optim.SGD step in place for one parameter; buf may be None when momentum == 0."""
    sgd_update_many([param], [grad], None if buf is None else [buf], lr, momentum, dampening,
                    weight_decay, nesterov, first_step)


def adam_update(param, grad, m, v, vmax, lr, beta1, beta2, eps, weight_decay, step, amsgrad, decoupled):
    """One torch.optim.Adam step in place for one parameter; vmax may be None unless amsgrad."""
    adam_update_many([param], [grad], [m], [v], None if vmax is None else [vmax], lr, beta1, beta2, eps,
                     weight_decay, step, amsgrad, decoupled)
