"""Fixtures for the minigrad tests that count what a CUDA step asks of the device."""
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cuda_counts():
    """``cuda_counts(fn)`` -> mg.cuda.stats() of one call of fn (counts reset just before it)."""
    import minigrad as mg

    def run(fn):
        gc.collect()
        mg.cuda.reset_stats()
        fn()
        return mg.cuda.stats()
    return run


@pytest.fixture(scope="session")
def probe_steps():
    """Per-step counts of LeNet-5 (batch 8) and ResNet-18 (batch 2, 8×8 images: the counts do not depend
    on the size) on numba-cuda's real host path, launches recorded and skipped (benchmarks/cuda_counts.py
    in a fresh process without the simulator): {"LeNet-5": row, "ResNet-18": row}."""
    pytest.importorskip("cuda.bindings", reason="numba-cuda's NVIDIA bindings are not installed")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "cuda_counts.py"), "--runs",
                             "lenet:8,resnet:2", "--small", "--steps", "1", "--json"],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return {row["model"]: row for row in rows}
