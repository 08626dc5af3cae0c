"""Framework overhead on the CPU: minigrad against PyTorch, each alone in its own process.

Tiny tensors (where the time is all Python bookkeeping: op dispatch, graph recording, backprop)
and one train step of a 2-layer MLP (784→256→10, batch 256, ReLU, cross-entropy, SGD written with
in-place updates under no_grad).

Method: that of ``benchmarks/cpu.py``, whose machinery this script reuses. Every measurement is a fresh
process (``python benchmarks/overhead.py --worker LIB ROW``) importing only its own library, with that
library's default settings (this script sets no environment variable). A timed step is ``calls`` calls of
the row's operation; after warm-up steps the worker reports the median step and, per step, the minor page
faults and the CPU time from ``getrusage``, all divided by ``calls`` here. The libraries' processes
alternate, the order swapped every round, and the ratio is taken pair by pair (median and range).

    python benchmarks/overhead.py                     # prints a Markdown table
    python benchmarks/overhead.py --out overhead.md   # and writes it
    python benchmarks/overhead.py --quick             # fewer rounds and steps, for a quick look
    python benchmarks/overhead.py --profile           # cProfile of the minigrad side, in this process
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpu as method  # noqa: E402  (benchmarks/cpu.py: workers, rounds, pair ratios, header)

# row: (description, calls per timed step); the step counts are shared by all rows
ROWS = {
    "add": ("add 4×4", 200),
    "mul": ("mul 4×4", 200),
    "matmul": ("matmul 4×4", 200),
    "sum": ("sum 4×4", 200),
    "relu": ("relu 4×4", 200),
    "exp": ("exp 4×4", 200),
    "getitem": ("getitem a[1:3]", 200),
    "forward_backward": ("forward+backward (a·b).tanh().sum()", 20),
    "mlp": ("MLP 784→256→10 train step, batch 256", 1),
}
WARMUP, STEPS, ROUNDS = 5, 30, 5


# ---- the workloads -------------------------------------------------------------------------------------

def tiny_op(lib, row):
    """The operation of a tiny-tensor row on 4×4 tensors that require grad (so the graph is recorded)."""
    a = lib.randn(4, 4, requires_grad=True)
    b = lib.randn(4, 4, requires_grad=True)

    def forward_backward():
        (a * b).tanh().sum().backward()

    return {"add": lambda: a + b, "mul": lambda: a * b, "matmul": lambda: a @ b, "sum": lambda: a.sum(),
            "relu": lambda: a.relu(), "exp": lambda: a.exp(), "getitem": lambda: a[1:3],
            "forward_backward": forward_backward}[row]


def mlp_step(lib, cross_entropy, batch=256, sizes=(784, 256, 10), lr=0.01):
    """One SGD step of a 2-layer MLP on a fixed random batch."""
    import numpy as np
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


def build(lib_name, row):
    """A timed step of ``row`` for "minigrad" or "torch" (importing only that library): ``calls`` calls."""
    if lib_name == "minigrad":
        import minigrad as lib
        import minigrad.nn.functional as functional
    else:
        import torch as lib
        import torch.nn.functional as functional
    lib.manual_seed(0)
    op = mlp_step(lib, functional.cross_entropy) if row == "mlp" else tiny_op(lib, row)
    calls = ROWS[row][1]

    def step():
        for _ in range(calls):
            op()

    return step


# ---- report --------------------------------------------------------------------------------------------

def _time(seconds):
    return f"{seconds * 1e6:.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.2f} ms"


def per_call(summary, calls):
    """A summary of ``method.summarise`` with times, faults and CPU time per call instead of per step."""
    scaled = dict(summary)
    for key in ("mg", "torch", "mg_faults", "torch_faults", "mg_cpu", "torch_cpu"):
        scaled[key] = summary[key] / calls
    return scaled


def table(results):
    lines = ["| benchmark | minigrad | PyTorch | minigrad / PyTorch (pairs) | minor faults / call (mg, torch) "
             "| CPU time / call (mg, torch) |", "|---|---:|---:|---:|---:|---:|"]
    for row, s in results.items():
        lines.append(f"| {ROWS[row][0]} | {_time(s['mg'])} | {_time(s['torch'])} | {s['ratio']:.2f}× "
                     f"({s['lo']:.2f}–{s['hi']:.2f}) | {s['mg_faults']:.2f}, {s['torch_faults']:.2f} "
                     f"| {_time(s['mg_cpu'])}, {_time(s['torch_cpu'])} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the Markdown table to this file (atomically)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and timed steps (a quick look)")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS), help="rows to run")
    parser.add_argument("--profile", action="store_true", help="cProfile the minigrad side of every row and exit")
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "ROW"), help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        method.worker(args.worker[0], args.worker[1], args.warmup, args.steps, build=build)
        return
    if args.profile:
        for row in args.rows:
            print(ROWS[row][0])
            method.profile(build("minigrad", row), seconds=1.0, top=15)
        return
    steps, rounds = (10, 2) if args.quick else (STEPS, ROUNDS)
    started, load_before = method.now(), method.load_average()
    results, layers = {}, set()
    for row in args.rows:
        per_round = method.alternate(row, rounds, WARMUP, steps, script=__file__)
        layers.update(entry["minigrad"]["threading_layer"] for entry in per_round)
        results[row] = per_call(method.summarise(per_round), ROWS[row][1])
    header = method.method_header("Framework overhead", started, load_before, layers, False, {})
    header[-1] += (f" A timed step is a row's operation called {min(c for _, c in ROWS.values())}–"
                   f"{max(c for _, c in ROWS.values())} times; figures are per call; {rounds} rounds of "
                   f"{steps} timed steps after {WARMUP} warm-up steps.")
    text = "\n".join(header) + "\n\n" + table(results) + "\n"
    print(text)
    if args.out:
        method.write_atomic(args.out, text)


if __name__ == "__main__":
    main()
