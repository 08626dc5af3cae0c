"""Adam and AdamW, exactly as torch.optim.Adam / AdamW (step t counts from 1):

    g ← ∇ + λθ (Adam) or θ ← (1 - αλ)θ (AdamW, decoupled weight decay)
    m ← β₁m + (1 - β₁)g,   v ← β₂v + (1 - β₂)g²,   v̂ ← max(v̂, v) (amsgrad)
    θ ← θ - α/(1 - β₁ᵗ) · m / (√v / √(1 - β₂ᵗ) + ε)
"""
from __future__ import annotations

from .optimizer import Optimizer, partition, zeros_like_param


class Adam(Optimizer):
    """Adam; its parameter groups carry ``decoupled_weight_decay`` (False; True for AdamW) as PyTorch's do,
    which tells an Adam state dict from an AdamW one."""
    decoupled_weight_decay = False
    state_entries = {"step": "counter", "exp_avg": "tensor", "exp_avg_sq": "tensor", "max_exp_avg_sq": "tensor"}

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, decoupled_weight_decay=self.decoupled_weight_decay))

    def required_state(self, group):
        return {"step", "exp_avg", "exp_avg_sq"} | ({"max_exp_avg_sq"} if group["amsgrad"] else set())

    def _check_hyperparameters(self, group):
        name = type(self).__name__
        for key in ("lr", "eps", "weight_decay"):
            if group[key] < 0:
                raise ValueError(f"{name}: {key} must be >= 0, got {group[key]}")
        if len(group["betas"]) != 2 or not all(0.0 <= b < 1.0 for b in group["betas"]):
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {group['betas']}")
        if group["decoupled_weight_decay"] != self.decoupled_weight_decay:
            raise ValueError(f"{name}: decoupled_weight_decay is {self.decoupled_weight_decay} for {name}; "
                             f"use {'AdamW' if group['decoupled_weight_decay'] else 'Adam'} for the other")

    @staticmethod
    def _advance(param, state, group):
        """Create the state on the first step; count the step."""
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_like_param(param)
            state["exp_avg_sq"] = zeros_like_param(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = zeros_like_param(param)
        state["step"] += 1

    def update(self, param, grad, state, group):
        self._advance(param, state, group)
        vmax = state.get("max_exp_avg_sq")
        beta1, beta2 = group["betas"]
        param.backend.adam_update(param.data, grad.data, state["exp_avg"].data, state["exp_avg_sq"].data,
                                  None if vmax is None else vmax.data, group["lr"], beta1, beta2, group["eps"],
                                  group["weight_decay"], state["step"], group["amsgrad"],
                                  self.decoupled_weight_decay)

    def update_many(self, params, states, group):
        for p, state in zip(params, states):
            self._advance(p, state, group)
        parts = partition(params, states, lambda p, state: (p.dtype, state["step"], "max_exp_avg_sq" in state))
        beta1, beta2 = group["betas"]
        for (_, step, has_max), (same, same_states) in parts.items():
            def states_of(name):
                return [s[name].data for s in same_states]
            same[0].backend.adam_update_many([p.data for p in same], [p.grad.data for p in same],
                                             states_of("exp_avg"), states_of("exp_avg_sq"),
                                             states_of("max_exp_avg_sq") if has_max else None, group["lr"], beta1,
                                             beta2, group["eps"], group["weight_decay"], step, group["amsgrad"],
                                             self.decoupled_weight_decay)


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01): θ shrinks by (1 - αλ) before the Adam step."""
    decoupled_weight_decay = True

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
