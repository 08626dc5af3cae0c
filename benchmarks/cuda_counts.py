"""What one CUDA training step asks of the device, and what it costs the host.

    python benchmarks/cuda_counts.py                      # no GPU: numba-cuda's real host path, launches
                                                          # recorded and skipped (benchmarks/cuda_host_probe.py)
    python benchmarks/cuda_counts.py --gpu                # on a GPU: the same counts, and step times
    python benchmarks/cuda_counts.py --runs lenet:64 --profile 15   # + cProfile's top 15 of one step
    python benchmarks/cuda_counts.py --json               # one JSON object per run
    python benchmarks/cuda_counts.py --processes 9        # each run in 9 fresh processes, alternating:
                                                          # host ms = median (range) of their medians

A step is what a training loop does per batch: upload the images from the host, forward,
cross-entropy against the host labels (validated there, then uploaded), backward, SGD with momentum.
Per step after 3 warm-up steps: launches, driver allocations, pool hits, host->device and
device->host copies, synchronisations, and host milliseconds (the median of --steps steps: wall time
until the step returns, and the process's CPU time, which a busy shared machine inflates less; on a
GPU also the step's wall time with the GPU work, synchronised at the end). The counts do not depend on
the image size, so --small uses 8x8 images (ResNet-18) to make the probe quick.

A shared machine's speed drifts for seconds at a time, so one process's median can be far from
another's. With --processes N every run is measured in N fresh processes (the runs taking turns),
host ms is the median of their medians with the range beside it, and the counts must agree.
"""
import argparse
import cProfile
import json
import os
import pstats
import sys
import time

FIELDS = ("launches", "allocations", "pool_hits", "h2d_copies", "d2h_copies", "synchronizations")
MODELS = {"lenet": ("LeNet-5", (1, 28, 28)), "resnet": ("ResNet-18", (3, 32, 32))}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", default="lenet:64,resnet:16,resnet:128",
                        help="comma-separated MODEL:BATCH (MODEL: lenet, resnet)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per run")
    parser.add_argument("--gpu", action="store_true", help="run on the real GPU instead of the host probe")
    parser.add_argument("--small", action="store_true", help="8x8 images for ResNet-18 (same counts, quicker)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")
    parser.add_argument("--markdown", metavar="PATH", help="also write the table to PATH (rewritten after each run)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile's top N of one step")
    parser.add_argument("--processes", type=int, default=1, metavar="N",
                        help="measure each run in N fresh processes, runs alternating (default 1: this one)")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error(f"--processes: expected a positive count, got {args.processes}")
    if args.processes > 1 and args.profile:
        parser.error("--profile profiles one step in this process: it cannot be combined with --processes")
    runs = []
    for item in args.runs.split(","):
        name, _, batch = item.partition(":")
        if name not in MODELS or not batch.isdigit() or int(batch) < 1:
            parser.error(f"--runs: expected MODEL:BATCH with MODEL in {sorted(MODELS)}, got {item!r}")
        runs.append((name, int(batch)))
    args.runs = runs
    return args


def make_step(name, batch, small):
    import numpy as np

    import minigrad as mg
    from minigrad.models.lenet import LeNet5
    from minigrad.models.resnet import ResNet18
    from minigrad.nn import functional as F
    from minigrad.optim import SGD

    mg.manual_seed(0)
    model = LeNet5() if name == "lenet" else ResNet18(num_classes=10)
    model.to("cuda")
    shape = (3, 8, 8) if small and name == "resnet" else MODELS[name][1]
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch, *shape)).astype(np.float32)
    labels = rng.integers(0, 10, batch)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        x = mg.tensor(images, device="cuda")
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
        return loss
    return step


def project_counts():
    """mg.cuda.stats() where the code has it (None before it existed)."""
    try:
        from kernels.cuda import counters
    except ImportError:
        return None
    return counters.stats()


