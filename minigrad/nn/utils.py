"""Helpers around models: folding BatchNorm into the layer before it, gradient clipping, flat vectors."""
from __future__ import annotations

import copy
import math

import numpy as np

from ..autodiff import no_grad
from ..tensor import Tensor, concat, stack, tensor
from .layers.conv import _ConvNd
from .layers.linear import Identity, Linear
from .layers.normalization import BatchNorm1d, BatchNorm2d
from .module import Parameter


def _fusable(layer, bn) -> bool:
    if isinstance(layer, _ConvNd):
        matching_bn = BatchNorm2d if layer.dims == 2 else BatchNorm1d
    elif isinstance(layer, Linear):
        matching_bn = BatchNorm1d
    else:
        return False
    return (type(bn) is matching_bn and not bn.training and bn.track_running_stats
            and bn.num_features == layer.weight.shape[0])


def fold_batch_norm_(layer, bn):
    """Fold an eval-mode BatchNorm into the Conv/Linear ``layer`` whose output it normalizes, in place:

        w' = w · γ/σ,   b' = (b - μ) · γ/σ + β,   σ = √(running_var + ε)

    so that layer'(x) = bn(layer(x)) for every x (per output channel; b = 0 if the layer had no bias).
    """
    mean = bn.running_mean.numpy().astype(np.float64)
    scale = 1.0 / np.sqrt(bn.running_var.numpy().astype(np.float64) + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight.numpy()
    shift = bn.bias.numpy().astype(np.float64) if bn.bias is not None else 0.0
    w = layer.weight.numpy().astype(np.float64)
    b = layer.bias.numpy().astype(np.float64) if layer.bias is not None else np.zeros(w.shape[0])
    new_w = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
    new_b = (b - mean) * scale + shift
    with no_grad():
        layer.weight.copy_(new_w)
        if layer.bias is None:
            layer.bias = Parameter(tensor(new_b, dtype=layer.weight.dtype, device=layer.weight.device))
        else:
            layer.bias.copy_(new_b)


def fuse_conv_bn(model, inplace: bool = False):
    """A copy of ``model`` (or ``model`` itself with ``inplace=True``) where every eval-mode BatchNorm applied
    right after a Conv or Linear layer is folded into that layer and replaced by ``Identity``.

    "Right after" means consecutive entries of a Sequential, or a pair a module lists in its
    ``conv_bn_pairs`` (like ResNet's ``("conv1", "bn1")``). BatchNorms in training mode are left alone:
    fusion is exact only with fixed (running) statistics. Eval outputs are unchanged up to rounding.
    """
    model = model if inplace else copy.deepcopy(model)
    for module in list(model.modules()):
        for layer_name, bn_name in module.conv_bn_pairs:
            layer, bn = module._modules.get(layer_name), module._modules.get(bn_name)
            if _fusable(layer, bn):
                fold_batch_norm_(layer, bn)
                setattr(module, bn_name, Identity())
    return model


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients by min(1, max_norm/(‖g‖ + 1e-6)), ‖g‖ the norm of all of them joined;
    returns ‖g‖."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return tensor(0.0)
    with no_grad():
        if norm_type == math.inf:
            norms = stack([g.abs().max() for g in grads])
            total = norms.max()
        else:
            norms = stack([(g.abs() ** norm_type).sum() for g in grads])
            total = norms.sum() ** (1.0 / norm_type)
        value = total.item()
        if error_if_nonfinite and not math.isfinite(value):
            raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {value}; "
                               "set error_if_nonfinite=False to scale them anyway")
        coef = min(max_norm / (value + 1e-6), 1.0)
        for g in grads:
            g.mul_(coef)
    return total


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and joined into one vector (differentiable)."""
    return concat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters):
    """Copy consecutive slices of ``vec`` into ``parameters`` (the inverse of parameters_to_vector), in place."""
    parameters = list(parameters)
    total = sum(p.size for p in parameters)
    if vec.ndim != 1 or vec.size != total:
        raise ValueError(f"vector_to_parameters: expected a vector of {total} values, got shape {vec.shape}")
    start = 0
    with no_grad():
        for p in parameters:
            p.copy_(vec[start:start + p.size].reshape(p.shape))
            start += p.size
