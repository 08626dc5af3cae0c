"""Every layer against PyTorch: same constructor, weights copied over with state_dict, then the outputs
and the gradients of the input and of every parameter compared."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn

torch = pytest.importorskip("torch")

TOL = dict(rtol=1e-4, atol=1e-5)

# (id, constructor run on both `minigrad.nn` and `torch.nn`, input shape)
LAYERS = [
    ("linear", lambda m: m.Linear(5, 3), (4, 5)),
    ("linear-nobias-3d", lambda m: m.Linear(5, 3, bias=False), (2, 3, 5)),
    ("conv1d", lambda m: m.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    ("conv2d", lambda m: m.Conv2d(3, 4, 3), (2, 3, 7, 7)),
    ("conv2d-seed", lambda m: m.Conv2d(3, 10, 5, padding=2), (1, 3, 8, 8)),
    ("conv2d-strided-dilated-groups", lambda m: m.Conv2d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2,
                                                          bias=False), (2, 4, 9, 9)),
    ("maxpool", lambda m: m.MaxPool2d(2), (2, 3, 8, 8)),
    ("maxpool-ceil", lambda m: m.MaxPool2d(3, stride=2, ceil_mode=True), (2, 3, 8, 8)),
    ("maxpool-pad", lambda m: m.MaxPool2d(3, stride=2, padding=1), (2, 3, 7, 7)),
    ("avgpool", lambda m: m.AvgPool2d(2), (2, 3, 8, 8)),
    ("avgpool-pad-exclude", lambda m: m.AvgPool2d(3, 2, padding=1, count_include_pad=False), (2, 3, 7, 7)),
    ("avgpool-ceil", lambda m: m.AvgPool2d(3, 2, ceil_mode=True), (2, 3, 8, 8)),
    ("adaptive-global", lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 5, 5)),
    ("adaptive-2x3", lambda m: m.AdaptiveAvgPool2d((2, 3)), (2, 3, 7, 7)),
    ("batchnorm1d", lambda m: m.BatchNorm1d(5), (4, 5)),
    ("batchnorm1d-3d", lambda m: m.BatchNorm1d(3), (4, 3, 6)),
    ("batchnorm2d", lambda m: m.BatchNorm2d(3), (4, 3, 5, 5)),
    ("batchnorm2d-noaffine", lambda m: m.BatchNorm2d(3, affine=False), (4, 3, 5, 5)),
    ("batchnorm2d-nostats", lambda m: m.BatchNorm2d(3, track_running_stats=False), (4, 3, 5, 5)),
    ("layernorm", lambda m: m.LayerNorm(6), (2, 3, 6)),
    ("layernorm-2d", lambda m: m.LayerNorm((3, 6)), (2, 3, 6)),
    ("groupnorm", lambda m: m.GroupNorm(2, 4), (2, 4, 3, 3)),
    ("instancenorm", lambda m: m.InstanceNorm2d(3), (2, 3, 4, 4)),
    ("instancenorm-affine-stats", lambda m: m.InstanceNorm2d(3, affine=True, track_running_stats=True),
     (2, 3, 4, 4)),
    ("relu", lambda m: m.ReLU(), (3, 4)),
    ("leaky-relu", lambda m: m.LeakyReLU(0.2), (3, 4)),
    ("prelu", lambda m: m.PReLU(), (3, 4)),
    ("prelu-channels", lambda m: m.PReLU(3, init=0.1), (2, 3, 4)),
    ("elu", lambda m: m.ELU(0.5), (3, 4)),
    ("sigmoid", lambda m: m.Sigmoid(), (3, 4)),
    ("tanh", lambda m: m.Tanh(), (3, 4)),
    ("softmax", lambda m: m.Softmax(dim=1), (3, 4)),
    ("flatten", lambda m: m.Flatten(), (2, 3, 2, 2)),
    ("identity", lambda m: m.Identity(), (2, 3)),
    ("sequential", lambda m: m.Sequential(m.Conv2d(2, 3, 3, padding=1), m.BatchNorm2d(3), m.ReLU(),
                                          m.MaxPool2d(2), m.Flatten(), m.Linear(12, 2)), (2, 2, 4, 4)),
]

LAYERS += [  # the vocabulary of issue 13
    ("conv1d-same", lambda m: m.Conv1d(3, 4, 4, padding="same", dilation=2), (2, 3, 9)),
    ("conv2d-same", lambda m: m.Conv2d(3, 4, (3, 4), padding="same"), (2, 3, 6, 7)),
    ("conv2d-valid", lambda m: m.Conv2d(3, 2, 3, padding="valid", bias=False), (1, 3, 5, 5)),
    ("conv-transpose2d", lambda m: m.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 4)),
    ("conv-transpose2d-groups", lambda m: m.ConvTranspose2d(4, 6, 2, groups=2, bias=False, dilation=2), (1, 4, 3, 3)),
    ("upsample-nearest", lambda m: m.Upsample(scale_factor=2), (2, 3, 3, 4)),
    ("upsample-bilinear", lambda m: m.Upsample(size=(5, 7), mode="bilinear"), (2, 3, 3, 4)),
    ("upsample-bilinear-corners", lambda m: m.Upsample(scale_factor=3, mode="bilinear", align_corners=True),
     (1, 2, 2, 3)),
    ("batchnorm3d", lambda m: m.BatchNorm3d(3), (2, 3, 2, 3, 4)),
    ("local-response-norm", lambda m: m.LocalResponseNorm(5, alpha=1e-2, k=2.0), (2, 7, 3, 3)),
    ("dropout2d-eval-or-p0", lambda m: m.Dropout2d(0.0), (2, 3, 4, 4)),
    ("hardswish", lambda m: m.Hardswish(), (3, 4)),
    ("silu", lambda m: m.SiLU(), (3, 4)),
    ("mish", lambda m: m.Mish(), (3, 4)),
    ("hardsigmoid", lambda m: m.Hardsigmoid(), (3, 4)),
    ("relu6", lambda m: m.ReLU6(), (3, 4)),
    ("hardtanh", lambda m: m.Hardtanh(-0.5, 0.5), (3, 4)),
    ("selu", lambda m: m.SELU(), (3, 4)),
    ("celu", lambda m: m.CELU(0.5), (3, 4)),
    ("softsign", lambda m: m.Softsign(), (3, 4)),
    ("logsigmoid", lambda m: m.LogSigmoid(), (3, 4)),
    ("softmin", lambda m: m.Softmin(dim=0), (3, 4)),
]
NORM_LAYERS_ADDED = {"batchnorm3d"}


def run_both(layer, torch_layer, x_np, g_np):
    x = mg.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    y, yt = layer(x), torch_layer(xt)
    y.backward(mg.tensor(g_np))
    yt.backward(torch.tensor(g_np))
    return x, xt, y, yt


def assert_grads_match(layer, torch_layer, x, xt):
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), **TOL)
    torch_params = dict(torch_layer.named_parameters())
    params = dict(layer.named_parameters())
    assert params.keys() == torch_params.keys()
    for name, p in params.items():
        np.testing.assert_allclose(p.grad.numpy(), torch_params[name].grad.numpy(), **TOL, err_msg=name)


def make_pair(build, training=True, randomize=False):
    """The layer in torch and in minigrad with the same weights (``randomize``: parameters and running
    statistics drawn from U(0.5, 1.5), so that evaluation mode has something to show)."""
    torch_layer = build(torch.nn).train(training)
    if randomize:
        with torch.no_grad():
            for t in [*torch_layer.parameters(), *torch_layer.buffers()]:
                if t.dtype.is_floating_point:
                    t.uniform_(0.5, 1.5)
    layer = build(nn).train(training)
    layer.load_state_dict(torch_layer.state_dict())
    return layer, torch_layer


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("name, build, shape", LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_matches_torch(name, build, shape, mode, rng):
    layer, torch_layer = make_pair(build, training=mode == "train", randomize=mode == "eval")
    x_np = rng.standard_normal(shape).astype(np.float32)
    y_shape = copy.deepcopy(torch_layer)(torch.tensor(x_np)).shape
    g_np = rng.standard_normal(tuple(y_shape)).astype(np.float32)
    x, xt, y, yt = run_both(layer, torch_layer, x_np, g_np)
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **TOL)
    assert_grads_match(layer, torch_layer, x, xt)
    for key, value in torch_layer.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[key], value.numpy(), **TOL, err_msg=key)


NORM_LAYERS = {"batchnorm1d", "batchnorm1d-3d", "batchnorm2d", "batchnorm2d-noaffine", "batchnorm2d-nostats",
               "groupnorm", "instancenorm", "instancenorm-affine-stats"}


@pytest.mark.parametrize("name, build", [(n, b) for n, b, _ in LAYERS if n not in NORM_LAYERS | NORM_LAYERS_ADDED])
def test_repr_matches_torch(name, build):
    assert repr(build(nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm_running_statistics_follow_torch_over_steps(momentum, rng):
    layer, torch_layer = make_pair(lambda m: m.BatchNorm2d(3, momentum=momentum))
    for _ in range(4):
        x_np = (rng.standard_normal((5, 3, 4, 4)) * 2 + 1).astype(np.float32)
        y, yt = layer(mg.tensor(x_np)), torch_layer(torch.tensor(x_np))
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), **TOL)
    for key, value in torch_layer.state_dict().items():
        np.testing.assert_allclose(layer.state_dict()[key], value.numpy(), **TOL, err_msg=key)
    assert layer.num_batches_tracked.item() == 4
    layer.eval(), torch_layer.eval()
    x_np = rng.standard_normal((2, 3, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(layer(mg.tensor(x_np)).numpy(), torch_layer(torch.tensor(x_np)).detach().numpy(),
                               **TOL)
    assert layer.num_batches_tracked.item() == 4
    layer.reset_running_stats(), torch_layer.reset_running_stats()
    for key, value in torch_layer.state_dict().items():
        np.testing.assert_array_equal(layer.state_dict()[key], value.numpy(), err_msg=key)


def test_dropout_scales_survivors_and_is_identity_in_eval():
    layer = nn.Dropout(0.25)
    x = mg.ones(200, 100, requires_grad=True)
    y = layer(x)
    values = np.unique(y.numpy())
    np.testing.assert_allclose(values, [0.0, 1 / 0.75])
    assert abs((y.numpy() == 0).mean() - 0.25) < 0.01  # 20,000 draws: sampling sd 0.003
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())
    layer.eval()
    x2 = mg.randn(3, 4)
    np.testing.assert_array_equal(layer(x2).numpy(), x2.numpy())


@pytest.mark.parametrize("smoothing, reduction", [(0.0, "mean"), (0.1, "mean"), (0.2, "sum"), (0.0, "none")])
def test_cross_entropy_loss_matches_torch(smoothing, reduction, rng):
    z_np = rng.standard_normal((6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, size=6)
    z, zt = mg.tensor(z_np, requires_grad=True), torch.tensor(z_np, requires_grad=True)
    loss = nn.CrossEntropyLoss(label_smoothing=smoothing, reduction=reduction)(z, mg.tensor(labels))
    loss_t = torch.nn.CrossEntropyLoss(label_smoothing=smoothing, reduction=reduction)(zt, torch.tensor(labels))
    np.testing.assert_allclose(loss.numpy(), loss_t.detach().numpy(), **TOL)
    loss.sum().backward(), loss_t.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), zt.grad.numpy(), **TOL)


def test_mse_loss_matches_torch(rng):
    a_np, b_np = rng.standard_normal((2, 3, 4)).astype(np.float32), rng.standard_normal((2, 3, 4)).astype(np.float32)
    a, at = mg.tensor(a_np, requires_grad=True), torch.tensor(a_np, requires_grad=True)
    loss, loss_t = nn.MSELoss()(a, mg.tensor(b_np)), torch.nn.MSELoss()(at, torch.tensor(b_np))
    np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-6)
    loss.backward(), loss_t.backward()
    np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), **TOL)


def test_default_init_matches_pytorch_bounds():
    """Linear and Conv: weights and biases uniform in ±1/√fan_in (PyTorch's kaiming_uniform_(a=√5) default)."""
    for layer, fan_in in [(nn.Linear(50, 1000), 50), (nn.Conv2d(8, 1000, 3), 72)]:
        bound = 1 / np.sqrt(fan_in)
        for p in (layer.weight, layer.bias):
            values = p.numpy()
            assert values.min() >= -bound and values.max() <= bound
            assert abs(values.std() / (bound / np.sqrt(3)) - 1) < 0.1  # U(-b, b) has sd b/√3; n ≥ 1000


@pytest.mark.parametrize("build, shape, message", [
    (lambda: nn.BatchNorm2d(3), (2, 4, 5, 5), r"BatchNorm2d\(3\) expects input of shape \(N, 3, H, W\)"),
    (lambda: nn.BatchNorm1d(3), (2, 3, 4, 4), r"BatchNorm1d\(3\) expects input of shape \(N, 3\) or \(N, 3, L\)"),
    (lambda: nn.Conv2d(3, 4, 3), (3, 8, 8), r"Conv2d expects input of shape \(N, C, H, W\)"),
    (lambda: nn.MaxPool2d(2), (3, 8), r"MaxPool2d expects input of shape \(N, C, H, W\)"),
    (lambda: nn.PReLU(3), (2, 4, 5), r"PReLU\(3\) expects 3 channels"),
])
def test_layers_reject_wrong_input_shapes(build, shape, message):
    with pytest.raises(ValueError, match=message):
        build()(mg.zeros(*shape))


@pytest.mark.parametrize("build, message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
    (lambda: nn.Conv2d(4, 4, (3, 3, 3)), "kernel_size must be an int or a tuple of 2 ints"),
    (lambda: nn.GroupNorm(3, 4), "divisible by num_groups"),
    (lambda: nn.Dropout(1.5), r"p must be in \[0, 1\]"),
])
def test_layers_reject_bad_settings(build, message):
    with pytest.raises(ValueError, match=message):
        build()
