"""Gradient flow: how much gradient travels along each edge of a graph, and the colour that shows it.

The gradients come from a reverse pass of our own that changes nothing (no ``.grad``, no freeing):
in reverse topological order, each op's ``vjp`` turns its output's adjoint into one contribution per
input, exactly as ``backprop`` would. ``backward()`` need not have been called.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import matplotlib
import matplotlib.colors

from minigrad import autodiff

from . import style
from .labels import gradient_norm, number


@dataclass
class Flow:
    adjoints: dict = field(default_factory=dict)   # id(node) -> ∂root/∂node
    edges: dict = field(default_factory=dict)      # (id(op), input index) -> the contribution to that input


def gradient_flow(graph) -> Flow:
    """The adjoint of every node and the gradient along every input edge, seeded with ones at the roots."""
    flow = Flow()
    for r in graph.roots:
        flow.adjoints[id(r)] = r.ones_like()
    with autodiff.no_grad():
        for node in reversed(graph.values):
            g, op = flow.adjoints.get(id(node)), node._op
            if g is None or op is None:
                continue
            try:
                grads = op.vjp(g)
            except Exception as e:
                if op.freed:
                    raise RuntimeError(f"viz: cannot recompute the gradient through {op.name}: backward() freed "
                                       "its saved values; call backward(retain_graph=True) or draw before "
                                       "backward") from e
                raise
            grads = grads if isinstance(grads, tuple) else (grads,)
            for i, (x, gx, need) in enumerate(zip(op.inputs, grads, op.needs_grad)):
                if need and gx is not None:
                    flow.edges[(id(op), i)] = gx
                    flow.adjoints[id(x)] = gx if id(x) not in flow.adjoints else flow.adjoints[id(x)] + gx
    return flow


class FlowColors:
    """Colour and width of an edge from its gradient norm: log scale between the smallest and largest
    non-zero norm of the graph; vanishing (< 1e-7 of the largest) and exploding (> 1e3) are marked."""

    def __init__(self, norms):
        positive = [n for n in norms if n > 0 and math.isfinite(n)]
        self.high = max(positive, default=1.0)
        self.low = min((n for n in positive if not self.vanishing(n)), default=self.high)
        self.cmap = matplotlib.colormaps[style.FLOW_COLORMAP]

    def position(self, n: float) -> float:
        """Where ``n`` lies between the smallest and largest norm, 0..1 on a log scale."""
        if self.high <= self.low:
            return 1.0
        t = (math.log10(n) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        return min(max(t, 0.0), 1.0)

    def vanishing(self, n: float) -> bool:
        return n < style.VANISHING_RELATIVE * self.high

    @staticmethod
    def exploding(n: float) -> bool:
        return n > style.EXPLODING or not math.isfinite(n)

    def color(self, t: float) -> str:
        lo, hi = style.FLOW_COLORMAP_RANGE
        return matplotlib.colors.to_hex(self.cmap(lo + (hi - lo) * t))

    def edge_attrs(self, n: float) -> dict:
        if self.exploding(n):
            return dict(color=style.ALARM, penwidth=str(style.FLOW_PENWIDTH[1] + 1), style="bold",
                        label=f"exploding {number(n, 2)}", fontcolor=style.ALARM)
        if self.vanishing(n):
            return dict(color=style.ALARM, penwidth="1.5", style="dashed",
                        label=f"vanishing {number(n, 2)}", fontcolor=style.ALARM)
        t = self.position(n)
        w0, w1 = style.FLOW_PENWIDTH
        return dict(color=self.color(t), penwidth=f"{w0 + (w1 - w0) * t:.2f}")

    def colorbar(self, steps: int = 6) -> list:
        """(colour, norm) pairs from the smallest to the largest norm, for the legend."""
        if self.high <= self.low:
            return [(self.color(1.0), self.high)]
        lo, hi = math.log10(self.low), math.log10(self.high)
        return [(self.color(i / (steps - 1)), 10 ** (lo + (hi - lo) * i / (steps - 1))) for i in range(steps)]


def edge_norms(flow: Flow) -> dict:
    return {key: gradient_norm(g) for key, g in flow.edges.items()}
