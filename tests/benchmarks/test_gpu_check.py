"""benchmarks/gpu_check.sh, the prepared GPU run: valid bash, every file it runs exists, and its
--dry-run prints each phase without running one (its plumbing runs on the simulator with
GPU_CHECK_SMOKE=1, too slow for the default suite)."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu_check.sh"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


def _bash(*args, **kwargs):
    return subprocess.run(["bash", *args], capture_output=True, text=True, cwd=ROOT, timeout=60, **kwargs)


def test_the_script_is_valid_bash():
    run = _bash("-n", str(SCRIPT))
    assert run.returncode == 0, run.stderr


def test_every_file_it_names_exists():
    named = set(re.findall(r"\b((?:benchmarks|tests|minigrad)/[\w/]+\.(?:py|sh))\b", SCRIPT.read_text()))
    named |= set(re.findall(r"\b(tests/[\w/]+)(?![\w.])", SCRIPT.read_text()))  # folders
    assert {"benchmarks/gpu.py", "benchmarks/cuda_counts.py", "tests/minigrad/test_cuda_budgets.py"} <= named
    missing = sorted(path for path in named if not (ROOT / path).exists())
    assert not missing, f"gpu_check.sh names files that do not exist: {missing}"


def test_dry_run_lists_every_phase_and_writes_nothing(tmp_path):
    run = _bash(str(SCRIPT), "--dry-run", env={"PATH": "/usr/bin:/bin", "OUT": str(tmp_path / "out")})
    assert run.returncode == 0, run.stderr
    phases = [line.split(" ")[0] for line in run.stdout.splitlines() if re.match(r"^\w+ \(<= \d+s", line)]
    assert phases == ["env", "cuda_counts", "gpu_bench", "tests", "train"]
    assert "--device cuda" in run.stdout and "-m cuda" in run.stdout and "needs_cuda and not cuda" in run.stdout
    assert not (tmp_path / "out").exists()


def test_an_unknown_argument_is_refused_in_one_line():
    run = _bash(str(SCRIPT), "--fast")
    assert run.returncode == 2 and len(run.stderr.splitlines()) == 1 and "--fast" in run.stderr
