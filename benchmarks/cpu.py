"""The hot layers and whole training steps on the CPU, minigrad next to PyTorch in one process.

    conv2d 64→64, 3×3, padding 1, batch 64 at 32×32        forward; forward + backward
    max-pool 2×2 and BatchNorm2d (training) on 64×64×32×32   forward + backward
    LeNet-5 (classic, 28×28) train step, batch 64 and 256     forward, cross-entropy, backward, SGD momentum
    ResNet-18 (CIFAR) train step, batch 32                    the same

Both sides use 2 threads (torch.set_num_threads, NUMBA_NUM_THREADS, OpenBLAS) and float32; every entry is
the median of repeated timings after warm-up, minigrad and PyTorch alternating so that drift of the
machine hits both alike (idle OpenMP threads wait passively, OMP_WAIT_POLICY=PASSIVE, unless the
environment says otherwise: spinning pools of the two libraries steal each other's cores). Then the first LeNet-5 training step of a new process, which includes Numba's
compilation: once with an empty cache (NUMBA_CACHE_DIR pointing to a fresh directory) and once more
with the cache that run left behind. On a shared two-core machine other processes change the minigrad
side most (its OpenBLAS and Numba threads wait on each other): read the ratios of a run on an idle machine.

    python benchmarks/cpu.py                        # prints a Markdown table
    python benchmarks/cpu.py --out cpu.md           # and writes it
    python benchmarks/cpu.py --profile lenet5-64    # cProfile of the minigrad side of one entry
"""
from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREADS = 2
for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, str(THREADS))
# Idle OpenMP workers sleep instead of spinning: with two libraries' thread pools (and OpenBLAS's) taking
# turns on two cores, spinning workers of one steal the cores from the other and times jump 3-10×.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (entry, target: the most minigrad may take as a multiple of PyTorch's time)
TARGETS = {"conv2d fwd+bwd": 1.67, "lenet5-64": 1.5}


# ---- the workloads: each builder returns a no-argument function running one step ---------------------

