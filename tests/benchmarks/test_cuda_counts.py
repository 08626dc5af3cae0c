"""benchmarks/cuda_counts.py --processes: each run in fresh processes, taking turns; the host ms of a
row is the median of the processes' medians with their range, and the counts must agree."""
import json
import subprocess
import types

import pytest


def fake_process(rows_by_run, calls):
    """subprocess.run standing in for the child processes: row k of a run for its k-th process."""
    def run(command, capture_output, text):
        run_spec = command[command.index("--runs") + 1]
        calls.append(run_spec)
        row = rows_by_run[run_spec][sum(c == run_spec for c in calls) - 1]
        return types.SimpleNamespace(returncode=0, stdout="noise\n" + json.dumps(row) + "\n", stderr="")
    return run


def row(host_ms, launches=40):
    counts = {"launches": launches, "allocations": 0, "pool_hits": 47, "h2d_copies": 2, "d2h_copies": 0,
              "synchronizations": 0}
    return {"model": "LeNet-5", "batch": 8, "host_ms": host_ms, "host_cpu_ms": host_ms + 0.01, **counts}


def test_runs_take_turns_and_host_ms_is_the_median_of_the_process_medians(load_benchmark, monkeypatch):
    counts = load_benchmark("cuda_counts.py")
    calls = []
    rows = {"lenet:8": [row(3.0), row(9.0), row(2.0)], "resnet:2": [row(20.0), row(10.0), row(30.0)]}
    monkeypatch.setattr(subprocess, "run", fake_process(rows, calls))
    args = counts.parse_args(["--runs", "lenet:8,resnet:2", "--processes", "3", "--small"])
    lenet, resnet = counts.across_processes(args)
    assert calls == ["lenet:8", "resnet:2"] * 3
    assert (lenet["host_ms"], lenet["host_ms_range"], lenet["processes"]) == (3.0, "2.0–9.0", 3)
    assert (resnet["host_ms"], resnet["host_ms_range"]) == (20.0, "10.0–30.0")
    assert lenet["host_cpu_ms"] == 3.01 and lenet["launches"] == 40
    header = counts.table([lenet, resnet], gpu=False).splitlines()[0]
    assert "| host_ms | host_ms_range | host_cpu_ms | host_cpu_ms_range |" in header and header.endswith("| processes |")


def test_counts_that_differ_between_processes_are_an_error(load_benchmark, monkeypatch):
    counts = load_benchmark("cuda_counts.py")
    monkeypatch.setattr(subprocess, "run", fake_process({"lenet:8": [row(3.0), row(3.0, launches=41)]}, []))
    with pytest.raises(SystemExit, match="counts of lenet:8 differ between processes"):
        list(counts.across_processes(counts.parse_args(["--runs", "lenet:8", "--processes", "2"])))


@pytest.mark.parametrize("argv, message", [(["--processes", "0"], "expected a positive count, got 0"),
                                           (["--processes", "2", "--profile", "5"], "cannot be combined")])
def test_bad_process_options_are_refused(load_benchmark, capsys, argv, message):
    counts = load_benchmark("cuda_counts.py")
    with pytest.raises(SystemExit) as exit_info:
        counts.parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
