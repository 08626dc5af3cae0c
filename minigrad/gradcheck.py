"""Finite-difference checks of both modes: the Jacobian by central differences in float64,

    J[:, k] ≈ (f(x + ε e_k) - f(x - ε e_k)) / 2ε,

against the Jacobian from reverse mode (one vjp per output element) and from forward mode (one jvp
per input element).
"""
from __future__ import annotations

import numpy as np

from .autodiff import no_grad
from .scalar import Scalar
from .tensor import Tensor, float64, tensor
from .transforms import jacfwd, jacrev


class GradcheckError(AssertionError):
    pass


def _to64(x):
    if isinstance(x, Scalar):
        return Scalar(x.data, requires_grad=False)
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            return x
        return tensor(x.numpy().astype(np.float64), dtype=float64)
    return tensor(np.asarray(x, dtype=np.float64), dtype=float64)


def _values(out) -> np.ndarray:
    return np.asarray(out.data if isinstance(out, Scalar) else out.numpy(), dtype=np.float64).reshape(-1)


def numerical_jacobian(f, inputs, i, eps=1e-6) -> np.ndarray:
    """(out.size, inputs[i].size) Jacobian of f with respect to input i, by central differences."""
    x = inputs[i]
    base = x.data if isinstance(x, Scalar) else x.numpy().copy()
    flat = np.atleast_1d(np.asarray(base, dtype=np.float64)).reshape(-1)
    cols = []
    with no_grad():
        for k in range(flat.size):
            vals = []
            for step in (eps, -eps):
                p = flat.copy()
                p[k] += step
                args = list(inputs)
                args[i] = Scalar(float(p[0]), requires_grad=False) if isinstance(x, Scalar) else \
                    tensor(p.reshape(np.shape(base)), dtype=float64)
                vals.append(_values(f(*args)))
            cols.append((vals[0] - vals[1]) / (2 * eps))
    if not cols:  # an empty input: the Jacobian has no columns
        with no_grad():
            return np.zeros((_values(f(*inputs)).size, 0))
    return np.stack(cols, axis=1)


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, modes=("reverse", "forward"), wrt=None) -> bool:
    """Check f's reverse-mode and forward-mode derivatives against central differences in float64.

    ``inputs``: Scalars, Tensors or arrays (floating inputs are converted to float64);
    ``wrt``: indices of the inputs to check (default: every floating input).
    Returns True or raises GradcheckError naming the input, the mode and the worst entry.
    """
    inputs = [_to64(x) for x in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    if wrt is None:
        wrt = [i for i, x in enumerate(inputs) if isinstance(x, Scalar) or x.dtype.kind == "f"]
    for i in wrt:
        numeric = numerical_jacobian(f, inputs, i, eps)
        for mode in modes:
            transform = jacrev if mode == "reverse" else jacfwd
            jac = transform(f, argnums=i)(*inputs)
            analytic = np.asarray(jac.data if isinstance(jac, Scalar) else jac.numpy(), dtype=np.float64)
            analytic = analytic.reshape(numeric.shape)
            bad = ~np.isclose(analytic, numeric, atol=atol, rtol=rtol)
            if bad.any():
                r, c = np.argwhere(bad)[0]
                raise GradcheckError(
                    f"gradcheck failed for input {i} in {mode} mode: {int(bad.sum())} of {bad.size} Jacobian "
                    f"entries differ; worst at (output {r}, input {c}): analytic {analytic[r, c]:.8g} vs "
                    f"numerical {numeric[r, c]:.8g}; max |diff| {np.abs(analytic - numeric).max():.3g}")
    return True
