"""``mg.trace(fn, *inputs)``: the step tables of the lecture, for both modes of autodiff.

Forward mode: one row per node in evaluation (topological) order with its formula, its value and its
tangent with respect to each input (∂node/∂x, ∂node/∂y, ...), each computed from the rows above by
the op's JVP rule.

Reverse mode: one row per node in reverse topological order with its adjoint ∂f/∂node, and for each
input of its op the contribution "upstream × local = downstream" that backprop adds to that input.
A node read by several ops (or twice by one, as in ``x * x``) sums what arrives, term by term in the
order the terms arrive: "∂f/∂b = 1 + 0.3373 = 1.337" (``ReverseRow.terms``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import autodiff
from .autodiff import enable_grad, no_grad
from .scalar import Scalar
from .tensor import tensor


DIGITS = 6
SHOWN_ENTRIES = 4          # tensors up to this size print every entry; larger ones a summary
FULL_ENTRIES = 256         # with show="full"
PER_ELEMENT_INPUTS = 4     # Tensor inputs up to this size get one forward direction per element


def _fmt(v, digits: int = DIGITS, full: bool = False) -> str:
    if v is None:
        return "—"
    data = v.data if isinstance(v, Scalar) else (v.numpy() if hasattr(v, "numpy") else v)
    if isinstance(data, (float, int)) or np.ndim(data) == 0:
        return f"{float(data) + 0.0:.{digits}g}"
    arr = np.asarray(data)
    if arr.size <= (FULL_ENTRIES if full else SHOWN_ENTRIES):
        return _nested(arr, digits)
    arr = arr.astype(np.float64)
    return f"{'×'.join(map(str, arr.shape))}: norm {np.linalg.norm(arr):.{digits}g} max|·| {np.abs(arr).max():.{digits}g}"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_LATEX_SYMBOLS = {"∂": r"$\partial$", "·": r"$\cdot$", "×": r"$\times$", "√": r"$\surd$", "Σ": r"$\Sigma$",
                  "σ": r"$\sigma$", "…": r"\ldots{}", "→": r"$\to$", "−": r"$-$", "𝟙": r"$\mathbf{1}$",
                  "ᵀ": r"$^{T}$", "|": r"$|$", "—": "---", "<": r"$<$", ">": r"$>$"}


def latex_text(text) -> str:
    """Text for pdflatex: LaTeX's special characters escaped, the symbols of the tables as math."""
    out = "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))
    out = "".join(_LATEX_SYMBOLS.get(ch, ch) for ch in out)
    return re.sub(r"(?<!\\)\$\$", "", out)


def _nested(arr, digits) -> str:
    """[[0.5, -1], [2, 0.1]]: every entry, the shape kept, on one line."""
    if arr.ndim == 0:
        return f"{float(arr) + 0.0:.{digits}g}"   # + 0.0: no "-0"
    return "[" + ", ".join(_nested(a, digits) for a in arr) + "]"


def sum_text(terms, total, fmt=_fmt) -> str:
    """"1 + 0.337313 = 1.33731" for several terms, the total alone for one."""
    if len(terms) <= 1:
        return fmt(total)
    return " + ".join(fmt(t) for t in terms) + " = " + fmt(total)


@dataclass
class ForwardTerm:
    """What input ``index`` of an op adds to the op's output tangent: local × incoming tangent = product."""
    input: str
    index: int
    local: object     # ∂node/∂input (Scalars) or None for tensors
    tangent: object   # the input's tangent
    product: object   # the op's JVP with only this input's tangent


@dataclass
class ForwardRow:
    node: object
    name: str
    formula: str
    value: object
    tangents: dict  # direction -> tangent
    terms: dict = field(default_factory=dict)  # direction -> [ForwardTerm], summed into the tangent

    def tangent_text(self, direction, fmt=_fmt) -> str:
        """The tangent as the sum of its terms: "0.224875 + 0.666667 = 0.891542"."""
        terms = self.terms.get(direction, [])
        value = self.tangents.get(direction)
        return sum_text([t.product for t in terms], value, fmt) if value is not None else "0"


