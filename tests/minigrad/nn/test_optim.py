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
    (lambda p: optim.Adam([{"params": p, "decoupled_weight_decay": True}]), "use AdamW for the other"),
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


def _trained(name, steps=2, **kwargs):
    _, opt, params = run_minigrad(lambda ps: getattr(optim, name)(ps, **{"lr": 0.1, **kwargs}), steps=steps)
    return opt, params


def _fresh(name, **kwargs):
    return getattr(optim, name)([mg.zeros(3, 4, requires_grad=True), mg.zeros(5, requires_grad=True)],
                                **{"lr": 0.5, **kwargs})


def _unchanged(opt, lr=0.5):
    return opt.state == {} and all(g["lr"] == lr for g in opt.param_groups)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop"])
def test_param_group_keys_are_torchs(name):
    """Ours are the torch names minus its implementation switches (foreach, fused, capturable, ...)."""
    ours = _fresh(name).param_groups[0]
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=0.5).param_groups[0]
    switches = {"foreach", "fused", "capturable", "differentiable", "maximize"}
    assert set(ours) == set(theirs) - switches
    if "decoupled_weight_decay" in theirs:
        assert ours["decoupled_weight_decay"] == theirs["decoupled_weight_decay"]


@pytest.mark.parametrize("saved_kind, loading_kind", [
    ("Adam", "SGD"), ("SGD", "Adam"), ("Adam", "AdamW"), ("AdamW", "Adam"), ("RMSprop", "Adam"), ("SGD", "RMSprop"),
])
def test_a_state_of_another_optimizer_is_refused(saved_kind, loading_kind):
    """Deliberately stricter than torch, which loads an Adam state into SGD without a word (checked here)."""
    saved, _ = _trained(saved_kind, momentum=0.9) if saved_kind == "SGD" else _trained(saved_kind)
    if {saved_kind, loading_kind} == {"Adam", "SGD"}:
        p = [torch.zeros(3, 4, requires_grad=True), torch.zeros(5, requires_grad=True)]
        a = getattr(torch.optim, saved_kind)(p, lr=0.1)
        getattr(torch.optim, loading_kind)(p, lr=0.5).load_state_dict(a.state_dict())  # torch: no error
    other = _fresh(loading_kind)
    with pytest.raises(ValueError, match="another optimizer|is of Adam"):
        other.load_state_dict(saved.state_dict())
    assert _unchanged(other)


def _spoiled(name, change, **kwargs):
    opt, _ = _trained(name, **kwargs)
    state = opt.state_dict()
    change(state)
    return state


