"""Training steps and the hot conv on the CPU: minigrad against PyTorch, each alone in its own process.

    LeNet-5 (6/16 channels, ReLU, max-pool, 28×28) train step, batch 64   forward, cross-entropy, backward, SGD
    ResNet-18 (CIFAR stem) train step, batch 32                          the same
    conv2d 64→64, 3×3, padding 1, batch 64 at 32×32                      forward + backward

Method. Every measurement is a fresh process (``python benchmarks/cpu.py --worker LIB ROW``) that imports
only its own library, with that library's default settings: minigrad with whatever minigrad sets for itself,
PyTorch untouched (its own thread count and OpenMP wait policy; this script sets no environment variable).
The worker runs ``warmup`` untimed steps (Numba compilation, allocator warm-up), then ``steps`` timed ones,
and reports the median step time, and per step the minor page faults (``ru_minflt``) and the CPU time
(user + system, all threads) from ``resource.getrusage``. The two libraries' processes alternate, round by
round, with the order swapped every round, and the ratio is taken pair by pair (round i of minigrad over
round i of PyTorch); the table gives the median over rounds and the range of the pair ratios. One more row
runs both libraries in one process, alternating steps, as people who compare them do (coexistence).
The header gives the load average before and after: on a shared machine read the ratios, not the times.

    python benchmarks/cpu.py                        # prints a Markdown table
    python benchmarks/cpu.py --out cpu.md           # and writes it
    python benchmarks/cpu.py --quick                # fewer rounds and steps, for a quick look
    python benchmarks/cpu.py --numba-threading-layer workqueue   # minigrad's processes only, to compare layers
    python benchmarks/cpu.py --minigrad-env OPENBLAS_NUM_THREADS=1  # any variable, minigrad's processes only
    python benchmarks/cpu.py --profile lenet5       # cProfile of one minigrad step of a row, in this process
"""
from __future__ import annotations

import argparse
import cProfile
import datetime
import importlib.metadata
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# row: (description, warm-up steps, timed steps per process, rounds, target ratio minigrad / PyTorch)
ROWS = {
    "lenet5": ("LeNet-5 (6/16 ch., ReLU, max-pool) train step, batch 64", 5, 40, 5, 1.0),
    "resnet18": ("ResNet-18 (CIFAR) train step, batch 32", 2, 4, 3, 1.2),
    "conv": ("conv2d 64→64, 3×3, batch 64, 32×32: forward + backward", 3, 10, 5, 0.9),
}
COEXIST_ROW = "lenet5"


# ---- the workloads: each builder returns a no-argument function running one step ---------------------