@dataclass
class Contribution:
    """What one reverse step sends to input ``index`` of its op: upstream × local = downstream."""
    input: str
    upstream: object
    local: object  # ∂node/∂input (Scalars) or None for tensors
    downstream: object
    index: int = 0        # which operand of the op (x * x sends two contributions to x: 0 and 1)
    step: int = 0         # the reverse step that sent it
    target: object = None  # the input node it is added to


@dataclass
class ReverseRow:
    node: object
    name: str
    adjoint: object
    contributions: list = field(default_factory=list)  # sent to the op's inputs
    terms: list = field(default_factory=list)          # received from consumers, in arrival order

    def adjoint_text(self, fmt=_fmt) -> str:
        """∂f/∂node as the sum of what arrived: "1 + 0.337313 = 1.33731"."""
        return sum_text([t.downstream for t in self.terms], self.adjoint, fmt)


class Trace:
    """The two step tables; ``str(trace)`` is plain text, ``trace.markdown()`` is Markdown."""

    def __init__(self, inputs, output, forward_rows, reverse_rows, digits: int = DIGITS, labels=None,
                 full: bool = False):
        self.inputs, self.output, self.digits, self.full = inputs, output, digits, full
        self.forward_rows, self.reverse_rows = forward_rows, reverse_rows
        self.input_names = [r.name for r in forward_rows[:len(inputs)]]
        self.direction_labels = labels or {n: f"∂/∂{n}" for n in self.input_names}  # direction -> header
        self.directions = list(self.direction_labels)

    @property
    def value(self):
        return self.output

    def gradients(self) -> dict:
        """∂f/∂input for each input, as read off the last rows of both tables."""
        adj = {r.name: r.adjoint for r in self.reverse_rows}
        return {n: adj.get(n) for n in self.input_names}

    def fmt(self, v) -> str:
        return _fmt(v, self.digits, self.full)

    def _tables(self):
        fmt = self.fmt
        fwd_head = ["step", "node", "formula", "value"] + [self.direction_labels[d] for d in self.directions]
        fwd = [[str(i), r.name, r.formula, fmt(r.value)] + [r.tangent_text(d, fmt) for d in self.directions]
               for i, r in enumerate(self.forward_rows)]
        rev_head = ["step", "node", "adjoint ∂f/∂node", "upstream × local = downstream"]
        rev = []
        for i, r in enumerate(self.reverse_rows):
            parts = [f"→ {c.input}: {fmt(c.upstream)} × {fmt(c.local)} = {fmt(c.downstream)}"
                     if c.local is not None else f"→ {c.input}: {fmt(c.downstream)}" for c in r.contributions]
            rev.append([str(i), r.name, r.adjoint_text(fmt), "; ".join(parts) or "(input)"])
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

    def latex(self) -> str:
        """Both tables as LaTeX ``tabular``s with booktabs rules (``\\usepackage{booktabs}``), ready for a
        slide or paper; symbols become math (∂ → \\partial, · → \\cdot, √ → \\surd ...)."""
        (fh, f), (rh, r) = self._tables()

        def table(title, head, rows, align):
            lines = [f"\\textbf{{{latex_text(title)}}}\\par\\smallskip", f"\\begin{{tabular}}{{{align}}}", "\\toprule",
                     " & ".join(latex_text(h) for h in head) + " \\\\", "\\midrule"]
            lines += [" & ".join(latex_text(c) for c in row) + " \\\\" for row in rows]
            return "\n".join(lines + ["\\bottomrule", "\\end{tabular}"])

        return ("% needs \\usepackage{booktabs}\n" +
                table("Forward mode", fh, f, "rll" + "r" * (len(fh) - 3)) + "\n\n\\bigskip\n" +
                table("Reverse mode", rh, r, "rlrl") + "\n")

    def _repr_markdown_(self):
        return self.markdown()

    def _repr_html_(self):
        """In Jupyter: the tables, then both modes as step-through players (the picture is what a lecture
        shows; the tables stay in ``str``/``markdown``). Needs Graphviz; without it, the tables alone."""
        import html

        tables = f"<pre>{html.escape(str(self))}</pre>"
        try:
            import viz

            viz.require_dot()
        except Exception:
            return tables
        players = [viz.player_html(viz.frames_of_trace(self, mode)) for mode in ("forward", "reverse")]
        return tables + "".join(players)

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


