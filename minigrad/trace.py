"""``mg.trace(fn, *inputs)``: the step tables of the lecture, for both modes of autodiff.

Forward mode: one row per node in evaluation (topological) order with its formula, its value and its
tangent with respect to each input (∂node/∂x, ∂node/∂y, ...), each computed from the rows above by
the op's JVP rule.

Reverse mode: one row per node in reverse topological order with its adjoint ∂f/∂node, and for each
input of its op the contribution "upstream × local = downstream" that backprop adds to that input.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import autodiff
from .autodiff import enable_grad, no_grad
from .scalar import Scalar


def _fmt(v) -> str:
    if v is None:
        return "—"
    data = v.data if isinstance(v, Scalar) else (v.numpy() if hasattr(v, "numpy") else v)
    if isinstance(data, (float, int)) or np.ndim(data) == 0:
        return f"{float(data):.6g}"
    arr = np.asarray(data)
    if arr.size <= 4:
        return np.array2string(arr, precision=4, separator=", ").replace("\n", "")  # one line per table cell
    return f"{arr.shape} mean {arr.mean():.4g}"


@dataclass
class ForwardRow:
    node: object
    name: str
    formula: str
    value: object
    tangents: dict  # input name -> tangent


@dataclass
class Contribution:
    input: str
    upstream: object
    local: object  # ∂node/∂input (Scalars) or None for tensors
    downstream: object


@dataclass
class ReverseRow:
    node: object
    name: str
    adjoint: object
    contributions: list = field(default_factory=list)


class Trace:
    """The two step tables; ``str(trace)`` is plain text, ``trace.markdown()`` is Markdown."""

    def __init__(self, inputs, output, forward_rows, reverse_rows):
        self.inputs, self.output = inputs, output
        self.forward_rows, self.reverse_rows = forward_rows, reverse_rows
        self.input_names = [r.name for r in forward_rows[:len(inputs)]]

    @property
    def value(self):
        return self.output

    def gradients(self) -> dict:
        """∂f/∂input for each input, as read off the last rows of both tables."""
        adj = {r.name: r.adjoint for r in self.reverse_rows}
        return {n: adj.get(n) for n in self.input_names}

    def _tables(self):
        fwd_head = ["step", "node", "formula", "value"] + [f"∂/∂{n}" for n in self.input_names]
        fwd = [[str(i), r.name, r.formula, _fmt(r.value)] + [_fmt(r.tangents.get(n)) for n in self.input_names]
               for i, r in enumerate(self.forward_rows)]
        rev_head = ["step", "node", "adjoint ∂f/∂node", "upstream × local = downstream"]
        rev = []
        for i, r in enumerate(self.reverse_rows):
            parts = [f"→ {c.input}: {_fmt(c.upstream)} × {_fmt(c.local)} = {_fmt(c.downstream)}"
                     if c.local is not None else f"→ {c.input}: {_fmt(c.downstream)}" for c in r.contributions]
            rev.append([str(i), r.name, _fmt(r.adjoint), "; ".join(parts) or "(input)"])
        return (fwd_head, fwd), (rev_head, rev)

    @staticmethod
    def _text(head, rows):
        widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
        line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
        return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])

    @staticmethod
    def _md(head, rows):
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(out)

    def __str__(self):
        (fh, f), (rh, r) = self._tables()
        return ("Forward mode (evaluation order; tangents by each op's JVP rule)\n" + self._text(fh, f) +
                "\n\nReverse mode (reverse topological order; adjoints by each op's VJP rule)\n" + self._text(rh, r))

    def markdown(self) -> str:
        (fh, f), (rh, r) = self._tables()
        return ("**Forward mode**\n\n" + self._md(fh, f) + "\n\n**Reverse mode**\n\n" + self._md(rh, r))

    def _repr_markdown_(self):
        return self.markdown()

    def print(self):
        print(self)


def _names(order, inputs):
    names, counter = {}, 0
    for i, x in enumerate(inputs):
        names[id(x)] = x.name or f"x{i + 1}"
    for node in order:
        if id(node) not in names:
            counter += 1
            names[id(node)] = node.name or f"v{counter}"
    return names


def trace(fn, *inputs) -> Trace:
    """Evaluate ``fn(*inputs)`` and tabulate forward mode and reverse mode, step by step."""
    for x in inputs:
        if not isinstance(x, autodiff.Node):
            raise TypeError(f"trace() takes Scalars or Tensors as inputs, got {type(x).__name__}")
    xs = [x if x.requires_grad and x.is_leaf else x.detach().requires_grad_().named(x.name) for x in inputs]
    with enable_grad():
        out = fn(*xs)
    order = autodiff.toposort([out])
    names = _names(order, xs)
    input_names = [names[id(x)] for x in xs]

    # forward mode: one sweep per input direction
    tangents = {id(n): {} for n in order}
    with no_grad():
        for x, xn in zip(xs, input_names):
            for other, on in zip(xs, input_names):
                tangents[id(other)][xn] = other.ones_like() if other is x else other.zeros_like()
            seeds = [x2.ones_like() if x2 is x else x2.zeros_like() for x2 in xs]

            def record(node, op, t, xn=xn):
                tangents[id(node)][xn] = t

            autodiff.forward_sweep([out], xs, seeds, on_step=record)
    forward_rows = []
    for x, xn in zip(xs, input_names):
        forward_rows.append(ForwardRow(x, xn, "input", x, tangents[id(x)]))
    for node in order:
        if node._op is None or any(node is x for x in xs):
            continue
        formula = node._op.formula(*[names.get(id(p), _fmt(p)) for p in node._op.inputs])
        forward_rows.append(ForwardRow(node, names[id(node)], formula, node, tangents[id(node)]))

    # reverse mode: adjoints in reverse topological order
    adjoint = {id(out): out.ones_like()}
    reverse_rows = []
    with no_grad():
        for node in reversed(order):
            g = adjoint.get(id(node))
            row = ReverseRow(node, names[id(node)], g)
            op = node._op
            if op is not None and g is not None and not any(node is x for x in xs):
                grads = op.vjp(g)
                grads = grads if isinstance(grads, tuple) else (grads,)
                locals_ = op.vjp(node.ones_like()) if node.size == 1 else (None,) * len(grads)
                locals_ = locals_ if isinstance(locals_, tuple) else (locals_,)
                for p, gp, lp, need in zip(op.inputs, grads, locals_, op.needs_grad):
                    if not need or gp is None:
                        continue
                    row.contributions.append(Contribution(names.get(id(p), "?"), g, lp if node.size == 1 else None, gp))
                    adjoint[id(p)] = gp if id(p) not in adjoint else adjoint[id(p)] + gp
            reverse_rows.append(row)
    return Trace(xs, out, forward_rows, reverse_rows)
