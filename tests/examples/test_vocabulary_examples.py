"""The seed 002 examples of issue 13: the parameter split of AlexNet and VGG-19, and ResNet-18 inside ResNet-34."""
import numpy as np
import pytest


def test_alexnet_parameter_split_is_the_seeds(capsys, load_example):
    example = load_example("parameter_split")
    from minigrad import models
    assert example.parameter_split(models.AlexNet("imagenet").eval()) == (2_469_696, 58_631_144, 61_100_840)
    example.main(["--skip-vgg"])
    out = capsys.readouterr().out
    assert "Conv layer params: 2,469,696 (4%)" in out and "Linear layer params: 58,631,144 (96%)" in out
    assert "Total params: 61,100,840" in out


@pytest.mark.slow
def test_vgg19_parameter_split_is_the_seeds(capsys, load_example):
    load_example("parameter_split").main([])
    out = capsys.readouterr().out
    assert "Conv layer params: 20,024,384 (14%)" in out and "Linear layer params: 123,642,856 (86%)" in out
    assert "Total params: 143,667,240" in out


def _blocks(model):
    return {n for n, _ in model.named_modules() if n.count(".") == 1 and n.startswith("layer")}


def test_a_trained_resnet18_embedded_in_a_resnet34_gives_the_same_outputs(load_example):
    example = load_example("resnet18_into_34")
    difference, logits, resnet18, resnet34 = example.compare(steps=1, size=8)
    assert difference == 0.0
    assert np.isfinite(logits).all() and np.ptp(logits) > 0  # a real network, not a constant one
    assert set(example.extra_blocks(resnet34)) == _blocks(resnet34) - _blocks(resnet18)
    assert resnet18.layer1[0].bn1.num_batches_tracked.item() == 1  # it was trained (a step moved its statistics)


@pytest.mark.slow
def test_resnet18_into_34_script_prints_a_zero_difference(capsys, load_example):
    load_example("resnet18_into_34").main(["--steps", "2", "--size", "8"])
    assert "max |ResNet-18(x) - ResNet-34(x)| = 0.0" in capsys.readouterr().out
