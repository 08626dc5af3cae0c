"""The 2-D cross-correlation worked example of the lecture (STATS 507, after d2l.ai):

    input 0..8 as 3×3, kernel 0..3 as 2×2  →  output 19 25 / 37 43

    0·0 + 1·1 + 3·2 + 4·3 = 19      1·0 + 2·1 + 4·2 + 5·3 = 25
    3·0 + 4·1 + 6·2 + 7·3 = 37      4·0 + 5·1 + 7·2 + 8·3 = 43

computed with F.conv2d (which, like every deep-learning "convolution", is a cross-correlation) and
with an nn.Conv2d layer whose weight is set to the kernel. Also shows the gradients that backprop
sends to the input and the kernel for the loss sum(Y).

    python examples/cross_correlation.py
"""
import minigrad as mg
import minigrad.nn.functional as F
from minigrad import nn


def cross_correlation():
    """(Y from F.conv2d, Y from nn.Conv2d, dL/dX, dL/dK) for L = sum(Y), as nested lists."""
    x = mg.arange(9, dtype=mg.float32).reshape(1, 1, 3, 3).requires_grad_()
    k = mg.arange(4, dtype=mg.float32).reshape(1, 1, 2, 2).requires_grad_()
    y = F.conv2d(x, k)
    y.sum().backward()

    layer = nn.Conv2d(1, 1, kernel_size=2, bias=False)
    with mg.no_grad():
        layer.weight.copy_(k.detach())
    y_layer = layer(x.detach())
    return (y.numpy()[0, 0].tolist(), y_layer.detach().numpy()[0, 0].tolist(),
            x.grad.numpy()[0, 0].tolist(), k.grad.numpy()[0, 0].tolist())


def grid(rows):
    return "\n".join("   " + "  ".join(f"{v:4g}" for v in row) for row in rows)


def main():
    y, y_layer, dx, dk = cross_correlation()
    print("X = 0..8 (3×3),  K = 0..3 (2×2)\n")
    print(f"Y = X ⋆ K with F.conv2d:\n{grid(y)}\n")
    print(f"Y with nn.Conv2d(1, 1, 2, bias=False), weight = K:\n{grid(y_layer)}\n")
    print(f"dL/dX for L = ΣY (how many windows see each pixel, weighted by K):\n{grid(dx)}\n")
    print(f"dL/dK for L = ΣY (the sum of the pixels each weight sees):\n{grid(dk)}")


if __name__ == "__main__":
    main()
