"""``mpirun -n 2 python -m minigrad.train --distributed``: the same training as one process with twice the
batch, the two replicas bitwise equal, rank 0 alone writing, and a resumed run equal to an uninterrupted one."""
import json

import numpy as np
import pytest

import minigrad as mg
from minigrad.train import main

PER_RANK_BATCH = 8
RUN = ["--model", "lenet5", "--dataset", "mnist-sample", "--limit-train", "32", "--limit-test", "24",
       "--dtype", "float64", "--seed", "5", "--quiet", "--epochs", "2"]


def _weights(out):
    state = mg.load(out / "checkpoint.npz")["model"]
    return {k: np.asarray(v.numpy() if hasattr(v, "numpy") else v) for k, v in state.items()}


def _metrics(out):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in json.loads((out / "metrics.json").read_text())]


@pytest.fixture(scope="module")
def two_ranks(mpirun, tmp_path_factory):
    """An uninterrupted 2-epoch run on 2 ranks."""
    out = tmp_path_factory.mktemp("two-ranks") / "run"
    proc = mpirun(2, "-m", "minigrad.train", "--distributed", *RUN, "--batch-size", PER_RANK_BATCH, "--out", out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc.stdout


def test_two_ranks_train_like_one_process_with_the_global_batch(two_ranks, tmp_path):
    out, stdout = two_ranks
    assert "2 ranks x --batch-size 8 = global batch 16" in stdout
    assert stdout.count("epoch 1:") == 1  # rank 0 alone reports (and writes)
    single = tmp_path / "single"
    assert main(RUN + ["--batch-size", str(2 * PER_RANK_BATCH), "--out", str(single)]) == 0
    ours, theirs = _weights(out), _weights(single)
    assert ours.keys() == theirs.keys()
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k], rtol=1e-10, atol=1e-10, err_msg=k)
    assert _metrics(out)[1]["train_loss"] < _metrics(out)[0]["train_loss"]  # it did train
    for a, b in zip(_metrics(out), _metrics(single)):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == pytest.approx(b[key], rel=1e-10), key


def test_a_resumed_two_rank_run_equals_the_uninterrupted_one(mpirun, two_ranks, tmp_path):
    out, _ = two_ranks
    crashed = tmp_path / "crashed"
    common = ["-m", "minigrad.train", "--distributed", *RUN, "--batch-size", PER_RANK_BATCH]
    proc = mpirun(2, *common, "--out", crashed, "--stop-after-steps", 3)  # in epoch 2 (2 steps per epoch)
    assert proc.returncode != 0 and "continue with --resume" in proc.stderr
    assert len(_metrics(crashed)) == 1
    proc = mpirun(2, "-m", "minigrad.train", "--distributed", "--quiet", "--resume", crashed / "checkpoint.npz",
                  "--epochs", 2)
    assert proc.returncode == 0, proc.stderr[-3000:]
    resumed, uninterrupted = _weights(crashed), _weights(out)
    for k in uninterrupted:
        np.testing.assert_array_equal(resumed[k], uninterrupted[k], err_msg=k)
    assert _metrics(crashed) == _metrics(out)


def test_resuming_with_another_number_of_ranks_is_a_one_line_error(two_ranks, capsys):
    out, _ = two_ranks
    assert main(["--resume", str(out / "checkpoint.npz"), "--epochs", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "was written by 2 ranks and this run has 1; resume it with mpirun -n 2" in err


def test_the_readme_commands_of_more_than_one_device_parse():
    import re
    import shlex
    from pathlib import Path

    from minigrad.train import parse_args

    text = (Path(__file__).parents[3] / "README.md").read_text()
    section = text[text.index("## More than one device"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if "minigrad.train" in line]
    assert len(commands) >= 3
    for command in commands:
        argv = command[command.index("minigrad.train") + 1:]
        if "..." not in argv:
            parse_args(argv)


def test_mpirun_without_distributed_is_a_one_line_error_before_anything_is_written(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    out = tmp_path / "run"
    assert main(RUN + ["--batch-size", "8", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("minigrad.train: error: started by mpirun as 2 processes without --distributed: pass "
                   "--distributed (else 2 separate runs would write the same --out)")
    assert not out.exists()
