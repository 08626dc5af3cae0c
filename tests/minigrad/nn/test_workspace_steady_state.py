"""A second training step allocates no new scratch buffers in the CPU kernels (the workspace cache)."""
import numpy as np

import minigrad as mg
from minigrad import models, nn, optim
from minigrad.backend import cpu


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
