"""Fixtures for the kernel tests: the oracle is PyTorch CPU run in float64 on the same inputs."""
import numpy as np
import pytest

KERNEL_TOLERANCES = {
    np.dtype("float32"): dict(rtol=2e-5, atol=2e-5),
    np.dtype("float64"): dict(rtol=1e-10, atol=1e-10),
}


@pytest.fixture(params=[np.float32, np.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture
def random(rng):
    """``random(shape, dtype)``: standard normal samples of that dtype."""
    return lambda shape, dtype: rng.standard_normal(shape).astype(dtype)


@pytest.fixture
def torch64():
    """``torch64(array, requires_grad=False)``: a float64 torch copy of a NumPy array (the oracle's input)."""
    torch = pytest.importorskip("torch")

    def convert(array, requires_grad=False):
        return torch.tensor(np.asarray(array, dtype=np.float64), requires_grad=requires_grad)
    return convert


@pytest.fixture
def assert_matches():
    """``assert_matches(actual, expected)``: dtype of `actual` sets the tolerance, scaled by max |expected|."""
    def check(actual, expected):
        if hasattr(expected, "detach"):
            expected = expected.detach().numpy()
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
        tolerance = KERNEL_TOLERANCES[np.dtype(actual.dtype)]
        scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
        np.testing.assert_allclose(actual, expected, rtol=tolerance["rtol"], atol=tolerance["atol"] * scale)
    return check


@pytest.fixture
def host_probe():
    """``host_probe(code, timeout=600, **env) -> stdout``: run `code` in a child process without
    NUMBA_ENABLE_CUDASIM, with benchmarks/ on the path for benchmarks/cuda_host_probe.py (numba-cuda's
    real host path over a stand-in driver; the code installs it first) and `env` added to its
    environment; a failed child fails the test with its stderr."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    pytest.importorskip("cuda.bindings", reason="numba-cuda's NVIDIA bindings are not installed")
    root = Path(__file__).resolve().parents[2]

    def run(code, timeout=600, **extra):
        env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
        env.update(extra)
        env["PYTHONPATH"] = os.pathsep.join([str(root), str(root / "benchmarks"), env.get("PYTHONPATH", "")])
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                timeout=timeout, cwd=root)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout
    return run
