"""Optimizer: the bookkeeping shared by SGD, Adam, AdamW and RMSprop (PyTorch conventions).

Parameters come in ``param_groups`` (a list of dicts: "params" plus hyperparameters such as "lr");
per-parameter state (momentum buffers, moment estimates) lives in ``state[param]`` as tensors on the
parameter's device. ``step()`` updates every parameter that has a gradient, in place, under no_grad.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

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
        """Restore hyperparameters and state saved by ``state_dict``; all or nothing.

        Checked before anything changes, each a ValueError naming what is wrong: the number of groups
        and of parameters in each (PyTorch's checks, with its messages' content); that the state dict
        is of this kind of optimizer (the same hyperparameter names, and for Adam/AdamW the same
        ``decoupled_weight_decay``; PyTorch loads an Adam state into SGD without a word); every
        hyperparameter's type and value, as the constructor checks them (lr >= 0 and finite, ...;
        PyTorch accepts a negative lr here); the state of each parameter: known names only, all the
        names this optimizer's update needs, integer step counters >= 0, floating-point arrays of the
        parameter's shape. So a torch.optim state dict, with its implementation switches (foreach,
        fused, ...) and tensor step counts, does not load: convert it first.
        """
        name = type(self).__name__
        if not isinstance(state_dict, Mapping) or set(state_dict) != {"state", "param_groups"}:
            found = sorted(state_dict) if isinstance(state_dict, Mapping) else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and 'param_groups', "
                             f"got {found}")
        groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(groups, (list, tuple)) or not isinstance(saved_state, Mapping):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list and 'state' a dict")
        if len(groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(groups)} parameter groups, "
                             f"the optimizer has {len(self.param_groups)}")
        new_groups = [self._checked_group(i, saved, own)
                      for i, (saved, own) in enumerate(zip(groups, self.param_groups))]
        params = {}
        for saved, own in zip(groups, self.param_groups):
            params.update(zip(saved["params"], own["params"]))
        if len(params) != sum(len(g["params"]) for g in groups):
            raise ValueError(f"{name}.load_state_dict: a parameter index appears twice in 'params'")
        group_of = {key: new for saved, new in zip(groups, new_groups) for key in saved["params"]}
        new_state = {}
        for key, entries in saved_state.items():
            if key not in params:
                raise ValueError(f"{name}.load_state_dict: state for parameter {key!r}, which no group lists")
            new_state[params[key]] = self._checked_state(key, entries, params[key], group_of[key])
        self.state = new_state
        for own, new in zip(self.param_groups, new_groups):
            own.update(new)

    # what a parameter's state may hold, {name: "counter" | "tensor"}; None (an optimizer of your own
    # that does not say) accepts any names, ints as counters and arrays as tensors
    state_entries: dict | None = None

    def required_state(self, group: dict) -> set:
        """The state names a parameter with any state must have under ``group``'s settings."""
        return set()

    def _checked_group(self, index: int, saved, own: dict) -> dict:
        """The hyperparameters of saved group ``index`` (without "params"), checked against ``own``."""
        name = type(self).__name__
        where = f"{name}.load_state_dict: group {index}"
        if not isinstance(saved, Mapping) or not isinstance(saved.get("params"), (list, tuple)):
            raise ValueError(f"{where} must be a dict with a list 'params'")
        if len(saved["params"]) != len(own["params"]):
            raise ValueError(f"{where} has {len(saved['params'])} parameters in the state dict but "
                             f"{len(own['params'])} in the optimizer")
        if not all(isinstance(k, numbers.Integral) and not isinstance(k, bool) for k in saved["params"]):
            raise ValueError(f"{where}: 'params' must be parameter indices (ints), got {list(saved['params'])}")
        settings = {k: v for k, v in saved.items() if k != "params"}
        expected, found = set(own) - {"params", "initial_lr"}, set(settings) - {"initial_lr"}
        if expected != found:
            parts = [f"lacks {sorted(expected - found)}"] if expected - found else []
            parts += [f"has {sorted(found - expected)}, which {name} does not know"] if found - expected else []
            raise ValueError(f"{where} {' and '.join(parts)}: the state dict is of another optimizer")
        if settings.get("decoupled_weight_decay", None) != own.get("decoupled_weight_decay", None):
            other = "AdamW" if settings["decoupled_weight_decay"] else "Adam"
            raise ValueError(f"{where} is of {other} (decoupled_weight_decay={settings['decoupled_weight_decay']}),"
                             f" not {name}")
        for key, value in settings.items():
            _check_setting(where, key, value, own.get(key, own["lr"]))
        candidate = {**own, **settings}
        try:
            self._check_hyperparameters(candidate)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        return settings

    def _checked_state(self, key, entries, param: Tensor, group: dict) -> dict:
        """The state of parameter ``key`` as tensors like ``param`` (arrays) and ints (counters)."""
        where = f"{type(self).__name__}.load_state_dict: parameter {key}"
        if not isinstance(entries, Mapping):
            raise ValueError(f"{where}: its state must be a dict, got {type(entries).__name__}")
        kinds = self.state_entries or {k: "counter" if isinstance(v, numbers.Integral) else "tensor"
                                       for k, v in entries.items()}
        unknown = sorted(set(entries) - set(kinds))
        if unknown:
            raise ValueError(f"{where} has state {unknown}, which {type(self).__name__} does not keep "
                             f"(it keeps {sorted(self.state_entries)})")
        lacking = sorted(self.required_state(group) - set(entries)) if entries else []
        if lacking:
            raise ValueError(f"{where} lacks the state {lacking}")
        out = {}
        for k, v in entries.items():
            if kinds[k] == "counter":
                if isinstance(v, np.ndarray) and v.shape == () and v.dtype.kind in "iu":
                    v = v.item()
                if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
                    raise ValueError(f"{where}: state {k!r} must be an integer >= 0, got {v!r}")
                out[k] = int(v)
                continue
            if isinstance(v, Tensor):
                v = v.numpy()
            if not isinstance(v, np.ndarray) or v.dtype.kind != "f":
                found = f"dtype {v.dtype}" if isinstance(v, np.ndarray) else type(v).__name__
                raise ValueError(f"{where}: state {k!r} must be a floating-point array, got {found}")
            if tuple(v.shape) != param.shape:
                raise ValueError(f"{where}: state {k!r} of parameter {key} has shape {tuple(v.shape)}, but the "
                                 f"parameter has shape {param.shape}")
            out[k] = _state_value(v, param)
        return out

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines + [")"])


def _check_setting(where: str, key: str, value, like):
    """A saved hyperparameter must be of the kind of the optimizer's own (``like``): a bool, a finite
    real number, or a tuple of finite real numbers of the same length."""
    def is_real(v):
        return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)

    if isinstance(like, bool):
        ok = isinstance(value, (bool, np.bool_))
    elif isinstance(like, (tuple, list)):
        ok = isinstance(value, (tuple, list)) and len(value) == len(like) and all(map(is_real, value))
    elif isinstance(like, numbers.Real):
        ok = is_real(value) and (key not in ("lr", "initial_lr") or value >= 0)
    else:
        ok = True
    if not ok:
        raise ValueError(f"{where}: {key} = {value!r} is not a valid {key} (like {like!r})")


def _state_value(value, param: Tensor):
    """A saved state entry as a tensor like ``param`` (arrays) or as it was (step counts)."""
    if isinstance(value, Tensor):
        value = value.numpy()
    if isinstance(value, np.ndarray):
        return tensor(value, dtype=param.dtype, device=param.device)
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
