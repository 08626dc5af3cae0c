"""Data-parallel LeNet-5 training steps on 1 and 2 ranks of this machine (mpirun, CPU, float32).

Each rank trains on its own batch of --batch-size MNIST-sample images (so K ranks take a global batch of
K·B per step); a step is forward, cross-entropy, backward (during which DistributedDataParallel
all-reduces the gradient buckets) and an SGD step. Reported per K: the median step time, images per
second over the global batch, and the share of the step the ranks spent in communication (starting
buckets and waiting for them: what did not overlap with backward), next to the time one blocking
all-reduce of all the gradients takes alone. The cores are split between the ranks
(NUMBA_NUM_THREADS = cores / K), so 2 ranks on 2 cores compute no faster than 1 rank with 2 threads:
the figures show what data parallelism costs, not a speed-up; across machines or GPUs each rank has
its own device.

    python benchmarks/distributed.py                      # prints a Markdown table
    python benchmarks/distributed.py --out distributed.md # and writes it
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def worker(steps: int, warmup: int, batch_size: int):
    """One rank's measurement; rank 0 prints it as one JSON line."""
    import numpy as np

    import minigrad as mg
    import minigrad.nn.functional as F
    from minigrad import data, distributed as dist, models, optim

    world = dist.init()
    mg.manual_seed(0)
    train = data.get_dataset("mnist-sample", train=True)
    loader = data.DataLoader(train, batch_size=batch_size, sampler=data.DistributedSampler(train, seed=0),
                             seed=0, drop_last=True)
    model = dist.DistributedDataParallel(models.LeNet5(in_channels=1))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    batches = [b for _, b in zip(range(steps + warmup), iter(loader))]
    times, comm = [], []
    for i, (x, y) in enumerate(batches):
        dist.barrier()
        comm_before, start = model.communication_seconds, time.perf_counter()
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        model.finish_gradient_sync()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - start)
            comm.append(model.communication_seconds - comm_before)
    grads = np.ones(sum(p.size for p in model.parameters()), dtype=np.float32)
    alone = []
    for _ in range(20):
        dist.barrier()
        start = time.perf_counter()
        dist.all_reduce_array(grads)
        alone.append(time.perf_counter() - start)
    summary = dist.all_reduce_array([statistics.median(times), sum(comm) / sum(times), statistics.median(alone)],
                                    "mean")
    if world.rank == 0:
        step, comm_share, allreduce = (float(v) for v in summary)
        print(json.dumps({"ranks": world.size, "per_rank_batch": batch_size, "global_batch": world.size * batch_size,
                          "step_s": step, "images_per_s": world.size * batch_size / step, "comm_share": comm_share,
                          "allreduce_alone_s": allreduce, "buckets": len(model.buckets),
                          "gradient_mb": grads.nbytes / 2**20}), flush=True)


def measure(ranks: int, args) -> dict:
    cores = os.cpu_count() or 1
    env = {**os.environ, "PYTHONPATH": str(REPO), "NUMBA_NUM_THREADS": str(max(1, cores // ranks)),
           "OMP_NUM_THREADS": str(max(1, cores // ranks)), "OPENBLAS_NUM_THREADS": "1",
           "OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
    command = ["mpirun", "--oversubscribe", "-n", str(ranks), sys.executable, __file__, "--worker",
               "--steps", str(args.steps), "--warmup", str(args.warmup), "--batch-size", str(args.batch_size)]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
    if proc.returncode != 0:
        sys.exit(f"benchmarks/distributed.py: {ranks} ranks failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(rows, load) -> str:
    lines = [f"LeNet-5 train steps, float32, mnist-sample, {rows[0]['gradient_mb']:.2f} MB of gradients; "
             f"{os.cpu_count()} cores shared by the ranks; load average at the start {load}",
             "", "| ranks | batch per rank | global batch | step (ms) | images/s | communication share of the step "
             "| one blocking all-reduce of all gradients (ms) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['ranks']} | {r['per_rank_batch']} | {r['global_batch']} | {1e3 * r['step_s']:.1f} | "
                     f"{r['images_per_s']:.0f} | {100 * r['comm_share']:.1f}% | "
                     f"{1e3 * r['allreduce_alone_s']:.2f} |")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--out")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args.steps, args.warmup, args.batch_size)
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    report = table([measure(k, args) for k in args.ranks], load)
    print(report)
    if args.out:
        Path(args.out).write_text(report + "\n")


if __name__ == "__main__":
    main()
