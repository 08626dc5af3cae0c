"""Fused optimizer updates in place on device arrays; twins of kernels.cpu.optim (PyTorch's formulas).

Thread mapping: one thread per parameter element (grid-stride loop) reads param, grad and the
optimizer state once and writes the new param and state: one pass over memory per step.
Hyperparameters arrive cast to the parameter's dtype; step-dependent scalars come from the host.
"""
import math

import numpy as np
from numba import cuda

from kernels.cpu.optim import adam_scalars
from kernels.cuda.launch import check_device_array, grid_1d


@cuda.jit(device=True)
def _lerp(start, end, weight, one):
    """start + weight (end - start), from the nearer end as torch.lerp does."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (one - weight)


@cuda.jit
def _sgd_kernel(param, grad, buf, lr, momentum, dampening_complement, weight_decay, nesterov,
                first_step):
    """g = grad + wd p; buf = g or momentum buf + (1 - dampening) g; g = g + momentum buf or buf;
    p -= lr g."""
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
        g = grad[i]
        if weight_decay != 0:
            g += weight_decay * param[i]
        if momentum != 0:
            b = g if first_step else momentum * buf[i] + dampening_complement * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        param[i] -= lr * g


@cuda.jit
def _adam_kernel(param, grad, m, v, vmax, decay_factor, weight_decay, one, beta1_complement,
                 beta2, beta2_complement, step_size, bias_correction2_sqrt, eps, amsgrad,
                 decoupled):
    """p *= 1 - lr wd (decoupled) or g += wd p; m = lerp(m, g, 1 - beta1);
    v = beta2 v + (1 - beta2) g^2; vmax = max(vmax, v); p -= step_size m / (sqrt(v) / bc2 + eps)."""
    for i in range(cuda.grid(1), param.size, cuda.gridsize(1)):
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


def _check_state(param, **state):
    check_device_array(param, "param", dtypes=(np.float32, np.float64))
    for name, array in state.items():
        if array is not None:
            check_device_array(array, name)
            if array.shape != param.shape or array.dtype != param.dtype:
                raise ValueError(f"{name} has shape {array.shape} and dtype {array.dtype}, "
                                 f"expected {param.shape} and {param.dtype} like param")
    return param.dtype.type


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One torch.optim.SGD step in place; buf may be None when momentum == 0 (see kernels.cpu.optim)."""
    cast = _check_state(param, grad=grad, buf=buf)
    if momentum != 0 and buf is None:
        raise ValueError("sgd_update: momentum != 0 needs the momentum buffer buf")
    if param.size == 0:
        return
    blocks, threads = grid_1d(param.size)
    flat = [x.reshape(x.size) for x in (param, grad, param if buf is None else buf)]
    _sgd_kernel[blocks, threads](*flat, cast(lr), cast(momentum), cast(1 - dampening),
                                 cast(weight_decay), bool(nesterov), bool(first_step))


def adam_update(param, grad, m, v, vmax, lr, beta1, beta2, eps, weight_decay, step, amsgrad,
                decoupled):
    """One torch.optim.Adam step in place (AdamW when decoupled); vmax may be None unless amsgrad."""
    cast = _check_state(param, grad=grad, m=m, v=v, vmax=vmax)
    if amsgrad and vmax is None:
        raise ValueError("adam_update: amsgrad needs the running maximum vmax")
    step_size, bias_correction2_sqrt = adam_scalars(lr, beta1, beta2, step)
    if param.size == 0:
        return
    blocks, threads = grid_1d(param.size)
    flat = [x.reshape(x.size) for x in (param, grad, m, v, v if vmax is None else vmax)]
    _adam_kernel[blocks, threads](*flat, cast(1 - lr * weight_decay), cast(weight_decay), cast(1),
                                  cast(1 - beta1), cast(beta2), cast(1 - beta2), cast(step_size),
                                  cast(bias_correction2_sqrt), cast(eps), bool(amsgrad),
                                  bool(decoupled))