def conv_case(lib, functional, backward, batch=64, channels=64, size=32):
    """conv2d(x, w, b) with 3×3 kernels and padding 1; with ``backward`` also dx, dw, db."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, channels, size, size)).astype(np.float32), requires_grad=backward)
    w = lib.tensor((rng.standard_normal((channels, channels, 3, 3)) / 24).astype(np.float32), requires_grad=backward)
    b = lib.tensor(np.zeros(channels, dtype=np.float32), requires_grad=backward)
    g = lib.tensor(rng.standard_normal((batch, channels, size, size)).astype(np.float32))

    def step():
        y = functional.conv2d(x, w, b, 1, 1)
        if backward:
            y.backward(g)
            x.grad = w.grad = b.grad = None

    return step


def layer_case(lib, layer, shape=(64, 64, 32, 32)):
    """layer(x) forward and backward on a random x of ``shape``."""
    import numpy as np
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
    with lib.no_grad():
        g = lib.tensor(rng.standard_normal(tuple(layer(x).shape)).astype(np.float32))

    def step():
        layer(x).backward(g)
        x.grad = None
        for p in layer.parameters():
            p.grad = None

    return step


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


def torch_lenet5():
    """The classic LeNet-5 as models.LeNet5("classic") builds it (28×28 input, padding 2 on conv1)."""
    import torch.nn as tnn
    return tnn.Sequential(
        tnn.Conv2d(1, 6, 5, padding=2), tnn.Tanh(), tnn.MaxPool2d(2), tnn.Conv2d(6, 16, 5), tnn.Tanh(),
        tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(400, 120), tnn.Tanh(), tnn.Linear(120, 84), tnn.Tanh(),
        tnn.Linear(84, 10))


def torch_resnet18(num_classes=10):
    """ResNet-18 with the CIFAR stem and 1×1 projection shortcuts, as models.ResNet18 builds it."""
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


def workloads():
    """[(name, description, minigrad step, torch step, timed samples)]."""
    import torch
    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad import models, nn

    return [
        ("conv2d fwd", "conv2d 64→64, 3×3, batch 64, 32×32: forward",
         conv_case(mg, F, False), conv_case(torch, torch.nn.functional, False), 15),
        ("conv2d fwd+bwd", "conv2d 64→64, 3×3, batch 64, 32×32: forward + backward",
         conv_case(mg, F, True), conv_case(torch, torch.nn.functional, True), 15),
        ("maxpool fwd+bwd", "max-pool 2×2 on 64×64×32×32: forward + backward",
         layer_case(mg, nn.MaxPool2d(2)), layer_case(torch, torch.nn.MaxPool2d(2)), 15),
        ("batchnorm fwd+bwd", "BatchNorm2d (training) on 64×64×32×32: forward + backward",
         layer_case(mg, nn.BatchNorm2d(64)), layer_case(torch, torch.nn.BatchNorm2d(64)), 15),
        ("lenet5-64", "LeNet-5 train step, batch 64",
         train_step(mg, models.LeNet5("classic"), 64, (1, 28, 28)), train_step(torch, torch_lenet5(), 64, (1, 28, 28)),
         30),
        ("lenet5-256", "LeNet-5 train step, batch 256",
         train_step(mg, models.LeNet5("classic"), 256, (1, 28, 28)),
         train_step(torch, torch_lenet5(), 256, (1, 28, 28)), 15),
        ("resnet18-32", "ResNet-18 (CIFAR) train step, batch 32",
         train_step(mg, models.ResNet18(), 32, (3, 32, 32)), train_step(torch, torch_resnet18(), 32, (3, 32, 32)), 5),
    ]


# ---- timing ------------------------------------------------------------------------------------------

def _seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def compare(mg_fn, torch_fn, repeats, warmup=3):
    """(minigrad, torch) median seconds per step, timed in alternation after ``warmup`` calls of each."""
    for _ in range(warmup):
        mg_fn(), torch_fn()
    samples = ([], [])
    for _ in range(repeats):
        samples[0].append(_seconds(mg_fn))
        samples[1].append(_seconds(torch_fn))
    return statistics.median(samples[0]), statistics.median(samples[1])


FIRST_STEP_SCRIPT = """
import json, time
start = time.perf_counter()
import sys; sys.path.insert(0, {root!r})
import minigrad as mg
from minigrad import models, nn, optim
imported = time.perf_counter()
mg.manual_seed(0)
model = models.LeNet5("classic")
opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x, y = mg.randn(64, 1, 28, 28), mg.randint(0, 10, (64,))
built = time.perf_counter()
opt.zero_grad()
nn.CrossEntropyLoss()(model(x), y).backward()
opt.step()
done = time.perf_counter()
print(json.dumps({{"import_s": imported - start, "first_step_s": done - built}}))
"""


def first_step_times():
    """{"cold": {...}, "warm": {...}}: import and first LeNet-5 train step time of a new process, with an
    empty Numba cache and then with the cache the first process wrote."""
    script = FIRST_STEP_SCRIPT.format(root=str(ROOT))
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
    import numba
    import numpy
    import torch
    import minigrad
    return (f"Python {platform.python_version()}, NumPy {numpy.__version__}, Numba {numba.__version__}, "
            f"PyTorch {torch.__version__}, minigrad {minigrad.__version__}")


def report(results, first, repeats_note):
    cpu, cores = machine()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"CPU benchmark, {date}: {cpu}, {cores} cores; {THREADS} threads on both sides, float32.",
             f"{versions()}. {repeats_note}", "",
             "| benchmark | minigrad | PyTorch | minigrad / PyTorch | target |", "|---|---:|---:|---:|---|"]
    for key, description, t_mg, t_torch in results:
        ratio = t_mg / t_torch
        target = TARGETS.get(key)
        verdict = "" if target is None else f"≤ {target}× {'met' if ratio <= target else 'missed'}"
        lines.append(f"| {description} | {_ms(t_mg)} | {_ms(t_torch)} | {ratio:.2f}× | {verdict} |")
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
    """cProfile the minigrad side of one workload for about ``seconds``; print the top functions."""
    step(), step()
    number = max(1, int(seconds / max(_seconds(step), 1e-6)))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(number):
        step()
    profiler.disable()
    print(f"{number} calls")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the Markdown table to this file (atomically)")
    parser.add_argument("--quick", action="store_true", help="a third of the timed samples")
    parser.add_argument("--no-first-step", action="store_true", help="skip the cold/warm first-step subprocesses")
    parser.add_argument("--profile", metavar="ENTRY", help="cProfile the minigrad side of ENTRY and exit "
                                                           "(conv2d fwd, conv2d fwd+bwd, ..., lenet5-64, resnet18-32)")
    args = parser.parse_args(argv)

    import numba
    import torch
    import minigrad as mg
    torch.set_num_threads(THREADS)
    numba.set_num_threads(min(THREADS, numba.config.NUMBA_NUM_THREADS))
    mg.manual_seed(0)
    torch.manual_seed(0)
    cases = workloads()
    if args.profile:
        steps = {key: mg_fn for key, _, mg_fn, _, _ in cases}
        if args.profile not in steps:
            parser.error(f"unknown entry {args.profile!r}; expected one of {', '.join(steps)}")
        profile(steps[args.profile])
        return
    results, counts = [], []
    for key, description, mg_fn, torch_fn, repeats in cases:
        repeats = max(3, repeats // 3) if args.quick else repeats
        counts.append(repeats)
        t_mg, t_torch = compare(mg_fn, torch_fn, repeats)
        results.append((key, description, t_mg, t_torch))
        print(f"{description}: minigrad {_ms(t_mg)}, PyTorch {_ms(t_torch)}", file=sys.stderr)
    first = None if args.no_first_step else first_step_times()
    note = (f"Median of {min(counts)}–{max(counts)} samples per entry after 3 warm-up calls, the two libraries "
            f"alternating; Numba threading layer {numba.threading_layer()}, "
            f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}.")
    text = report(results, first, note)
    print(text)
    if args.out:
        write_atomic(args.out, text)


if __name__ == "__main__":
    main()
