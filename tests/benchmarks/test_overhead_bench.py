"""benchmarks/overhead.py: its workers run through benchmarks/cpu.py's machinery, each library alone."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "overhead.py"


@pytest.fixture(scope="module")
def overhead(load_benchmark):
    return load_benchmark("overhead.py")


@pytest.mark.parametrize("row", ["forward_backward", "mlp"])
def test_a_minigrad_worker_imports_only_minigrad_and_reports_a_step(row):
    probe = ("import runpy, sys; sys.argv = [{s!r}, '--worker', 'minigrad', {row!r}, '--warmup', '1', "
             "'--steps', '2']; runpy.run_path({s!r}, run_name='__main__'); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe.format(s=str(SCRIPT), row=row)], capture_output=True,
                         text=True, cwd=str(ROOT), timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    *_, report, torch_imported = out.stdout.strip().splitlines()
    result = json.loads(report)["minigrad"]
    assert result["median_s"] > 0 and result["cpu_s_per_step"] >= 0 and result["faults_per_step"] >= 0
    assert torch_imported == "False"


def test_a_step_makes_the_rows_calls_and_figures_are_per_call(overhead, monkeypatch):
    calls = []
    monkeypatch.setitem(overhead.ROWS, "sum", ("sum 4×4", 7))
    monkeypatch.setattr(overhead, "tiny_op", lambda lib, row: lambda: calls.append(row))
    overhead.build("minigrad", "sum")()
    assert calls == ["sum"] * 7

    def side(t, faults):
        return {"median_s": t, "faults_per_step": faults, "cpu_s_per_step": 2 * t}
    rounds = [{"minigrad": side(7.0, 14.0), "torch": side(3.5, 0.0)},
              {"minigrad": side(14.0, 7.0), "torch": side(3.5, 7.0)}]
    s = overhead.per_call(overhead.method.summarise(rounds), 7)
    assert (s["mg"], s["torch"], s["mg_cpu"]) == (1.5, 0.5, 3.0)
    assert s["mg_faults"] == 1.5 and s["torch_faults"] == 0.5
    assert (s["ratio"], s["lo"], s["hi"]) == (3.0, 2.0, 4.0)  # ratios are not scaled
