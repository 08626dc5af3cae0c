"""The text inside drawings: numbers, tensor summaries, op symbols and the tables of value nodes.

Value nodes are Graphviz HTML-like labels: a header (name, shape, dtype) over rows of
``label  text`` (value, grad, tangents, ...).
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass

import numpy as np

from minigrad.autodiff import Op
from minigrad.scalar import Scalar

from . import style

DIGITS = 4


def check_digits(digits, where: str = "viz.draw") -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"{where}: digits must be an int from 1 to 17 (significant digits), got {digits!r}")
    return digits


def number(x, digits: int = DIGITS) -> str:
    x = float(x)
    return "0" if x == 0 else f"{x:.{digits}g}"   # never "-0"


def _array(node) -> np.ndarray:
    return np.asarray(node.numpy() if hasattr(node, "numpy") else node)


FULL_ENTRIES = 64   # show="full" prints every entry of tensors up to this size


def _entries(arr, digits) -> str:
    """[[0.5, -1], [2, 0.1]]: every entry, the shape kept."""
    if arr.ndim == 0:
        return number(arr, digits)
    return "[" + ", ".join(_entries(a, digits) for a in arr) + "]"


def value_text(node, digits: int = DIGITS, full: bool = False) -> str:
    """A Scalar's number; a tiny tensor's entries (up to 64 with ``full``); else its mean and standard
    deviation."""
    if isinstance(node, Scalar):
        return number(node.data, digits)
    arr = _array(node)
    if arr.size <= (FULL_ENTRIES if full else 4):
        return _entries(arr, digits)
    arr = arr.astype(np.float64)
    return f"μ {number(arr.mean(), 3)}  σ {number(arr.std(), 3)}"


def gradient_text(g, digits: int = DIGITS, full: bool = False) -> str:
    """A Scalar gradient's number; a tiny tensor's entries (up to 64 with ``full``); else its Euclidean norm
    and largest |entry| (never a mean: the mean of a softmax cross-entropy gradient is about 0)."""
    if g is None:
        return "—"
    if isinstance(g, Scalar) or _array(g).size <= (FULL_ENTRIES if full else 4):
        return value_text(g, digits, full)
    return f"norm {number(gradient_norm(g), 3)}  max|·| {number(np.abs(_array(g)).max(), 3)}"


def gradient_norm(g) -> float:
    """|g| for a Scalar, the Euclidean norm ‖g‖ for a tensor."""
    if isinstance(g, Scalar):
        return abs(g.data)
    return float(np.linalg.norm(_array(g).astype(np.float64).ravel()))


def shape_text(node) -> str:
    """"1×3×32×32 float32" for a tensor, "" for a Scalar."""
    if isinstance(node, Scalar):
        return ""
    shape = "×".join(str(n) for n in node.shape) or "()"
    return f"{shape} {node.dtype}"


def count_text(n: int) -> str:
    """11.2M, 74.0K, 850."""
    for unit, size in (("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(n)


OWN_SYMBOLS = {"neg": "neg", "sub": "−"}   # negation and subtraction must not look alike


def op_symbol(op) -> str:
    """The op's symbol from its formula template: "{0} + {1}" → "+", "log({0})" → "log", "√{0}" → "√";
    subtraction is "−" and negation "neg"."""
    if op.name in OWN_SYMBOLS:
        return OWN_SYMBOLS[op.name]
    if op.symbol is None:
        return op.name
    attrs = {k: v for k, v in vars(op).items() if not k.startswith("_")}
    template = re.sub(r"\{\d+\}", "", op.symbol)
    try:
        text = template.format(**attrs)
    except (KeyError, IndexError, ValueError):
        text = template
    head = text.split("(")[0].strip()
    text = re.sub(r"\s+", "", head if "(" in text else text)
    if not text or not text.strip("|"):
        return op.name
    return text


def saved_for_backward(op, names) -> list:
    """What ``op`` keeps for its reverse rule: the inputs and output its ``vjp`` reads (by display name) and
    the arrays it stored in ``forward`` (``argmax 1×6×14×14``), or "freed" after a backward without
    ``retain_graph``."""
    import inspect

    if op.freed:
        return ["freed"]
    try:
        source = inspect.getsource(type(op).vjp)
    except (OSError, TypeError):
        source = "self.inputs self.out"
    saved = []
    if "self.inputs" in source:
        saved += [names(x) for x in op.inputs]
    if "self.out" in source:
        saved.append("output")
    for key, value in vars(op).items():
        if not key.startswith("_") and key not in Op.BOOKKEEPING and hasattr(value, "shape") and \
                not isinstance(value, (int, float)):
            saved.append(f"{key} {'×'.join(map(str, value.shape)) or '()'}")
    return saved


def escape(text) -> str:
    return html.escape(str(text), quote=True)


@dataclass
class Row:
    """One line of a value node: ``label`` (muted) and ``text``; ``state`` is "", "new" or "pending"."""
    label: str
    text: str
    state: str = ""


METRIC_FONTS = ("Liberation Sans", "Arial", "Helvetica", "Nimbus Sans", "DejaVu Sans")   # what dot's Helvetica finds


@functools.lru_cache(maxsize=1)
def _bold_font_file() -> str | None:
    """The bold face of the first of METRIC_FONTS matplotlib knows, or None."""
    from matplotlib import font_manager

    bold = {f.name: f.fname for f in font_manager.fontManager.ttflist if f.weight in ("bold", 700)}
    return next((bold[name] for name in METRIC_FONTS if name in bold), None)


@functools.lru_cache(maxsize=8192)
def text_width(text: str, size: float = style.FONT_SIZE) -> int:
    """The width in points of a cell holding ``text``: measured in bold (the widest a frame draws it) with
    matplotlib's metrics of the font Graphviz uses for Helvetica, a tenth to spare, plus the cell padding;
    without such a font, an estimate of 0.62 em a character."""
    font = _bold_font_file()
    if font is None:
        return int(len(str(text)) * size * 0.62) + 10
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    width = TextToPath().get_text_width_height_descent(str(text), FontProperties(fname=font, size=size), False)[0]
    return int(width * 1.1) + 10


def value_table(title: str, subtitle: str, rows: list, fill: str, border: str, *, cell_width: int | None = None,
                sizes: tuple | None = None) -> str:
    """The HTML-like label of a value node. ``cell_width`` is the least width of the text cells (points);
    ``sizes`` = (label width, text width, row height) fixes every cell, so step frames that fill in numbers
    keep exactly the same layout."""
    head = f"<B>{escape(title)}</B>" if title else ""
    if subtitle:
        sub = f'<FONT POINT-SIZE="{style.SMALL_FONT_SIZE}" COLOR="{style.MUTED}">{escape(subtitle)}</FONT>'
        head = f"{head} {sub}" if head else sub
    lines = [f'<TABLE BORDER="1" COLOR="{border}" BGCOLOR="{fill}" CELLBORDER="0" CELLSPACING="0" '
             f'CELLPADDING="4" STYLE="ROUNDED">']
    if head:
        lines.append(f'<TR><TD COLSPAN="2">{head}</TD></TR>')
        if rows:
            lines.append("<HR/>")
    size = f' WIDTH="{cell_width}"' if cell_width else ""
    label_size = ""
    if sizes:
        label_size = f' FIXEDSIZE="TRUE" WIDTH="{sizes[0]}" HEIGHT="{sizes[2]}"'
        size = f' FIXEDSIZE="TRUE" WIDTH="{sizes[1]}" HEIGHT="{sizes[2]}"'
    for row in rows:
        colour = style.PENDING if row.state == "pending" else ("#000000" if not row.state else style.HIGHLIGHT)
        text = escape(row.text)
        if row.state == "new":
            text = f"<B>{text}</B>"
        label = f'<FONT COLOR="{style.MUTED}">{escape(row.label)}</FONT>' if row.label else ""
        text = f'<FONT COLOR="{colour}">{text}</FONT>' if row.text else ""
        lines.append(f'<TR><TD ALIGN="LEFT"{label_size}>{label}</TD><TD ALIGN="RIGHT"{size}>{text}</TD></TR>')
    lines.append("</TABLE>")
    return "<" + "".join(lines) + ">"


def module_table(name: str, lines: list, fill: str, border: str) -> str:
    """The HTML-like label of a folded module: its name in bold over a few lines of facts."""
    body = "".join(f'<TR><TD><FONT POINT-SIZE="{style.SMALL_FONT_SIZE + 1}">{escape(t)}</FONT></TD></TR>'
                   for t in lines)
    return (f'<<TABLE BORDER="1" COLOR="{border}" BGCOLOR="{fill}" CELLBORDER="0" CELLSPACING="0" '
            f'CELLPADDING="3" STYLE="ROUNDED"><TR><TD><B>{escape(name)}</B></TD></TR>{body}</TABLE>>')