def lenet5(lib):
    """LeNet-5 with 6 and 16 channels, ReLU and 2×2 max-pool, 28×28 input (padding 2 on conv1)."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))


def torch_resnet18(num_classes=10):
    """ResNet-18 with the CIFAR stem and 1×1 projection shortcuts, as minigrad.models.ResNet18 builds it."""
    import torch
    import torch.nn as tnn

    class Block(tnn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.body = tnn.Sequential(
                tnn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), tnn.BatchNorm2d(c_out), tnn.ReLU(),
                tnn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), tnn.BatchNorm2d(c_out))
            self.shortcut = tnn.Identity() if stride == 1 and c_in == c_out else tnn.Sequential(
                tnn.Conv2d(c_in, c_out, 1, stride, bias=False), tnn.BatchNorm2d(c_out))

        def forward(self, x):
            return torch.relu(self.body(x) + self.shortcut(x))

    layers = [tnn.Conv2d(3, 64, 3, 1, 1, bias=False), tnn.BatchNorm2d(64), tnn.ReLU()]
    c_in = 64
    for c_out, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Block(c_in, c_out, stride), Block(c_out, c_out, 1)]
        c_in = c_out
    layers += [tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(512, num_classes)]
    return tnn.Sequential(*layers)


def train_step(lib, model, batch, input_shape, classes=10):
    """One SGD (momentum 0.9) step of ``model`` on a fixed random batch with cross-entropy."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, *input_shape)).astype(np.float32))
    y = lib.tensor(rng.integers(0, classes, batch))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.CrossEntropyLoss()
    model.train()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def conv_step(lib, functional, batch=64, channels=64, size=32):
    """conv2d(x, w, b) with 3×3 kernels and padding 1, then dx, dw, db for a fixed output gradient."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, channels, size, size)).astype(np.float32), requires_grad=True)
    w = lib.tensor((rng.standard_normal((channels, channels, 3, 3)) / 24).astype(np.float32), requires_grad=True)
    b = lib.tensor(np.zeros(channels, dtype=np.float32), requires_grad=True)
    g = lib.tensor(rng.standard_normal((batch, channels, size, size)).astype(np.float32))

    def step():
        functional.conv2d(x, w, b, 1, 1).backward(g)
        x.grad = w.grad = b.grad = None

    return step


def build(lib_name, row):
    """The step function of ``row`` for "minigrad" or "torch" (importing only that library)."""
    if lib_name == "minigrad":
        import minigrad as lib
        from minigrad import models
        import minigrad.nn.functional as functional
        lib.manual_seed(0)
        resnet = models.ResNet18
    else:
        import torch as lib
        import torch.nn.functional as functional
        lib.manual_seed(0)
        resnet = torch_resnet18
    if row == "lenet5":
        return train_step(lib, lenet5(lib), 64, (1, 28, 28))
    if row == "resnet18":
        return train_step(lib, resnet(), 32, (3, 32, 32))
    return conv_step(lib, functional)


# ---- one process: time one library (or both, alternating) ---------------------------------------------

def _usage():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_minflt, u.ru_utime + u.ru_stime


def time_steps(steps, count):
    """{lib: {"median_s", "faults_per_step", "cpu_s_per_step"}} for ``count`` rounds over the step functions,
    the libraries taking turns step by step; page faults and CPU time are counted around each step."""
    samples = {lib: {"t": [], "faults": 0, "cpu": 0.0} for lib in steps}
    for _ in range(count):
        for lib, step in steps.items():
            faults0, cpu0 = _usage()
            start = time.perf_counter()
            step()
            elapsed = time.perf_counter() - start
            faults1, cpu1 = _usage()
            s = samples[lib]
            s["t"].append(elapsed)
            s["faults"] += faults1 - faults0
            s["cpu"] += cpu1 - cpu0
    return {lib: {"median_s": statistics.median(s["t"]), "faults_per_step": s["faults"] / count,
                  "cpu_s_per_step": s["cpu"] / count} for lib, s in samples.items()}


def worker(lib, row, warmup, steps, build=build):
    """Print one JSON line with the timings of ``row`` for ``lib`` ("minigrad", "torch" or "both");
    ``build(lib, row)`` gives the step function (another benchmark script passes its own)."""
    libs = ("minigrad", "torch") if lib == "both" else (lib,)
    fns = {name: build(name, row) for name in libs}
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    result = time_steps(fns, steps)
    if "minigrad" in result:
        import numba
        try:
            result["minigrad"]["threading_layer"] = numba.threading_layer()
        except ValueError:  # no parallel kernel ran
            result["minigrad"]["threading_layer"] = "none used"
    print(json.dumps(result))


def run_worker(lib, row, warmup, steps, minigrad_env=None, script=__file__):
    """The worker's JSON in a fresh process of ``script`` (this file, or another benchmark script with the same
    ``--worker`` option); ``minigrad_env`` ({name: value}) is added for minigrad's processes."""
    cmd = [sys.executable, str(Path(script).resolve()), "--worker", lib, row,
           "--warmup", str(warmup), "--steps", str(steps)]
    env = dict(os.environ)
    if lib != "torch":
        env.update(minigrad_env or {})
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT), env=env)
    if out.returncode != 0:
        raise RuntimeError(f"the {lib} worker for {row} failed (exit status {out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def alternate(row, rounds, warmup, steps, minigrad_env=None, script=__file__):
    """``rounds`` rounds of {"minigrad": ..., "torch": ...}, one fresh worker process of ``script`` per library
    and round, the order swapped every round (progress on stderr)."""
    per_round = []
    for r in range(rounds):
        order = ("minigrad", "torch") if r % 2 == 0 else ("torch", "minigrad")
        entry = {lib: run_worker(lib, row, warmup, steps, minigrad_env, script)[lib] for lib in order}
        per_round.append(entry)
        print(f"{row} round {r + 1}/{rounds}: minigrad {_ms(entry['minigrad']['median_s'])}, "
              f"PyTorch {_ms(entry['torch']['median_s'])}, ratio "
              f"{entry['minigrad']['median_s'] / entry['torch']['median_s']:.2f}; load {load_average()}",
              file=sys.stderr, flush=True)
    return per_round


# ---- first step of a new process (Numba compilation) ----------------------------------------------------

FIRST_STEP_SCRIPT = """
import json, sys, time
start = time.perf_counter()
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import minigrad as mg
from cpu import lenet5, train_step
imported = time.perf_counter()
step = train_step(mg, lenet5(mg), 64, (1, 28, 28))
built = time.perf_counter()
step()
done = time.perf_counter()
print(json.dumps({{"import_s": imported - start, "first_step_s": done - built}}))
"""


def first_step_times():
    """{"cold": {...}, "warm": {...}}: import and first LeNet-5 step of a new process, with an empty Numba
    cache and then with the cache the first process wrote."""
    script = FIRST_STEP_SCRIPT.format(root=str(ROOT), bench=str(ROOT / "benchmarks"))
    results = {}
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for label in ("cold", "warm"):
            out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"the {label}-cache first-step process failed (exit status {out.returncode}):\n"
                                   f"{out.stderr[-2000:]}")
            results[label] = json.loads(out.stdout.strip().splitlines()[-1])
    return results


