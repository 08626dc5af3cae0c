"""Activation statistics at initialisation: the 6-layer, 4096-wide experiment of Lecture 7.

    dims = [4096] * 7;  x = randn(16, 4096);  for each layer: x = act(x @ W)

with W from five initialisations:

    0.01·randn, tanh     small weights: activations shrink towards zero layer after layer
    0.05·randn, tanh     large weights: activations saturate at ±1
    Xavier, tanh         std 1/√Din: "just right", nicely scaled in every layer
    Xavier, ReLU         ReLU halves the variance each layer: activations collapse again
    Kaiming, ReLU        std √(2/Din): "just right" for ReLU

Prints the mean and standard deviation of every layer's activations and draws one histogram per layer.

    python examples/init_activations.py --out init_activations.png
"""
import argparse

import minigrad as mg
import viz
from minigrad import nn

SCHEMES = [
    ("0.01·randn, tanh", lambda w: nn.init.normal_(w, 0.0, 0.01), "tanh"),
    ("0.05·randn, tanh", lambda w: nn.init.normal_(w, 0.0, 0.05), "tanh"),
    ("Xavier, tanh", nn.init.xavier_normal_, "tanh"),
    ("Xavier, ReLU", nn.init.xavier_normal_, "relu"),
    ("Kaiming, ReLU", lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), "relu"),
]


def activations(init, activation: str, width: int, layers: int, batch: int) -> dict:
    """{layer name: activations} of ``layers`` layers x ← act(x Wᵀ), W (width × width) from ``init``."""
    x = mg.randn(batch, width)
    out = {}
    with mg.no_grad():
        for k in range(1, layers + 1):
            w = init(mg.zeros(width, width))
            x = getattr(x @ w.T, activation)()
            out[f"layer {k}"] = x.numpy()
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=4096)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="init_activations.png", help="picture of the histograms (.png, .svg, .pdf)")
    args = p.parse_args(argv)

    mg.manual_seed(args.seed)
    runs = {}
    print(f"{args.layers} layers of width {args.width}, batch {args.batch}: mean / std of each layer's activations")
    for name, init, activation in SCHEMES:
        runs[name] = activations(init, activation, args.width, args.layers, args.batch)
        stats = "  ".join(f"{a.mean():+.3f}/{a.std():.3f}" for a in runs[name].values())
        print(f"{name:<18} {stats}")
    viz.plot_activation_stats(runs, path=args.out)
    print(f"wrote {args.out}")
    return runs


if __name__ == "__main__":
    main()
