"""The lecture's computation-graph example in both modes of autodiff:

    f(x, y) = y·log x + √(y·log x)   at x = 3, y = 2,

with the named steps a = log x, b = y·a, c = √b, f = c + b. Prints the forward-mode table (each
node's value and its tangents ∂/∂x, ∂/∂y) and the reverse-mode table (each node's adjoint ∂f/∂node
and what it passes to its inputs), then the gradient.

    python examples/autodiff_modes.py              # plain text
    python examples/autodiff_modes.py --markdown   # Markdown tables
"""
import argparse

import minigrad as mg


def f(x, y):
    a = x.log().named("a")
    b = (y * a).named("b")
    c = b.sqrt().named("c")
    return (c + b).named("f")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables instead of plain text")
    args = parser.parse_args(argv)

    x, y = mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")
    steps = mg.trace(f, x, y)
    print(steps.markdown() if args.markdown else steps)
    grads = steps.gradients()
    print(f"\nf(3, 2) = {steps.value.data:.10f}   ∂f/∂x = {grads['x'].data:.10f}   ∂f/∂y = {grads['y'].data:.10f}")


if __name__ == "__main__":
    main()
