"""BatchNorm in training and evaluation mode, and its fusion into the convolution before it.

Training mode normalizes with the batch's own mean and variance and updates the running averages

    running ← (1 - m) · running + m · batch statistic,   m = momentum = 0.1 (PyTorch's convention;
    the STATS 507 slide writes the same average with the roles of m and 1 - m swapped)

(the running variance uses the unbiased batch variance). Evaluation mode uses the running averages, so
BatchNorm becomes a fixed affine map per channel, which folds into the preceding conv (cs231n, Lecture 7):

    w' = w · γ/σ,   b' = (b - μ) · γ/σ + β,   σ = √(running_var + ε)

    python examples/batchnorm_modes.py
"""
import numpy as np

import minigrad as mg
from minigrad import nn
from minigrad.nn.utils import fuse_conv_bn

MEAN, STD = 3.0, 2.0


def running_averages(steps: int = 10, batch: int = 64):
    """Feed ``steps`` batches of N(MEAN, STD²) through BatchNorm1d(1) in training mode; returns
    [(step, batch mean, running mean, (1 - 0.9^step) · MEAN)]."""
    bn = nn.BatchNorm1d(1)
    rows = []
    for step in range(1, steps + 1):
        x = mg.randn(batch, 1) * STD + MEAN
        bn(x)
        rows.append((step, x.numpy().mean(), bn.running_mean.item(), (1 - 0.9 ** step) * MEAN))
    return rows


def train_versus_eval():
    """Per-channel (mean, std) of a BatchNorm2d's output for one batch, in training and in evaluation mode,
    after the running statistics have seen 50 batches of the same distribution."""
    bn = nn.BatchNorm2d(3)
    for _ in range(50):
        bn(mg.randn(16, 3, 8, 8) * STD + MEAN)
    x = mg.randn(16, 3, 8, 8) * STD + MEAN
    stats = {}
    for mode in ("train", "eval"):
        bn.train(mode == "train")
        y = bn(x).numpy()
        stats[mode] = (y.mean(axis=(0, 2, 3)), y.std(axis=(0, 2, 3)))
    return stats


def fusion():
    """(largest |difference| of the eval outputs before and after fuse_conv_bn, BatchNorm layers before, after)."""
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 4, 3), nn.BatchNorm2d(4))
    with mg.no_grad():
        for _ in range(20):
            model(mg.randn(8, 3, 10, 10) * STD + MEAN)
    model.eval()
    x = mg.randn(4, 3, 10, 10) * STD + MEAN
    fused = fuse_conv_bn(model)
    with mg.no_grad():
        difference = np.abs(model(x).numpy() - fused(x).numpy()).max()
    count = lambda m: sum(isinstance(layer, nn.BatchNorm2d) for layer in m.modules())  # noqa: E731
    return difference, count(model), count(fused), fused


def main():
    mg.manual_seed(0)
    print(f"BatchNorm1d(1), momentum 0.1, batches of N({MEAN}, {STD}²):")
    print(" step  batch mean  running mean  (1 - 0.9^step)·3")
    for step, batch_mean, running, expected in running_averages():
        print(f"{step:5d}  {batch_mean:10.4f}  {running:12.4f}  {expected:16.4f}")
    print("\nOne batch through BatchNorm2d(3) (running statistics from 50 earlier batches):")
    for mode, (mean, std) in train_versus_eval().items():
        print(f"  {mode:5s}: channel means {np.round(mean, 4) + 0.0}, stds {np.round(std, 4) + 0.0}")
    difference, before, after, fused = fusion()
    print(f"\nfuse_conv_bn: BatchNorm2d layers {before} → {after}; largest output difference in eval mode "
          f"{difference:.2e}\n")
    print(fused)


if __name__ == "__main__":
    main()
