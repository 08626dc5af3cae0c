"""The models: sizes from the lecture notes, ResNet-18 against a PyTorch twin, BatchNorm fusion."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import models, nn
from minigrad.nn.utils import fuse_conv_bn

torch = pytest.importorskip("torch")
tnn = torch.nn


# ---- PyTorch twins with torchvision's names ---------------------------------------------------------
class TorchBasicBlock(tnn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = tnn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU()
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = tnn.Sequential(tnn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                             tnn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchResNet(tnn.Module):
    def __init__(self, blocks, num_classes=10):
        super().__init__()
        self.conv1 = tnn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU()
        planes_in, layers = 64, []
        for planes, n, stride in zip((64, 128, 256, 512), blocks, (1, 2, 2, 2)):
            layer = []
            for s in [stride] + [1] * (n - 1):
                layer.append(TorchBasicBlock(planes_in, planes, s))
                planes_in = planes
            layers.append(tnn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = tnn.AdaptiveAvgPool2d(1)
        self.fc = tnn.Linear(512, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def count(model):
    return sum(p.size for p in model.parameters())


def test_resnet18_has_the_expected_number_of_parameters():
    assert count(models.ResNet18(num_classes=10)) == 11_173_962
    assert count(models.ResNet34(num_classes=10)) == sum(p.numel() for p in TorchResNet([3, 4, 6, 3]).parameters())


def resnet_pair(dtype):
    torch.manual_seed(0)
    torch_model = TorchResNet([2, 2, 2, 2]).to(getattr(torch, dtype))
    model = models.ResNet18(num_classes=10)
    assert list(model.state_dict()) == list(torch_model.state_dict())
    model.load_state_dict(torch_model.state_dict())
    return model.to(dtype=dtype), torch_model


# In training mode a float32 rounding that puts one pre-ReLU value on the other side of 0 changes that
# element's gradient, and BatchNorm's backward spreads it over the channel: the comparison of training-mode
# gradients runs in float64, where no value falls that close to a kink; evaluation mode runs in float32.
@pytest.mark.parametrize("training, dtype, rtol", [(True, "float64", 1e-9), (False, "float32", 1e-4)],
                         ids=["train-float64", "eval-float32"])
def test_resnet18_forward_and_backward_match_torch(training, dtype, rtol, rng):
    model, torch_model = resnet_pair(dtype)
    model.train(training), torch_model.train(training)
    x_np = rng.standard_normal((2, 3, 32, 32)).astype(dtype)
    labels = np.array([3, 7])
    x, xt = mg.tensor(x_np, dtype=dtype, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, out_t = model(x), torch_model(xt)
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), rtol=rtol, atol=rtol / 10)
    loss = nn.functional.cross_entropy(out, mg.tensor(labels))
    loss_t = tnn.functional.cross_entropy(out_t, torch.tensor(labels))
    loss.backward(), loss_t.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=rtol / 100)
    torch_params = dict(torch_model.named_parameters())
    for name, p in model.named_parameters():
        expected = torch_params[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=rtol, atol=rtol / 10 * np.abs(expected).max(),
                                   err_msg=name)


def test_resnet18_training_forward_in_float32_matches_torch_with_running_statistics(rng):
    model, torch_model = resnet_pair("float32")
    x_np = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    with mg.no_grad(), torch.no_grad():
        out, out_t = model(mg.tensor(x_np)), torch_model(torch.tensor(x_np))
    np.testing.assert_allclose(out.numpy(), out_t.numpy(), rtol=1e-4, atol=1e-5)
    for key, value in torch_model.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key], value.numpy(), rtol=1e-4, atol=1e-6, err_msg=key)


def torch_lenet_classic():
    """The STATS 507 slide's LeNet-5 (tanh, max-pool), grayscale, with padding 2 for 28×28 inputs."""
    features = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.Tanh(), tnn.MaxPool2d(2),
                              tnn.Conv2d(6, 16, 5), tnn.Tanh(), tnn.MaxPool2d(2))
    classifier = tnn.Sequential(tnn.Linear(400, 120), tnn.Tanh(), tnn.Linear(120, 84), tnn.Tanh(),
                                tnn.Linear(84, 10))
    return tnn.Sequential(features, tnn.Flatten(), classifier)


