"""GPU benchmarks: minigrad's CUDA backend next to PyTorch on the same GPU, in one run.

    GEMM              C = A @ B, square float32: TFLOP/s (2n³ / time) against torch.matmul
    GEMM kernel       the same with C preallocated (minigrad's GEMM kernel alone, torch.matmul(out=C))
    conv2d            forward + backward (dx, dw), float32: ms against PyTorch (cuDNN)
    LeNet-5, ResNet-18  training steps (forward, cross-entropy, backward, SGD with momentum) on a fixed
                      batch: images/s against PyTorch eager FP32 with the same architecture and weights

TF32 is off on the PyTorch side (matmul and cuDNN), so both sides compute in full FP32. Every entry
is the median of several timed runs after warm-up, minigrad and PyTorch alternating, each run closed
by cuda.synchronize() / torch.cuda.synchronize(). Before timing, each pair is checked to compute the
same numbers (the "check" column: largest difference relative to the largest value).

    python benchmarks/gpu.py                      # on a CUDA GPU: prints a Markdown table
    python benchmarks/gpu.py --out gpu.md --jsonl gpu.jsonl   # and writes them, row by row as they finish
    python benchmarks/gpu.py --only "GEMM kernel"  # only the rows whose name starts so
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu.py --smoke   # the same logic on tiny sizes, no GPU needed
"""
from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import minigrad as mg  # noqa: E402
from minigrad import backend as backends, nn as mg_nn  # noqa: E402
from minigrad.atomic import atomic_write  # noqa: E402
from minigrad.models.lenet import LeNet5  # noqa: E402
from minigrad.models.resnet import ResNet18  # noqa: E402
from minigrad.nn import functional as F  # noqa: E402
from minigrad.optim import SGD  # noqa: E402

FULL = dict(gemm=(1024, 2048, 4096), conv=((64, 64, 64, 32), (64, 128, 128, 16)), lenet_batch=256,
            resnet_batch=128, warmup=3, repeats=7, min_seconds=0.05)
SMOKE = dict(gemm=(8,), conv=((1, 2, 2, 4),), lenet_batch=1, resnet_batch=1, warmup=0, repeats=1, min_seconds=0.0)
CHECK_TOLERANCE = 1e-3


class Setup:
    """The two sides: minigrad's CUDA backend and torch on `torch_device`, with their synchronizations."""

    def __init__(self, smoke: bool):
        try:
            self.backend = backends.get("cuda")
        except RuntimeError as e:
            raise SystemExit(f"benchmarks/gpu.py: {e}\nRun it on a machine with a CUDA GPU, or check its logic on "
                             "the simulator: NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu.py --smoke")
        try:
            import torch
        except ImportError:
            raise SystemExit("benchmarks/gpu.py compares against PyTorch, which is not installed") from None
        self.torch, self.simulated = torch, self.backend.SIMULATED
        if torch.cuda.is_available():
            self.torch_device = "cuda"
        elif smoke:
            self.torch_device = "cpu"
        else:
            raise SystemExit("benchmarks/gpu.py needs PyTorch built with CUDA (torch.cuda.is_available() is False)")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True

    def sync_minigrad(self):
        self.backend.synchronize()

    def sync_torch(self):
        if self.torch_device == "cuda":
            self.torch.cuda.synchronize()

    def describe(self) -> list[str]:
        import numba
        torch = self.torch
        if self.simulated:
            gpu = "none: Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1); PyTorch on the CPU"
        else:
            gpu = torch.cuda.get_device_name() if self.torch_device == "cuda" else "?"
        cudnn = torch.backends.cudnn.version() if self.torch_device == "cuda" else None
        return [f"GPU: {gpu}",
                f"Versions: minigrad {mg.__version__}, numba {numba.__version__}, numba-cuda {_version('numba-cuda')}, "
                f"torch {torch.__version__} (CUDA {torch.version.cuda}, cuDNN {cudnn}), numpy {np.__version__}",
                f"Date: {datetime.date.today().isoformat()}",
                "PyTorch: TF32 off (matmul and cuDNN), cudnn.benchmark on, eager mode, FP32"]