# ---- report --------------------------------------------------------------------------------------------

def _ms(seconds):
    return f"{seconds * 1e3:,.1f} ms"


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return model, os.cpu_count()


def versions():
    names = [("NumPy", "numpy"), ("Numba", "numba"), ("PyTorch", "torch")]
    found = ", ".join(f"{label} {importlib.metadata.version(dist)}" for label, dist in names)
    import minigrad
    return f"Python {platform.python_version()}, {found}, minigrad {minigrad.__version__}"


def _assignments(env):
    return ", ".join(f"{k}={v}" for k, v in env.items())


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def load_average():
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def method_header(title, started, load_before, layers, layer_chosen, minigrad_env):
    """The lines above a table: date, machine, load before and now, versions, the method and the settings."""
    cpu, cores = machine()
    env = {k: os.environ[k] for k in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS",
                                      "NUMBA_THREADING_LAYER", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
           if k in os.environ}
    return [f"{title}, {started}: {cpu}, {cores} cores; float32; load average (1/5/15 min) "
            f"{load_before} before, {load_average()} after.",
            f"{versions()}.",
            "Each library alone in a fresh process with its own default settings, processes alternating; "
            "per process the median of the timed steps after warm-up; the ratio is taken pair by pair "
            "(median and range). Numba threading layer of minigrad's processes: "
            f"{', '.join(sorted(layers))} ({'chosen' if layer_chosen else 'Numba default'}). "
            f"Set for minigrad's processes only: {_assignments(minigrad_env) or 'nothing'}. "
            "Environment set by the caller: "
            f"{_assignments(env) or 'none of the threading variables'}."]


def summarise(rounds):
    """Medians and pair ratios of a list of {"minigrad": {...}, "torch": {...}} rounds."""
    def med(lib, key):
        return statistics.median(r[lib][key] for r in rounds)
    ratios = [r["minigrad"]["median_s"] / r["torch"]["median_s"] for r in rounds]
    return {"mg": med("minigrad", "median_s"), "torch": med("torch", "median_s"),
            "ratio": statistics.median(ratios), "lo": min(ratios), "hi": max(ratios),
            "mg_faults": med("minigrad", "faults_per_step"), "torch_faults": med("torch", "faults_per_step"),
            "mg_cpu": med("minigrad", "cpu_s_per_step"), "torch_cpu": med("torch", "cpu_s_per_step")}


