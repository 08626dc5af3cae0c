"""Time the CPU kernels against PyTorch CPU in the same process (float32, 2 threads each).

    python benchmarks/kernels_cpu.py [--threading-layer workqueue|omp|default] [--repeat 10] [--rounds 3]

Each case runs `repeat` times on one side, then on the other, for `rounds` rounds (after a warm-up
that also compiles the kernels); the table gives the median of every timed run and the ratio
minigrad / PyTorch. Absolute times drift between runs on a shared machine: read the ratios.
"""
import argparse
import os
import statistics
import time

import numba
import numpy as np
import torch
import torch.nn.functional as tF

from kernels.cpu import (batch_norm_backward, batch_norm_forward, batch_norm_stats, conv2d_backward,
                         conv2d_forward, max_pool2d_backward, max_pool2d_forward)

THREADS = 2
EPS = 1e-5
TARGETS = {"conv2d forward + backward": 1.67}


def conv_cases(rng):
    x = rng.standard_normal((64, 64, 32, 32), dtype=np.float32)
    w = rng.standard_normal((64, 64, 3, 3), dtype=np.float32) * 0.05
    b = rng.standard_normal(64, dtype=np.float32)
    dy = rng.standard_normal((64, 64, 32, 32), dtype=np.float32)
    xt, wt, bt, dyt = (torch.from_numpy(a) for a in (x, w, b, dy))

    def ours_forward():
        conv2d_forward(x, w, b, 1, 1, 1, 1)

    def ours_both():
        conv2d_forward(x, w, b, 1, 1, 1, 1)
        conv2d_backward(dy, x, w, 1, 1, 1, 1)

    def torch_forward():
        with torch.no_grad():
            tF.conv2d(xt, wt, bt, 1, 1)

    def torch_both():
        xr, wr, br = (t.detach().requires_grad_() for t in (xt, wt, bt))
        tF.conv2d(xr, wr, br, 1, 1).backward(dyt)

    return [("conv2d forward", ours_forward, torch_forward), ("conv2d forward + backward", ours_both, torch_both)]


def max_pool_case(rng):
    x = rng.standard_normal((64, 64, 32, 32), dtype=np.float32)
    dy = rng.standard_normal((64, 64, 16, 16), dtype=np.float32)
    xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)

    def ours():
        _, argmax = max_pool2d_forward(x, 2, 2, 0, 1, False)
        max_pool2d_backward(dy, argmax, x.shape)

    def theirs():
        xr = xt.detach().requires_grad_()
        tF.max_pool2d(xr, 2, 2).backward(dyt)

    return [("max-pool 2x2 forward + backward", ours, theirs)]


def batch_norm_case(rng):
    x = rng.standard_normal((64, 64, 32, 32), dtype=np.float32)
    dy = rng.standard_normal((64, 64, 32, 32), dtype=np.float32)
    w, b = np.ones(64, np.float32), np.zeros(64, np.float32)
    xt, wt, bt, dyt = (torch.from_numpy(a) for a in (x, w, b, dy))

    def ours():
        mean, var = batch_norm_stats(x)
        invstd = 1 / np.sqrt(var + EPS)
        batch_norm_forward(x, mean, invstd, w, b)
        batch_norm_backward(dy, x, mean, invstd, w)

    def theirs():
        xr, wr, br = (t.detach().requires_grad_() for t in (xt, wt, bt))
        tF.batch_norm(xr, None, None, wr, br, training=True, eps=EPS).backward(dyt)

    return [("batch-norm 2d forward + backward", ours, theirs)]


def timed_runs(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def measure(ours, theirs, repeat, rounds):
    """Median milliseconds of (ours, theirs), each run in blocks of `repeat` after a warm-up."""
    mine, torch_times = [], []
    for fn in (ours, theirs):
        timed_runs(fn, 2)
    for _ in range(rounds):
        mine += timed_runs(ours, repeat)
        torch_times += timed_runs(theirs, repeat)
    return 1e3 * statistics.median(mine), 1e3 * statistics.median(torch_times)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threading-layer", default="default", choices=["default", "workqueue", "omp", "tbb"])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.threading_layer != "default":
        numba.config.THREADING_LAYER = args.threading_layer
    torch.set_num_threads(THREADS)
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))

    rng = np.random.default_rng(0)
    cases = conv_cases(rng) + max_pool_case(rng) + batch_norm_case(rng)
    load_before = os.getloadavg()[0]
    rows = []
    for name, ours, theirs in cases:
        mine, reference = measure(ours, theirs, args.repeat, args.rounds)
        target = TARGETS.get(name)
        rows.append((name, mine, reference, mine / reference, f"<= {target}" if target else ""))

    print(f"float32, {THREADS} threads each; Numba threading layer: {numba.threading_layer()}; "
          f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')}; "
          f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}\n")
    print("| kernel | minigrad (ms) | PyTorch (ms) | ratio | target |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, mine, reference, ratio, target in rows:
        print(f"| {name} | {mine:.1f} | {reference:.1f} | {ratio:.2f} | {target} |")


if __name__ == "__main__":
    main()