def _as_tangent(x, t, name):
    if isinstance(t, autodiff.Node):
        t = t.detach()
    elif isinstance(x, Scalar):
        if not isinstance(t, (int, float)) or isinstance(t, bool):
            raise TypeError(f"trace(): the seed of Scalar input {name} must be a number, got {type(t).__name__}")
        return Scalar(float(t))
    else:
        t = tensor(np.asarray(t, dtype=x.dtype), dtype=x.dtype, device=x.device)
    if getattr(t, "shape", None) != getattr(x, "shape", None):
        raise ValueError(f"trace(): the seed of input {name} has shape {getattr(t, 'shape', ())}, the input "
                         f"has shape {x.shape}")
    return t


def _one_hot(x, index):
    arr = np.zeros(x.shape, dtype=x.dtype)
    arr[index] = 1
    return tensor(arr, dtype=x.dtype, device=x.device)


def _directions(xs, names, seed) -> list:
    """[(direction key, [tangent per input])]: each input in turn (each element of a small Tensor input in
    turn, "W[0,1]"; a larger Tensor along all ones), or the one ``seed``."""
    if seed is None:
        out = []
        for x, n in zip(xs, names):
            if isinstance(x, Scalar) or x.size == 1 or x.size > PER_ELEMENT_INPUTS:
                out.append((n, [x2.ones_like() if x2 is x else x2.zeros_like() for x2 in xs]))
                continue
            for index in np.ndindex(*x.shape):
                key = f"{n}[{','.join(map(str, index))}]"
                out.append((key, [_one_hot(x, index) if x2 is x else x2.zeros_like() for x2 in xs]))
        return out
    if isinstance(seed, dict):
        unknown = sorted(set(seed) - set(names))
        if unknown:
            raise ValueError(f"trace(): seed names {unknown} are not inputs; the inputs are {names}")
        seed = [seed.get(n, 0.0 if isinstance(x, Scalar) else x.zeros_like()) for x, n in zip(xs, names)]
    if not isinstance(seed, (list, tuple)) or len(seed) != len(xs):
        raise ValueError(f"trace(): seed must give one tangent per input ({len(xs)}: {', '.join(names)}) as a "
                         f"sequence or a dict by name, got {seed!r}")
    return [("seed", [_as_tangent(x, t, n) for x, t, n in zip(xs, seed, names)])]


def _direction_label(key, xs, names, seed) -> str:
    """The column header: ∂/∂x for a Scalar input's unit seed, J·𝟙_W for a Tensor seeded with ones, J·seed."""
    if key != "seed":
        if key not in names:      # one element of a small Tensor input: "W[0,1]"
            return f"∂/∂{key}"
        x = xs[names.index(key)]
        return f"∂/∂{key}" if x.size == 1 else f"J·𝟙_{key}"
    values = [np.asarray(t.data if isinstance(t, Scalar) else t.numpy()) for t in _directions(xs, names, seed)[0][1]]
    units = [i for i, v in enumerate(values) if v.size == 1 and float(v) == 1.0]
    if len(units) == 1 and all(not np.any(v) for i, v in enumerate(values) if i != units[0]):
        return f"∂/∂{names[units[0]]}"
    return "J·seed"


def _forward_terms(op, key, tangents, names) -> list:
    """Per input of ``op``: local derivative × the input's tangent along ``key``, the op's JVP with only that
    tangent (the JVP is linear, so the terms add up to the output's tangent)."""
    out = op.out
    incoming = [tangents.get(id(p), {}).get(key) for p in op.inputs]
    if all(t is None for t in incoming):
        return []
    scalar = out.size == 1 and all(p.size == 1 for p in op.inputs)
    locals_ = op.vjp(out.ones_like()) if scalar else (None,) * len(op.inputs)
    locals_ = locals_ if isinstance(locals_, tuple) else (locals_,)
    terms = []
    for i, (p, t) in enumerate(zip(op.inputs, incoming)):
        if t is None or not op.needs_grad[i]:
            continue
        only = [t if j == i else q.zeros_like() for j, q in enumerate(op.inputs)]
        product = op.jvp(*only)
        if getattr(product, "shape", None) != out.shape:
            product = product.expand(out.shape)
        terms.append(ForwardTerm(names.get(id(p), "?"), i, locals_[i] if scalar else None, t, product))
    return terms


