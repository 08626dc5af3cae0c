"""The seed examples reproduce the lecture notes' numbers (each example is loaded from examples/ and run)."""
import numpy as np
import pytest

import minigrad as mg


def test_cross_correlation_19_25_37_43(capsys, load_example):
    example = load_example("cross_correlation")
    y, y_layer, dx, dk = example.cross_correlation()
    assert y == y_layer == [[19, 25], [37, 43]]
    # L = ΣY: each pixel collects the kernel weights of the windows that see it; each weight the pixels it sees
    assert dx == [[0, 1, 1], [2, 6, 4], [2, 5, 3]]
    assert dk == [[0 + 1 + 3 + 4, 1 + 2 + 4 + 5], [3 + 4 + 6 + 7, 4 + 5 + 7 + 8]]
    example.main()
    out = capsys.readouterr().out
    assert "19    25" in out and "37    43" in out


def test_conv_shapes_760_parameters_768000_multiply_adds(capsys, load_example):
    example = load_example("conv_shapes")
    assert example.conv_example() == ((10, 32, 32), 760, 768_000)
    assert example.small_examples() == {(7, 3, 0, 1): 5, (7, 3, 1, 1): 7, (7, 3, 0, 2): 3}
    example.main()
    out = capsys.readouterr().out
    assert "10 × 32 × 32" in out and "= 760" in out and "768,000" in out


def test_lenet5_table_of_the_lecture(capsys, load_example):
    example = load_example("lenet5_table")
    rows, summary = example.lenet5_table()
    assert rows == [
        ("Input", "1 × 28 × 28", ""),
        ("Conv (Cout=20, K=5, P=2, S=1)", "20 × 28 × 28", "20 × 1 × 5 × 5"),
        ("ReLU", "20 × 28 × 28", ""),
        ("MaxPool (K=2, S=2)", "20 × 14 × 14", ""),
        ("Conv (Cout=50, K=5, P=2, S=1)", "50 × 14 × 14", "50 × 20 × 5 × 5"),
        ("ReLU", "50 × 14 × 14", ""),
        ("MaxPool (K=2, S=2)", "50 × 7 × 7", ""),
        ("Flatten", "2450", ""),
        ("Linear (2450 → 500)", "500", "2450 × 500"),
        ("ReLU", "500", ""),
        ("Linear (500 → 10)", "10", "500 × 10"),
    ]
    assert summary.total_params == 20 * 25 + 20 + 50 * 20 * 25 + 50 + 2450 * 500 + 500 + 500 * 10 + 10
    example.main()
    assert "Total params: 61,706" in capsys.readouterr().out  # the classic tanh LeNet-5 printed after it


def test_nin_pooling_32_to_16(capsys, load_example):
    example = load_example("nin_pooling")
    assert example.pooled_sizes(32) == (15, 16)
    floor, ceil = example.small_example()
    assert floor == [[14, 16], [26, 28]]
    assert ceil == [[14, 16, 17], [26, 28, 29], [32, 34, 35]]
    assert [shape for _, shape in example.nin_sizes()] == [(96, 16, 16), (192, 8, 8), (10, 1, 1)]
    example.main()
    assert "ceil_mode=True → 16×16" in capsys.readouterr().out


def test_batchnorm_modes(capsys, load_example):
    example = load_example("batchnorm_modes")
    mg.manual_seed(0)
    running = 0.0
    for step, batch_mean, running_mean, expected in example.running_averages():
        running = 0.9 * running + 0.1 * batch_mean
        assert running_mean == pytest.approx(running, rel=1e-5)
        assert expected == pytest.approx((1 - 0.9 ** step) * 3.0)
    stats = example.train_versus_eval()
    np.testing.assert_allclose(stats["train"][0], 0, atol=1e-5)
    np.testing.assert_allclose(stats["train"][1], 1, rtol=1e-3)
    np.testing.assert_allclose(stats["eval"][0], 0, atol=0.1)  # running statistics close to the truth
    assert np.abs(stats["eval"][0]).max() > 1e-4  # ... but not the batch's own
    difference, before, after, _ = example.fusion()
    assert difference < 1e-5 and (before, after) == (2, 0)
    example.main()
    assert "BatchNorm2d layers 2 → 0" in capsys.readouterr().out
