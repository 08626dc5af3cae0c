"""The CPU kernels' workspace cache in training: a second step allocates nothing new, and arrays the graph
still holds are never handed out again."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import models, nn, optim
from kernels.cpu import workspace
from minigrad.backend import cpu

torch = pytest.importorskip("torch")


def _step(model, opt, x, y):
    opt.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    opt.step()
    return float(loss.item())


def test_second_training_step_allocates_no_workspace():
    model = models.LeNet5("classic")
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = mg.randn(8, 1, 28, 28), mg.randint(0, 10, (8,))
    _step(model, opt, x, y)
    before = cpu.workspace_allocations()
    losses = [_step(model, opt, x, y) for _ in range(2)]
    assert cpu.workspace_allocations() == before
    assert np.isfinite(losses).all() and losses[1] < losses[0] + 1e-3


def test_clearing_the_workspace_changes_no_result():
    """The same two steps from the same start, with the buffers dropped before every step or kept."""
    def run(clear):
        mg.manual_seed(0)
        model = models.LeNet5("classic")
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        x, y = mg.randn(4, 1, 28, 28), mg.randint(0, 10, (4,))
        losses = []
        for _ in range(3):
            if clear:
                cpu.clear_workspaces()
            losses.append(_step(model, opt, x, y))
        return losses, [p.numpy().copy() for p in model.parameters()]
    kept, cleared = run(False), run(True)
    assert kept[0] == cleared[0]
    for a, b in zip(kept[1], cleared[1]):
        np.testing.assert_array_equal(a, b)


def test_recycled_arrays_saved_for_backward_are_not_reused(rng, monkeypatch):
    """conv2d's output, held only by the graph (saved by the square for its backward), survives other
    convolutions in between: the gradient matches PyTorch's."""
    monkeypatch.setattr(workspace, "RECYCLE_MIN_BYTES", 0)
    x_data, w_data = rng.standard_normal((4, 8, 16, 16)), rng.standard_normal((8, 8, 3, 3))
    x = mg.tensor(x_data, dtype=np.float64, requires_grad=True)
    w = mg.tensor(w_data, dtype=np.float64, requires_grad=True)
    z = (mg.nn.functional.conv2d(x, w, None, 1, 1) ** 2).sum()
    for scale in (2.0, -3.0, 5.0):  # same shapes, other values: would overwrite a wrongly reused array
        (mg.nn.functional.conv2d(x * scale, w, None, 1, 1) ** 2).sum().backward()
    x.grad = w.grad = None
    z.backward()
    xt, wt = torch.tensor(x_data, requires_grad=True), torch.tensor(w_data, requires_grad=True)
    (torch.nn.functional.conv2d(xt, wt, None, 1, 1) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_clear_workspaces_also_drops_the_kept_conv_columns():
    from kernels.cpu import conv_columns
    conv = nn.Conv2d(3, 4, 3, padding=1)
    x = mg.randn(2, 3, 8, 8)
    conv(x).sum().backward()
    conv(x)
    assert conv_columns._cache.slots
    cpu.clear_workspaces()
    assert conv_columns._cache.slots == []