def trace(fn, *inputs, seed=None, digits: int = DIGITS, show: str = "summary") -> Trace:
    """Evaluate ``fn(*inputs)`` and tabulate forward mode and reverse mode, step by step.

    Forward mode runs one pass per input (a Scalar input x gives the column ∂/∂x; a Tensor input of up to
    4 elements one column per element, ∂/∂W[0,1]; a larger Tensor W is seeded with all ones, so its
    column is the directional derivative J·𝟙_W, not a gradient), or, with
    ``seed``, one pass along that direction only: a tangent per input (a sequence like mg.jvp's
    tangents, or a dict {input name: tangent}, missing inputs 0), column "J·seed" (or ∂/∂x when the seed
    is 1 on the Scalar input x and 0 elsewhere). ``digits``: significant digits in the printed tables;
    ``show="full"`` prints every entry of tensors up to 256 elements (else up to 4, then shape, norm and
    largest |entry|)."""
    if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 17:
        raise ValueError(f"trace(): digits must be an int from 1 to 17, got {digits!r}")
    if show not in ("summary", "full"):
        raise ValueError(f"trace(): show must be 'summary' or 'full', got {show!r}")
    for x in inputs:
        if not isinstance(x, autodiff.Node):
            raise TypeError(f"trace() takes Scalars or Tensors as inputs, got {type(x).__name__}")
    xs = [x if x.requires_grad and x.is_leaf else x.detach().requires_grad_().named(x.name) for x in inputs]
    with enable_grad():
        out = fn(*xs)
    order = autodiff.toposort([out])
    names = _names(order, xs)
    input_names = [names[id(x)] for x in xs]

    # forward mode: one sweep per direction (each input in turn, or the one ``seed``)
    directions = _directions(xs, input_names, seed)
    tangents = {id(n): {} for n in order}
    with no_grad():
        for key, seeds in directions:
            for x, t in zip(xs, seeds):
                tangents[id(x)][key] = t

            def record(node, op, t, key=key):
                tangents[id(node)][key] = t

            autodiff.forward_sweep([out], xs, seeds, on_step=record)
        forward_rows = []
        for x, xn in zip(xs, input_names):
            forward_rows.append(ForwardRow(x, xn, "input", x, tangents[id(x)]))
        for node in order:
            if node._op is None or any(node is x for x in xs):
                continue
            formula = node._op.formula(*[names.get(id(p), _fmt(p)) for p in node._op.inputs])
            terms = {key: _forward_terms(node._op, key, tangents, names) for key, _ in directions}
            forward_rows.append(ForwardRow(node, names[id(node)], formula, node, tangents[id(node)], terms))
    labels = {key: _direction_label(key, xs, input_names, seed) for key, _ in directions}

    # reverse mode: adjoints in reverse topological order
    adjoint = {id(out): out.ones_like()}
    received = {}
    reverse_rows = []
    with no_grad():
        for step, node in enumerate(reversed(order)):
            g = adjoint.get(id(node))
            row = ReverseRow(node, names[id(node)], g, terms=received.get(id(node), []))
            op = node._op
            if op is not None and g is not None and not any(node is x for x in xs):
                grads = op.vjp(g)
                grads = grads if isinstance(grads, tuple) else (grads,)
                locals_ = op.vjp(node.ones_like()) if node.size == 1 else (None,) * len(grads)
                locals_ = locals_ if isinstance(locals_, tuple) else (locals_,)
                for i, (p, gp, lp, need) in enumerate(zip(op.inputs, grads, locals_, op.needs_grad)):
                    if not need or gp is None:
                        continue
                    c = Contribution(names.get(id(p), "?"), g, lp if node.size == 1 else None, gp, i, step, p)
                    row.contributions.append(c)
                    received.setdefault(id(p), []).append(c)
                    adjoint[id(p)] = gp if id(p) not in adjoint else adjoint[id(p)] + gp
            reverse_rows.append(row)
    return Trace(xs, out, forward_rows, reverse_rows, digits, labels, show == "full")