def _version(package):
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


# ---- timing -----------------------------------------------------------------------------------------

def _run(step, sync, number):
    start = time.perf_counter()
    for _ in range(number):
        step()
    sync()
    return (time.perf_counter() - start) / number


def compare(setup, mg_step, torch_step, sizes):
    """(minigrad, torch) median seconds per step: warm-up, then alternating timed runs."""
    sides = ((mg_step, setup.sync_minigrad), (torch_step, setup.sync_torch))
    numbers = []
    for step, sync in sides:
        for _ in range(sizes["warmup"]):
            step()
        sync()
        number = 1
        while sizes["min_seconds"] and _run(step, sync, number) * number < sizes["min_seconds"]:
            number *= 2
        numbers.append(number)
    samples = ([], [])
    for _ in range(sizes["repeats"]):
        for (step, sync), number, out in zip(sides, numbers, samples):
            out.append(_run(step, sync, number))
    return statistics.median(samples[0]), statistics.median(samples[1])


def relative_difference(ours, theirs) -> float:
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-30))


# ---- workloads: each returns (name, minigrad seconds, torch seconds, unit, work per step, check) ----------

def bench_gemm(setup, n, sizes):
    torch, rng = setup.torch, np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    ma, mb = mg.tensor(a, device="cuda"), mg.tensor(b, device="cuda")
    ta, tb = (torch.tensor(m, device=setup.torch_device) for m in (a, b))
    check = relative_difference((ma @ mb).numpy(), torch.matmul(ta, tb).cpu().numpy())
    seconds = compare(setup, lambda: ma @ mb, lambda: torch.matmul(ta, tb), sizes)
    return f"GEMM {n}×{n}×{n}", seconds, "TFLOP/s", 2 * n ** 3 / 1e12, check


def bench_gemm_kernel(setup, n, sizes):
    from kernels.cuda import gemm
    torch, rng = setup.torch, np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n)).astype(np.float32) for _ in range(2))
    da, db = setup.backend.from_numpy(a), setup.backend.from_numpy(b)
    dc = setup.backend.empty((n, n), np.float32)
    ta, tb = (torch.tensor(m, device=setup.torch_device) for m in (a, b))
    tc = torch.empty((n, n), device=setup.torch_device)
    gemm.gemm(da, db, dc)
    check = relative_difference(dc.copy_to_host(), torch.matmul(ta, tb).cpu().numpy())
    seconds = compare(setup, lambda: gemm.gemm(da, db, dc), lambda: torch.matmul(ta, tb, out=tc), sizes)
    return f"GEMM kernel {n}×{n}×{n}, C preallocated", seconds, "TFLOP/s", 2 * n ** 3 / 1e12, check


def bench_conv(setup, shape, sizes):
    torch, rng = setup.torch, np.random.default_rng(0)
    batch, c_in, c_out, side = shape
    arrays = [rng.standard_normal(s).astype(np.float32)
              for s in ((batch, c_in, side, side), (c_out, c_in, 3, 3), (batch, c_out, side, side))]
    mx, mw = (mg.tensor(a, device="cuda", requires_grad=True) for a in arrays[:2])
    mgrad = mg.tensor(arrays[2], device="cuda")
    tx, tw = (torch.tensor(a, device=setup.torch_device, requires_grad=True) for a in arrays[:2])
    tgrad = torch.tensor(arrays[2], device=setup.torch_device)

    def mg_step():
        mx.grad = mw.grad = None
        F.conv2d(mx, mw, padding=1).backward(mgrad)

    def torch_step():
        tx.grad = tw.grad = None
        torch.nn.functional.conv2d(tx, tw, padding=1).backward(tgrad)

    mg_step(), torch_step()
    check = max(relative_difference(F.conv2d(mx, mw, padding=1).numpy(),
                                    torch.nn.functional.conv2d(tx, tw, padding=1).detach().cpu().numpy()),
                relative_difference(mx.grad.numpy(), tx.grad.cpu().numpy()),
                relative_difference(mw.grad.numpy(), tw.grad.cpu().numpy()))
    seconds = compare(setup, mg_step, torch_step, sizes)
    name = f"conv2d 3×3 fwd+bwd, {c_in}→{c_out} ch, {side}×{side}, batch {batch}"
    return name, seconds, "ms", None, check