def reset_counts(probe):
    if probe is not None:
        probe.reset()
    try:
        from kernels.cuda import counters
        counters.reset()
    except ImportError:
        pass


def measure(name, batch, args, probe):
    from numba import cuda
    step = make_step(name, batch, args.small)
    for _ in range(3):
        step()
    cuda.synchronize()
    reset_counts(probe)
    step()
    counted = project_counts()
    driver = dict(probe.COUNTS) if probe is not None else None
    host, cpu, wall = [], [], []
    for _ in range(args.steps):
        start, start_cpu = time.perf_counter(), time.process_time()
        step()
        host.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        cuda.synchronize()
        wall.append(time.perf_counter() - start)
    median = lambda samples: round(1e3 * sorted(samples)[len(samples) // 2], 2)  # noqa: E731
    row = {"model": MODELS[name][0], "batch": batch, "host_ms": median(host), "host_cpu_ms": median(cpu)}
    if args.gpu:
        row["step_ms"] = median(wall)
    source = counted if counted is not None else {}
    for field in FIELDS:
        value = driver.get(field, 0) if driver is not None and field != "pool_hits" else source.get(field)
        row[field] = value if value is not None else "-"
    if counted is not None:
        row["launches_by_kernel"] = counted["launches_by_kernel"]
        if "by_stream" in counted:
            row["by_stream"] = counted["by_stream"]
    if driver is not None:
        row["on_default_stream"] = driver.get("on_default_stream", 0)
        if driver is not None:
            row["counters_agree"] = all(driver.get(f, 0) == counted[f] for f in FIELDS if f != "pool_hits")
    if args.profile:
        profile = cProfile.Profile(time.process_time)  # CPU time, which a busy machine distorts less
        profile.runcall(step)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(args.profile)
    return row


def across_processes(args):
    """Each run measured in args.processes fresh processes of this script, the runs taking turns:
    one row per run, host ms the median of the processes' medians, with their range."""
    import statistics
    import subprocess
    options = ["--steps", str(args.steps)] + ["--gpu"] * args.gpu + ["--small"] * args.small
    samples = {run: [] for run in args.runs}
    for _ in range(args.processes):
        for name, batch in args.runs:
            result = subprocess.run([sys.executable, os.path.abspath(__file__), *options, "--runs", f"{name}:{batch}",
                                     "--json"], capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit(f"cuda_counts.py: the process measuring {name}:{batch} failed: "
                                 f"{(result.stderr.strip().splitlines() or ['no output'])[-1]}")
            samples[name, batch].append(json.loads(result.stdout.strip().splitlines()[-1]))
    for (name, batch), measured in samples.items():
        counts = [{field: row[field] for field in FIELDS} for row in measured]
        if any(c != counts[0] for c in counts):
            raise SystemExit(f"cuda_counts.py: the counts of {name}:{batch} differ between processes: {counts}")
        row = dict(measured[0], processes=args.processes)
        for field in ("host_ms", "host_cpu_ms") + ("step_ms",) * args.gpu:
            values = [r[field] for r in measured]
            row[field] = round(statistics.median(values), 2)
            row[f"{field}_range"] = f"{min(values)}–{max(values)}"
        yield row


def in_this_process(args):
    sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # after PYTHONPATH (another checkout)
    probe = None
    if not args.gpu:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import cuda_host_probe as probe
        probe.install()
    for name, batch in args.runs:
        yield measure(name, batch, args, probe)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rows = []
    for row in (across_processes(args) if args.processes > 1 else in_this_process(args)):
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(table(rows, args.gpu))
    if not args.json:
        print(table(rows, args.gpu), end="")


def table(rows, gpu):
    columns = ["model", "batch", *FIELDS, "host_ms", "host_cpu_ms"] + (["step_ms"] if gpu else [])
    if rows and "processes" in rows[0]:
        columns = [c for f in columns for c in ((f, f + "_range") if f.endswith("_ms") else (f,))] + ["processes"]
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
