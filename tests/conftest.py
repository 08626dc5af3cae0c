"""Fixtures shared by every test folder: a seeded generator, tolerances per dtype, PyTorch conversion.

PyTorch (the oracle, from the ``test`` extra) is imported inside the fixtures that need it, so tests
that do not use it run without it.
"""
import sys

import numpy as np
import pytest

TOLERANCES = {
    np.dtype("float32"): dict(rtol=1e-5, atol=1e-6),
    np.dtype("float64"): dict(rtol=1e-10, atol=1e-12),
}


def pytest_configure(config):
    # torch.func's first use scripts some decompositions with the deprecated torch.jit.script
    config.addinivalue_line("filterwarnings", "ignore:`torch.jit.script` is deprecated:DeprecationWarning")


@pytest.fixture(autouse=True)
def _seed_minigrad():
    """Every test that uses minigrad starts from ``mg.manual_seed(0)`` (kernel tests never import it here)."""
    minigrad = sys.modules.get("minigrad")
    if minigrad is not None:
        minigrad.manual_seed(0)


@pytest.fixture
def rng():
    """A NumPy generator with a fixed seed."""
    return np.random.default_rng(0)


@pytest.fixture
def tol():
    """``tol(dtype)`` -> dict(rtol=..., atol=...) for comparing results of that dtype."""
    return lambda dtype: dict(TOLERANCES[np.dtype(dtype)])


def _numpy(x):
    if hasattr(x, "detach"):  # torch.Tensor
        return x.detach().cpu().numpy()
    if hasattr(x, "numpy"):  # mg.Tensor
        return x.numpy()
    return np.asarray(getattr(x, "data", x))  # mg.Scalar, numbers, arrays


@pytest.fixture
def to_torch():
    """``to_torch(x, requires_grad=False)``: a minigrad Tensor or array as a torch CPU tensor (a copy)."""
    torch = pytest.importorskip("torch")

    def convert(x, requires_grad=False):
        return torch.tensor(np.array(_numpy(x)), requires_grad=requires_grad)

    return convert


@pytest.fixture
def assert_close(tol):
    """``assert_close(actual, expected, **overrides)`` for minigrad/torch/NumPy values, tolerance by dtype."""

    def check(actual, expected, **overrides):
        a, e = np.asarray(_numpy(actual)), np.asarray(_numpy(expected))
        assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
        if a.dtype.kind != "f" or e.dtype.kind != "f":
            np.testing.assert_array_equal(a, e)
            return
        coarser = a.dtype if a.dtype.itemsize <= e.dtype.itemsize else e.dtype
        np.testing.assert_allclose(a, e, **{**tol(coarser), **overrides})

    return check


def _cuda_status():
    """(simulated, real_gpu): whether Numba's CUDA simulator is on, and whether a real GPU answers."""
    try:
        from numba import cuda
        from numba.cuda import config as cuda_config
    except ImportError:
        return False, False
    simulated = bool(cuda_config.ENABLE_CUDASIM)
    return simulated, (not simulated) and cuda.is_available()


def pytest_collection_modifyitems(config, items):
    """``needs_cuda`` tests run on the simulator or a GPU; ``cuda`` (full-size) tests only on a real GPU."""
    simulated, real_gpu = _cuda_status()
    for item in items:
        if item.get_closest_marker("cuda") and not real_gpu:
            item.add_marker(pytest.mark.skip(reason="needs a real CUDA GPU (pytest -m cuda on a GPU machine)"))
        elif item.get_closest_marker("needs_cuda") and not (simulated or real_gpu):
            item.add_marker(pytest.mark.skip(reason="no CUDA GPU; set NUMBA_ENABLE_CUDASIM=1 to run on the simulator"))
