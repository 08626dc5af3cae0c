"""SGD with momentum, dampening, Nesterov and (L2) weight decay, exactly as torch.optim.SGD:

    g ← ∇ + λθ;   b ← g (first step) or μb + (1 - τ)g;   g ← g + μb (Nesterov) or b;   θ ← θ - αg
"""
from __future__ import annotations

from .optimizer import Optimizer, partition, zeros_like_param


class SGD(Optimizer):
    state_entries = {"momentum_buffer": "tensor"}

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _check_hyperparameters(self, group):
        for key in ("lr", "momentum", "weight_decay"):
            if group[key] < 0:
                raise ValueError(f"SGD: {key} must be >= 0, got {group[key]}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def update(self, param, grad, state, group):
        buf = state.get("momentum_buffer")
        first_step = buf is None and group["momentum"] != 0
        if first_step:
            buf = state["momentum_buffer"] = zeros_like_param(param)
        param.backend.sgd_update(param.data, grad.data, None if buf is None else buf.data, group["lr"],
                                 group["momentum"], group["dampening"], group["weight_decay"], group["nesterov"],
                                 first_step)

    def update_many(self, params, states, group):
        first_steps = [state.get("momentum_buffer") is None and group["momentum"] != 0 for state in states]
        for p, state, first_step in zip(params, states, first_steps):
            if first_step:
                state["momentum_buffer"] = zeros_like_param(p)
        steps = dict(zip(map(id, states), first_steps))
        parts = partition(params, states, lambda p, state: (p.dtype, steps[id(state)]))
        for (_, first_step), (same, same_states) in parts.items():
            bufs = None if group["momentum"] == 0 else [s["momentum_buffer"].data for s in same_states]
            same[0].backend.sgd_update_many([p.data for p in same], [p.grad.data for p in same], bufs, group["lr"],
                                            group["momentum"], group["dampening"], group["weight_decay"],
                                            group["nesterov"], first_step)
