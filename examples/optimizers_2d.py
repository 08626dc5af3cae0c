"""SGD, momentum, RMSProp and Adam on an ill-conditioned 2-D quadratic, side by side.

    f(x, y) = ½ (x² + κ y²),  κ = 50:   a long narrow valley, steep across (y), flat along (x)

Plain SGD must keep its step below 2/κ to stay stable across the valley, so it crawls along it;
momentum builds up speed along the valley; RMSProp and Adam divide each coordinate's step by a running
root-mean-square of its gradients, so both directions move at a similar pace. Each optimizer is
``minigrad.optim``'s, updating a Tensor w = (x, y) from ``loss.backward()``.

    python examples/optimizers_2d.py --out optimizers_2d.png
"""
import argparse

import numpy as np
from matplotlib.figure import Figure

import minigrad as mg
from minigrad import optim
from viz.plots import save_figure

KAPPA = 50.0
START = (-4.5, 1.5)
OPTIMIZERS = {
    "SGD (lr 0.038)": lambda p: optim.SGD(p, lr=0.038),
    "SGD + momentum (lr 0.01, β 0.9)": lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
    "RMSProp (lr 0.05)": lambda p: optim.RMSprop(p, lr=0.05),
    "Adam (lr 0.3)": lambda p: optim.Adam(p, lr=0.3),
}


def quadratic(w):
    """f(w) = ½ (w₀² + κ w₁²)."""
    scale = mg.tensor([1.0, KAPPA], dtype=mg.float64)
    return 0.5 * (scale * w * w).sum()


def path_of(make_optimizer, steps: int) -> np.ndarray:
    """The points (steps + 1, 2) that the optimizer visits from START."""
    w = mg.tensor(START, dtype=mg.float64, requires_grad=True)
    opt = make_optimizer([w])
    points = [w.numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        quadratic(w).backward()
        opt.step()
        points.append(w.numpy().copy())
    return np.array(points)


def plot_paths(paths: dict, path=None) -> Figure:
    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    xs, ys = np.meshgrid(np.linspace(-5, 1.5, 300), np.linspace(-2, 2, 200))
    values = 0.5 * (xs ** 2 + KAPPA * ys ** 2)
    ax.contour(xs, ys, values, levels=np.geomspace(0.02, 60, 14), colors="#c0c4cc", linewidths=0.8)
    for (name, points), colour in zip(paths.items(), ("#dc2626", "#2563eb", "#16a34a", "#9333ea")):
        final = 0.5 * (points[-1, 0] ** 2 + KAPPA * points[-1, 1] ** 2)
        ax.plot(points[:, 0], points[:, 1], "-o", color=colour, markersize=2.5, linewidth=1.3,
                label=f"{name}: f = {final:.1e}")
    ax.plot(*START, "ks", markersize=6)
    ax.plot(0, 0, "k*", markersize=10)
    ax.set(xlabel="x", ylabel="y", title=f"f(x, y) = ½(x² + {KAPPA:g} y²), {len(points) - 1} steps from {START}",
           aspect="equal")
    ax.legend(loc="lower right", fontsize=8)
    if path is not None:
        save_figure(fig, path)
    return fig


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--out", default="optimizers_2d.png", help="picture of the paths (.png, .svg, .pdf)")
    args = p.parse_args(argv)

    paths = {name: path_of(make, args.steps) for name, make in OPTIMIZERS.items()}
    for name, points in paths.items():
        x, y = points[-1]
        print(f"{name:<34} after {args.steps} steps: (x, y) = ({x:+.4f}, {y:+.4f})")
    plot_paths(paths, args.out)
    print(f"wrote {args.out}")
    return paths


if __name__ == "__main__":
    main()
