"""Training curves (loss and accuracy per epoch) drawn with matplotlib, saved atomically.

Lives in minigrad (not viz) because ``python -m minigrad.train`` draws them on machines without
Graphviz; ``viz.plot_history`` uses it too.
"""
from __future__ import annotations

import os

from .atomic import atomic_write


def plot_curves(history, path=None):
    """Loss (left) and accuracy (right) for train and test against epoch; returns the Figure."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    epochs = [h["epoch"] for h in history]
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    for split, style in (("train", "-o"), ("test", "--s")):
        ax_loss.plot(epochs, [h[f"{split}_loss"] for h in history], style, label=split)
        ax_acc.plot(epochs, [100 * h[f"{split}_acc"] for h in history], style, label=split)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    if path is not None:
        save_figure(fig, path)
    return fig


def save_figure(fig, path, dpi=120):
    """fig.savefig to a temporary file in the same folder, then rename: never a half-written picture."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lstrip(".") or "png"
    with atomic_write(path) as f:
        fig.savefig(f, format=fmt, dpi=dpi)
    return path
