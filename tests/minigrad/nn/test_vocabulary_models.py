"""The lecture's networks (seed 002) against independently written PyTorch twins: the same state-dict
names, weights copied over, forward and backward compared in float64 in training mode (BatchNorm on
batch statistics, dropout off), at small inputs; parameter counts against the seed's numbers."""
import numpy as np
import pytest

import minigrad as mg
from minigrad import models, nn

torch = pytest.importorskip("torch")
tnn = torch.nn


def count(model, kind=None):
    if kind is None:
        return sum(p.size for p in model.parameters())
    return sum(p.size for m in model.modules() if isinstance(m, kind) for p in m.parameters(recurse=False))


# ---- twins, written from the papers / the lecture's descriptions -----------------------------------------
def torch_alexnet(variant, hidden, classes):
    def lrn():
        return tnn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    if variant == "imagenet":
        features = [tnn.Conv2d(3, 64, 11, 4, 2), tnn.ReLU(), lrn(), tnn.MaxPool2d(3, 2),
                    tnn.Conv2d(64, 192, 5, padding=2), tnn.ReLU(), lrn(), tnn.MaxPool2d(3, 2),
                    tnn.Conv2d(192, 384, 3, padding=1), tnn.ReLU(), tnn.Conv2d(384, 256, 3, padding=1), tnn.ReLU()]
        pool = tnn.AdaptiveAvgPool2d((6, 6))
    else:
        features = [tnn.Conv2d(3, 96, 4), tnn.ReLU(), tnn.Conv2d(96, 96, 3), tnn.ReLU(),
                    tnn.Conv2d(96, 256, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(3, 2),
                    tnn.Conv2d(256, 384, 3, padding=1), tnn.ReLU(), tnn.Conv2d(384, 384, 3, padding=1), tnn.ReLU()]
        pool = tnn.Identity()
    c = features[-2].out_channels
    features += [tnn.Conv2d(c, 256, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(3, 2)]
    classifier = [tnn.Dropout(), tnn.Linear(9216, hidden), tnn.ReLU(), tnn.Dropout(), tnn.Linear(hidden, hidden),
                  tnn.ReLU(), tnn.Linear(hidden, classes)]
    model = tnn.Module()
    model.features, model.avgpool, model.flatten = tnn.Sequential(*features), pool, tnn.Flatten()
    model.classifier = tnn.Sequential(*classifier)
    model.forward = lambda x: model.classifier(model.flatten(model.avgpool(model.features(x))))
    return model


def torch_vgg(cfg, head, hidden, classes, batch_norm):
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tnn.MaxPool2d(2, 2))
            continue
        layers += [tnn.Conv2d(c, v, 3, padding=1, bias=not batch_norm)] + ([tnn.BatchNorm2d(v)] if batch_norm else [])
        layers.append(tnn.ReLU())
        c = v
    model = tnn.Module()
    model.features, model.flatten = tnn.Sequential(*layers), tnn.Flatten()
    if head == "imagenet":
        model.avgpool = tnn.AdaptiveAvgPool2d(7)
        model.classifier = tnn.Sequential(tnn.Linear(c * 49, hidden), tnn.ReLU(), tnn.Dropout(), tnn.Linear(hidden, hidden),
                                          tnn.ReLU(), tnn.Dropout(), tnn.Linear(hidden, classes))
        model.forward = lambda x: model.classifier(model.flatten(model.avgpool(model.features(x))))
    else:
        model.classifier = tnn.Linear(c, classes)
        model.forward = lambda x: model.classifier(model.flatten(model.features(x)))
    return model


def conv_bn(cin, cout, k, stride=1, padding=0):
    return tnn.Conv2d(cin, cout, k, stride, padding, bias=False), tnn.BatchNorm2d(cout)


class TorchBottleneck(tnn.Module):
    def __init__(self, cin, planes, stride, version):
        super().__init__()
        s1, s3 = (stride, 1) if version == "1" else (1, stride)
        self.conv1, self.bn1 = conv_bn(cin, planes, 1, s1)
        self.conv2, self.bn2 = conv_bn(planes, planes, 3, s3, 1)
        self.conv3, self.bn3 = conv_bn(planes, 4 * planes, 1)
        self.downsample = tnn.Sequential(*conv_bn(cin, 4 * planes, 1, stride)) if stride != 1 or cin != 4 * planes \
            else None

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn3(self.conv3(torch.relu(self.bn2(self.conv2(out)))))
        return torch.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchSEBlock(tnn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1, self.bn1 = conv_bn(cin, planes, 3, stride, 1)
        self.conv2, self.bn2 = conv_bn(planes, planes, 3, 1, 1)
        self.downsample = tnn.Sequential(*conv_bn(cin, planes, 1, stride)) if stride != 1 or cin != planes else None
        self.se = tnn.Module()
        self.se.fc1, self.se.fc2 = tnn.Conv2d(planes, planes // 16, 1), tnn.Conv2d(planes // 16, planes, 1)

    def forward(self, x):
        r = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        s = torch.sigmoid(self.se.fc2(torch.relu(self.se.fc1(r.mean(dim=(2, 3), keepdim=True)))))
        return torch.relu(r * s + (x if self.downsample is None else self.downsample(x)))


class TorchPreActBlock(tnn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.bn1, self.conv1 = tnn.BatchNorm2d(cin), tnn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn2, self.conv2 = tnn.BatchNorm2d(planes), tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.downsample = tnn.Sequential(tnn.Conv2d(cin, planes, 1, stride, bias=False)) \
            if stride != 1 or cin != planes else None

    def forward(self, x):
        pre = torch.relu(self.bn1(x))
        out = self.conv2(torch.relu(self.bn2(self.conv1(pre))))
        return out + (x if self.downsample is None else self.downsample(pre))


class TorchResNet(tnn.Module):
    def __init__(self, block, blocks, expansion=1, preact=False, classes=10):
        super().__init__()
        self.conv1 = tnn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.preact = preact
        if preact:
            self.bn_final = tnn.BatchNorm2d(512)
        else:
            self.bn1 = tnn.BatchNorm2d(64)
        cin = 64
        for i, (planes, n, stride) in enumerate(zip((64, 128, 256, 512), blocks, (1, 2, 2, 2))):
            layer = []
            for s in [stride] + [1] * (n - 1):
                layer.append(block(cin, planes, s))
                cin = planes * expansion
            setattr(self, f"layer{i + 1}", tnn.Sequential(*layer))
        self.fc = tnn.Linear(512 * expansion, classes)

    def forward(self, x):
        x = self.conv1(x) if self.preact else torch.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        if self.preact:
            x = torch.relu(self.bn_final(x))
        return self.fc(x.mean(dim=(2, 3)))


class TorchConvBN(tnn.Module):
    def __init__(self, cin, cout, k, padding=0):
        super().__init__()
        self.conv, self.bn = conv_bn(cin, cout, k, 1, padding)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class TorchInception(tnn.Module):
    def __init__(self, cin, n1, r3, n3, r5, n5, pp):
        super().__init__()
        self.branch1 = TorchConvBN(cin, n1, 1)
        self.branch2 = tnn.Sequential(TorchConvBN(cin, r3, 1), TorchConvBN(r3, n3, 3, 1))
        self.branch3 = tnn.Sequential(TorchConvBN(cin, r5, 1), TorchConvBN(r5, n5, 5, 2))
        self.branch4 = tnn.Sequential(tnn.MaxPool2d(3, 1, 1), TorchConvBN(cin, pp, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


class TorchAux(tnn.Module):
    def __init__(self, cin, classes):
        super().__init__()
        self.conv = TorchConvBN(cin, 128, 1)
        self.fc1, self.fc2 = tnn.Linear(2048, 1024), tnn.Linear(1024, classes)

    def forward(self, x):
        x = self.conv(tnn.functional.avg_pool2d(x, 5, 3)).flatten(1)
        return self.fc2(torch.relu(self.fc1(x)))


class TorchGoogLeNet(tnn.Module):
    TABLE = [(192, 64, 96, 128, 16, 32, 32), (256, 128, 128, 192, 32, 96, 64), (480, 192, 96, 208, 16, 48, 64),
             (512, 160, 112, 224, 24, 64, 64), (512, 128, 128, 256, 24, 64, 64), (512, 112, 144, 288, 32, 64, 64),
             (528, 256, 160, 320, 32, 128, 128), (832, 256, 160, 320, 32, 128, 128), (832, 384, 192, 384, 48, 128, 128)]
    NAMES = ["3a", "3b", "4a", "4b", "4c", "4d", "4e", "5a", "5b"]

    def __init__(self, aux, classes=10):
        super().__init__()
        self.pre_layers = TorchConvBN(3, 192, 3, 1)
        for name, sizes in zip(self.NAMES, self.TABLE):
            setattr(self, "inception" + name, TorchInception(*sizes))
        self.aux = aux
        if aux:
            self.aux1, self.aux2 = TorchAux(512, classes), TorchAux(528, classes)
        self.fc = tnn.Linear(1024, classes)

    def forward(self, x):
        i = {n: getattr(self, "inception" + n) for n in self.NAMES}
        x = i["3b"](i["3a"](self.pre_layers(x)))
        x = i["4a"](tnn.functional.max_pool2d(x, 3, 2, 1))
        a1 = self.aux1(x) if self.aux else None
        x = i["4d"](i["4c"](i["4b"](x)))
        a2 = self.aux2(x) if self.aux else None
        x = i["5b"](i["5a"](tnn.functional.max_pool2d(i["4e"](x), 3, 2, 1)))
        out = self.fc(x.mean(dim=(2, 3)))
        return (out, a2, a1) if self.aux else out


def _no_dropout(model):
    for m in model.modules():
        if isinstance(m, (nn.Dropout, tnn.Dropout)):
            m.p = 0.0
    return model


def assert_twins_match(model, twin, shape, rng):
    """Copy twin's weights into model; compare outputs and all gradients of a random loss in float64."""
    twin = _no_dropout(twin.double().train())
    state = twin.state_dict()
    assert sorted(model.state_dict()) == sorted(state)
    model = _no_dropout(model.to(dtype=mg.float64).train())
    model.load_state_dict(state)
    x_np = rng.standard_normal(shape)
    x, xt = mg.tensor(x_np, dtype=mg.float64, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    outs, touts = model(x), twin(xt)
    outs, touts = (outs, touts) if isinstance(touts, tuple) else ((outs,), (touts,))
    assert len(outs) == len(touts)
    loss, tloss = 0, 0
    for k, (o, t) in enumerate(zip(outs, touts)):
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-7, atol=1e-9)
        w = rng.standard_normal(tuple(t.shape))
        loss, tloss = loss + (o * mg.tensor(w, dtype=mg.float64)).sum(), tloss + (t * torch.tensor(w)).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-9)
    tparams = dict(twin.named_parameters())
    for name, p in model.named_parameters():
        expected = tparams[name].grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-6, atol=1e-7 * max(1.0, np.abs(expected).max()),
                                   err_msg=name)


def small_bottleneck_resnet(version):
    return models.ResNet([1, 1, 1, 1], block=models.resnet.bottleneck_block(version))


def torch_bottleneck_resnet(version, blocks):
    return TorchResNet(lambda i, p, s: TorchBottleneck(i, p, s, version), blocks, 4)


class TorchBlocks(tnn.Module):
    """Two blocks in a row (the first one downsampling), to test a block type on its own."""

    def __init__(self, make):
        super().__init__()
        self.layer = tnn.Sequential(make(16, 2), make(None, 1))

    def forward(self, x):
        return self.layer(x)


def blocks(block, out_channels):
    model = nn.Module()
    model.layer = nn.Sequential(block(16, 8, 2), block(out_channels, 8, 1))
    model.forward = lambda x: model.layer(x)
    return model


TWINS = [  # id, minigrad model, torch twin, input shape (small: the tests run in float64 on the CPU)
    ("alexnet-imagenet-lrn", lambda: models.AlexNet("imagenet", hidden=32, num_classes=5),
     lambda: torch_alexnet("imagenet", 32, 5), (2, 3, 67, 67)),
    ("vgg-imagenet-head", lambda: models.VGG([8, "M", 16, "M"], num_classes=7, head="imagenet", hidden=16),
     lambda: torch_vgg([8, "M", 16, "M"], "imagenet", 16, 7, True), (2, 3, 12, 12)),
    ("bottleneck-v1-blocks", lambda: blocks(lambda i, p, s: models.Bottleneck(i, p, s, "1"), 32),
     lambda: TorchBlocks(lambda i, s: TorchBottleneck(i or 32, 8, s, "1")), (2, 16, 6, 6)),
    ("bottleneck-v1.5-blocks", lambda: blocks(lambda i, p, s: models.Bottleneck(i, p, s, "1.5"), 32),
     lambda: TorchBlocks(lambda i, s: TorchBottleneck(i or 32, 8, s, "1.5")), (2, 16, 6, 6)),
    ("preact-resnet", lambda: models.resnet_variants.PreActResNet([1, 1, 1, 1]),
     lambda: TorchResNet(TorchPreActBlock, [1, 1, 1, 1], preact=True), (4, 3, 8, 8)),
    ("se-blocks", lambda: blocks(lambda i, p, s: models.resnet_variants.SEBasicBlock(i, 32, s), 32),
     lambda: TorchBlocks(lambda i, s: TorchSEBlock(i or 32, 32, s)), (2, 16, 6, 6)),
    ("inception-module", lambda: models.Inception(8, 4, 4, 6, 2, 3, 5),
     lambda: TorchInception(8, 4, 4, 6, 2, 3, 5), (2, 8, 5, 5)),
]
SLOW_TWINS = [
    ("alexnet-cifar10", lambda: models.AlexNet("cifar10", hidden=32), lambda: torch_alexnet("cifar10", 32, 10),
     (2, 3, 32, 32)),
    ("vgg11-cifar", lambda: models.VGG11(num_classes=10), lambda: torch_vgg(models.vgg.CONFIGS["VGG11"], "cifar", 0, 10,
                                                                               True), (2, 3, 32, 32)),
    ("vgg13-imagenet-head", lambda: models.VGG13(num_classes=7, head="imagenet", batch_norm=False, hidden=16),
     lambda: torch_vgg(models.vgg.CONFIGS["VGG13"], "imagenet", 16, 7, False), (1, 3, 32, 32)),
    ("preact-resnet18", models.PreActResNet18, lambda: TorchResNet(TorchPreActBlock, [2, 2, 2, 2], preact=True),
     (4, 3, 8, 8)),
    ("se-resnet18", models.SEResNet18, lambda: TorchResNet(TorchSEBlock, [2, 2, 2, 2]), (4, 3, 8, 8)),
    ("googlenet", models.GoogLeNet, lambda: TorchGoogLeNet(aux=False), (2, 3, 8, 8)),
    ("googlenet-aux-cifar", lambda: models.GoogLeNet(aux_logits=True), lambda: TorchGoogLeNet(aux=True), (2, 3, 32, 32)),
    ("bottleneck-resnet-v1", lambda: small_bottleneck_resnet("1"), lambda: torch_bottleneck_resnet("1", [1, 1, 1, 1]),
     (4, 3, 8, 8)),
    ("resnet50-v1", lambda: models.ResNet50(version="1"), lambda: torch_bottleneck_resnet("1", [3, 4, 6, 3]),
     (2, 3, 16, 16)),
    ("resnet50-v1.5", lambda: models.ResNet50(version="1.5"), lambda: torch_bottleneck_resnet("1.5", [3, 4, 6, 3]),
     (2, 3, 16, 16)),
]


@pytest.mark.parametrize("name, build, build_twin, shape", TWINS + [pytest.param(*t, marks=pytest.mark.slow)
                                                                    for t in SLOW_TWINS],
                         ids=[t[0] for t in TWINS + SLOW_TWINS])
def test_model_matches_its_torch_twin_forward_and_backward(name, build, build_twin, shape, rng):
    torch.manual_seed(0)
    assert_twins_match(build(), build_twin(), shape, rng)


def test_alexnet_has_the_seeds_parameter_counts():
    model = models.AlexNet("imagenet")
    assert (count(model, nn.Conv2d), count(model, nn.Linear), count(model)) == (2_469_696, 58_631_144, 61_100_840)


@pytest.mark.slow
def test_alexnet_cifar10_sizes():
    cifar = models.AlexNet("cifar10")
    assert cifar(mg.zeros(1, 3, 32, 32)).shape == (1, 10)
    assert count(cifar) == sum(p.numel() for p in torch_alexnet("cifar10", 4096, 10).parameters())


def test_vgg19_has_the_seeds_convolution_parameters():
    assert count(models.VGG19(num_classes=1000, head="imagenet", batch_norm=False, hidden=8), nn.Conv2d) == 20_024_384


@pytest.mark.slow
def test_vgg19_imagenet_has_the_seeds_parameter_counts():
    model = models.VGG19(num_classes=1000, head="imagenet", batch_norm=False)
    assert (count(model, nn.Conv2d), count(model, nn.Linear), count(model)) == (20_024_384, 123_642_856, 143_667_240)


@pytest.mark.parametrize("build, blocks, version", [
    (models.ResNet50, [3, 4, 6, 3], "1"), (models.ResNet50, [3, 4, 6, 3], "1.5"),
    pytest.param(models.ResNet101, [3, 4, 23, 3], "1.5", marks=pytest.mark.slow),
    pytest.param(models.ResNet152, [3, 8, 36, 3], "1", marks=pytest.mark.slow)])
def test_bottleneck_resnets_have_their_twins_sizes_and_strides(build, blocks, version):
    model = build(version=version)
    twin = TorchResNet(lambda i, p, s: TorchBottleneck(i, p, s, version), blocks, 4)
    assert count(model) == sum(p.numel() for p in twin.parameters())
    first = model.layer2[0]
    assert (first.conv1.stride, first.conv2.stride) == (((2, 2), (1, 1)) if version == "1" else ((1, 1), (2, 2)))


@pytest.mark.slow
def test_googlenet_returns_auxiliary_logits_only_in_training():
    model = models.GoogLeNet(aux_logits=True).eval()
    assert model(mg.zeros(1, 3, 32, 32)).shape == (1, 10)
    outputs = model.train()(mg.zeros(2, 3, 32, 32))
    assert [o.shape for o in outputs] == [(2, 10)] * 3


def test_bad_model_settings_are_clear_errors():
    with pytest.raises(ValueError, match="version"):
        models.ResNet50(version="2")
    with pytest.raises(ValueError, match="variant"):
        models.AlexNet("mnist")
    with pytest.raises(ValueError, match="head"):
        models.VGG11(head="tiny")
