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
    with pytest.raises(ValueError, match=r"grads\[0\] has shape"):
        gpu.adam_update(p, cuda.to_device(np.ones(5, np.float32)), p, p, None, 0.1, 0.9, 0.99,
                        1e-8, 0, 1, False, False)
    with pytest.raises(ValueError, match="step counts from 1"):
        cpu.adam_update(*(np.ones(4, np.float32) for _ in range(5)), 0.1, 0.9, 0.99, 1e-8, 0, 0,
                        False, False)
    np.testing.assert_array_equal(p.copy_to_host(), np.ones(4, np.float32))


SIZES = [75, 1, 300, 0, 7]  # parameters of different sizes (an empty one too) in one update


def _many(rng, shapes, count):
    return [[rng.standard_normal(n).astype(np.float32) for n in shapes] for _ in range(count)]


def _device(arrays):
    return [cuda.to_device(a) for a in arrays]


@pytest.mark.parametrize("per_launch_bytes", [gpu.PARAM_SPACE_BYTES, 2 * 3 * gpu.ARRAY_ARG_BYTES],
                         ids=["one-launch", "two-per-launch"])
@pytest.mark.parametrize("config", SGD[1:], ids=str)
def test_multi_tensor_sgd_matches_the_cpu_twin_per_tensor(config, per_launch_bytes, rng, monkeypatch):
    monkeypatch.setattr(gpu, "PARAM_SPACE_BYTES", per_launch_bytes)
    params, *grads = _many(rng, SIZES, 3)
    bufs = [np.zeros_like(p) for p in params]
    d_params, d_bufs = _device(params), _device(bufs)
    for k, g in enumerate(grads):
        gpu.sgd_update_many(d_params, _device(g), d_bufs, 0.1, config["momentum"], config["dampening"],
                            config["weight_decay"], config["nesterov"], k == 0)
        for p, g_p, b in zip(params, g, bufs):
            cpu.sgd_update(p, g_p, b, 0.1, config["momentum"], config["dampening"], config["weight_decay"],
                           config["nesterov"], k == 0)
    for got, want in zip(d_params + d_bufs, params + bufs):
        np.testing.assert_allclose(got.copy_to_host(), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("config", ADAM[1:], ids=str)
def test_multi_tensor_adam_matches_the_cpu_twin_per_tensor(config, rng):
    params, *grads = _many(rng, SIZES, 3)
    state = [[np.zeros_like(p) for p in params] for _ in range(3)]
    d_params, d_state = _device(params), [_device(s) for s in state]
    for k, g in enumerate(grads):
        gpu.adam_update_many(d_params, _device(g), *d_state, 1e-2, 0.9, 0.99, 1e-8, config["weight_decay"],
                             k + 1, config["amsgrad"], config["decoupled"])
        for p, g_p, m, v, vmax in zip(params, g, *state):
            cpu.adam_update(p, g_p, m, v, vmax, 1e-2, 0.9, 0.99, 1e-8, config["weight_decay"], k + 1,
                            config["amsgrad"], config["decoupled"])
    for got, want in zip(d_params + sum(d_state, []), params + sum(state, [])):
        np.testing.assert_allclose(got.copy_to_host(), want, rtol=1e-6, atol=1e-7)


def test_multi_tensor_update_is_one_launch_and_checks_every_tensor(monkeypatch):
    launches = []
    configure = type(gpu._sgd_kernel).__getitem__
    monkeypatch.setattr(type(gpu._sgd_kernel), "__getitem__",
                        lambda kernel, config: launches.append(config) or configure(kernel, config))
    params = [cuda.to_device(np.ones(n, np.float32)) for n in (3, 5, 2)]
    gpu.sgd_update_many(params, params, None, 0.1, 0.0, 0.0, 0.0, False, False)
    assert len(launches) == 1 and launches[0][0][1] == 3  # one launch, grid y = 3 tensors
    with pytest.raises(ValueError, match=r"grads\[1\] has shape"):
        gpu.sgd_update_many(params, [params[0], params[0], params[2]], None, 0.1, 0, 0, 0, False, False)
    with pytest.raises(ValueError, match="bufs has 2 arrays for 3 parameters"):
        gpu.sgd_update_many(params, params, params[:2], 0.1, 0.9, 0, 0, False, False)


@pytest.mark.cuda
@pytest.mark.parametrize("config", SGD, ids=str)
def test_cuda_sgd_full_size_on_gpu(config, rng):
    _compare_sgd(rng, 11_000_003, config)


@pytest.mark.cuda
@pytest.mark.parametrize("config", ADAM, ids=str)
def test_cuda_adam_full_size_on_gpu(config, rng):
    _compare_adam(rng, 11_000_003, config)
