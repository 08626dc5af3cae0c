"""F.batch_norm, F.layer_norm, F.group_norm and F.instance_norm against PyTorch and central differences."""
import numpy as np
import pytest

import minigrad as mg
import minigrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _arrays(rng, x_shape, affine_shape, dtype=np.float64):
    """x, and weight/bias around 1 and 0 (or only x when affine_shape is None)."""
    x = rng.standard_normal(x_shape) * 2 + 0.5
    if affine_shape is None:
        return [x.astype(dtype)]
    return [a.astype(dtype) for a in (x, 1 + 0.3 * rng.standard_normal(affine_shape), rng.standard_normal(affine_shape))]


@pytest.mark.parametrize("x_shape", [(5, 3), (4, 3, 6), (3, 2, 4, 5), (2, 2, 3, 2, 2)])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(x_shape, affine, rng, match_torch):
    arrays = _arrays(rng, x_shape, x_shape[1:2] if affine else None)
    match_torch(lambda x, *wb: F.batch_norm(x, None, None, *wb, training=True),
                lambda x, *wb: TF.batch_norm(x, None, None, *wb, training=True), arrays)


def test_batch_norm_eval_matches_torch(rng, match_torch):
    running_mean, running_var = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    def mg_fn(x, w, b):
        return F.batch_norm(x, mg.tensor(running_mean, dtype=mg.float64), mg.tensor(running_var, dtype=mg.float64),
                            w, b, training=False, eps=1e-3)

    def torch_fn(x, w, b):
        return TF.batch_norm(x, torch.tensor(running_mean), torch.tensor(running_var), w, b, training=False, eps=1e-3)

    match_torch(mg_fn, torch_fn, _arrays(rng, (4, 3, 2, 5), (3,)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batch_norm_running_statistics_follow_torch_over_several_steps(dtype, rng, assert_close):
    """Train steps update running mean and (unbiased) variance in place; eval then uses them."""
    c = 4
    mean, var = mg.zeros(c, dtype=dtype), mg.ones(c, dtype=dtype)
    t_mean = torch.zeros(c, dtype=getattr(torch, np.dtype(dtype).name))
    t_var = torch.ones_like(t_mean)
    w, b = (a.astype(dtype) for a in (rng.uniform(0.5, 1.5, c), rng.standard_normal(c)))
    for step in range(4):
        x = (rng.standard_normal((6, c, 3, 3)) * (step + 1) + step).astype(dtype)
        y = F.batch_norm(mg.tensor(x, dtype=dtype), mean, var, mg.tensor(w, dtype=dtype), mg.tensor(b, dtype=dtype),
                         training=True, momentum=0.2)
        expected = TF.batch_norm(torch.tensor(x), t_mean, t_var, torch.tensor(w), torch.tensor(b), training=True,
                                 momentum=0.2)
        assert_close(y, expected, rtol=1e-4, atol=1e-5)
        assert_close(mean, t_mean, rtol=1e-5, atol=1e-6)
        assert_close(var, t_var, rtol=1e-5, atol=1e-6)
    x = rng.standard_normal((2, c, 3, 3)).astype(dtype)
    y = F.batch_norm(mg.tensor(x, dtype=dtype), mean, var, mg.tensor(w, dtype=dtype), mg.tensor(b, dtype=dtype))
    expected = TF.batch_norm(torch.tensor(x), t_mean, t_var, torch.tensor(w), torch.tensor(b))
    assert_close(y, expected, rtol=1e-4, atol=1e-5)


def test_batch_norm_running_statistics_of_a_1d_batch(rng, assert_close):
    x = rng.standard_normal((5, 3))
    mean, var = mg.zeros(3, dtype=mg.float64), mg.ones(3, dtype=mg.float64)
    t_mean, t_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    F.batch_norm(mg.tensor(x, dtype=mg.float64, requires_grad=True), mean, var, training=True)
    TF.batch_norm(torch.tensor(x), t_mean, t_var, training=True)
    assert_close(mean, t_mean)
    assert_close(var, t_var)
    assert not mean.requires_grad and mean.is_leaf


def test_batch_norm_float32_matches_torch(rng, match_torch):
    match_torch(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                lambda x, w, b: TF.batch_norm(x, None, None, w, b, training=True),
                _arrays(rng, (8, 6, 5, 5), (6,), np.float32))


@pytest.mark.parametrize("x_shape, normalized_shape, affine", [
    ((4, 6), 6, True), ((2, 3, 5), (5,), False), ((2, 3, 4, 5), (4, 5), True), ((3, 4), (3, 4), True)])
def test_layer_norm_matches_torch(x_shape, normalized_shape, affine, rng, match_torch):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    match_torch(lambda x, *wb: F.layer_norm(x, normalized_shape, *wb, eps=1e-4),
                lambda x, *wb: TF.layer_norm(x, shape, *wb, eps=1e-4),
                _arrays(rng, x_shape, shape if affine else None))


@pytest.mark.parametrize("x_shape, groups, affine", [
    ((2, 6, 4, 3), 3, True), ((2, 6, 4, 3), 1, False), ((3, 4, 5), 4, True), ((2, 4), 2, True)])
def test_group_norm_matches_torch(x_shape, groups, affine, rng, match_torch):
    match_torch(lambda x, *wb: F.group_norm(x, groups, *wb), lambda x, *wb: TF.group_norm(x, groups, *wb),
                _arrays(rng, x_shape, x_shape[1:2] if affine else None))


@pytest.mark.parametrize("x_shape, affine", [((2, 3, 4, 5), True), ((3, 2, 7), False)])
def test_instance_norm_matches_torch(x_shape, affine, rng, match_torch):
    match_torch(lambda x, *wb: F.instance_norm(x, None, None, *wb), lambda x, *wb: TF.instance_norm(x, None, None, *wb),
                _arrays(rng, x_shape, x_shape[1:2] if affine else None))


def test_instance_norm_running_statistics_follow_torch(rng, assert_close):
    mean, var = mg.zeros(3, dtype=mg.float64), mg.ones(3, dtype=mg.float64)
    t_mean, t_var = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for step in range(3):
        x = rng.standard_normal((4, 3, 5, 2)) * (step + 1) + step
        y = F.instance_norm(mg.tensor(x, dtype=mg.float64), mean, var, momentum=0.3)
        expected = TF.instance_norm(torch.tensor(x), t_mean, t_var, momentum=0.3)
        assert_close(y, expected, rtol=1e-9, atol=1e-11)
        assert_close(mean, t_mean)
        assert_close(var, t_var)
    x = rng.standard_normal((2, 3, 5, 2))
    y = F.instance_norm(mg.tensor(x, dtype=mg.float64), mean, var, use_input_stats=False)
    assert_close(y, TF.instance_norm(torch.tensor(x), t_mean, t_var, use_input_stats=False), rtol=1e-9, atol=1e-11)


NORMS = {
    "batch_norm_train": lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
    "batch_norm_eval": lambda x, w, b: F.batch_norm(x, mg.tensor([0.5, -1.0], dtype=mg.float64),
                                                    mg.tensor([2.0, 0.5], dtype=mg.float64), w, b),
    "group_norm": lambda x, w, b: F.group_norm(x, 1, w, b),
    "instance_norm": lambda x, w, b: F.instance_norm(x, None, None, w, b),
}


@pytest.mark.parametrize("name", NORMS)
def test_norm_gradcheck(name, rng):
    assert mg.gradcheck(NORMS[name], _arrays(rng, (3, 2, 2, 2), (2,)))


def test_layer_norm_gradcheck(rng):
    assert mg.gradcheck(lambda x, w, b: F.layer_norm(x, (2, 3), w, b), _arrays(rng, (2, 2, 3), (2, 3)))


@pytest.mark.parametrize("name", ["batch_norm_train", "group_norm"])
def test_norm_second_order_gradcheck(name, rng, gradcheck_second_order):
    """With create_graph the batch-norm reverse rule runs as Tensor ops (statistics recomputed from x)."""
    assert gradcheck_second_order(NORMS[name], _arrays(rng, (3, 2, 2, 1), (2,)))


def test_batch_norm_fused_and_recorded_gradients_agree(rng, assert_close):
    """The first-order kernel path and the create_graph Tensor-op path of BatchNorm.vjp give the same gradients."""
    arrays = _arrays(rng, (4, 3, 5, 2), (3,))
    inputs = [mg.tensor(a, dtype=mg.float64, requires_grad=True) for a in arrays]
    y = F.batch_norm(*inputs[:1], None, None, *inputs[1:], training=True)
    cotangent = mg.tensor(rng.standard_normal(y.shape), dtype=mg.float64)
    fused = mg.autodiff.grad([y], inputs, [cotangent], retain_graph=True)
    recorded = mg.autodiff.grad([y], inputs, [cotangent], create_graph=True)
    for a, b in zip(fused, recorded):
        assert_close(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda x: F.batch_norm(x, mg.zeros(3), mg.ones(3)), "shape \\(4,\\)"),
    (lambda x: F.batch_norm(x, None, None), "needs running_mean"),
    (lambda x: F.batch_norm(x[:1, :, :1, :1], None, None, training=True), "more than 1 value"),
    (lambda x: F.layer_norm(x, (4, 3)), "normalized_shape"),
    (lambda x: F.layer_norm(x, 3, weight=mg.ones(4)), "weight must have shape"),
    (lambda x: F.group_norm(x, 3), "num_groups"),
    (lambda x: F.instance_norm(x, use_input_stats=False), "needs running_mean"),
    (lambda x: F.instance_norm(x[:, :, :1, :1]), "more than 1 spatial"),
])
def test_norms_reject_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call(mg.zeros(2, 4, 3, 3))


def test_batch_norm_rejects_bad_weight_before_touching_running_statistics():
    mean, var = mg.zeros(4), mg.ones(4)
    with pytest.raises(ValueError, match="weight"):
        F.batch_norm(mg.randn(2, 4, 3, 3), mean, var, weight=mg.ones(3), training=True)
    assert mean._version == 0 and var._version == 0
