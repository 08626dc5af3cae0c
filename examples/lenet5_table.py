"""The LeNet-5 layer table of the lecture (IIT Patna, after LeCun et al. 1998 and cs231n), from nn.summary:

    Layer                            Output Size   Weight Size
    Input                            1 × 28 × 28
    Conv (Cout=20, K=5, P=2, S=1)    20 × 28 × 28  20 × 1 × 5 × 5
    ReLU                             20 × 28 × 28
    MaxPool (K=2, S=2)               20 × 14 × 14
    Conv (Cout=50, K=5, P=2, S=1)    50 × 14 × 14  50 × 20 × 5 × 5
    ReLU                             50 × 14 × 14
    MaxPool (K=2, S=2)               50 × 7 × 7
    Flatten                          2450
    Linear (2450 → 500)              500           2450 × 500
    ReLU                             500
    Linear (500 → 10)                10            500 × 10

(The lecture writes a Linear weight as in × out; minigrad and PyTorch store it as out × in.) Then the
full ``nn.summary`` with parameter counts and multiply-adds, and the same for the classic tanh LeNet-5.

    python examples/lenet5_table.py
"""
from minigrad import models, nn


def describe(layer) -> str:
    """The lecture's name for a layer of models.LeNet5("relu")."""
    if isinstance(layer, nn.Conv2d):
        return (f"Conv (Cout={layer.out_channels}, K={layer.kernel_size[0]}, P={layer.padding[0]}, "
                f"S={layer.stride[0]})")
    if isinstance(layer, nn.MaxPool2d):
        return f"MaxPool (K={layer.kernel_size}, S={layer.stride})"
    if isinstance(layer, nn.Linear):
        return f"Linear ({layer.in_features} → {layer.out_features})"
    return type(layer).__name__


def weight_size(row) -> str:
    if row.weight_shape is None:
        return ""
    shape = row.weight_shape[::-1] if row.type == "Linear" else row.weight_shape
    return " × ".join(map(str, shape))


def lenet5_table():
    """[(layer, output size, weight size)] as the lecture writes them, from nn.summary of LeNet5("relu")."""
    model = models.LeNet5("relu")
    s = nn.summary(model, (1, 28, 28), print_fn=None)
    modules = dict(model.named_modules())
    rows = [("Input", "1 × 28 × 28", "")]
    for row in s.rows:
        rows.append((describe(modules[row.name]), " × ".join(map(str, row.output_shape)), weight_size(row)))
    return rows, s


def main():
    rows, s = lenet5_table()
    widths = [max(len(r[i]) for r in rows + [("Layer", "Output Size", "Weight Size")]) for i in range(3)]
    for r in [("Layer", "Output Size", "Weight Size")] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print("\nnn.summary(models.LeNet5('relu'), (1, 28, 28)):\n")
    print(s)
    print("\nnn.summary(models.LeNet5('classic'), (1, 28, 28)):  (STATS 507: tanh and max-pooling)\n")
    nn.summary(models.LeNet5("classic"), (1, 28, 28))


if __name__ == "__main__":
    main()
