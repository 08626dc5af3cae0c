"""Optimizer updates: the CPU twin (kernels.cpu.optim) against torch.optim over several steps, and
the fused CUDA kernels against the CPU twin (simulator: tiny; real GPU: full size)."""
import numpy as np
import pytest
import torch
from numba import cuda

from kernels.cpu import optim as cpu
from kernels.cuda import optim as gpu

pytestmark = pytest.mark.needs_cuda


SGD = [dict(momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False),
       dict(momentum=0.9, dampening=0.1, weight_decay=1e-2, nesterov=False),
       dict(momentum=0.9, dampening=0.0, weight_decay=1e-2, nesterov=True)]
ADAM = [dict(weight_decay=0.0, amsgrad=False, decoupled=False),
        dict(weight_decay=0.1, amsgrad=True, decoupled=False),
        dict(weight_decay=0.1, amsgrad=False, decoupled=True),
        dict(weight_decay=0.1, amsgrad=True, decoupled=True)]
STEPS = 4


def _sgd_steps(step_fn, param, grads, buf, config):
    for k, g in enumerate(grads):
        step_fn(param, g, buf if config["momentum"] else None, 0.1, config["momentum"],
                config["dampening"], config["weight_decay"], config["nesterov"], k == 0)


def _adam_steps(step_fn, param, grads, m, v, vmax, config):
    for k, g in enumerate(grads):
        step_fn(param, g, m, v, vmax, 1e-2, 0.9, 0.99, 1e-8, config["weight_decay"], k + 1,
                config["amsgrad"], config["decoupled"])


def _torch_steps(optimizer, param, grads):
    for g in grads:
        param.grad = torch.tensor(g)
        optimizer.step()
    return param.detach().numpy()


@pytest.mark.parametrize("config", SGD, ids=str)
def test_cpu_sgd_follows_torch(config, rng):
    p = rng.standard_normal(64).astype(np.float32)
    grads = [rng.standard_normal(64).astype(np.float32) for _ in range(STEPS)]
    tp = torch.tensor(p.copy(), requires_grad=True)
    want = _torch_steps(torch.optim.SGD([tp], lr=0.1, **config), tp, grads)
    _sgd_steps(cpu.sgd_update, p, grads, np.zeros_like(p), config)
    np.testing.assert_allclose(p, want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("config", ADAM, ids=str)
def test_cpu_adam_follows_torch(config, rng):
    p = rng.standard_normal(64).astype(np.float32)
    grads = [rng.standard_normal(64).astype(np.float32) for _ in range(STEPS)]
    tp = torch.tensor(p.copy(), requires_grad=True)
    optimizer = (torch.optim.AdamW if config["decoupled"] else torch.optim.Adam)(
        [tp], lr=1e-2, betas=(0.9, 0.99), eps=1e-8, weight_decay=config["weight_decay"],
        amsgrad=config["amsgrad"])
    want = _torch_steps(optimizer, tp, grads)
    _adam_steps(cpu.adam_update, p, grads, *(np.zeros_like(p) for _ in range(3)), config)
    np.testing.assert_allclose(p, want, rtol=1e-6, atol=1e-6)


def _compare_sgd(rng, n, config):
    p = rng.standard_normal(n).astype(np.float32)
    grads = [rng.standard_normal(n).astype(np.float32) for _ in range(STEPS)]
    d_p, d_buf = cuda.to_device(p), cuda.to_device(np.zeros_like(p))
    _sgd_steps(gpu.sgd_update, d_p, [cuda.to_device(g) for g in grads], d_buf, config)
    buf = np.zeros_like(p)
    _sgd_steps(cpu.sgd_update, p, grads, buf, config)
    np.testing.assert_allclose(d_p.copy_to_host(), p, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(d_buf.copy_to_host(), buf, rtol=1e-6, atol=1e-6)


def _compare_adam(rng, n, config):
    p = rng.standard_normal(n).astype(np.float32)
    grads = [rng.standard_normal(n).astype(np.float32) for _ in range(STEPS)]
    state = [np.zeros_like(p) for _ in range(3)]
    d_state = [cuda.to_device(s) for s in state]
    d_p = cuda.to_device(p)
    _adam_steps(gpu.adam_update, d_p, [cuda.to_device(g) for g in grads], *d_state, config)
    _adam_steps(cpu.adam_update, p, grads, *state, config)
    for got, want in zip([d_p] + d_state, [p] + state):
        np.testing.assert_allclose(got.copy_to_host(), want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("config", SGD, ids=str)
def test_cuda_sgd_matches_the_cpu_twin(config, rng):
    _compare_sgd(rng, 75, config)


@pytest.mark.parametrize("config", ADAM, ids=str)
def test_cuda_adam_matches_the_cpu_twin(config, rng):
    _compare_adam(rng, 75, config)


def test_bad_state_is_rejected_before_any_update():
    p = cuda.to_device(np.ones(4, np.float32))
    with pytest.raises(ValueError, match="buf"):
        gpu.sgd_update(p, cuda.to_device(np.ones(4, np.float32)), None, 0.1, 0.9, 0, 0, False, True)
    with pytest.raises(ValueError, match="grad has shape"):
        gpu.adam_update(p, cuda.to_device(np.ones(5, np.float32)), p, p, None, 0.1, 0.9, 0.99,
                        1e-8, 0, 1, False, False)
    with pytest.raises(ValueError, match="step counts from 1"):
        cpu.adam_update(*(np.ones(4, np.float32) for _ in range(5)), 0.1, 0.9, 0.99, 1e-8, 0, 0,
                        False, False)
    np.testing.assert_array_equal(p.copy_to_host(), np.ones(4, np.float32))


@pytest.mark.cuda
@pytest.mark.parametrize("config", SGD, ids=str)
def test_cuda_sgd_full_size_on_gpu(config, rng):
    _compare_sgd(rng, 11_000_003, config)


@pytest.mark.cuda
@pytest.mark.parametrize("config", ADAM, ids=str)
def test_cuda_adam_full_size_on_gpu(config, rng):
    _compare_adam(rng, 11_000_003, config)
