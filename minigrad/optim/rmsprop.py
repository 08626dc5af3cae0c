"""RMSprop, exactly as torch.optim.RMSprop (in-place tensor operations); learning rate η, smoothing α:

    g ← ∇ + λθ;   s ← αs + (1 - α)g²
    d = √(s - ḡ²) + ε with ḡ ← αḡ + (1 - α)g (centered), else d = √s + ε
    b ← μb + g/d and θ ← θ - ηb (momentum μ > 0), else θ ← θ - η·g/d
"""
from __future__ import annotations

from .optimizer import Optimizer, zeros_like_param


class RMSprop(Optimizer):
    state_entries = {"step": "counter", "square_avg": "tensor", "momentum_buffer": "tensor", "grad_avg": "tensor"}

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum: float = 0.0, centered: bool = False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def required_state(self, group):
        return ({"step", "square_avg"} | ({"momentum_buffer"} if group["momentum"] > 0 else set())
                | ({"grad_avg"} if group["centered"] else set()))

    def _check_hyperparameters(self, group):
        for key in ("lr", "alpha", "eps", "weight_decay", "momentum"):
            if group[key] < 0:
                raise ValueError(f"RMSprop: {key} must be >= 0, got {group[key]}")

    def update(self, param, grad, state, group):
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = zeros_like_param(param)
            if momentum > 0:
                state["momentum_buffer"] = zeros_like_param(param)
            if group["centered"]:
                state["grad_avg"] = zeros_like_param(param)
        state["step"] += 1
        g = grad + group["weight_decay"] * param if group["weight_decay"] != 0 else grad
        square_avg = state["square_avg"].mul_(alpha).add_(g * g, alpha=1 - alpha)
        if group["centered"]:
            grad_avg = state["grad_avg"].mul_(alpha).add_(g, alpha=1 - alpha)
            denom = (square_avg - grad_avg * grad_avg).sqrt() + group["eps"]
        else:
            denom = square_avg.sqrt() + group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"].mul_(momentum).add_(g / denom)
            param.sub_(buf, alpha=group["lr"])
        else:
            param.sub_(g / denom, alpha=group["lr"])
