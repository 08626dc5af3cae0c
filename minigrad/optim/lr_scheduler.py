"""Learning-rate schedules: each epoch's rate in closed form from the initial rate η₀ (PyTorch's formulas).

    StepLR             η₀ · γ^⌊t/step_size⌋
    MultiStepLR        η₀ · γ^(number of milestones ≤ t)
    ExponentialLR      η₀ · γᵗ
    LambdaLR           η₀ · f(t)
    CosineAnnealingLR  η_min + (η₀ - η_min)(1 + cos(πt/T_max))/2

``scheduler.step()`` advances t by one (call it after ``optimizer.step()``, once per epoch or per
iteration as you choose) and writes the new rate into every parameter group. Rates are computed
from t, not from the previous rate, so a rate changed by hand is overwritten at the next step.

Unlike PyTorch, the settings are checked at construction and by ``load_state_dict`` (step_size
and milestones integers, step_size >= 1, T_max >= 1, gamma and eta_min finite and >= 0), so a
schedule never computes a negative or nan rate.
"""
from __future__ import annotations

import bisect
import math
import numbers


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
        """Restore what ``state_dict`` saved; all or nothing. Checked first, each a ValueError: the same
        entries as this schedule's own (a StepLR state does not load into a CosineAnnealingLR), one base
        and last rate per parameter group, each a finite number >= 0, ``last_epoch`` an integer >= 0,
        and the schedule's settings as its constructor checks them. PyTorch updates ``__dict__`` with
        whatever it is given. As in PyTorch, the optimizer's rates change only at the next ``step()``.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise ValueError(f"{name}.load_state_dict: expected a dict, got {type(state_dict).__name__}")
        own = self.state_dict()
        if set(state_dict) != set(own):
            parts = [f"lacks {sorted(set(own) - set(state_dict))}"] if set(own) - set(state_dict) else []
            parts += [f"has {sorted(set(state_dict) - set(own))}"] if set(state_dict) - set(own) else []
            raise ValueError(f"{name}.load_state_dict: the state {' and '.join(parts)}; "
                             f"it is not the state of a {name}")
        groups = len(self.optimizer.param_groups)
        for key in ("base_lrs", "_last_lr"):
            rates = state_dict[key]
            if not isinstance(rates, (list, tuple)) or len(rates) != groups or not all(map(_is_rate, rates)):
                raise ValueError(f"{name}.load_state_dict: {key} must be {groups} finite numbers >= 0 (one per "
                                 f"parameter group), got {rates!r}")
        _check_count(name, "last_epoch", state_dict["last_epoch"], 0)
        self.check_settings({k: v for k, v in state_dict.items() if k not in ("base_lrs", "_last_lr", "last_epoch")})
        self.__dict__.update({k: list(v) if k in ("base_lrs", "_last_lr") else v for k, v in state_dict.items()})

    def check_settings(self, settings: dict):
        """Raise ValueError for a bad setting of the schedule (each schedule checks its own)."""


class StepLR(LRScheduler):
    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        self.check_settings(dict(step_size=step_size, gamma=gamma))
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def check_settings(self, settings):
        _check_count("StepLR", "step_size", settings["step_size"], 1)
        _check_real("StepLR", "gamma", settings["gamma"])

    def lr_at(self, epoch, base_lr, group_index):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(LRScheduler):
    def __init__(self, optimizer, milestones, gamma: float = 0.1, last_epoch: int = -1):
        milestones = list(milestones)
        self.check_settings(dict(milestones=milestones, gamma=gamma))
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def check_settings(self, settings):
        if not isinstance(settings["milestones"], (list, tuple)):
            raise ValueError(f"MultiStepLR: milestones must be a list of integers, got {settings['milestones']!r}")
        for milestone in settings["milestones"]:
            _check_count("MultiStepLR", "milestones", milestone, 0)
        _check_real("MultiStepLR", "gamma", settings["gamma"])

    def lr_at(self, epoch, base_lr, group_index):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class ExponentialLR(LRScheduler):
    def __init__(self, optimizer, gamma: float, last_epoch: int = -1):
        self.check_settings(dict(gamma=gamma))
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def check_settings(self, settings):
        _check_real("ExponentialLR", "gamma", settings["gamma"])

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
        self.check_settings(dict(T_max=T_max, eta_min=eta_min))
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def check_settings(self, settings):
        if not _is_rate(settings["T_max"]) or settings["T_max"] < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a number >= 1, got {settings['T_max']!r}")
        _check_real("CosineAnnealingLR", "eta_min", settings["eta_min"])

    def lr_at(self, epoch, base_lr, group_index):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


def _is_rate(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _check_count(schedule: str, key: str, value, minimum: int):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{schedule}: {key} must be an integer >= {minimum}, got {value!r}")


def _check_real(schedule: str, key: str, value):
    if not _is_rate(value):
        raise ValueError(f"{schedule}: {key} must be a finite number >= 0, got {value!r}")
