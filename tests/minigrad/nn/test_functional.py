"""F.linear, F.dropout and the fused F.cross_entropy against PyTorch, central differences and statistics."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


@pytest.mark.parametrize("x_shape, bias", [((2, 3, 5), True), ((4, 5), False), ((5,), True)])
def test_linear_matches_torch(x_shape, bias, rng, match_torch):
    arrays = [rng.standard_normal(s) for s in (x_shape, (4, 5), (4,))[:3 if bias else 2]]
    match_torch(F.linear, TF.linear, arrays)


def test_linear_gradcheck(rng):
    assert mg.gradcheck(F.linear, [rng.standard_normal(s) for s in ((2, 3), (2, 3), (2,))])


def test_linear_rejects_mismatched_features():
    with pytest.raises(ValueError, match="linear"):
        F.linear(mg.zeros(2, 3), mg.zeros(4, 5))


# ---- cross-entropy: one fused op ------------------------------------------------------------------

LABELS = np.array([2, 0, 3, 3, 1])


@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(label_smoothing, reduction, rng, match_torch):
    labels = torch.tensor(LABELS)
    match_torch(lambda z: F.cross_entropy(z, mg.tensor(LABELS), label_smoothing, reduction),
                lambda z: TF.cross_entropy(z, labels, label_smoothing=label_smoothing, reduction=reduction),
                [rng.standard_normal((5, 4)) * 3])


def test_cross_entropy_float32_with_extreme_logits_matches_torch(rng, match_torch):
    logits = (rng.standard_normal((5, 4)) * 200).astype(np.float32)
    match_torch(lambda z: F.cross_entropy(z, LABELS, 0.1), lambda z: TF.cross_entropy(z, torch.tensor(LABELS),
                                                                                       label_smoothing=0.1), [logits])


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_cross_entropy_gradcheck_first_and_second_order(label_smoothing, rng, gradcheck_second_order):
    logits = rng.standard_normal((3, 4))
    assert mg.gradcheck(lambda z: F.cross_entropy(z, LABELS[:3], label_smoothing, "none"), [logits])
    assert gradcheck_second_order(lambda z: F.cross_entropy(z, LABELS[:3], label_smoothing), [logits])


def test_cross_entropy_hessian_matches_torch(rng, assert_close):
    logits = rng.standard_normal((3, 4))
    labels = torch.tensor(LABELS[:3])
    hessian = mg.hessian(lambda z: F.cross_entropy(z, LABELS[:3], 0.1))(mg.tensor(logits, dtype=mg.float64))
    expected = torch.autograd.functional.hessian(lambda z: TF.cross_entropy(z, labels, label_smoothing=0.1),
                                                 torch.tensor(logits))
    assert_close(hessian, expected)


def test_cross_entropy_fused_and_recorded_gradients_agree(rng, assert_close):
    """The kernel path (first order) and the Tensor-op path (create_graph) of the reverse rule agree."""
    z = mg.tensor(rng.standard_normal((6, 5)), dtype=mg.float64, requires_grad=True)
    loss = F.cross_entropy(z, [0, 4, 2, 2, 1, 3], label_smoothing=0.3, reduction="none")
    cotangent = mg.tensor(rng.standard_normal(6), dtype=mg.float64)
    (fused,) = mg.autodiff.grad([loss], [z], [cotangent], retain_graph=True)
    (recorded,) = mg.autodiff.grad([loss], [z], [cotangent], create_graph=True)
    assert_close(fused, recorded, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("target, error", [
    (np.array([0, 1, 4]), ValueError), (np.array([0, 1]), ValueError), (np.array([0.0, 1.0, 2.0]), TypeError)])
def test_cross_entropy_rejects_bad_targets(target, error):
    with pytest.raises(error):
        F.cross_entropy(mg.zeros(3, 4), target)


# ---- dropout ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_preserves_the_mean(p):
    x = mg.ones(200, 500, dtype=mg.float64)
    y = F.dropout(x, p).numpy()
    n = y.size
    assert abs((y == 0).mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / (1 - p)])
    assert abs(y.mean() - 1) < 4 * np.sqrt(p / (1 - p) / n)


def test_dropout_gradient_is_the_scaled_mask(assert_close):
    x = mg.randn(50, 40, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    mask = (y.numpy() != 0) / 0.7
    assert_close(y, x.numpy() * mask)
    assert_close(x.grad, mask.astype(np.float32))
    _, tangent = mg.jvp(lambda x: F.dropout(x, 0.3, generator=np.random.default_rng(5)), (x.detach(),),
                        (mg.ones(50, 40),))
    assert_close(tangent, F.dropout(mg.ones(50, 40), 0.3, generator=np.random.default_rng(5)))


def test_dropout_is_reproducible_from_the_seed_or_a_generator():
    x = mg.ones(30, 30)
    mg.manual_seed(7)
    first = F.dropout(x, 0.5).numpy()
    mg.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5).numpy(), first)
    assert not np.array_equal(F.dropout(x, 0.5).numpy(), first)
    a = F.dropout(x, 0.5, generator=np.random.default_rng(3)).numpy()
    np.testing.assert_array_equal(F.dropout(x, 0.5, generator=np.random.default_rng(3)).numpy(), a)


def test_dropout_edge_cases():
    x = mg.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), np.zeros((4, 5), np.float32))
    assert F.dropout(x.double(), 0.5).dtype == mg.float64
    with pytest.raises(ValueError, match="probability"):
        F.dropout(x, 1.5)
