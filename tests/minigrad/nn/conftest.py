"""Fixtures for the functional-layer tests: one check of an op against PyTorch in all three senses.

``match_torch(mg_fn, torch_fn, arrays)`` compares, for the floating inputs ``arrays``:
values; reverse-mode gradients of every input for a random cotangent (``torch.autograd.grad``);
forward-mode tangents for random input tangents (``mg.jvp`` vs ``torch.func.jvp``).
"""
import numpy as np
import pytest

import minigrad as mg

TORCH_TOLERANCES = {
    np.dtype("float32"): dict(rtol=2e-4, atol=2e-5),
    np.dtype("float64"): dict(rtol=1e-9, atol=1e-11),
}


@pytest.fixture
def match_torch(assert_close):
    torch = pytest.importorskip("torch")

    def check(mg_fn, torch_fn, arrays, seed=0, **tolerance):
        rng = np.random.default_rng(seed)
        tol = {**TORCH_TOLERANCES[arrays[0].dtype], **tolerance}
        mg_in = [mg.tensor(a, dtype=a.dtype, requires_grad=True) for a in arrays]
        torch_in = [torch.tensor(a, requires_grad=True) for a in arrays]
        y, expected = mg_fn(*mg_in), torch_fn(*torch_in)
        assert_close(y, expected, **tol)

        cotangent = rng.standard_normal(y.shape).astype(y.dtype)
        grads = mg.autodiff.grad([y], mg_in, [mg.tensor(cotangent, dtype=y.dtype)])
        expected_grads = torch.autograd.grad(expected, torch_in, torch.tensor(cotangent), allow_unused=True)
        for i, (g, e) in enumerate(zip(grads, expected_grads)):
            e = torch.zeros_like(torch_in[i]) if e is None else e
            assert_close(g, e, **tol)

        tangents = [rng.standard_normal(a.shape).astype(a.dtype) for a in arrays]
        _, t = mg.jvp(mg_fn, [mg.tensor(a, dtype=a.dtype) for a in arrays],
                      [mg.tensor(d, dtype=d.dtype) for d in tangents])
        _, expected_t = torch.func.jvp(torch_fn, tuple(torch.tensor(a) for a in arrays),
                                       tuple(torch.tensor(d) for d in tangents))
        assert_close(t, expected_t, **tol)

    return check


@pytest.fixture
def gradcheck_second_order():
    """``gradcheck_second_order(f, arrays)``: mg.gradcheck of x ↦ ∇_x Σ c·f(x) for a fixed random c, so the
    reverse rules' own reverse and forward rules (grad of grad, forward over reverse) are checked."""

    def check(f, arrays, seed=1, **kwargs):
        rng = np.random.default_rng(seed)
        weights = {}

        def weighted_sum(*xs):
            y = f(*xs)
            if y.shape not in weights:
                weights[y.shape] = mg.tensor(rng.standard_normal(y.shape), dtype=mg.float64)
            return (y * y * weights[y.shape]).sum()

        argnums = tuple(range(len(arrays)))

        def gradient(*xs):
            return mg.concat([g.reshape(-1) for g in mg.grad(weighted_sum, argnums)(*xs)])

        return mg.gradcheck(gradient, arrays, **kwargs)

    return check
