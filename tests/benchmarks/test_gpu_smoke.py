"""benchmarks/gpu.py: its whole logic on tiny sizes under the CUDA simulator (``--smoke``), and its
clear refusal on a machine without a GPU. Each run is a fresh process, as a user would start it."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu.py"
NO_GPU_MESSAGE = "device='cuda' needs a CUDA GPU and numba-cuda; none was found: "

# Runs the script as `python benchmarks/gpu.py ARGS` would, with Graphviz's Python package made
# unimportable (it is absent on the GPU machine), then reports whether `viz` was imported.
RUNNER = """
import runpy, sys
sys.modules["graphviz"] = None
sys.argv = [{script!r}] + {args!r}
try:
    runpy.run_path({script!r}, run_name="__main__")
finally:
    print("viz imported:", "viz" in sys.modules)
"""


def _run(args, simulator):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    if simulator:
        env["NUMBA_ENABLE_CUDASIM"] = "1"
    code = RUNNER.format(script=str(SCRIPT), args=list(args))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=600)


def _has_real_gpu():
    run = subprocess.run([sys.executable, "-c", "from numba import cuda; print(cuda.is_available())"],
                         capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                              if k != "NUMBA_ENABLE_CUDASIM"})
    return run.stdout.strip() == "True"


def test_smoke_run_on_the_simulator_writes_the_table(tmp_path):
    out, jsonl = tmp_path / "reports" / "gpu.md", tmp_path / "gpu.jsonl"
    run = _run(["--smoke", "--out", str(out), "--jsonl", str(jsonl)], simulator=True)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "viz imported: False" in run.stdout
    report = out.read_text()
    assert report in run.stdout
    for header in ("- GPU: ", "- Versions: minigrad ", "- Date: ", "TF32 off"):
        assert header in report
    rows = [line for line in report.splitlines() if line.startswith("| ") and not line.startswith(("| benchmark", "| ---"))]
    names = [row.split("|")[1].strip() for row in rows]
    assert [" ".join(n.split(" ")[:2]) for n in names] == ["GEMM 8×8×8", "GEMM kernel", "conv2d 3×3", "LeNet-5 training",
                                                           "ResNet-18 training"]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 6
        assert float(cells[2]) > 0 and float(cells[3]) > 0 and float(cells[4]) > 0
        assert float(cells[5]) <= 1e-3, f"minigrad and PyTorch disagree in {cells[0]}"
    assert [p.name for p in out.parent.iterdir()] == ["gpu.md"], "the atomic write left a temporary file behind"
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [line["name"] for line in lines] == names, "one JSON line per row, in the table's order"


def test_only_runs_the_chosen_rows_and_an_unknown_one_is_refused():
    listed = _run(["--smoke", "--list", "--only", "GEMM kernel"], simulator=True)
    assert listed.returncode == 0 and listed.stdout.splitlines()[:1] == ["GEMM kernel 8"]
    unknown = _run(["--smoke", "--only", "nothing"], simulator=True)
    assert unknown.returncode == 2 and "no such rows" in unknown.stderr


@pytest.mark.parametrize("args", [[], ["--smoke"]], ids=["full", "smoke"])
def test_without_a_gpu_it_fails_with_a_clear_message(args):
    if _has_real_gpu():
        pytest.skip("this machine has a CUDA GPU")
    run = _run(args, simulator=False)
    assert run.returncode != 0
    assert NO_GPU_MESSAGE in run.stderr
    assert re.search(r"NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu.py --smoke", run.stderr)
    assert "Traceback" not in run.stderr
