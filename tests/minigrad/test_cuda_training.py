"""Training steps on the CUDA device give the CPU's loss, gradients and updated weights.

Two networks built from ``minigrad.nn``: a LeNet-5-shaped one (conv, tanh, max-pool, linear) and a
ResNet-shaped one (conv, batch norm, residual BasicBlocks with a strided projection, global average
pool). Under the CUDA simulator (``make test``) the inputs are tiny; the ``cuda``-marked tests run
LeNet-5 and ResNet-18 themselves at full size on a real GPU.
"""
import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.models.lenet import LeNet5
from minigrad.models.resnet import BasicBlock, ResNet18
from minigrad.nn import functional as F
from minigrad.optim import SGD, Adam

backend = pytest.importorskip("minigrad.backend.cuda", reason="numba-cuda is not installed")

pytestmark = pytest.mark.needs_cuda


def tiny_lenet():
    """LeNet-5's layout at 1×8×8: conv 3×3 → 2, tanh, max-pool → conv 3×3 pad 1 → 3, tanh, max-pool → 3 → 8 → 3."""
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh(), nn.MaxPool2d(2),
                         nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 3))


def tiny_resnet():
    """ResNet's layout at 2×4×4: conv-BN-ReLU stem, a strided BasicBlock with its 1×1 conv + BN projection,
    global average pool, linear."""
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), nn.ReLU(),
                         BasicBlock(3, 4, stride=2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))


def _copies(build):
    mg.manual_seed(0)
    cpu = build()
    gpu = build()
    gpu.load_state_dict(cpu.state_dict())
    return cpu, gpu.to("cuda")


def _steps(model, optimizer, images, labels, device, steps):
    """Run training steps; return the losses and the gradients of the last step."""
    x, y = mg.tensor(images, device=device), mg.tensor(labels, device=device)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, {name: p.grad.numpy() for name, p in model.named_parameters()}


def _assert_same_training(build, images, labels, make_optimizer, steps=2, tol=1e-4):
    cpu, gpu = _copies(build)
    cpu_losses, cpu_grads = _steps(cpu, make_optimizer(cpu), images, labels, "cpu", steps)
    gpu_losses, gpu_grads = _steps(gpu, make_optimizer(gpu), images, labels, "cuda", steps)
    assert all(p.device == "cuda" for p in gpu.parameters())
    np.testing.assert_allclose(gpu_losses, cpu_losses, rtol=tol, atol=tol)
    for name, grad in cpu_grads.items():
        np.testing.assert_allclose(gpu_grads[name], grad, rtol=tol, atol=tol, err_msg=name)
    gpu_state = gpu.state_dict()
    for name, value in cpu.state_dict().items():
        np.testing.assert_allclose(gpu_state[name], value, rtol=tol, atol=tol, err_msg=name)


def _batch(shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, classes, shape[0])


def test_lenet_shaped_training_steps_match_the_cpu():
    images, labels = _batch((2, 1, 8, 8), 3)
    _assert_same_training(tiny_lenet, images, labels, lambda m: SGD(m.parameters(), lr=0.1, momentum=0.9))


def test_resnet_shaped_training_steps_match_the_cpu():
    images, labels = _batch((2, 2, 4, 4), 3)
    _assert_same_training(tiny_resnet, images, labels, lambda m: Adam(m.parameters(), lr=0.01, weight_decay=1e-4))


def test_evaluation_mode_matches_the_cpu():
    cpu, gpu = _copies(tiny_resnet)
    images, _ = _batch((2, 2, 4, 4), 3)
    cpu.eval(), gpu.eval()
    with mg.no_grad():
        want = cpu(mg.tensor(images)).numpy()
        got = gpu(mg.tensor(images, device="cuda")).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.cuda
@pytest.mark.cuda
@pytest.mark.parametrize("build, shape", [(LeNet5, (64, 1, 28, 28)),
                                          (lambda: ResNet18(num_classes=10), (16, 3, 32, 32))],
                         ids=["lenet5", "resnet18"])
def test_full_size_training_steps_match_the_cpu(build, shape):
    images, labels = _batch(shape, 10)
    _assert_same_training(build, images, labels, lambda m: SGD(m.parameters(), lr=0.01, momentum=0.9),
                          steps=2, tol=2e-3)