def test_lenet5_classic_matches_the_slide_code(rng):
    torch_model = torch_lenet_classic()
    model = models.LeNet5("classic")
    prefixes = {"0": "features", "2": "classifier"}
    state = {prefixes[k.split(".", 1)[0]] + "." + k.split(".", 1)[1]: v for k, v in torch_model.state_dict().items()}
    model.load_state_dict(state)
    x_np = rng.standard_normal((3, 1, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(model(mg.tensor(x_np)).numpy(), torch_model(torch.tensor(x_np)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    assert count(model) == 61_706


@pytest.mark.parametrize("variant, size, in_channels, params", [
    ("classic", 28, 1, 61_706), ("classic", 32, 1, 61_706), ("classic", 32, 3, 62_006),
    ("relu", 28, 1, 1_256_080), ("relu", 32, 1, 1_631_080)])
def test_lenet5_shapes_and_sizes(variant, size, in_channels, params):
    model = models.LeNet5(variant, num_classes=10, in_channels=in_channels, input_size=size)
    assert model(mg.zeros(2, in_channels, size, size)).shape == (2, 10)
    assert count(model) == params


def test_vgg_matches_a_torch_build_of_the_same_configuration(rng):
    cfg = models.vgg.CONFIGS["VGG11"]
    layers, c = [], 3
    for v in cfg:
        layers += [tnn.MaxPool2d(2, 2)] if v == "M" else [tnn.Conv2d(c, v, 3, padding=1, bias=False),
                                                          tnn.BatchNorm2d(v), tnn.ReLU()]
        c = c if v == "M" else v
    torch_model = tnn.Sequential(tnn.Sequential(*layers), tnn.Flatten(), tnn.Linear(512, 10))
    model = models.VGG("VGG11")
    assert count(model) == sum(p.numel() for p in torch_model.parameters())
    assert model(mg.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ValueError, match="unknown configuration 'VGG12'"):
        models.VGG("VGG12")


def test_nin_pools_32_to_16_to_8_with_ceil_mode():
    model = models.NiN(num_classes=10).eval()
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    sizes = []
    for pool in pools:
        pool.register_forward_hook(lambda m, inputs, out: sizes.append((inputs[0].shape[2], out.shape[2])))
    assert model(mg.zeros(1, 3, 32, 32)).shape == (1, 10)
    assert sizes == [(32, 16), (16, 8)]
    assert all(pool.ceil_mode and pool.kernel_size == 3 and pool.stride == 2 for pool in pools)


def warm_up_running_statistics(model, shape, steps=2):
    model.train()
    with mg.no_grad():
        for _ in range(steps):
            model(mg.randn(*shape) * 2 + 0.5)
    return model.eval()


@pytest.mark.parametrize("build, size", [(lambda: models.ResNet18(), 16), (lambda: models.VGG("VGG11"), 32)],
                         ids=["resnet18", "vgg11"])
def test_fuse_conv_bn_keeps_eval_outputs_and_removes_batchnorm(build, size):
    model = warm_up_running_statistics(build(), (4, 3, size, size))
    x = mg.randn(2, 3, size, size)
    with mg.no_grad():
        expected = model(x).numpy()
        fused = fuse_conv_bn(model)
        actual = fused(x).numpy()
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) > 0  # the original is untouched
    assert all(m.bias is not None for m in fused.modules() if isinstance(m, nn.Conv2d))


def test_fuse_conv_bn_leaves_training_mode_batchnorm_alone():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    fused = fuse_conv_bn(model)
    assert isinstance(fused[1], nn.BatchNorm2d)
    model.eval()
    assert fuse_conv_bn(model, inplace=True) is model and isinstance(model[1], nn.Identity)


def test_fuse_linear_bn1d(rng):
    model = warm_up_running_statistics(nn.Sequential(nn.Linear(6, 5), nn.BatchNorm1d(5)), (8, 6))
    x = mg.tensor(rng.standard_normal((4, 6)).astype(np.float32))
    expected = model(x).numpy()
    np.testing.assert_allclose(fuse_conv_bn(model)(x).numpy(), expected, rtol=1e-5, atol=1e-6)
