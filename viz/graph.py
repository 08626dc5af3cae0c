"""The computation graph behind a Scalar or Tensor, read off ``node._op.inputs`` and never changed.

    graph = read_graph(f)          # f = y·log x + √(y·log x)
    graph.values                   # x, y, a, b, c, f   (inputs before outputs; constants too)
    graph.ops                      # log, ·, √, +       (in the order their outputs are computed)

Each value node gets a display name (its ``.name``, a parameter's dotted name, "output" for an unnamed
root, or v1, v2, ... in evaluation order, as ``mg.trace`` numbers them when only the inputs are named) and a kind: output (a root), intermediate (made by an op),
parameter (an nn.Parameter), input (any other leaf: variables, and data such as a batch of images,
named "input" when unnamed) or constant (an unnamed number that an op lifted, such as the 2 in
``x * 2``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from minigrad import autodiff
from minigrad.scalar import Scalar

KINDS = ("input", "parameter", "constant", "intermediate", "output")


@dataclass
class Graph:
    roots: list
    values: list                                 # value nodes, inputs before outputs
    ops: list                                    # ops, in the order their outputs are computed
    names: dict = field(default_factory=dict)    # id(value) -> display name ("" for constants)
    kinds: dict = field(default_factory=dict)    # id(value) -> one of KINDS

    def name(self, node) -> str:
        return self.names[id(node)]

    def kind(self, node) -> str:
        return self.kinds[id(node)]

    @property
    def is_scalar(self) -> bool:
        return all(isinstance(v, Scalar) for v in self.values)


def _as_list(roots) -> list:
    return list(roots) if isinstance(roots, (list, tuple)) else [roots]


def _is_parameter(node, parameter_ids) -> bool:
    return id(node) in parameter_ids or type(node).__name__ == "Parameter"


def read_graph(roots, parameter_names: dict | None = None, names: dict | None = None) -> Graph:
    """Walk the graph of ``roots``: every node that requires grad (``autodiff.toposort``) plus the
    constants that ops read.

    ``parameter_names`` maps id(parameter) -> dotted name (from ``model.named_parameters()``);
    ``names`` maps id(node) -> a name that overrides everything else (``viz.steps`` passes the
    names of ``mg.trace``).
    """
    roots = _as_list(roots)
    for r in roots:
        if not isinstance(r, autodiff.Node):
            raise TypeError(f"viz: expected a Scalar or Tensor to draw, got {type(r).__name__}")
    parameter_names = parameter_names or {}
    names = names or {}
    order = autodiff.toposort(roots)
    seen = {id(n) for n in order}
    values, ops = [], []
    for node in order:
        if node._op is not None:
            for x in node._op.inputs:
                if id(x) not in seen:
                    seen.add(id(x))
                    values.append(x)
            ops.append(node._op)
        values.append(node)
    for r in roots:
        if id(r) not in seen:
            seen.add(id(r))
            values.append(r)

    graph = Graph(roots, values, ops)
    root_ids = {id(r) for r in roots}
    counter = 0
    data_inputs = [v for v in values if not v.requires_grad and not v.name and v.size > 1]
    for node in values:
        if id(node) in root_ids:
            kind = "output"
        elif not node.requires_grad:
            kind = "input" if node.name or node.size > 1 else "constant"
        elif node._op is not None:
            kind = "intermediate"
        else:
            kind = "parameter" if _is_parameter(node, parameter_names) else "input"
        graph.kinds[id(node)] = kind
        name = names.get(id(node)) or parameter_names.get(id(node)) or node.name
        if not name and kind == "output":
            position = next(i for i, r in enumerate(roots) if r is node)
            name = "output" if len(roots) == 1 else f"output{position + 1}"
        elif not name and kind == "input" and not node.requires_grad:
            position = next(i for i, d in enumerate(data_inputs) if d is node)
            name = "input" if len(data_inputs) == 1 else f"input{position + 1}"
        elif not name and kind != "constant":
            counter += 1
            name = f"v{counter}"
        graph.names[id(node)] = name or ""
    return graph


def consumers(graph: Graph) -> dict:
    """id(value) -> the ops that read it."""
    out = {id(v): [] for v in graph.values}
    for op in graph.ops:
        for x in op.inputs:
            out[id(x)].append(op)
    return out
