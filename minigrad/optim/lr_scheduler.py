"""Learning-rate schedules: each epoch's rate in closed form from the initial rate η₀ (PyTorch's formulas).

    StepLR             η₀ · γ^⌊t/step_size⌋
    MultiStepLR        η₀ · γ^(number of milestones ≤ t)
    ExponentialLR      η₀ · γᵗ
    LambdaLR           η₀ · f(t)
    CosineAnnealingLR  η_min + (η₀ - η_min)(1 + cos(πt/T_max))/2

``scheduler.step()`` advances t by one (call it after ``optimizer.step()``, once per epoch or per
iteration as you choose) and writes the new rate into every parameter group. Rates are computed
from t, not from the previous rate, so a rate changed by hand is overwritten at the next step.
"""
from __future__ import annotations

import bisect
import math


class LRScheduler:
    def __init__(self, optimizer, last_epoch: int = -1):
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError("resuming a schedule (last_epoch != -1) needs 'initial_lr' in every parameter group")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, epoch: int, base_lr: float, group_index: int) -> float:
        """The learning rate of a group at ``epoch`` (each schedule's formula)."""
        raise NotImplementedError

    def step(self):
        self.last_epoch += 1
        self._last_lr = [self.lr_at(self.last_epoch, base, i) for i, base in enumerate(self.base_lrs)]
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list:
        """The rates set by the last ``step()``, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict: dict):
        self.__dict__.update(state_dict)


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr, group_index):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr, group_index):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr, group_index):
        return base_lr * self.gamma ** epoch


class LambdaLR(LRScheduler):
    """η₀ · f(t), with one function for all groups or a list of one per group (functions are not saved
    by ``state_dict``)."""

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        n = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(lambdas) != n:
            raise ValueError(f"LambdaLR: got {len(lambdas)} functions for {n} parameter groups")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr, group_index):
        return base_lr * self.lr_lambdas[group_index](epoch)


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from η₀ down to η_min over T_max steps (and back up after that, periodically)."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch, base_lr, group_index):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
