"""Optimizers and schedules follow PyTorch's trajectories step by step; their state saves and loads."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import optim
from minigrad.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 12
TOL = dict(rtol=2e-5, atol=2e-6)


def initial_values():
    rng = np.random.default_rng(1)
    return [rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(5).astype(np.float32)]


def loss_of(params, sin):
    """f(p) = Σ (0.5 p² + sin(3p) + 0.1 p): curved, with gradients that change along the way."""
    return sum((0.5 * p * p + sin(3 * p) + 0.1 * p).sum() for p in params)


def run_minigrad(make, steps=STEPS):
    params = [mg.tensor(v, requires_grad=True) for v in initial_values()]
    opt = make(params)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss_of(params, mg.sin).backward()
        opt.step()
        history.append([p.numpy().copy() for p in params])
    return history, opt, params


def run_torch(make, steps=STEPS):
    params = [torch.tensor(v, requires_grad=True) for v in initial_values()]
    opt = make(params)
    history = []
    for _ in range(steps):
        opt.zero_grad()
        loss_of(params, torch.sin).backward()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def groups(params, **second):
    """Two parameter groups: the matrix with the defaults, the vector with ``second`` overrides."""
    return [{"params": [params[0]]}, {"params": [params[1]], **second}]


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.1)),
]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=[f"{n}-{'-'.join(k)}" for n, k in CONFIGS])
def test_trajectory_matches_torch(name, kwargs):
    ours, _, _ = run_minigrad(lambda ps: getattr(optim, name)(groups(ps, lr=kwargs["lr"] / 2), **kwargs))
    theirs = run_torch(lambda ps: getattr(torch.optim, name)(groups(ps, lr=kwargs["lr"] / 2), **kwargs))
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for p, q in zip(a, b):
            np.testing.assert_allclose(p, q, **TOL, err_msg=f"step {step + 1}")


@pytest.mark.parametrize("name, kwargs", [CONFIGS[1], CONFIGS[7], CONFIGS[13]], ids=["SGD", "Adam", "RMSprop"])
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    make = lambda ps: getattr(optim, name)(ps, **kwargs)  # noqa: E731
    _, opt, params = run_minigrad(make, steps=4)
    saved = opt.state_dict()
    assert set(saved) == {"state", "param_groups"} and saved["param_groups"][0]["params"] == [0, 1]
    assert all(isinstance(v, (np.ndarray, int)) for s in saved["state"].values() for v in s.values())

    twins = [mg.tensor(p.numpy().copy(), requires_grad=True) for p in params]
    fresh = getattr(optim, name)(twins, lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == kwargs["lr"]
    for a, b in ((opt, params), (fresh, twins)):
        for _ in range(3):
            a.zero_grad()
            loss_of(b, mg.sin).backward()
            a.step()
    for p, q in zip(params, twins):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_load_state_dict_rejects_mismatches_before_changing_anything():
    _, opt, params = run_minigrad(lambda ps: optim.Adam(ps, lr=0.1), steps=2)
    saved = opt.state_dict()
    other = optim.Adam([mg.zeros(3, 4, requires_grad=True)], lr=0.5)
    with pytest.raises(ValueError, match="group 0 has 2 parameters in the state dict but 1 in the optimizer"):
        other.load_state_dict(saved)
    mismatched = optim.Adam([mg.zeros(3, 4, requires_grad=True), mg.zeros(6, requires_grad=True)], lr=0.5)
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter 1 has shape \(5,\)"):
        mismatched.load_state_dict(saved)
    assert mismatched.state == {} and mismatched.param_groups[0]["lr"] == 0.5


def test_zero_grad_and_parameters_without_gradients():
    a, b = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    opt = optim.SGD([a, b], lr=1.0)
    (a * 3).sum().backward()
    opt.step()
    np.testing.assert_array_equal(a.numpy(), [-2, -2])
    np.testing.assert_array_equal(b.numpy(), [1, 1])  # no gradient: untouched
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.numpy(), [0, 0])
    opt.zero_grad()
    assert a.grad is None


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=-1), "lr must be >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum needs momentum > 0"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), r"betas must be two numbers in \[0, 1\)"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "alpha must be >= 0"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: optim.SGD([p[0], p[0]], lr=0.1), "more than one parameter group"),
    (lambda p: optim.SGD([p[0].detach()], lr=0.1), "leaf tensors that require grad"),
])
def test_bad_settings(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make([mg.ones(2, requires_grad=True)])


SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5, 9], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1.0 / (epoch + 1))),
    ("CosineAnnealingLR", dict(T_max=10, eta_min=0.001)),
]


@pytest.mark.parametrize("name, kwargs", SCHEDULES, ids=[s[0] for s in SCHEDULES])
def test_schedule_matches_torch(name, kwargs):
    p, pt = mg.ones(2, requires_grad=True), torch.ones(2, requires_grad=True)
    opt = optim.SGD(groups([p, mg.ones(1, requires_grad=True)], lr=0.05), lr=0.1)
    opt_t = torch.optim.SGD(groups([pt, torch.ones(1, requires_grad=True)], lr=0.05), lr=0.1)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    sched_t = getattr(torch.optim.lr_scheduler, name)(opt_t, **kwargs)
    assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr())
    for _ in range(25):
        opt.step(), opt_t.step()
        sched.step(), sched_t.step()
        assert sched.get_last_lr() == pytest.approx(sched_t.get_last_lr(), rel=1e-9)
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()


def test_schedule_state_dict_resumes():
    def make():
        opt = optim.SGD([mg.ones(1, requires_grad=True)], lr=1.0)
        return opt, lr_scheduler.CosineAnnealingLR(opt, T_max=8)

    opt, sched = make()
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    assert saved["last_epoch"] == 3 and "optimizer" not in saved
    opt2, sched2 = make()
    sched2.load_state_dict(saved)
    sched.step(), sched2.step()
    assert sched2.get_last_lr() == sched.get_last_lr()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
