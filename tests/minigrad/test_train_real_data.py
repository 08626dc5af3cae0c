"""Real-data training runs (marked slow: `make test-slow`; CI runs them when ../shared/data exists)."""
import json
import os
from pathlib import Path

import pytest

from minigrad.train import main

pytestmark = pytest.mark.slow


@pytest.fixture
def shared_data():
    root = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not root.is_dir():
        pytest.skip(f"{root} is missing: the real-data runs need ../shared/data beside the repository")
    return root


def _run(data_root, name, tmp_path, *extra):
    folder = data_root / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is missing (real {name} files are needed)")
    out = tmp_path / name
    assert main(["--model", "lenet5", "--dataset", name, "--data-dir", str(folder), "--seed", "0",
                 "--out", str(out), "--quiet", *extra]) == 0
    with open(os.path.join(out, "metrics.json")) as f:
        history = json.load(f)
    print(f"{name}: " + ", ".join(f"epoch {h['epoch']}: {100 * h['test_acc']:.2f}% ({h['seconds']:.0f} s)"
                                  for h in history))
    return history


def test_lenet5_reaches_98_5_percent_on_mnist_in_two_epochs(shared_data, tmp_path):
    history = _run(shared_data, "mnist", tmp_path, "--epochs", "2")
    assert history[-1]["test_acc"] >= 0.985


def test_lenet5_reaches_89_percent_on_fashion_mnist(shared_data, tmp_path):
    history = _run(shared_data, "fashion-mnist", tmp_path, "--epochs", "6")
    assert history[-1]["test_acc"] >= 0.89
