"""The CPU backend's small kernels against a memcpy of the same bytes, at the shapes of the training steps.

For each kernel the bytes it must move (every input read once, every output written once) are counted,
and ``np.copyto`` of a buffer of half that many bytes (one read, one write) is the memcpy it is held to.
Kernel and copy calls alternate in this process; the table gives the median wall time of each, the median
and range of the pair ratios kernel / memcpy (1.0× is memory speed), and the ratio of their CPU times (all
threads, ``time.process_time``), which a busy machine disturbs less.

    python benchmarks/small_kernels.py                 # all cases
    python benchmarks/small_kernels.py --cases relu    # the cases whose name contains "relu"
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from minigrad.backend import cpu as backend  # noqa: E402

RESNET = (32, 64, 32, 32)   # ResNet-18 (CIFAR) b32, the first stage's activations
LENET = (64, 6, 28, 28)     # LeNet-5 b64, conv1's output
RESNET_PARAMS = 11_173_962  # ResNet-18 (CIFAR) parameters: one SGD step over all of them


def cases():
    """name -> (function, bytes moved)."""
    rng = np.random.default_rng(0)

    def array(shape, dtype=np.float32):
        return rng.standard_normal(shape).astype(dtype)

    x, dy = array(RESNET), array(RESNET)
    channels = RESNET[1]
    mean, var = backend.batch_norm_stats(x)
    invstd = (1 / np.sqrt(var + 1e-5)).astype(np.float32)
    weight, bias = array(channels), array(channels)
    size = x.nbytes
    small, small_g = array(LENET), array(LENET)
    pooled, argmax = backend.max_pool2d_forward(small, 2, 2, 0, 1, False)
    pooled_g = array(pooled.shape)
    param, grad, buf = array(RESNET_PARAMS), array(RESNET_PARAMS), array(RESNET_PARAMS)
    return {
        "batch_norm_stats ResNet": (lambda: backend.batch_norm_stats(x), size),
        "batch_norm_forward ResNet": (lambda: backend.batch_norm_forward(x, mean, invstd, weight, bias), 2 * size),
        "batch_norm_backward ResNet": (lambda: backend.batch_norm_backward(dy, x, mean, invstd, weight), 3 * size),
        "relu ResNet": (lambda: backend.relu(x), 2 * size),
        "relu_backward ResNet": (lambda: backend.relu_backward(dy, x), 3 * size),
        "add ResNet": (lambda: backend.add(x, dy), 3 * size),
        "relu LeNet": (lambda: backend.relu(small), 2 * small.nbytes),
        "relu_backward LeNet": (lambda: backend.relu_backward(small_g, small), 3 * small.nbytes),
        "max_pool2d 2×2 LeNet": (lambda: backend.max_pool2d_forward(small, 2, 2, 0, 1, False),
                                 small.nbytes + pooled.nbytes + argmax.nbytes),
        "max_pool2d_backward LeNet": (lambda: backend.max_pool2d_backward(pooled_g, argmax, small.shape),
                                      pooled_g.nbytes + argmax.nbytes + small.nbytes),
        "sgd_update momentum ResNet params": (
            lambda: backend.sgd_update(param, grad, buf, 1e-6, 0.9, 0.0, 0.0, False, False), 5 * param.nbytes),
    }


def _seconds(fn, number):
    """(wall, CPU) seconds per call."""
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number, (time.process_time() - cpu) / number


def compare(fn, moved, samples, min_seconds=0.01):
    """(kernel s, memcpy s, ratios, CPU-time ratio) over ``samples`` alternating pairs after warm-up."""
    src = np.ones(max(moved // 2, 1), dtype=np.uint8)
    dst = np.empty_like(src)
    copy = lambda: np.copyto(dst, src)  # noqa: E731
    for f in (fn, copy):
        f(), f()
    number = max(1, int(min_seconds / max(_seconds(fn, 1)[0], 1e-7)))
    kernel_t, copy_t, kernel_cpu, copy_cpu = [], [], 0.0, 0.0
    for _ in range(samples):
        (wall, cpu), (copy_wall, copy_cpu_s) = _seconds(fn, number), _seconds(copy, number)
        kernel_t.append(wall)
        copy_t.append(copy_wall)
        kernel_cpu += cpu
        copy_cpu += copy_cpu_s
    ratios = [k / c for k, c in zip(kernel_t, copy_t)]
    return statistics.median(kernel_t), statistics.median(copy_t), ratios, kernel_cpu / max(copy_cpu, 1e-9)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=[], help="run only cases whose name contains one of these")
    parser.add_argument("--samples", type=int, default=11, help="alternating pairs per case")
    args = parser.parse_args(argv)
    print("| kernel | MB moved | kernel | memcpy of the same bytes | kernel / memcpy (pairs) | CPU time ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (fn, moved) in cases().items():
        if args.cases and not any(c in name for c in args.cases):
            continue
        t, c, ratios, cpu_ratio = compare(fn, moved, args.samples)
        print(f"| {name} | {moved / 1e6:.1f} | {t * 1e3:.3f} ms | {c * 1e3:.3f} ms | "
              f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) | {cpu_ratio:.2f}× |", flush=True)


if __name__ == "__main__":
    main()
