"""Optimizer: the bookkeeping shared by SGD, Adam, AdamW and RMSprop (PyTorch conventions).

Parameters come in ``param_groups`` (a list of dicts: "params" plus hyperparameters such as "lr");
per-parameter state (momentum buffers, moment estimates) lives in ``state[param]`` as tensors on the
parameter's device. ``step()`` updates every parameter that has a gradient, in place, under no_grad.
"""
from __future__ import annotations

import numpy as np

from ..autodiff import enable_grad, no_grad
from ..tensor import Tensor, tensor


class Optimizer:
    def __init__(self, params, defaults: dict):
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of tensors or of dicts, got a single Tensor; "
                            "wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict):
        """Add parameters with their own hyperparameters (the rest taken from the defaults)."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf or not p.requires_grad:
                raise ValueError(f"{type(self).__name__} can only optimize leaf tensors that require grad")
            if id(p) in seen:
                raise ValueError("a parameter appears in more than one parameter group")
            seen.add(id(p))
        new = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(new)
        self.param_groups.append(new)

    def _check_hyperparameters(self, group: dict):
        """Raise ValueError for a bad hyperparameter (overridden by each optimizer)."""

    def zero_grad(self, set_to_none: bool = True):
        """Forget the gradients (``None``; zeros with ``set_to_none=False``)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad = p.grad.zeros_like()

    def step(self, closure=None):
        """One update of every parameter with a gradient; ``closure`` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                with_grad = [p for p in group["params"] if p.grad is not None]
                on_gpu = [p for p in with_grad if p.device == "cuda"]
                for p in with_grad:
                    if p.device != "cuda":
                        self.update(p, p.grad, self.state.setdefault(p, {}), group)
                if on_gpu:
                    self.update_many(on_gpu, [self.state.setdefault(p, {}) for p in on_gpu], group)
                for p in with_grad:
                    p._bump()
        return loss

    def update(self, param: Tensor, grad: Tensor, state: dict, group: dict):
        """Update one parameter in place from its gradient (each optimizer's formula)."""
        raise NotImplementedError

    def update_many(self, params: list, states: list, group: dict):
        """Update the CUDA parameters of one group (SGD and Adam: in one multi-tensor launch)."""
        for p, state in zip(params, states):
            self.update(p, p.grad, state, group)

    # ---- saving and loading ------------------------------------------------------------------
    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict:
        """{"state": {index: {name: array or number}}, "param_groups": [{..., "params": [index, ...]}]}, with
        parameters numbered in group order and tensors as NumPy copies."""
        params = self._all_params()
        index = {id(p): i for i, p in enumerate(params)}
        state = {index[id(p)]: {k: np.array(v.numpy(), copy=True) if isinstance(v, Tensor) else v
                                for k, v in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict):
        """Restore hyperparameters and state saved by ``state_dict`` (checked fully before any change)."""
        name = type(self).__name__
        groups = state_dict.get("param_groups")
        saved_state = state_dict.get("state")
        if groups is None or saved_state is None:
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups'")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        for i, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters in the "
                                 f"state dict but {len(own['params'])} in the optimizer")
        params = {}
        for saved, own in zip(groups, self.param_groups):
            params.update(zip(saved["params"], own["params"]))
        for key, entries in saved_state.items():
            if key not in params:
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, which no group lists")
            p = params[key]
            for k, v in entries.items():
                if isinstance(v, (np.ndarray, Tensor)) and tuple(v.shape) != p.shape:
                    raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {key} has shape "
                                     f"{tuple(v.shape)}, but the parameter has shape {p.shape}")
        self.state = {params[key]: {k: _state_value(v, params[key]) for k, v in entries.items()}
                      for key, entries in saved_state.items()}
        for saved, own in zip(groups, self.param_groups):
            own.update({k: v for k, v in saved.items() if k != "params"})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _state_value(value, param: Tensor):
    """A saved state entry as a tensor like ``param`` (arrays) or as it was (step counts)."""
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return tensor(np.array(value, dtype=param.dtype), device=param.device)
    return value


def partition(params: list, states: list, key) -> dict:
    """{key(param, state): (params, states)}: the parameters that one multi-tensor launch can update together."""
    parts: dict = {}
    for p, state in zip(params, states):
        same = parts.setdefault(key(p, state), ([], []))
        same[0].append(p)
        same[1].append(state)
    return parts


def zeros_like_param(p: Tensor) -> Tensor:
    """A zero state tensor with the parameter's shape, dtype and device."""
    return Tensor(p.backend.zeros(p.shape, dtype=p.dtype), device=p.device)