def lenet5(nn, channels=(6, 16), hidden=(120, 84), classes=10, kernel=5, padding=2, side=5):
    """LeNet-5 as minigrad.models.LeNet5 ("classic"), for either library's `nn`: conv → tanh → max-pool,
    twice, then three linear layers with tanh between (the same parameter names)."""
    class Reference(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, channels[0], kernel, padding=padding), nn.Tanh(),
                                          nn.MaxPool2d(2), nn.Conv2d(channels[0], channels[1], kernel), nn.Tanh(),
                                          nn.MaxPool2d(2))
            self.flatten = nn.Flatten()
            self.classifier = nn.Sequential(nn.Linear(channels[1] * side * side, hidden[0]), nn.Tanh(),
                                            nn.Linear(hidden[0], hidden[1]), nn.Tanh(), nn.Linear(hidden[1], classes))

        def forward(self, x):
            return self.classifier(self.flatten(self.features(x)))

    return Reference()


def resnet(nn, widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2), classes=10):
    """ResNet-18 as minigrad.models.ResNet18 (CIFAR stem), for either library's `nn`, with the same
    parameter names (torchvision's)."""
    class BasicBlock(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
            self.bn1, self.relu = nn.BatchNorm2d(c_out), nn.ReLU()
            self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(c_out)
            self.downsample = (nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                             nn.BatchNorm2d(c_out)) if stride != 1 or c_in != c_out else None)

        def forward(self, x):
            out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(out + (x if self.downsample is None else self.downsample(x)))

    class Reference(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, widths[0], 3, padding=1, bias=False)
            self.bn1, self.relu = nn.BatchNorm2d(widths[0]), nn.ReLU()
            c_in = widths[0]
            for i, (width, count) in enumerate(zip(widths, blocks)):
                strides = [1 if i == 0 else 2] + [1] * (count - 1)
                layer = [BasicBlock(c, width, s) for c, s in zip([c_in] + [width] * (count - 1), strides)]
                setattr(self, f"layer{i + 1}", nn.Sequential(*layer))
                c_in = width
            self.avgpool, self.flatten = nn.AdaptiveAvgPool2d(1), nn.Flatten()
            self.fc = nn.Linear(widths[-1], classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            for i in range(len(widths)):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(self.flatten(self.avgpool(x)))

    return Reference()


MODELS = {  # name -> (input shape, minigrad model at full size, reference builder kwargs at full / smoke size)
    "LeNet-5": ((1, 28, 28), LeNet5, lenet5, {},
                dict(channels=(2, 2), hidden=(4, 4), classes=3, kernel=3, padding=1, side=1), (1, 8, 8)),
    "ResNet-18": ((3, 32, 32), ResNet18, resnet, {}, dict(widths=(2,), blocks=(1,), classes=3), (3, 4, 4)),
}


def bench_training(setup, name, batch, smoke, sizes):
    torch = setup.torch
    shape, full_model, build, full_kwargs, smoke_kwargs, smoke_shape = MODELS[name]
    kwargs = smoke_kwargs if smoke else full_kwargs
    mg.manual_seed(0)
    mg_model = build(mg_nn, **kwargs) if smoke else full_model()
    torch_model = build(torch.nn, **kwargs)
    torch_model.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in mg_model.state_dict().items()})
    mg_model.to("cuda"), torch_model.to(setup.torch_device)
    shape = smoke_shape if smoke else shape
    classes = kwargs.get("classes", 10)
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch, *shape)).astype(np.float32)
    labels = rng.integers(0, classes, batch)
    mx, my = mg.tensor(images, device="cuda"), mg.tensor(labels, device="cuda")
    tx, ty = torch.tensor(images, device=setup.torch_device), torch.tensor(labels, device=setup.torch_device)
    mg_opt = SGD(mg_model.parameters(), lr=0.01, momentum=0.9)
    torch_opt = torch.optim.SGD(torch_model.parameters(), lr=0.01, momentum=0.9)

    def mg_step():
        mg_opt.zero_grad()
        loss = F.cross_entropy(mg_model(mx), my)
        loss.backward()
        mg_opt.step()
        return loss

    def torch_step():
        torch_opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(torch_model(tx), ty)
        loss.backward()
        torch_opt.step()
        return loss

    check = relative_difference(mg_step().item(), torch_step().item())
    seconds = compare(setup, mg_step, torch_step, sizes)
    return f"{name} training step, batch {batch}", seconds, "images/s", batch, check


