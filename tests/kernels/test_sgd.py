"""The CPU SGD kernel (one fused Numba pass): against torch.optim.SGD, and bit for bit against NumPy's ufuncs."""
import numpy as np
import pytest
import torch

from kernels.cpu.optim import sgd_update

CONFIGS = [dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
           dict(momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False),
           dict(momentum=0.9, dampening=0.1, weight_decay=1e-2, nesterov=False),
           dict(momentum=0.9, dampening=0.0, weight_decay=1e-2, nesterov=True)]
STEPS = 3
LR = 0.1


def _steps(param, grads, buf, config):
    for k, g in enumerate(grads):
        sgd_update(param, g, buf if config["momentum"] else None, LR, config["momentum"], config["dampening"],
                   config["weight_decay"], config["nesterov"], k == 0)


def _numpy_steps(param, grads, buf, config):
    """The formula with NumPy's in-place ufuncs, each operation rounded in the parameter's dtype."""
    m, wd = config["momentum"], config["weight_decay"]
    for k, grad in enumerate(grads):
        g = grad + wd * param if wd else grad
        if m:
            if k == 0:
                buf[...] = g
            else:
                buf *= m
                buf += (1 - config["dampening"]) * g
            g = g + m * buf if config["nesterov"] else buf
        param -= LR * g


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_sgd_follows_torch(config, dtype, rng):
    p = rng.standard_normal((6, 70)).astype(dtype)
    grads = [rng.standard_normal(p.shape).astype(dtype) for _ in range(STEPS)]
    tp = torch.tensor(p.copy(), requires_grad=True)
    optimizer = torch.optim.SGD([tp], lr=LR, **config)
    for g in grads:
        tp.grad = torch.tensor(g)
        optimizer.step()
    _steps(p, grads, np.zeros_like(p), config)
    tolerance = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(p, tp.detach().numpy(), rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_sgd_rounds_like_numpy_in_place_ufuncs(config, dtype, rng):
    p = rng.standard_normal(1000).astype(dtype)
    grads = [rng.standard_normal(p.shape).astype(dtype) for _ in range(STEPS)]
    want, want_buf = p.copy(), np.zeros_like(p)
    _numpy_steps(want, grads, want_buf, config)
    buf = np.zeros_like(p)
    _steps(p, grads, buf, config)
    np.testing.assert_array_equal(p, want)
    np.testing.assert_array_equal(buf, want_buf)


def test_sgd_updates_non_contiguous_param_and_buffer_in_place(rng):
    storage = rng.standard_normal((8, 10)).astype(np.float32)
    buf_storage = np.zeros((8, 10), np.float32)
    param, buf = storage[:, ::2], buf_storage[:, 1::2]  # strided views of shape (8, 5)
    grads = [rng.standard_normal(param.shape).astype(np.float32) for _ in range(STEPS)]
    config = CONFIGS[2]
    want, want_buf = param.copy(), np.zeros(param.shape, np.float32)
    _numpy_steps(want, grads, want_buf, config)
    _steps(param, grads, buf, config)
    np.testing.assert_array_equal(storage[:, ::2], want)
    np.testing.assert_array_equal(buf_storage[:, 1::2], want_buf)


def test_sgd_without_momentum_leaves_a_given_buffer_alone(rng):
    p, g = rng.standard_normal(50), rng.standard_normal(50)
    buf = np.full(50, 7.0)
    sgd_update(p, g, buf, LR, 0.0, 0.0, 0.0, False, False)
    np.testing.assert_array_equal(buf, np.full(50, 7.0))
