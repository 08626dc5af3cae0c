"""benchmarks/cpu.py: a minigrad worker process reports what the table needs, and ratios are taken pair by pair."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "cpu.py"


@pytest.fixture(scope="module")
def bench(load_benchmark):
    return load_benchmark("cpu.py")


def test_a_minigrad_worker_imports_only_minigrad_and_reports_a_step():
    probe = ("import runpy, sys; sys.argv = [{s!r}, '--worker', 'minigrad', 'lenet5', '--warmup', '1', "
             "'--steps', '2']; runpy.run_path({s!r}, run_name='__main__'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe.format(s=str(SCRIPT))], capture_output=True, text=True,
                         cwd=str(ROOT), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    *_, report, torch_imported = out.stdout.strip().splitlines()
    result = json.loads(report)["minigrad"]
    assert result["median_s"] > 0 and result["cpu_s_per_step"] >= 0 and result["faults_per_step"] >= 0
    assert torch_imported == "False"


def test_ratios_are_taken_pair_by_pair(bench):
    def side(t):
        return {"median_s": t, "faults_per_step": 0.0, "cpu_s_per_step": t}
    rounds = [{"minigrad": side(1.0), "torch": side(1.0)},   # ratio 1
              {"minigrad": side(4.0), "torch": side(8.0)},   # ratio 0.5 (a slow moment hits both)
              {"minigrad": side(3.0), "torch": side(1.0)}]   # ratio 3
    s = bench.summarise(rounds)
    assert s["ratio"] == 1.0 and (s["lo"], s["hi"]) == (0.5, 3.0)
    assert s["mg"] / s["torch"] == 3.0  # the ratio of medians would say 3×
