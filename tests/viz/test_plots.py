"""matplotlib plots: the plotted numbers against NumPy computations of the same statistics, learning
rates against PyTorch's schedulers, and files written atomically; models and schedules left untouched."""
import json
import os

import numpy as np
import pytest

import minigrad as mg
import viz
from minigrad import nn, optim


@pytest.fixture
def mlp():
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


@pytest.fixture
def batch():
    return mg.tensor(np.random.default_rng(0).normal(size=(32, 6)))


def test_grad_flow_bars_are_mean_and_max_abs_gradients(mlp, batch, tmp_path):
    mlp(batch).logsumexp(axis=1).mean().backward()
    fig = viz.plot_grad_flow(mlp, path=tmp_path / "flow.png")
    ax = fig.axes[0]
    largest, mean = ([bar.get_height() for bar in c] for c in ax.containers)
    weights = [p for name, p in mlp.named_parameters() if name.endswith("weight")]
    np.testing.assert_allclose(mean, [np.abs(p.grad.numpy()).mean() for p in weights], rtol=1e-6)
    np.testing.assert_allclose(largest, [np.abs(p.grad.numpy()).max() for p in weights], rtol=1e-6)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.weight", "2.weight", "4.weight"]
    assert ax.get_yscale() == "log"
    assert os.listdir(tmp_path) == ["flow.png"] and (tmp_path / "flow.png").read_bytes()[:4] == b"\x89PNG"


def test_grad_flow_before_backward_says_what_to_do(mlp):
    with pytest.raises(ValueError, match="backward"):
        viz.plot_grad_flow(mlp)


def test_activation_histograms_match_a_manual_forward_pass(mlp, batch):
    fig = viz.plot_activations(mlp, batch)
    x = batch.numpy().astype(np.float64)
    w = [p.numpy().astype(np.float64) for p in mlp.parameters()]
    h1 = np.tanh(x @ w[0].T + w[1])
    h2 = np.maximum(h1 @ w[2].T + w[3], 0)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert [t.splitlines()[0] for t in titles] == ["1", "3"]
    for title, h in zip(titles, (h1, h2)):
        stats = title.splitlines()[1].replace("μ", "").split("σ")
        assert float(stats[1]) == pytest.approx(h.std(), rel=5e-3)
        assert float(stats[0]) == pytest.approx(h.mean(), abs=0.01 * h.std())  # to σ's last digit
    assert all(not m._forward_hooks for m in mlp.modules())


def test_many_layers_wrap_into_rows_in_order():
    acts = {f"layer{i}": np.random.default_rng(i).normal(size=50) * (i + 1) for i in range(17)}
    fig = viz.plot_activation_stats({"deep": acts, "other": {"a": np.ones(3), "b": np.arange(3.0)}}, max_columns=6)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title().splitlines()[0] for ax in shown] == list(acts) + ["a", "b"]
    grid = [(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start) for ax in shown]
    assert grid[:17] == [(k // 6, k % 6) for k in range(17)]        # rows of 6, left to right
    assert grid[17:] == [(3, 0), (3, 1)]                             # the next run starts a new row
    width, height = fig.get_size_inches()
    assert width / height < 2                                        # not one 4404×300 strip
    with pytest.raises(ValueError, match="max_columns must be a positive int"):
        viz.plot_activation_stats({"deep": acts}, max_columns=0)


def test_activations_of_named_layers_and_bad_names(mlp, batch):
    acts = viz.record_activations(mlp, batch, layers=["0", "4"])
    assert [a.shape for a in acts.values()] == [(32, 16), (32, 3)]
    with pytest.raises(ValueError, match="no module named"):
        viz.record_activations(mlp, batch, layers=["7"])


HISTORY = [dict(epoch=e, train_loss=1 / e, train_acc=0.5 + e / 10, test_loss=1.2 / e, test_acc=0.45 + e / 10,
                seconds=1.0) for e in (1, 2, 3)]


@pytest.mark.parametrize("source", ["list", "file", "folder"])
def test_history_curves_plot_the_metrics(tmp_path, source):
    (tmp_path / "metrics.json").write_text(json.dumps(HISTORY))
    metrics = {"list": HISTORY, "file": tmp_path / "metrics.json", "folder": tmp_path}[source]
    fig = viz.plot_history(metrics, path=tmp_path / "curves.png")
    loss_ax, acc_ax = fig.axes
    train_loss, test_loss = (line.get_ydata() for line in loss_ax.lines)
    np.testing.assert_allclose(train_loss, [h["train_loss"] for h in HISTORY])
    np.testing.assert_allclose(test_loss, [h["test_loss"] for h in HISTORY])
    assert (tmp_path / "curves.png").exists()


def test_history_with_missing_keys_is_refused():
    with pytest.raises(ValueError, match="test_acc"):
        viz.plot_history([dict(epoch=1, train_loss=1.0, train_acc=0.5, test_loss=1.0)])


@pytest.mark.parametrize("make, make_torch", [
    (lambda o: optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
     lambda o, torch: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.01)),
    (lambda o: optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
     lambda o, torch: torch.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5)),
    (lambda o: optim.lr_scheduler.ExponentialLR(o, gamma=0.8),
     lambda o, torch: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.8)),
])
def test_lr_schedule_matches_pytorch_and_leaves_the_schedule_alone(make, make_torch):
    torch = pytest.importorskip("torch")
    w = mg.zeros(2, requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    scheduler = make(opt)
    fig = viz.plot_lr_schedule(scheduler, 15)
    plotted = fig.axes[0].lines[0].get_ydata()
    t_opt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    t_sched = make_torch(t_opt, torch)
    expected = []
    for _ in range(15):
        expected.append(t_opt.param_groups[0]["lr"])
        t_opt.step()
        t_sched.step()
    np.testing.assert_allclose(plotted, expected, rtol=1e-12)
    assert scheduler.last_epoch == 0 and opt.param_groups[0]["lr"] == pytest.approx(expected[0])
