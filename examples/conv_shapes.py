"""The convolution example of the lecture (IIT Patna, after cs231n):

    input volume 3×32×32, ten 5×5 filters, stride 1, pad 2
    output volume: (32 + 2·2 - 5)/1 + 1 = 32 spatially, so 10×32×32
    learnable parameters: 10 · (3·5·5 + 1) = 760
    multiply-adds: 10·32·32 = 10,240 outputs, each a 3·5·5 = 75-element dot product: 768,000

The same numbers read off ``nn.summary`` of an ``nn.Conv2d(3, 10, 5, stride=1, padding=2)``, plus the
lecture's smaller output-size examples (7×7 input, 3×3 filter, with and without padding and stride).

    python examples/conv_shapes.py
"""
import minigrad as mg
from minigrad import nn


def output_size(w: int, k: int, p: int, s: int) -> int:
    """(W - K + 2P)/S + 1."""
    return (w - k + 2 * p) // s + 1


def conv_example():
    """(output shape, parameters, multiply-adds) of ten 5×5 filters on 3×32×32, stride 1, pad 2, from nn.summary."""
    layer = nn.Conv2d(3, 10, kernel_size=5, stride=1, padding=2)
    s = nn.summary(layer, (3, 32, 32), print_fn=None)
    return s.rows[0].output_shape, s.total_params, s.total_mult_adds


def small_examples():
    """{(W, K, P, S): output size} for the lecture's 7×7 / 3×3 cases, checked against a real Conv2d."""
    sizes = {}
    for p, s in [(0, 1), (1, 1), (0, 2)]:
        out = nn.Conv2d(1, 1, 3, stride=s, padding=p)(mg.zeros(1, 1, 7, 7))
        sizes[(7, 3, p, s)] = out.shape[-1]
        assert out.shape[-1] == output_size(7, 3, p, s)
    return sizes


def main():
    shape, params, mult_adds = conv_example()
    print("Input volume 3×32×32; ten 5×5 filters, stride 1, pad 2\n")
    volume = " × ".join(map(str, shape))
    print(f"output size (32 + 2·2 - 5)/1 + 1 = {output_size(32, 5, 2, 1)}  →  output volume {volume}")
    print(f"parameters: 10 · (3·5·5 + 1) = {params:,}")
    print(f"multiply-adds: 10·32·32 outputs · 75 = {mult_adds:,}\n")
    nn.summary(nn.Conv2d(3, 10, 5, stride=1, padding=2), (3, 32, 32))
    print("\nInput 7×7, filter 3×3:")
    for (w, k, p, s), n in small_examples().items():
        print(f"  padding {p}, stride {s}: output {n}×{n}")


if __name__ == "__main__":
    main()
