"""Fixtures for the example tests: each example is loaded from examples/ as a module and run."""
import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def load_example():
    """load_example("cross_correlation") -> the module examples/cross_correlation.py, freshly executed."""
    def load(name):
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load