# ---- report -----------------------------------------------------------------------------------------

def _rate(seconds, unit, work):
    if unit == "ms":
        return seconds * 1e3
    return work / seconds


def table(setup, rows) -> str:
    lines = [f"# minigrad on the GPU vs PyTorch", ""] + [f"- {line}" for line in setup.describe()] + [
        "", "| benchmark | unit | minigrad | PyTorch | minigrad / PyTorch | check |",
        "| --- | --- | ---: | ---: | ---: | ---: |"]
    for name, (mg_seconds, torch_seconds), unit, work, check in rows:
        ours, theirs = _rate(mg_seconds, unit, work), _rate(torch_seconds, unit, work)
        ratio = theirs / ours if unit == "ms" else ours / theirs
        lines.append(f"| {name} | {unit} | {ours:.4g} | {theirs:.4g} | {ratio:.3g} | {check:.1e} |")
    lines += ["", "minigrad / PyTorch: speed relative to PyTorch (above 1: minigrad is faster). check: largest "
              "difference between the two results relative to the largest value (outputs and gradients; "
              "first-step loss for training)."]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="also write the Markdown table to this file")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, one timed run: checks the logic (works on the CUDA simulator)")
    parser.add_argument("--jsonl", type=Path, help="append one JSON line per finished row to this file")
    parser.add_argument("--only", action="append", metavar="PREFIX",
                        help="run only the rows whose job name starts with PREFIX (repeatable; see --list)")
    parser.add_argument("--list", action="store_true", help="print the job names and stop")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    jobs = [(f"GEMM {n}", lambda setup, n=n: bench_gemm(setup, n, sizes)) for n in sizes["gemm"]]
    jobs += [(f"GEMM kernel {n}", lambda setup, n=n: bench_gemm_kernel(setup, n, sizes)) for n in sizes["gemm"]]
    jobs += [(f"conv2d {'x'.join(map(str, shape))}", lambda setup, shape=shape: bench_conv(setup, shape, sizes))
             for shape in sizes["conv"]]
    jobs += [(name, lambda setup, name=name: bench_training(setup, name, sizes[key], args.smoke, sizes))
             for name, key in (("LeNet-5", "lenet_batch"), ("ResNet-18", "resnet_batch"))]
    if args.only:
        jobs = [job for job in jobs if any(job[0].startswith(prefix) for prefix in args.only)]
        if not jobs:
            parser.error(f"--only {' '.join(args.only)}: no such rows (see --list)")
    if args.list:
        print("\n".join(name for name, _ in jobs))
        return
    setup = Setup(args.smoke)
    rows = []
    for _, job in jobs:  # each row is written as soon as it exists: a time-out loses only the running one
        rows.append(job(setup))
        report = table(setup, rows)
        if args.out:
            with atomic_write(args.out) as f:
                f.write(report.encode())
        if args.jsonl:
            name, (ours, theirs), unit, work, check = rows[-1]
            with open(args.jsonl, "a") as f:
                f.write(json.dumps({"name": name, "minigrad_s": ours, "torch_s": theirs, "unit": unit,
                                    "work": work, "check": check}) + "\n")
    failed = [row[0] for row in rows if not row[-1] <= CHECK_TOLERANCE]
    print(report, end="")
    if failed:
        raise SystemExit(f"benchmarks/gpu.py: minigrad and PyTorch disagree beyond {CHECK_TOLERANCE:g} on: "
                         + ", ".join(failed))


if __name__ == "__main__":
    main()