def report(results, coexist, first, header):
    lines = header + ["",
                      "| step | minigrad | PyTorch | minigrad / PyTorch (pairs) | target | minor faults / step "
                      "(mg, torch) | CPU time / step (mg, torch) |",
                      "|---|---:|---:|---:|---|---:|---:|"]
    for row, s in results.items():
        target = ROWS[row][4]
        verdict = f"≤ {target}× {'met' if s['ratio'] <= target else 'missed'}"
        lines.append(f"| {ROWS[row][0]} | {_ms(s['mg'])} | {_ms(s['torch'])} | {s['ratio']:.2f}× "
                     f"({s['lo']:.2f}–{s['hi']:.2f}) | {verdict} | {s['mg_faults']:,.0f}, {s['torch_faults']:,.0f} "
                     f"| {_ms(s['mg_cpu'])}, {_ms(s['torch_cpu'])} |")
    if coexist is not None:
        s, alone = coexist
        lines.append(f"| {ROWS[COEXIST_ROW][0]}, **both libraries in one process** | {_ms(s['mg'])} | "
                     f"{_ms(s['torch'])} | {s['ratio']:.2f}× | minigrad ≤ 1.2× its time alone: "
                     f"{s['mg'] / alone['mg']:.2f}× | {s['mg_faults']:,.0f}, {s['torch_faults']:,.0f} "
                     f"| {_ms(s['mg_cpu'])}, {_ms(s['torch_cpu'])} |")
    if first is not None:
        warm = first["warm"]["first_step_s"]
        lines += ["", "First LeNet-5 train step (batch 64) of a new process, including Numba's compilation:", "",
                  "| Numba cache | import minigrad | first train step | target |", "|---|---:|---:|---|"]
        for label in ("cold", "warm"):
            target = f"< 2 s {'met' if warm < 2 else 'missed'}" if label == "warm" else ""
            lines.append(f"| {label} | {_ms(first[label]['import_s'])} | {_ms(first[label]['first_step_s'])} "
                         f"| {target} |")
    return "\n".join(lines) + "\n"


def write_atomic(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def profile(step, seconds=5.0, top=30):
    """cProfile about ``seconds`` of minigrad steps of one row; print the top functions."""
    step(), step()
    start = time.perf_counter()
    step()
    number = max(1, int(seconds / max(time.perf_counter() - start, 1e-6)))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(number):
        step()
    profiler.disable()
    print(f"{number} steps")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the Markdown table to this file (atomically)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds and timed steps (a quick look)")
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS), help="rows to run")
    parser.add_argument("--no-coexist", action="store_true", help="skip the both-in-one-process row")
    parser.add_argument("--no-first-step", action="store_true", help="skip the cold/warm first-step processes")
    parser.add_argument("--profile", choices=list(ROWS), help="cProfile minigrad's step of a row and exit")
    parser.add_argument("--numba-threading-layer", choices=["omp", "workqueue", "tbb"],
                        help="NUMBA_THREADING_LAYER for minigrad's processes (default: Numba's own choice)")
    parser.add_argument("--minigrad-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for minigrad's processes only (repeatable)")
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "ROW"), help=argparse.SUPPRESS)
    parser.add_argument("--warmup", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args.worker[0], args.worker[1], args.warmup, args.steps)
        return
    if args.profile:
        profile(build("minigrad", args.profile))
        return
    minigrad_env = dict(item.split("=", 1) for item in args.minigrad_env if "=" in item)
    if len(minigrad_env) != len(args.minigrad_env):
        parser.error(f"--minigrad-env takes NAME=VALUE, got {args.minigrad_env}")
    if args.numba_threading_layer:
        minigrad_env["NUMBA_THREADING_LAYER"] = args.numba_threading_layer

    started, load_before = now(), load_average()
    results, layers = {}, set()
    for row in args.rows:
        description, warmup, steps, rounds, _ = ROWS[row]
        if args.quick:
            steps, rounds = max(3, steps // 3), max(2, rounds // 2)
        per_round = alternate(row, rounds, warmup, steps, minigrad_env)
        layers.update(entry["minigrad"]["threading_layer"] for entry in per_round)
        results[row] = summarise(per_round)
    coexist = None
    if not args.no_coexist and COEXIST_ROW in results:
        _, warmup, steps, rounds, _ = ROWS[COEXIST_ROW]
        both = run_worker("both", COEXIST_ROW, warmup, steps if not args.quick else max(3, steps // 3),
                          minigrad_env)
        print(f"{COEXIST_ROW} both in one process: minigrad {_ms(both['minigrad']['median_s'])}, "
              f"PyTorch {_ms(both['torch']['median_s'])}", file=sys.stderr, flush=True)
        coexist = (summarise([both]), results[COEXIST_ROW])
    first = None if args.no_first_step else first_step_times()

    header = method_header("CPU benchmark", started, load_before, layers, bool(args.numba_threading_layer),
                           minigrad_env)
    text = report(results, coexist, first, header)
    print(text)
    if args.out:
        write_atomic(args.out, text)


if __name__ == "__main__":
    main()
