"""Max-pooling with ``ceil_mode`` as used by Network in Network (Ryu, ch. 3):

    max-pool f = 3, s = 2 on 32×32:  (32 - 3)/2 + 1 = 15.5
    PyTorch's default rounds down (15×15); ceil_mode=True rounds up (16×16): the last window starts
    at 30 and hangs one pixel over the edge (it just sees fewer values).

A 6×6 example shows which windows appear, then the sizes through models.NiN: 32 → 16 → 8 → 1.

    python examples/nin_pooling.py
"""
import minigrad as mg
from minigrad import models, nn


def pooled_sizes(size: int = 32):
    """(floor-mode size, ceil-mode size) of MaxPool2d(3, stride=2) on a size×size input."""
    x = mg.zeros(1, 1, size, size)
    return nn.MaxPool2d(3, stride=2)(x).shape[-1], nn.MaxPool2d(3, stride=2, ceil_mode=True)(x).shape[-1]


def small_example():
    """MaxPool2d(3, 2) of 0..35 as 6×6, without and with ceil_mode, as nested lists."""
    x = mg.arange(36, dtype=mg.float32).reshape(1, 1, 6, 6)
    floor = nn.MaxPool2d(3, stride=2)(x).numpy()[0, 0].tolist()
    ceil = nn.MaxPool2d(3, stride=2, ceil_mode=True)(x).numpy()[0, 0].tolist()
    return floor, ceil


def nin_sizes():
    """[(layer name, output size)] of the pooling layers of models.NiN on a 3×32×32 image."""
    model = models.NiN(num_classes=10)
    s = nn.summary(model, (3, 32, 32), print_fn=None)
    return [(r.name, r.output_shape) for r in s.rows if "Pool" in r.type]


def main():
    floor, ceil = pooled_sizes()
    print(f"MaxPool2d(3, stride=2) on 32×32: (32 - 3)/2 + 1 = {(32 - 3) / 2 + 1}")
    print(f"  ceil_mode=False → {floor}×{floor}      ceil_mode=True → {ceil}×{ceil}\n")
    floor_rows, ceil_rows = small_example()
    print("The same pooling on 0..35 as 6×6 ((6 - 3)/2 + 1 = 2.5):")
    print("  floor:", floor_rows)
    print("  ceil: ", ceil_rows, "  (the third window column/row covers only 2 pixels)\n")
    print("Pooling layers of models.NiN on 3×32×32:")
    for name, shape in nin_sizes():
        print(f"  {name:<12} → {' × '.join(map(str, shape))}")


if __name__ == "__main__":
    main()
