"""The training command: errors a user can act on, and resume that reproduces an uninterrupted run."""
import errno
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg
from minigrad.train import main, parse_args

README = Path(__file__).resolve().parents[2] / "README.md"

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


# ---- bad values: one line, exit 2, nothing written ------------------------------------------------------

@pytest.mark.parametrize("flags, message", [
    (["--lr", "-0.1"], "--lr must be a finite number >= 0, got -0.1"),
    (["--lr", "nan"], "--lr must be a finite number >= 0, got nan"),
    (["--momentum", "-0.9"], "--momentum must be a finite number >= 0"),
    (["--weight-decay", "-0.0001"], "--weight-decay must be a finite number >= 0"),
    (["--label-smoothing", "1.5"], r"--label-smoothing must be in [0, 1], got 1.5"),
    (["--label-smoothing", "-0.1"], r"--label-smoothing must be in [0, 1]"),
    (["--limit-train", "0"], "--limit-train must be at least 1, got 0"),
    (["--limit-train", "-5"], "--limit-train must be at least 1, got -5"),
    (["--limit-test", "0"], "--limit-test must be at least 1"),
    (["--seed", "-1"], "--seed must be an integer in [0, 2**63)"),
    (["--epochs", "two"], "invalid int value: 'two'"),
    (["--resume", "no-such-checkpoint.npz"], "cannot resume from no-such-checkpoint.npz"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_bad_values_are_one_line_exit_2_before_any_file_is_written(capsys, tmp_path, flags, message):
    out = tmp_path / "out"
    assert main(flags + ["--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not out.exists()


def test_out_that_is_a_file_or_under_a_file_is_one_line_exit_2(capsys, tmp_path):
    a_file = tmp_path / "results.txt"
    a_file.write_text("keep me")
    for out, message in ((a_file, "is a file; give a folder"), (a_file / "run", f"{a_file} is a file")):
        assert main(["--out", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err
    assert a_file.read_text() == "keep me" and os.listdir(tmp_path) == ["results.txt"]


def test_out_that_is_not_writable_is_one_line_exit_2(capsys, tmp_path, monkeypatch):
    # the check asks os.access (root may write anywhere, so a chmod would not show it here)
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked)
    assert main(["--out", str(locked / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not writable" in err and str(locked) in err
    assert os.listdir(locked) == []


# ---- resume: the command line wins ---------------------------------------------------------------------

TINY = ["--limit-train", "64", "--limit-test", "32", "--batch-size", "32", "--seed", "3", "--quiet"]


@pytest.fixture(scope="module")
def two_epoch_run(tmp_path_factory):
    """A finished 2-epoch run (cosine schedule over 2 epochs, SGD lr 0.05), kept pristine: copy it."""
    out = tmp_path_factory.mktemp("two-epochs") / "run"
    assert main(TINY + ["--epochs", "2", "--out", str(out)]) == 0
    return out


@pytest.fixture
def run_copy(two_epoch_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(two_epoch_run, out)
    return out


def _files(folder):
    return {name: (Path(folder) / name).read_bytes() for name in sorted(os.listdir(folder))}


def _lrs(out):
    return [row["lr"] for row in _metrics(out)]


def _torch_lrs(make_schedule, lr, epochs):
    """The rate of each epoch under torch's schedule (the oracle for the formulas)."""
    torch = pytest.importorskip("torch")
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    sched = make_schedule(torch.optim.lr_scheduler, opt)
    rates = []
    for _ in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def test_resuming_a_cosine_run_to_more_epochs_follows_a_cosine_over_the_new_total(run_copy):
    assert main(["--resume", str(run_copy / "checkpoint.npz"), "--epochs", "4"]) == 0
    over_2 = _torch_lrs(lambda s, o: s.CosineAnnealingLR(o, T_max=2), 0.05, 2)
    over_4 = _torch_lrs(lambda s, o: s.CosineAnnealingLR(o, T_max=4), 0.05, 4)
    assert _lrs(run_copy) == pytest.approx(over_2 + over_4[2:], rel=1e-12)
    assert all(lr > 0.001 for lr in _lrs(run_copy))
    recorded = mg.load(run_copy / "checkpoint.npz")["args"]
    assert recorded["epochs"] == 4 and recorded["limit_train"] == 64 and recorded["out"] == str(run_copy)


def test_lr_and_scheduler_given_at_resume_apply_and_are_recorded(run_copy):
    assert main(["--resume", str(run_copy / "checkpoint.npz"), "--epochs", "3", "--lr", "0.01",
                 "--scheduler", "step"]) == 0
    step_over_3 = _torch_lrs(lambda s, o: s.StepLR(o, step_size=1, gamma=0.1), 0.01, 3)
    assert _lrs(run_copy)[2] == pytest.approx(step_over_3[2], rel=1e-12)
    state = mg.load(run_copy / "checkpoint.npz")
    assert (state["args"]["lr"], state["args"]["scheduler"]) == (0.01, "step")
    assert state["optimizer"]["param_groups"][0]["initial_lr"] == 0.01


@pytest.mark.parametrize("epochs", ["2", "1"])
def test_resuming_to_epochs_already_done_says_so_and_exits_2(capsys, run_copy, epochs):
    before = _files(run_copy)
    assert main(["--resume", str(run_copy / "checkpoint.npz"), "--epochs", epochs]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "has already trained 2 epochs; pass --epochs 3 or more" in err
    assert _files(run_copy) == before


@pytest.mark.parametrize("flag, value", [
    ("--model", "lenet5-relu"), ("--dataset", "fashion-mnist"), ("--optimizer", "adam"), ("--batch-size", "16"),
    ("--limit-train", "32"), ("--seed", "4"),
])
def test_a_checkpoint_of_another_run_is_a_one_line_error(capsys, run_copy, flag, value):
    before = _files(run_copy)
    assert main(["--resume", str(run_copy / "checkpoint.npz"), "--epochs", "3", flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"is a checkpoint of a run with {flag} " in err and value in err
    assert _files(run_copy) == before


# ---- failures during training: one line, exit 1, the last good checkpoint kept --------------------------

def test_a_loss_that_turns_nan_stops_training_and_keeps_the_last_good_checkpoint(capsys, run_copy):
    before = _files(run_copy)
    assert main(["--resume", str(run_copy / "checkpoint.npz"), "--epochs", "4", "--lr", "1e30"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert re.search(r"loss at epoch 3(, step \d+)? is (nan|inf|-inf): training stopped", err), err
    assert f"{run_copy / 'checkpoint.npz'} still holds epoch 2" in err
    assert _files(run_copy) == before


def test_a_diverging_first_epoch_writes_no_checkpoint(capsys, tmp_path):
    out = tmp_path / "run"
    assert main(TINY + ["--epochs", "1", "--lr", "1e30", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no checkpoint was written" in err
    assert not (out / "checkpoint.npz").exists() and not (out / "metrics.json").exists()


def test_a_full_disk_is_one_line_and_metrics_never_list_an_unsaved_epoch(capsys, tmp_path, monkeypatch):
    import minigrad.serialization
    from minigrad.atomic import atomic_write

    checkpoints = []

    @contextmanager
    def disk_full_from_the_second_checkpoint(path):
        checkpoints.append(path)
        with atomic_write(path) as f:
            if len(checkpoints) >= 2:
                f.write(b"partial")
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            yield f

    monkeypatch.setattr(minigrad.serialization, "atomic_write", disk_full_from_the_second_checkpoint)
    out = tmp_path / "run"
    assert main(TINY + ["--epochs", "3", "--out", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "cannot save epoch 2" in err and "No space left on device" in err
    assert str(out / "checkpoint.npz") in err and ".part" not in err
    assert [row["epoch"] for row in _metrics(out)] == [1] and mg.load(out / "checkpoint.npz")["epoch"] == 1
    assert sorted(os.listdir(out)) == ["checkpoint.npz", "curves.png", "metrics.json"]


# ---- the README's recipes, as written -------------------------------------------------------------------

def readme_training_commands():
    """The command lines of the README's training recipes (comments dropped)."""
    text = README.read_text()
    section = text[text.index("## Training"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_readme_training_recipes_run_as_written(tmp_path, monkeypatch, capsys):
    commands = readme_training_commands()
    assert len(commands) >= 4 and all(c[:3] == ["python", "-m", "minigrad.train"] for c in commands)
    monkeypatch.chdir(tmp_path)
    sample = [c[3:] for c in commands if "mnist-sample" in c or "runs/sample/checkpoint.npz" in c]
    assert len(sample) == 2
    for argv in sample:
        assert main(argv) == 0, capsys.readouterr().err
    rows = _metrics("runs/sample")
    over_2 = _torch_lrs(lambda s, o: s.CosineAnnealingLR(o, T_max=2), 0.05, 2)
    over_3 = _torch_lrs(lambda s, o: s.CosineAnnealingLR(o, T_max=3), 0.05, 3)
    assert [r["epoch"] for r in rows] == [1, 2, 3] and [r["lr"] for r in rows] == pytest.approx(over_2 + over_3[2:])
    assert rows[-1]["test_acc"] > 0.5  # 512 images of the bundled sample, 3 epochs
    for argv in (c[3:] for c in commands if c[3:] not in sample):  # real data: the flags and values parse
        parse_args(argv)


@pytest.mark.needs_cuda
def test_a_cuda_epoch_reads_its_loss_and_accuracy_back_once_and_matches_the_cpu():
    """The running loss and correct count stay on the device: a whole epoch copies back 2 numbers (at its
    end), waits for the device only for those two reads, and its loss and accuracy equal the same epoch
    on the CPU."""
    pytest.importorskip("minigrad.backend.cuda", reason="numba-cuda is not installed")
    import argparse
    from minigrad.nn import functional as F
    from minigrad.optim import SGD
    from minigrad.train import train_one_epoch
    rng = np.random.default_rng(0)
    batches = [(mg.tensor(rng.standard_normal((4, 1, 6, 6)).astype(np.float32)), mg.tensor(rng.integers(0, 3, 4)))
               for _ in range(3)]
    results = {}
    for device in ("cpu", "cuda"):
        mg.manual_seed(0)
        model = mg.nn.Sequential(mg.nn.Conv2d(1, 2, 3), mg.nn.ReLU(), mg.nn.MaxPool2d(2), mg.nn.Flatten(),
                                 mg.nn.Linear(8, 3)).to(device)
        args = argparse.Namespace(device=device, dtype=None, epochs=1, batch_size=4, quiet=True, label_smoothing=0.0,
                                  stop_after_steps=None, distributed=False)
        mg.cuda.reset_stats()
        loss, accuracy, steps = train_one_epoch(model, batches, SGD(model.parameters(), lr=0.1), args, 1, F, mg, 0)
        results[device] = (loss, accuracy, steps, mg.cuda.stats())
    stats = results["cuda"][3]
    assert stats["d2h_copies"] <= 2 and stats["synchronizations"] == stats["d2h_copies"], stats
    assert results["cuda"][2] == results["cpu"][2] == 3
    assert results["cuda"][0] == pytest.approx(results["cpu"][0], rel=1e-4)
    assert results["cuda"][1] == results["cpu"][1]
