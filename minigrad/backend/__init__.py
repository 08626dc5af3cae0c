"""Backends: one module per device, all with the same function names (see ``cpu.py``)."""
from . import cpu

_BACKENDS = {"cpu": cpu}


def get(device: str):
    """The backend module for ``device`` ("cpu" or "cuda"); the CUDA one is imported on first use."""
    device = str(device)
    if device.startswith("cuda") and "cuda" not in _BACKENDS:
        try:
            from . import cuda
        except ImportError as e:
            raise RuntimeError(f"device='cuda' is not available here: {e}") from None
        cuda.check_available()
        _BACKENDS["cuda"] = cuda
    key = "cuda" if device.startswith("cuda") else device
    if key not in _BACKENDS:
        raise ValueError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")
    return _BACKENDS[key]
