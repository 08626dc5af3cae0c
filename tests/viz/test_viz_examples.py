"""The two plotting examples: the activation statistics of Lecture 7 (the slide's numbers for 0.01·randn
with tanh, and variance arguments for Xavier and Kaiming), and optimizer paths against PyTorch's
optimizers on the same quadratic."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def init_activations():
    return load("init_activations")


def test_small_random_init_with_tanh_gives_the_slides_numbers(init_activations):
    mg.manual_seed(0)
    name, init, act = init_activations.SCHEMES[0]
    stds = [a.std() for a in init_activations.activations(init, act, 4096, 3, 16).values()]
    # Lecture 7 (cs231n): std per layer 0.49, 0.29, 0.18, 0.11, 0.07, 0.05 (the first three, to stay quick)
    np.testing.assert_allclose(stds, [0.49, 0.29, 0.18], rtol=0.1)


@pytest.mark.parametrize("scheme, ratio", [
    ("Xavier, ReLU", 1 / np.sqrt(2)),   # Var(W) = 1/Din and ReLU keeps half the second moment
    ("Kaiming, ReLU", 1.0),             # Var(W) = 2/Din undoes the half
])
def test_relu_activation_scales_follow_the_variance_argument(init_activations, scheme, ratio):
    mg.manual_seed(0)
    _, init, act = next(s for s in init_activations.SCHEMES if s[0] == scheme)
    acts = list(init_activations.activations(init, act, 1024, 6, 64).values())
    rms = [np.sqrt((a.astype(np.float64) ** 2).mean()) for a in acts]
    np.testing.assert_allclose(np.array(rms[1:]) / rms[:-1], ratio, rtol=0.08)


def test_init_example_writes_its_picture(init_activations, tmp_path, capsys):
    runs = init_activations.main(["--width", "64", "--layers", "2", "--out", str(tmp_path / "init.png")])
    assert list(runs) == [s[0] for s in init_activations.SCHEMES]
    assert (tmp_path / "init.png").read_bytes()[:4] == b"\x89PNG"
    assert "Kaiming, ReLU" in capsys.readouterr().out


def test_optimizer_paths_match_pytorch():
    torch = pytest.importorskip("torch")
    example = load("optimizers_2d")
    torch_optimizers = [lambda p: torch.optim.SGD(p, lr=0.038), lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9),
                        lambda p: torch.optim.RMSprop(p, lr=0.05), lambda p: torch.optim.Adam(p, lr=0.3)]
    scale = torch.tensor([1.0, example.KAPPA], dtype=torch.float64)
    for make, make_torch in zip(example.OPTIMIZERS.values(), torch_optimizers):
        ours = example.path_of(make, 12)
        w = torch.tensor(example.START, dtype=torch.float64, requires_grad=True)
        opt, theirs = make_torch([w]), [w.detach().numpy().copy()]
        for _ in range(12):
            opt.zero_grad()
            (0.5 * (scale * w * w).sum()).backward()
            opt.step()
            theirs.append(w.detach().numpy().copy())
        np.testing.assert_allclose(ours, np.array(theirs), rtol=1e-6, atol=1e-9)


def test_optimizers_example_writes_its_picture(tmp_path):
    example = load("optimizers_2d")
    paths = example.main(["--steps", "5", "--out", str(tmp_path / "paths.svg")])
    assert all(p.shape == (6, 2) for p in paths.values())
    assert b"<svg" in (tmp_path / "paths.svg").read_bytes()
