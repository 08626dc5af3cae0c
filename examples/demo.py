"""`make demo`: minigrad end to end, offline, in a few minutes on two cores.

1. The lecture example f(x, y) = y·log x + √(y·log x) at x = 3, y = 2: forward- and reverse-mode
   step tables, its computation graph (SVG and PNG), its step-through frames (PDF pages, GIF), the
   reverse mode as an HTML player (steps.html) and as a Beamer slide (deck.tex, and deck.pdf when
   pdflatex is installed).
2. LeNet-5 trained on the MNIST sample that ships with minigrad, with progress bars, writing
   metrics.json, curves.png and a gradient-flow plot.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time

import minigrad as mg
from autodiff_modes import f as lecture_function  # examples/ is on sys.path when this script runs


def lecture(out_dir):
    import viz

    x, y = mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")
    print("== The lecture example: f(x, y) = y·log x + √(y·log x) at x = 3, y = 2 ==\n")
    print(mg.trace(lecture_function, x, y))
    f = lecture_function(x, y)
    f.backward()
    print(f"\nf = {f.data:.6f}   ∂f/∂x = {x.grad.data:.6f}   ∂f/∂y = {y.grad.data:.6f}\n")
    written = []
    graph = viz.draw(f)
    for suffix in ("svg", "png"):
        written.append(viz.render(graph, os.path.join(out_dir, f"lecture_graph.{suffix}")))
    for mode in ("forward", "reverse"):
        frames = viz.steps(lecture_function, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode=mode)
        written.append(viz.save_steps(frames, os.path.join(out_dir, f"lecture_steps_{mode}.pdf")))
        written.append(viz.save_steps(frames, os.path.join(out_dir, f"lecture_steps_{mode}.gif")))
    written.append(viz.save_player(frames, os.path.join(out_dir, "steps.html")))
    slides = viz.steps(lecture_function, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="reverse",
                       aspect=viz.BEAMER_BODY, title=False, shared_layout=False)
    deck = viz.save_beamer(slides, os.path.join(out_dir, "deck.tex"))
    written.append(deck)
    if shutil.which("pdflatex"):
        done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "deck.tex"], cwd=out_dir,
                              capture_output=True, text=True, timeout=300)
        for leftover in ("deck.aux", "deck.log", "deck.nav", "deck.out", "deck.snm", "deck.toc"):
            if os.path.exists(os.path.join(out_dir, leftover)):
                os.remove(os.path.join(out_dir, leftover))
        if done.returncode == 0:
            written.append(os.path.join(out_dir, "deck.pdf"))
        else:
            print("pdflatex could not compile deck.tex (is Beamer installed?); deck.tex is written", file=sys.stderr)
    return written


def train_lenet(out_dir, epochs, quiet, limit_train=None):
    import viz
    import minigrad.nn.functional as F
    from minigrad import data, models
    from minigrad.train import parse_args, run

    print("== LeNet-5 on the bundled MNIST sample (6,000 train / 1,000 test images) ==\n")
    args = parse_args(["--model", "lenet5", "--dataset", "mnist-sample", "--epochs", str(epochs),
                       "--batch-size", "64", "--lr", "0.05", "--seed", "0", "--out", out_dir]
                      + (["--quiet"] if quiet else [])
                      + (["--limit-train", str(limit_train)] if limit_train else []))
    history = run(args)

    model = models.LeNet5(variant="classic", in_channels=1)
    model.load_state_dict(mg.load(os.path.join(out_dir, "checkpoint.npz"))["model"])
    x, y = next(iter(data.DataLoader(data.get_dataset("mnist-sample", train=False), batch_size=64)))
    F.cross_entropy(model(x), y).backward()
    viz.plot_grad_flow(model, path=os.path.join(out_dir, "grad_flow.png"))
    return history, [os.path.join(out_dir, n) for n in ("metrics.json", "curves.png", "checkpoint.npz", "grad_flow.png")]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="out")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--limit-train", type=int, default=None, metavar="N", help="train on the first N images only")
    args = p.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.perf_counter()
    written = lecture(args.out)
    history, more = train_lenet(args.out, args.epochs, args.quiet, args.limit_train)
    written += more
    print(f"\nLeNet-5 test accuracy after {len(history)} epochs: {100 * history[-1]['test_acc']:.2f}%")
    print(f"\nDone in {time.perf_counter() - t0:.0f} s. Files written:")
    for path in written:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