@pytest.mark.parametrize("name, change, message", [
    ("SGD", lambda s: s["param_groups"][0].update(lr=-0.1), "lr = -0.1 is not a valid lr"),
    ("SGD", lambda s: s["param_groups"][0].update(lr=float("nan")), "lr = nan"),
    ("SGD", lambda s: s["param_groups"][0].update(lr="0.1"), "lr = '0.1'"),
    ("SGD", lambda s: s["param_groups"][0].update(momentum=-0.5), "momentum must be >= 0"),
    ("SGD", lambda s: s["param_groups"][0].update(nesterov="yes"), "nesterov = 'yes'"),
    ("Adam", lambda s: s["param_groups"][0].update(betas=(0.9, 1.5)), r"betas must be two numbers in \[0, 1\)"),
    ("Adam", lambda s: s["param_groups"][0].update(betas=(0.9,)), "betas = "),
    ("Adam", lambda s: s["param_groups"][0].pop("eps"), r"lacks \['eps'\]"),
    ("Adam", lambda s: s["state"][0].update(step=2.5), "'step' must be an integer >= 0"),
    ("Adam", lambda s: s["state"][0].update(step=-1), "'step' must be an integer >= 0"),
    ("Adam", lambda s: s["state"][1].pop("exp_avg_sq"), r"lacks the state \['exp_avg_sq'\]"),
    ("Adam", lambda s: s["state"][1].update(velocity=np.zeros(5)), r"has state \['velocity'\]"),
    ("Adam", lambda s: s["state"][1].update(exp_avg=np.array(["x"] * 5)), "'exp_avg' must be a floating-point"),
    ("Adam", lambda s: s["state"].update({7: {}}), "state for parameter 7, which no group lists"),
    ("Adam", lambda s: s["param_groups"][0].update(params=[0, 0]), "appears twice"),
    ("RMSprop", lambda s: s["state"][0].pop("momentum_buffer"), r"lacks the state \['momentum_buffer'\]"),
    ("SGD", lambda s: s.update(extra=1), "expected a dict with keys 'state' and 'param_groups'"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 8 else None)
def test_a_bad_state_dict_changes_nothing(name, change, message):
    """lr >= 0 is checked as at construction (torch loads a negative lr silently); the rest would
    make the next step() raise or compute nonsense."""
    kwargs = {"momentum": 0.9} if name in ("SGD", "RMSprop") else {}
    state = _spoiled(name, change, **kwargs)
    other = _fresh(name, **kwargs)
    with pytest.raises(ValueError, match=message):
        other.load_state_dict(state)
    assert _unchanged(other)


def test_state_dict_survives_mg_save_and_load(tmp_path):
    opt, params = _trained("Adam", amsgrad=True)
    path = mg.save(opt.state_dict(), tmp_path / "opt.npz")
    fresh = _fresh("Adam", amsgrad=True)
    fresh.load_state_dict(mg.load(path))
    assert fresh.param_groups[0]["betas"] == (0.9, 0.999) and fresh.param_groups[0]["lr"] == 0.1
    for p, q in zip(params, fresh._all_params()):
        np.testing.assert_array_equal(opt.state[p]["max_exp_avg_sq"].numpy(), fresh.state[q]["max_exp_avg_sq"].numpy())


def _scheduled(name, steps=3):
    kwargs = dict(SCHEDULES)[name]
    opt = optim.SGD(groups([mg.ones(1, requires_grad=True), mg.ones(1, requires_grad=True)], lr=0.5), lr=1.0)
    sched = getattr(lr_scheduler, name)(opt, **kwargs)
    for _ in range(steps):
        sched.step()
    return opt, sched


@pytest.mark.parametrize("saved_kind", [n for n, _ in SCHEDULES])
@pytest.mark.parametrize("loading_kind", [n for n, _ in SCHEDULES])
def test_a_schedule_state_loads_only_into_the_same_schedule(saved_kind, loading_kind):
    _, saved = _scheduled(saved_kind)
    _, other = _scheduled(loading_kind, steps=0)
    before = dict(other.__dict__)
    if saved_kind == loading_kind:
        other.load_state_dict(saved.state_dict())
        assert other.last_epoch == 3 and other.get_last_lr() == saved.get_last_lr()
    else:
        with pytest.raises(ValueError, match=f"not the state of a {loading_kind}"):
            other.load_state_dict(saved.state_dict())
        assert other.__dict__ == before


@pytest.mark.parametrize("name, change, message", [
    ("CosineAnnealingLR", dict(last_epoch=2.5), "last_epoch must be an integer >= 0"),
    ("CosineAnnealingLR", dict(last_epoch=-3), "last_epoch must be an integer >= 0"),
    ("CosineAnnealingLR", dict(last_epoch=True), "last_epoch must be an integer"),
    ("CosineAnnealingLR", dict(base_lrs=[1.0, -1.0]), "base_lrs must be 2 finite numbers >= 0"),
    ("CosineAnnealingLR", dict(base_lrs=[1.0]), "base_lrs must be 2 finite numbers"),
    ("CosineAnnealingLR", dict(_last_lr=[float("inf"), 1.0]), "_last_lr must be 2 finite numbers"),
    ("CosineAnnealingLR", dict(T_max=0), "T_max must be a number >= 1"),
    ("CosineAnnealingLR", dict(eta_min=-0.1), "eta_min must be a finite number >= 0"),
    ("StepLR", dict(step_size=0), "step_size must be an integer >= 1"),
    ("StepLR", dict(gamma="0.1"), "gamma must be a finite number"),
    ("MultiStepLR", dict(milestones=[2, 2.5]), "milestones must be an integer"),
    ("ExponentialLR", dict(gamma=float("nan")), "gamma must be a finite number"),
])
def test_a_bad_schedule_state_changes_nothing(name, change, message):
    """torch's load_state_dict updates the scheduler's __dict__ with whatever it gets."""
    _, saved = _scheduled(name)
    _, other = _scheduled(name, steps=1)
    before = dict(other.__dict__)
    with pytest.raises(ValueError, match=message):
        other.load_state_dict({**saved.state_dict(), **change})
    assert other.__dict__ == before


def test_an_optimizer_of_your_own_still_saves_and_loads_its_state():
    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def update(self, param, grad, state, group):
            state["step"] = state.get("step", 0) + 1
            state["last_grad"] = grad * 1.0
            param.sub_(grad, alpha=group["lr"])

    opt, params = _trained("SGD")  # only for the parameters
    ours = PlainSGD(params)
    loss_of(params, mg.sin).backward()
    ours.step()
    fresh = PlainSGD([mg.zeros(3, 4, requires_grad=True), mg.zeros(5, requires_grad=True)], lr=0.5)
    fresh.load_state_dict(ours.state_dict())
    assert [s["step"] for s in fresh.state.values()] == [1, 1] and fresh.param_groups[0]["lr"] == 0.1


def test_loaded_float64_state_stays_float64_and_the_next_step_runs():
    p = mg.nn.Parameter(mg.tensor([1.0, 2.0], dtype=mg.float64))
    opt = mg.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = mg.tensor([0.5, -0.5], dtype=mg.float64)
    opt.step()
    again = mg.optim.SGD([p], lr=0.1, momentum=0.9)
    again.load_state_dict(opt.state_dict())
    assert again.state[p]["momentum_buffer"].dtype == mg.float64
    again.step()
