"""matplotlib pictures of training: gradient flow per layer, activation histograms, loss/accuracy
curves, learning-rate schedules. Each function returns a ``matplotlib.figure.Figure`` (built without
pyplot, so nothing pops up and no global state changes) and writes it atomically when given ``path=``.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np
from matplotlib.figure import Figure

from minigrad import autodiff, nn
from minigrad.curves import plot_curves, save_figure

ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.ELU, nn.PReLU, nn.Sigmoid, nn.Tanh)
HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc")


def _finish(fig: Figure, path) -> Figure:
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_grad_flow(model, path=None, biases: bool = False) -> Figure:
    """Mean and max |gradient| of each layer's weights after ``backward()`` (log scale): gradients that
    shrink towards the input layers are vanishing, ones that grow are exploding."""
    named = [(n, p) for n, p in model.named_parameters() if p.grad is not None and (biases or p.ndim > 1)]
    if not named:
        raise ValueError("plot_grad_flow: no parameter has a gradient; call loss.backward() first")
    names = [n for n, _ in named]
    grads = [np.abs(p.grad.numpy().astype(np.float64)) for _, p in named]
    mean, largest = [g.mean() for g in grads], [g.max() for g in grads]
    fig = Figure(figsize=(max(6.0, 0.45 * len(names) + 2), 4.2), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(names))
    ax.bar(x, largest, color="#93c5fd", label="max |grad|")
    ax.bar(x, mean, color="#1d4ed8", width=0.5, label="mean |grad|")
    ax.set_yscale("log")
    ax.set_xticks(x, names, rotation=70, ha="right", fontsize=8)
    ax.set(ylabel="|gradient|", title="Gradient flow (input layers left)")
    ax.grid(axis="y", alpha=0.3)
    ax.legend()
    return _finish(fig, path)


def _activation_layers(model, layers):
    named = dict(model.named_modules())
    if layers is not None:
        missing = [n for n in layers if n not in named]
        if missing:
            raise ValueError(f"plot_activations: no module named {missing}; the model has {list(named)[1:]}")
        return [(n, named[n]) for n in layers]
    chosen = [(n, m) for n, m in named.items() if n and isinstance(m, ACTIVATIONS)]
    return chosen or [(n, m) for n, m in named.items() if n and not any(True for _ in m.children())]


def record_activations(model, x, layers=None) -> dict:
    """{layer name: output array} from one forward pass (no graph recorded), via forward hooks. By
    default the activation layers (ReLU, Tanh, ...), else every leaf module. A module called twice
    appears twice ("relu", "relu#2")."""
    outputs, handles = {}, []

    def recorder(name):
        def hook(module, inputs, output):
            key, k = name, 1
            while key in outputs:
                k += 1
                key = f"{name}#{k}"
            outputs[key] = output.numpy().copy()
        return hook

    try:
        for name, module in _activation_layers(model, layers):
            handles.append(module.register_forward_hook(recorder(name)))
        with autodiff.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return outputs


def plot_activations(model, x, path=None, layers=None, bins: int = 60, max_columns: int = 6) -> Figure:
    """Histograms of each layer's activations on the batch ``x`` (one panel per layer, with mean and std),
    in rows of at most ``max_columns`` panels."""
    acts = record_activations(model, x, layers)
    return plot_activation_stats({type(model).__name__: acts}, path=path, bins=bins, max_columns=max_columns)


def plot_activation_stats(runs: dict, path=None, bins: int = 60, max_columns: int = 6) -> Figure:
    """A grid of activation histograms ({run name: {layer name: array}}): each run's layers in rows of at
    most ``max_columns`` panels (a run starts a new row), each panel titled with the layer and its mean
    and standard deviation; one run shares one x range so its layers compare at a glance."""
    if not runs or not all(runs.values()):
        raise ValueError("plot_activation_stats: give at least one run with at least one layer")
    if isinstance(max_columns, bool) or not isinstance(max_columns, int) or max_columns < 1:
        raise ValueError(f"plot_activation_stats: max_columns must be a positive int, got {max_columns!r}")
    columns = min(max_columns, max(len(acts) for acts in runs.values()))
    rows_per_run = [math.ceil(len(acts) / columns) for acts in runs.values()]
    fig = Figure(figsize=(2.1 * columns + 1, 1.9 * sum(rows_per_run) + 0.6), layout="constrained")
    axes = fig.subplots(sum(rows_per_run), columns, squeeze=False)
    first_row = 0
    for n_rows, (run, acts) in zip(rows_per_run, runs.items()):
        panels = axes[first_row:first_row + n_rows].ravel()
        arrays = [np.asarray(a, dtype=np.float64).ravel() for a in acts.values()]
        low = min(a.min() for a in arrays)
        high = max(a.max() for a in arrays)
        span = (low, high) if high > low else (low - 1, high + 1)
        for ax, (name, a) in zip(panels, zip(acts, arrays)):
            ax.hist(a, bins=bins, range=span, color="#1d4ed8", histtype="stepfilled", alpha=0.85)
            ax.set_title(f"{name}\n{_mean_and_std(a)}", fontsize=9)
            ax.set_yticks([])
            ax.tick_params(labelsize=8)
        panels[0].set_ylabel(run, fontsize=10)
        for ax in panels[len(arrays):]:
            ax.set_visible(False)
        first_row += n_rows
    return _finish(fig, path)


def _mean_and_std(a: np.ndarray) -> str:
    """μ and σ to the same decimal place, three significant digits of σ: "μ -0.001  σ 0.492"."""
    std = float(a.std())
    decimals = 3 if std == 0 else max(0, 2 - int(np.floor(np.log10(std))))
    mean = round(float(a.mean()), decimals) + 0.0
    return f"μ {mean:.{decimals}f}  σ {std:.{decimals}f}"


def load_history(metrics) -> list:
    """A training history as a list of dicts, from a list, a metrics.json file, or a run folder."""
    if isinstance(metrics, (str, os.PathLike)):
        path = os.fspath(metrics)
        if os.path.isdir(path):
            path = os.path.join(path, "metrics.json")
        with open(path) as f:
            metrics = json.load(f)
    if isinstance(metrics, dict):
        metrics = metrics.get("history", metrics.get("epochs"))
    if not isinstance(metrics, list) or not metrics:
        raise ValueError("plot_history: expected a non-empty list of per-epoch dicts (or a metrics.json holding one)")
    for i, entry in enumerate(metrics):
        missing = [k for k in HISTORY_KEYS if k not in entry]
        if missing:
            raise ValueError(f"plot_history: entry {i} lacks {missing}; each epoch needs {list(HISTORY_KEYS)}")
    return metrics


def plot_history(metrics, path=None) -> Figure:
    """Loss and accuracy curves (train and test) per epoch, from ``python -m minigrad.train``'s
    metrics.json (a path or run folder) or a list of {epoch, train_loss, train_acc, test_loss, test_acc}."""
    return _finish(plot_curves(load_history(metrics)), path)


def plot_lr_schedule(scheduler, steps: int, path=None) -> Figure:
    """The learning rate of each parameter group for steps 0..steps-1, from the schedule's formula
    (``lr_at``), so the scheduler and its optimizer are left exactly as they were."""
    if not hasattr(scheduler, "lr_at"):
        raise TypeError(f"plot_lr_schedule takes a minigrad.optim.lr_scheduler schedule, got {type(scheduler).__name__}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"plot_lr_schedule: steps must be a positive int, got {steps!r}")
    t = np.arange(steps)
    fig = Figure(figsize=(6, 3.6), layout="constrained")
    ax = fig.subplots()
    for i, base in enumerate(scheduler.base_lrs):
        label = f"group {i}" if len(scheduler.base_lrs) > 1 else None
        ax.plot(t, [scheduler.lr_at(int(s), base, i) for s in t], label=label)
    ax.set(xlabel="step", ylabel="learning rate", title=type(scheduler).__name__)
    ax.grid(alpha=0.3)
    if len(scheduler.base_lrs) > 1:
        ax.legend()
    return _finish(fig, path)
