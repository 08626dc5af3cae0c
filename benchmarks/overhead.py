"""Framework overhead, minigrad next to PyTorch (CPU) in one run.

Tiny tensors (where the time is all Python bookkeeping: op dispatch, graph recording, backprop)
and one train step of a 2-layer MLP (784→256→10, batch 256, ReLU, cross-entropy, SGD written with
in-place updates under no_grad). Each entry is the median over repeated timings after warm-up,
minigrad and PyTorch alternating so that drift of the machine hits both alike.

    python benchmarks/overhead.py                     # prints a Markdown table
    python benchmarks/overhead.py --out overhead.md   # and writes it
    python benchmarks/overhead.py --profile           # cProfile of the minigrad side
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

THREADS = 2
# Three thread pools share 2 cores (PyTorch's OpenMP, Numba's, OpenBLAS's): an idle pool must sleep, not spin
# on the cores the other library is using (spinning pools made either side up to 40× slower here).
THREAD_ENV = {"NUMBA_NUM_THREADS": str(THREADS), "OPENBLAS_NUM_THREADS": str(THREADS), "OMP_WAIT_POLICY": "PASSIVE",
              "OPENBLAS_THREAD_TIMEOUT": "4"}
for _key, _value in THREAD_ENV.items():
    os.environ.setdefault(_key, _value)

import numba  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import minigrad as mg  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402


# ---- the workloads: each builder returns a no-argument function running one step -----------------

def tiny_ops(lib):
    """name -> step on 4×4 tensors that require grad (so the graph is recorded, as in training)."""
    a = lib.randn(4, 4, requires_grad=True)
    b = lib.randn(4, 4, requires_grad=True)

    def forward_backward():
        (a * b).tanh().sum().backward()

    return {
        "add 4×4": lambda: a + b,
        "mul 4×4": lambda: a * b,
        "matmul 4×4": lambda: a @ b,
        "sum 4×4": lambda: a.sum(),
        "relu 4×4": lambda: a.relu(),
        "exp 4×4": lambda: a.exp(),
        "getitem a[1:3]": lambda: a[1:3],
        "forward+backward (a·b).tanh().sum()": forward_backward,
    }


def mlp_step(lib, cross_entropy, batch=256, sizes=(784, 256, 10), lr=0.01):
    """One SGD step of a 2-layer MLP on a fixed random batch."""
    rng = np.random.default_rng(0)
    n_in, n_hidden, n_out = sizes
    arrays = [rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in), np.zeros(n_hidden),
              rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden), np.zeros(n_out)]
    params = [lib.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    x = lib.tensor(rng.standard_normal((batch, n_in)).astype(np.float32))
    y = lib.tensor(rng.integers(0, n_out, batch))
    w1, b1, w2, b2 = params

    def step():
        loss = cross_entropy((x @ w1 + b1).relu() @ w2 + b2, y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=lr)
                p.grad = None

    return step


def workloads():
    """name -> (minigrad step, torch step)."""
    mg_tiny, torch_tiny = tiny_ops(mg), tiny_ops(torch)
    pairs = {name: (mg_tiny[name], torch_tiny[name]) for name in mg_tiny}
    pairs["MLP 784→256→10 train step, batch 256"] = (mlp_step(mg, F.cross_entropy),
                                                     mlp_step(torch, torch.nn.functional.cross_entropy))
    return pairs


# ---- timing ----------------------------------------------------------------------------------------

def _seconds(fn, number):
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - start


def _calls_per_sample(fn, min_seconds):
    number = 1
    while _seconds(fn, number) < min_seconds:
        number *= 2
    return number


def compare(mg_fn, torch_fn, repeats, min_seconds=0.02):
    """(minigrad, torch) median seconds per call, timed in alternation after warm-up."""
    numbers = [_calls_per_sample(fn, min_seconds) for fn in (mg_fn, torch_fn)]
    samples = ([], [])
    for _ in range(repeats):
        for fn, number, out in zip((mg_fn, torch_fn), numbers, samples):
            out.append(_seconds(fn, number) / number)
    return statistics.median(samples[0]), statistics.median(samples[1])


def _fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    return f"{seconds * 1e3:.2f} ms"


def table(results):
    lines = ["| benchmark | minigrad | PyTorch | minigrad / PyTorch |", "|---|---:|---:|---:|"]
    for name, (t_mg, t_torch) in results.items():
        lines.append(f"| {name} | {_fmt(t_mg)} | {_fmt(t_torch)} | {t_mg / t_torch:.1f}× |")
    return "\n".join(lines)


def write_atomic(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def profile(pairs, seconds=2.0, top=25):
    """cProfile the minigrad side of every workload for about ``seconds`` each; print the top functions."""
    profiler = cProfile.Profile()
    for mg_fn, _ in pairs.values():
        number = max(1, int(seconds / max(_seconds(mg_fn, 1), 1e-7)))
        profiler.enable()
        _seconds(mg_fn, number)
        profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed samples per entry (the median is kept)")
    parser.add_argument("--out", help="also write the Markdown table to this file")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the minigrad side and exit")
    args = parser.parse_args(argv)

    torch.set_num_threads(THREADS)
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    mg.manual_seed(0)
    torch.manual_seed(0)
    pairs = workloads()
    if args.profile:
        profile(pairs)
        return
    results = {name: compare(mg_fn, torch_fn, args.repeats) for name, (mg_fn, torch_fn) in pairs.items()}
    settings = ", ".join(f"{k}={os.environ[k]}" for k in THREAD_ENV)
    text = (f"CPU, {THREADS} threads (torch.set_num_threads, Numba, OpenBLAS; {settings}), float32; median of "
            f"{args.repeats} samples after warm-up, minigrad and PyTorch alternating\n\n{table(results)}\n")
    print(text)
    if args.out:
        write_atomic(args.out, text)


if __name__ == "__main__":
    main()
