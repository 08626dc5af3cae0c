"""``mg.listing(fn, *inputs)``: the recorded program as text, one line per op, like JAX's jaxpr.

    >>> print(mg.listing(f, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), backward=True))
    { lambda x y.
        a = log x
        b = mul y a
        c = sqrt b
        f = add c b
      backward (the gradient program, recorded with create_graph):
        g1 = div 1 c
        ...
        g4 = add 1 g3          # b is read twice: its two terms are summed
      in (f, ∂f/∂x = g7, ∂f/∂y = g5) }

A line is ``out = op inputs [attributes]``; unnamed values are v1, v2, ... (as ``mg.trace`` numbers
them), backward values g1, g2, ...; constants are written as numbers. The inputs are never changed: the
program is recorded on copies, and the gradients with ``mg.autodiff.grad`` (not ``.backward()``).
"""
from __future__ import annotations

import numpy as np

from . import autodiff
from .autodiff import enable_grad
from .scalar import Scalar

def _constant(node) -> str:
    data = node.data if isinstance(node, Scalar) else node.numpy()
    arr = np.asarray(data)
    if arr.size == 1:
        return f"{float(arr.ravel()[0]):.6g}"
    return f"const[{'×'.join(map(str, arr.shape))}]"


def _attributes(op) -> str:
    shown = []
    for key, value in vars(op).items():
        if key.startswith("_") or key in autodiff.Op.BOOKKEEPING:
            continue
        if isinstance(value, (bool, int, float, str, tuple, type(None))):
            shown.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")
    return f" [{', '.join(shown)}]" if shown else ""


class Listing:
    """The lines of a recorded program; ``str()`` is the whole text, ``.lines`` one line per op."""

    def __init__(self, inputs: list, lines: list, backward_lines: list, results: list):
        self.inputs, self.lines, self.backward_lines, self.results = inputs, lines, backward_lines, results

    def __str__(self):
        out = ["{ lambda " + " ".join(self.inputs) + "."] + [f"    {line}" for line in self.lines]
        if self.backward_lines:
            out.append("  backward (the gradient program, recorded with create_graph):")
            out += [f"    {line}" for line in self.backward_lines]
        results = ", ".join(self.results)
        out.append(f"  in ({results}) }}" if len(self.results) > 1 else f"  in {results} }}")
        return "\n".join(out)

    __repr__ = __str__


class _Namer:
    def __init__(self):
        self.names, self.counters = {}, {}

    def assign(self, node, preferred: str | None, prefix: str) -> str:
        if id(node) not in self.names:
            if not preferred:
                self.counters[prefix] = self.counters.get(prefix, 0) + 1
                preferred = f"{prefix}{self.counters[prefix]}"
            self.names[id(node)] = preferred
        return self.names[id(node)]

    def of(self, node) -> str:
        return self.names.get(id(node)) or _constant(node)


def _line(op, namer) -> str:
    args = " ".join(namer.of(x) for x in op.inputs)
    return f"{namer.of(op.out)} = {op.name} {args}{_attributes(op)}"


def listing(fn, *inputs, backward: bool = False) -> Listing:
    """The ops ``fn(*inputs)`` records, one line each; with ``backward=True`` also the ops of the gradient
    computation of the (one-element) result with respect to every input (create_graph), including the
    adds that sum the terms of a value read more than once."""
    for x in inputs:
        if not isinstance(x, autodiff.Node):
            raise TypeError(f"listing() takes Scalars or Tensors as inputs, got {type(x).__name__}")
    if not inputs:
        raise ValueError("listing() needs at least one input to trace from")
    xs = [x.detach().requires_grad_().named(x.name) for x in inputs]
    with enable_grad():
        out = fn(*xs)
    if not isinstance(out, autodiff.Node) or out._op is None:
        raise ValueError("listing(): fn must return a Scalar or Tensor computed from its inputs")
    namer = _Namer()
    for i, x in enumerate(xs):
        namer.assign(x, x.name or f"x{i + 1}", "x")
    order = autodiff.toposort([out])
    lines = []
    for node in order:
        if node._op is not None:
            namer.assign(node, node.name, "v")
            lines.append(_line(node._op, namer))
    results = [namer.of(out)]
    backward_lines = []
    if backward:
        if out.size != 1:
            raise ValueError(f"listing(backward=True) needs a one-element result; fn returned shape {out.shape}")
        forward_ids = {id(n) for n in order}
        grads = autodiff.grad(out, xs, create_graph=True)
        for node in autodiff.toposort([g for g in grads if g.requires_grad]):
            if node._op is not None and id(node) not in forward_ids:
                namer.assign(node, None, "g")
                backward_lines.append(_line(node._op, namer))
        root = namer.of(out)
        results += [f"∂{root}/∂{namer.of(x)} = {namer.of(g)}" for x, g in zip(xs, grads)]
    return Listing([namer.of(x) for x in xs], lines, backward_lines, results)
