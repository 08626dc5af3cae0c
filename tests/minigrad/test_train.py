"""The training command: errors a user can act on, and resume that reproduces an uninterrupted run."""
import json
import os
import subprocess
import sys

import pytest

from minigrad.train import main

SMALL = ["--model", "lenet5", "--dataset", "mnist-sample", "--limit-train", "384", "--limit-test", "128",
         "--batch-size", "64", "--seed", "3", "--quiet"]


def _metrics(out):
    with open(os.path.join(out, "metrics.json")) as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in json.load(f)]


@pytest.mark.parametrize("flag, value, expected", [
    ("--model", "lenet7", "unknown model 'lenet7'; choose one of: lenet5, lenet5-relu, resnet18"),
    ("--dataset", "imagenet", "unknown dataset 'imagenet'; choose one of: mnist-sample, mnist"),
    ("--optimizer", "lion", "unknown optimizer 'lion'"),
])
def test_unknown_names_give_one_line_errors(capsys, tmp_path, flag, value, expected):
    assert main([flag, value, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err


def test_missing_data_dir_is_a_one_line_error(capsys, tmp_path):
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    assert main(["--dataset", "mnist", "--data-dir", str(empty), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(empty) in err and "--data-dir" in err


def test_corrupt_dataset_file_is_a_one_line_error(capsys, tmp_path):
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (tmp_path / name).write_bytes(b"\x00\x00\x08\x03garbage")
    assert main(["--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "idx" in err


def test_resume_after_an_interrupted_epoch_matches_an_uninterrupted_run(tmp_path):
    full, broken = str(tmp_path / "full"), str(tmp_path / "broken")
    assert main(SMALL + ["--epochs", "2", "--out", full]) == 0
    # 6 steps per epoch: die in the middle of epoch 2, then resume from the end-of-epoch-1 checkpoint
    assert main(SMALL + ["--epochs", "2", "--out", broken, "--stop-after-steps", "9"]) == 130
    assert len(_metrics(broken)) == 1
    assert main(SMALL + ["--epochs", "2", "--out", broken, "--resume", os.path.join(broken, "checkpoint.npz")]) == 0
    assert _metrics(broken) == _metrics(full)
    for name in ("metrics.json", "checkpoint.npz", "curves.png"):
        assert os.path.getsize(os.path.join(broken, name)) > 0
    assert not [n for n in os.listdir(broken) if n.startswith(".tmp")]


def test_command_line_entry_point(tmp_path):
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "minigrad.train", *SMALL, "--epochs", "1", "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "epoch 1: train loss" in proc.stdout and "metrics.json" in proc.stdout
    rows = _metrics(out)
    assert len(rows) == 1 and 0.0 <= rows[0]["test_acc"] <= 1.0
