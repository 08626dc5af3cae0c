"""nn.summary: shapes, parameter counts and multiply-adds against the lecture notes' worked numbers."""
import numpy as np

from minigrad import models, nn


def test_seed_conv_example_numbers():
    """3×32×32 input, ten 5×5 filters, stride 1, pad 2: 10×32×32 output, 760 parameters, 768,000 multiply-adds."""
    s = nn.summary(nn.Sequential(nn.Conv2d(3, 10, 5, stride=1, padding=2)), (3, 32, 32), print_fn=None)
    (row,) = s.rows
    assert row.output_shape == (10, 32, 32)
    assert row.params == 760 and s.total_params == 760
    assert row.mult_adds == 768_000 and s.total_mult_adds == 768_000


def test_lenet5_relu_table_of_the_lecture():
    s = nn.summary(models.LeNet5("relu"), (1, 28, 28), print_fn=None)
    table = [(r.type, r.output_shape, r.weight_shape) for r in s.rows]
    assert table == [
        ("Conv2d", (20, 28, 28), (20, 1, 5, 5)),
        ("ReLU", (20, 28, 28), None),
        ("MaxPool2d", (20, 14, 14), None),
        ("Conv2d", (50, 14, 14), (50, 20, 5, 5)),
        ("ReLU", (50, 14, 14), None),
        ("MaxPool2d", (50, 7, 7), None),
        ("Flatten", (2450,), None),
        ("Linear", (500,), (500, 2450)),
        ("ReLU", (500,), None),
        ("Linear", (10,), (10, 500)),
    ]
    assert [r.params for r in s.rows if r.params] == [520, 25_050, 1_225_500, 5_010]
    assert [r.mult_adds for r in s.rows if r.mult_adds] == [392_000, 4_900_000, 1_225_000, 5_000]
    assert s.total_params == 1_256_080


def test_grouped_and_strided_conv_and_batched_linear_counts():
    conv = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=4)
    s = nn.summary(nn.Sequential(conv), (8, 10, 10), print_fn=None)
    assert s.rows[0].output_shape == (16, 5, 5)
    assert s.rows[0].mult_adds == 16 * 5 * 5 * (8 // 4) * 9
    s = nn.summary(nn.Sequential(nn.Linear(6, 4)), (3, 6), print_fn=None)  # 3 rows per sample
    assert s.rows[0].mult_adds == 3 * 6 * 4


def test_resnet18_totals_and_the_model_is_left_as_it_was():
    model = models.ResNet18()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    model.layer1.eval()
    s = nn.summary(model, (3, 32, 32), print_fn=None)
    assert s.total_params == s.trainable_params == 11_173_962
    assert s.rows[0].name == "conv1" and s.rows[-1].name == "fc" and s.rows[-1].output_shape == (10,)
    assert sum(r.params for r in s.rows) == s.total_params
    stem = 64 * 32 * 32 * 3 * 9
    layer1 = 4 * 64 * 32 * 32 * 64 * 9
    later = (lambda c, hw: c * hw * (c // 2) * 9 + 3 * c * hw * c * 9 + c * hw * (c // 2))  # first conv, 3 more, 1×1
    expected = stem + layer1 + later(128, 16 * 16) + later(256, 8 * 8) + later(512, 4 * 4) + 512 * 10
    assert s.total_mult_adds == expected == 555_422_720  # the "0.56 GMACs" usually quoted
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    assert model.training and model.layer2.training and not model.layer1[0].bn1.training
    assert all(not m._forward_hooks for m in model.modules())


def test_frozen_parameters_count_as_non_trainable():
    model = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    model[0].requires_grad_(False)
    s = nn.summary(model, (4,), print_fn=None)
    assert (s.total_params, s.trainable_params) == (23, 8)


def test_printed_table(capsys):
    nn.summary(nn.Sequential(nn.Conv2d(3, 10, 5, padding=2), nn.ReLU()), (3, 32, 32))
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["Layer", "Type", "Output", "shape", "Weight", "shape", "Params", "Mult-adds"]
    assert "10 × 32 × 32" in lines[3] and lines[3].split()[-2:] == ["760", "768,000"]
    assert "Total params: 760" in out and "Mult-adds per sample: 768,000" in out
