"""Softmax cross-entropy (with label smoothing) against torch.nn.functional.cross_entropy (float64 oracle)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as tF

from kernels.cpu import softmax_cross_entropy_backward, softmax_cross_entropy_forward


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 1.0])
@pytest.mark.parametrize("n, classes", [(5, 3), (8, 10), (1, 7), (3, 1)])
def test_softmax_cross_entropy_matches_torch(n, classes, label_smoothing, dtype, random, rng, torch64,
                                             assert_matches):
    logits = random((n, classes), dtype) * 4
    labels = rng.integers(0, classes, size=n)
    dlosses = random((n,), dtype)
    zt = torch64(logits, True)
    losses_t = tF.cross_entropy(zt, torch.tensor(labels), reduction="none", label_smoothing=label_smoothing)
    losses_t.backward(torch64(dlosses))
    losses, probs = softmax_cross_entropy_forward(logits, labels, label_smoothing)
    assert losses.dtype == probs.dtype == dtype
    assert_matches(losses, losses_t)
    assert_matches(probs, torch.softmax(torch64(logits), dim=1))
    dlogits = softmax_cross_entropy_backward(probs, labels, dlosses, label_smoothing)
    assert dlogits.dtype == dtype
    assert_matches(dlogits, zt.grad)


def test_softmax_cross_entropy_is_stable_for_huge_logits(rng):
    logits = (rng.standard_normal((4, 6)) * 3 + np.array([[1e4], [-1e4], [3e38], [0]])).astype(np.float32)
    labels = np.array([0, 5, 2, 3])
    losses, probs = softmax_cross_entropy_forward(logits, labels, 0.1)
    expected = tF.cross_entropy(torch.tensor(logits, dtype=torch.float64), torch.tensor(labels),
                                reduction="none", label_smoothing=0.1)
    assert np.isfinite(losses).all() and np.isfinite(probs).all()
    np.testing.assert_allclose(losses, expected.numpy(), rtol=1e-5)


def test_softmax_cross_entropy_rejects_bad_labels(random):
    logits = random((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        softmax_cross_entropy_forward(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="labels must be integers"):
        softmax_cross_entropy_forward(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="label_smoothing"):
        softmax_cross_entropy_forward(logits, np.array([0, 1, 2]), 1.5)
    with pytest.raises(ValueError, match="dlosses must have shape"):
        softmax_cross_entropy_backward(logits, np.array([0, 1, 2]), np.ones(2, np.float32))
