"""After warm-up a CPU training step takes every large array from the workspace cache: the cache's
allocation counter stays constant, NumPy allocates no new large array (tracemalloc sees NumPy's data
allocations) and the results still match a fresh computation."""
import tracemalloc

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.backend import cpu as backend
from kernels.cpu import workspace


def _lenet_like():
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1),
                         nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


def _resnet_like():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                                      nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16))

        def forward(self, x):
            return (self.body(x) + x).relu()
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), Block(), Block(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten(), nn.Linear(16, 10))


def _trainer(model, rng):
    x = mg.tensor(rng.standard_normal((32, 1, 28, 28)).astype(np.float32))
    y = mg.tensor(rng.integers(0, 10, 32))
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _warm_step_peak(step):
    """(workspace allocations, peak bytes NumPy and Python allocated) during one step after two warm-up steps."""
    step(), step()
    before = backend.workspace_allocations()
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        step()
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    return backend.workspace_allocations() - before, peak


# one activation of these models is 32·8·28·28·4 B = 784 KiB, a step makes about twenty such arrays; what
# is left (results under RECYCLE_MIN_BYTES, Python objects) peaks under 1 MiB
PEAK_BYTES = 1.5 * 2**20


@pytest.mark.parametrize("build", [_lenet_like, _resnet_like], ids=["lenet", "resnet-block"])
def test_a_warm_training_step_allocates_no_large_array(build, rng):
    allocations, peak = _warm_step_peak(_trainer(build(), rng))
    assert allocations == 0
    assert peak < PEAK_BYTES, f"a warm step allocated {peak} bytes at its peak"


def test_the_peak_shows_large_arrays_when_recycling_is_off(rng, monkeypatch):
    monkeypatch.setattr(workspace, "_UNREFERENCED", None)
    assert _warm_step_peak(_trainer(_lenet_like(), rng))[1] > 3 * PEAK_BYTES  # measured 5.4 MB


def test_recycled_steps_compute_what_fresh_arrays_compute(rng, monkeypatch):
    """The same training run with recycling off (every result a fresh array) gives the same losses."""
    def losses():
        mg.manual_seed(0)
        step = _trainer(_resnet_like(), np.random.default_rng(1))
        return [step() for _ in range(4)]
    recycled = losses()
    monkeypatch.setattr(workspace, "_UNREFERENCED", None)
    np.testing.assert_array_equal(losses(), recycled)


def test_the_backend_and_the_workspace_agree_on_what_is_large():
    assert backend._RECYCLE_MIN_BYTES == workspace.RECYCLE_MIN_BYTES


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf · 0 on purpose
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 5), (256, 1024)], ids=["small", "recycled"])
def test_recycled_elementwise_results_equal_numpy(shape, dtype, rng):
    g = rng.standard_normal(shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    g.flat[:4] = [np.nan, np.inf, -np.inf, 1.0]
    x.flat[:4] = [-1.0, -1.0, 2.0, np.nan]
    row = rng.standard_normal(shape[1]).astype(np.float32)
    assert backend.relu(x).dtype == backend.relu_backward(g, x).dtype == dtype
    np.testing.assert_array_equal(backend.relu(x), np.maximum(x, 0))
    np.testing.assert_array_equal(backend.relu_backward(g, x), g * (x > 0))
    np.testing.assert_array_equal(backend.relu_backward(g, x.astype(np.float64)), g * (x.astype(np.float64) > 0))
    np.testing.assert_array_equal(backend.relu_backward(g[:, ::2], x[:, ::2]), g[:, ::2] * (x[:, ::2] > 0))
    np.testing.assert_array_equal(backend.matmul(g, x, transpose_b=True), g @ x.T)
    np.testing.assert_array_equal(backend.matmul(g, x, transpose_a=True), g.T @ x)
    for name in ("add", "subtract", "multiply", "divide"):
        np.testing.assert_array_equal(getattr(backend, name)(g, row), getattr(np, name)(g, row))
        np.testing.assert_array_equal(getattr(backend, name)(row, x), getattr(np, name)(row, x))
    np.testing.assert_array_equal(backend.zeros(shape, np.float32), np.zeros(shape, np.float32))


def test_import_minigrad_loads_neither_numba_nor_the_cpu_kernels():
    """Numba (about 200 ms) and the CPU kernels load on first use, not at ``import minigrad``."""
    import subprocess
    import sys
    code = ("import sys, minigrad; "
            "print(sorted(m for m in sys.modules if m == 'numba' or m.startswith('kernels.cpu')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip() == "[]", run.stdout + run.stderr[-2000:]
