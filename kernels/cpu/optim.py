"""Optimizer updates in place on NumPy arrays, following torch.optim.SGD and torch.optim.Adam(W).

These are the CPU twins of the fused kernels in kernels.cuda.optim; both compute the same
formulas in the parameter's dtype, with the step-dependent scalars computed once in float64.
SGD runs as one parallel Numba pass over the parameter (reading param, grad and buf once, writing param
and buf once), each operation rounded in the parameter's dtype as NumPy's in-place ufuncs round them.
"""
import math

import numpy as np
from numba import njit, prange

from ._threads import run


def check_state(param, **state):
    """Raise unless param is a float array and every state array matches its shape and dtype."""
    if param.dtype not in (np.float32, np.float64):
        raise TypeError(f"param must be float32 or float64, got {param.dtype}")
    for name, array in state.items():
        if array is not None and (array.shape != param.shape or array.dtype != param.dtype):
            raise ValueError(f"{name} has shape {array.shape} and dtype {array.dtype}, expected "
                             f"{param.shape} and {param.dtype} like param")


def lerp(start, end, weight):
    """start + weight (end - start), evaluated from the nearer end as torch.lerp does."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def adam_scalars(lr, beta1, beta2, step):
    """(step_size, sqrt(bias_correction2)) = (lr / (1 - beta1^t), sqrt(1 - beta2^t))."""
    if step < 1:
        raise ValueError(f"Adam step counts from 1, got {step}")
    return lr / (1 - beta1 ** step), math.sqrt(1 - beta2 ** step)


@njit(parallel=True, cache=True)
def _sgd_kernel(param, grad, buf, lr, momentum, kept, weight_decay, nesterov, first_step, use_momentum,
                use_weight_decay):
    """The formula of sgd_update on flat arrays, kept = 1 - dampening; buf is not touched without momentum."""
    for i in prange(param.shape[0]):
        g = grad[i]
        if use_weight_decay:
            g = g + weight_decay * param[i]
        if use_momentum:
            b = g if first_step else buf[i] * momentum + kept * g
            buf[i] = b
            g = g + momentum * b if nesterov else b
        param[i] = param[i] - lr * g


def sgd_update(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first_step):
    """One SGD step in place (buf may be None when momentum == 0):

    g = grad + weight_decay param;  buf = g (first step) or momentum buf + (1 - dampening) g;
    g = g + momentum buf (nesterov) or buf;  param -= lr g.
    """
    check_state(param, grad=grad, buf=buf)
    if momentum != 0 and buf is None:
        raise ValueError("sgd_update: momentum != 0 needs the momentum buffer buf")
    scalar = param.dtype.type
    flat_param = np.ascontiguousarray(param).reshape(-1)
    flat_buf = None if momentum == 0 else np.ascontiguousarray(buf).reshape(-1)
    run(_sgd_kernel, flat_param.nbytes, flat_param, np.ascontiguousarray(grad).reshape(-1),
        flat_param if flat_buf is None else flat_buf, scalar(lr), scalar(momentum), scalar(1 - dampening),
        scalar(weight_decay), bool(nesterov), bool(first_step), momentum != 0, weight_decay != 0)
    for array, flat in ((param, flat_param), (buf, flat_buf)):
        if flat is not None and not array.flags.c_contiguous:  # flat was a copy: write it back
            array[...] = flat.reshape(array.shape)


def adam_update(param, grad, m, v, vmax, lr, beta1, beta2, eps, weight_decay, step, amsgrad,
                decoupled):
    """One Adam step in place (AdamW when decoupled; vmax may be None unless amsgrad), t = step:

    decoupled: param *= 1 - lr weight_decay, else g = grad + weight_decay param;
    m = lerp(m, g, 1 - beta1);  v = beta2 v + (1 - beta2) g^2;  vmax = max(vmax, v) (amsgrad);
    param -= lr / (1 - beta1^t) m / (sqrt(v or vmax) / sqrt(1 - beta2^t) + eps).
    """
    check_state(param, grad=grad, m=m, v=v, vmax=vmax)
    if amsgrad and vmax is None:
        raise ValueError("adam_update: amsgrad needs the running maximum vmax")
    step_size, bias_correction2_sqrt = adam_scalars(lr, beta1, beta2, step)
    g = grad
    if weight_decay != 0:
        if decoupled:
            param *= 1 - lr * weight_decay
        else:
            g = grad + weight_decay * param
    m[...] = lerp(m, g, 1 - beta1)
    v *= beta2
    v += (1 - beta2) * g * g
    if amsgrad:
        np.maximum(vmax, v, out=vmax)
    denom = np.sqrt(vmax if amsgrad else v) / bias_correction2_sqrt + eps
    param -= step_size * m / denom
