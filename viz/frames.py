"""Step-through frames of forward mode and reverse mode: one Digraph per step of ``mg.trace``'s tables.

    frames = viz.steps(f, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="forward")
    viz.save_steps(frames, "forward.pdf")      # or .gif, .svg pages, "frame_{}.png", a folder
    viz.save_player(frames, "steps.html")      # a self-contained step-through for the browser

One step model, two views: frame k draws step k of the trace's table (``frames.captions[k]`` is its
title). Forward mode: step k computes the k-th node (inputs first, with their seed tangents); every edge
into its op carries local derivative × incoming tangent, and the node's tangent is their sum. Reverse
mode: step k takes the k-th node in reverse topological order with its adjoint ∂f/∂node; every edge to
its op's inputs carries upstream × local = downstream, and a node read twice sums what arrives term by
term ("1 + 0.3373 = 1.337"), grey and marked "…" until the last term has arrived.

Every frame of both modes has the same nodes, rows, edge labels and cell sizes (rows a mode does not use
are blank), so the layout never moves between frames, nor from forward frames to reverse frames.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass, field

import minigrad as mg

from . import style
from .graph import read_graph
from .drawing import finish
from .labels import Row, check_digits, escape, gradient_text, op_symbol, text_width, value_text
from .rendering import pipe, require_dot, write_atomic
from .scene import Scene, to_digraph
from .slides import SLIDE_FONT_SCALE, check_font_scale, pad_to, parse_aspect, ratio_attribute, scale_fonts

MODES = ("forward", "reverse")
ROW_HEIGHT = 18
EDGE_FONT_SIZE = 12
LINE_HEIGHT = 16


class Frames(list):
    """The Digraphs of ``viz.steps``, one per step; ``captions[k]`` is step k's title. Jupyter shows them
    as the step-through player of ``viz.save_player``."""

    def __init__(self, graphs, captions, mode):
        super().__init__(graphs)
        self.captions, self.mode = list(captions), mode

    def _repr_html_(self):
        from .player import player_html
        return player_html(self)


@dataclass
class FrameSpec:
    """What one frame shows: its title, each value node's rows, and the labelled edges into ops."""
    title: str
    rows: dict = field(default_factory=dict)      # id(value) -> [Row]
    edges: dict = field(default_factory=dict)     # (id(op), operand) -> [line]
    current: set = field(default_factory=set)     # (id(op), operand) of this step's edges
    highlight: set = field(default_factory=set)   # ids of this step's node and op


def steps(fn, *inputs, mode: str = "forward", seed=None, rankdir: str = "LR", digits: int = 4, aspect=None,
          font_scale: float | None = None, title: bool = True, shared_layout: bool = True) -> Frames:
    """One Digraph per step of ``mg.trace(fn, *inputs, seed=seed)``: its forward table (mode="forward") or
    its reverse table (mode="reverse"). ``seed``: one forward direction (see ``mg.trace``); ``digits``:
    significant digits of every number drawn; ``aspect`` ("16:9") and ``font_scale`` as in ``viz.draw``,
    one choice of rows for every frame (font_scale defaults to 1, or SLIDE_FONT_SCALE with an aspect);
    ``title=False`` leaves the caption out of the pictures (``frames.captions`` keeps it; a slide shows it
    as text). ``shared_layout=False`` sizes the nodes and edge labels for this mode alone and leaves out
    the other mode's rows: smaller pictures (larger text on a slide), but forward and reverse frames then
    differ in layout (frames of one mode still never move)."""
    _check(mode, rankdir, digits, aspect, font_scale)
    return frames_of_trace(mg.trace(fn, *inputs, seed=seed), mode, rankdir, digits, aspect, font_scale, title,
                           shared_layout)


def _check(mode, rankdir, digits, aspect, font_scale):
    if mode not in MODES:
        raise ValueError(f"viz.steps: mode must be 'forward' or 'reverse', got {mode!r}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"viz.steps: rankdir must be one of LR, TB, RL, BT, got {rankdir!r}")
    check_digits(digits, "viz.steps")
    if font_scale is not None:
        check_font_scale(font_scale, "viz.steps")
    return parse_aspect(aspect, "viz.steps")


def frames_of_trace(table, mode: str = "forward", rankdir: str = "LR", digits: int = 4, aspect=None,
                    font_scale: float | None = None, title: bool = True, shared_layout: bool = True) -> Frames:
    """The frames of one mode of a trace already made (``mg.trace``): what ``viz.steps`` draws."""
    ratio = _check(mode, rankdir, digits, aspect, font_scale)
    if font_scale is None:
        font_scale = 1.0 if ratio is None else SLIDE_FONT_SCALE
    graph = read_graph(table.output, names={id(r.node): r.name for r in table.forward_rows})
    views = _Views(table, graph, digits, shared_layout)
    specs = {"forward": views.forward(), "reverse": views.reverse()}
    if not shared_layout:
        specs = {mode: specs[mode]}
    scenes = _scenes(graph, specs, title)[mode]
    if ratio is not None:
        finish(scenes[0], rankdir, ratio, font_scale, "viz.steps")    # picks the rows for the first frame
        for scene in scenes[1:]:
            scene.wrap, scene.row_markers = scenes[0].wrap, scenes[0].row_markers
    graphs = [scale_fonts(to_digraph(scene, rankdir), font_scale) for scene in scenes]
    if ratio is not None:   # every frame has the same size: measure the first, pad all alike
        attribute = ratio_attribute(graphs[0], ratio)
        graphs = [pad_to(dot, ratio, attribute) for dot in graphs]
    return Frames(graphs, [s.title for s in specs[mode]], mode)


class _Views:
    """Both modes' frames from the trace's step records, with the same rows on every value node: value,
    one tangent per forward direction, the adjoint ∂f/∂node (with ``shared``=False only the mode's own)."""

    def __init__(self, table, graph, digits, shared=True):
        self.table, self.graph, self.digits, self.shared = table, graph, digits, shared
        self.root = graph.name(table.output)
        self.labels = [table.direction_labels[d] for d in table.directions]

    def fmt(self, v) -> str:
        return gradient_text(v, self.digits) if v is not None else "—"

    def value(self, v) -> str:
        return value_text(v, self.digits)

    def _rows(self, value_row, tangent_rows, adjoint_row) -> list:
        if not self.shared:
            return [value_row] + (tangent_rows or []) + ([adjoint_row] if adjoint_row else [])
        return [value_row] + (tangent_rows or [Row("", "")] * len(self.labels)) + [adjoint_row or Row("", "")]

    def _edge_line(self, prefix, incoming, local, result, local_first=False) -> str:
        """"upstream × local = downstream" (reverse), "local × tangent = product" (forward), or "→ result"
        where a tensor op has no single local derivative."""
        if local is None:
            return f"{prefix}→ {self.fmt(result)}"
        a, b = (local, incoming) if local_first else (incoming, local)
        return f"{prefix}{self.fmt(a)} × {self.fmt(b)} = {self.fmt(result)}"

    # forward mode -------------------------------------------------------------------------------------
    def forward(self) -> list:
        table, directions = self.table, self.table.directions
        prefix = {d: (f"{table.direction_labels[d]}: " if len(directions) > 1 else "") for d in directions}
        by_node = {id(r.node): (k, r) for k, r in enumerate(table.forward_rows)}
        frames = []
        for k, row in enumerate(table.forward_rows):
            spec = FrameSpec(self._forward_title(k, row))
            for v in self.graph.values:
                step, r = by_node.get(id(v), (None, None))
                if r is None and v._op is None:
                    tangents = [Row(label, "0") for label in self.labels]
                    spec.rows[id(v)] = self._rows(Row("value", self.value(v)), tangents, None)
                elif r is None or step > k:
                    tangents = [Row(label, "?", "pending") for label in self.labels]
                    spec.rows[id(v)] = self._rows(Row("value", "?", "pending"), tangents, None)
                else:
                    state = "new" if step == k else ""
                    tangents = [Row(label, r.tangent_text(d, self.fmt), state)
                                for label, d in zip(self.labels, directions)]
                    spec.rows[id(v)] = self._rows(Row("value", self.value(r.value), state), tangents, None)
            for j, r in enumerate(table.forward_rows[:k + 1]):
                for d in directions:
                    for t in r.terms.get(d, []):
                        key = (id(r.node._op), t.index)
                        spec.edges.setdefault(key, []).append(self._edge_line(prefix[d], t.tangent, t.local,
                                                                              t.product, local_first=True))
                        if j == k:
                            spec.current.add(key)
            spec.highlight = {id(row.node)} | ({id(row.node._op)} if row.formula != "input" else set())
            frames.append(spec)
        return frames

    def _forward_title(self, k, row) -> str:
        table = self.table
        tangents = ", ".join(f"{table.direction_labels[d]} = {row.tangent_text(d, self.fmt)}" for d in table.directions)
        if row.formula == "input":
            return f"Forward mode · step {k}: input {row.name} = {self.value(row.value)}; seed {tangents}"
        return f"Forward mode · step {k}: {row.name} = {row.formula} = {self.value(row.value)}; {tangents}"

    # reverse mode -------------------------------------------------------------------------------------
    def reverse(self) -> list:
        table, root = self.table, self.root
        by_node = {id(r.node): (k, r) for k, r in enumerate(table.reverse_rows)}
        frames = []
        for k, row in enumerate(table.reverse_rows):
            spec = FrameSpec(self._reverse_title(k, row))
            for v in self.graph.values:
                step, r = by_node.get(id(v), (None, None))
                label = f"∂{root}/∂{self.graph.name(v)}"
                spec.rows[id(v)] = self._rows(Row("value", self.value(v)), None,
                                              self._adjoint_row(label, k, step, r))
            for r in table.reverse_rows[:k + 1]:
                for c in r.contributions:
                    key = (id(r.node._op), c.index)
                    spec.edges[key] = [self._edge_line("", c.upstream, c.local, c.downstream)]
                    if c.step == k:
                        spec.current.add(key)
            op = row.node._op if row.contributions else None
            spec.highlight = {id(row.node)} | ({id(op)} if op is not None else set())
            frames.append(spec)
        return frames

    def _adjoint_row(self, label, k, step, r) -> Row:
        """∂f/∂node after step k: "?" before any term, "1 + …" while terms arrive, then the whole sum."""
        if r is None:
            return Row(label, "—")
        arrived = [t for t in r.terms if t.step <= k]
        if not r.terms:   # the output
            return Row(label, self.fmt(r.adjoint), "new" if step == k else "")
        if not arrived:
            return Row(label, "?", "pending")
        if len(arrived) < len(r.terms):
            return Row(label, " + ".join(self.fmt(t.downstream) for t in arrived) + " + …", "pending")
        new = step == k or arrived[-1].step == k
        return Row(label, r.adjoint_text(self.fmt), "new" if new else "")

    def _reverse_title(self, k, row) -> str:
        adjoint = f"∂{self.root}/∂{row.name} = {row.adjoint_text(self.fmt)}"
        if not row.contributions:
            done = "an input: done" if row.node._op is None else "done"
            return f"Reverse mode · step {k}: {adjoint} ({done})"
        return f"Reverse mode · step {k}: {adjoint}; pass it back through {op_symbol(row.node._op)}: " \
               "upstream × local = downstream"


def _scenes(graph, specs, title: bool = True) -> dict:
    """Scenes with one set of sizes over the frames of both modes: each value node's cells as wide as its
    widest text, each labelled edge's label as big as its biggest, one title width."""
    every = [s for frames in specs.values() for s in frames]
    sizes = {}
    for v in graph.values:
        rows = [row for s in every for row in s.rows.get(id(v), [])]
        sizes[id(v)] = (max(text_width(r.label) for r in rows), max(text_width(r.text) for r in rows), ROW_HEIGHT)
    label_size = {}
    for s in every:
        for key, lines in s.edges.items():
            w, h = label_size.get(key, (0, 0))
            label_size[key] = (max([w] + [text_width(t, EDGE_FONT_SIZE) for t in lines]), max(h, len(lines)))
    title_width = max(text_width(s.title, style.FONT_SIZE + 2) for s in every)
    out = {}
    for mode, frames in specs.items():
        out[mode] = []
        for spec in frames:
            scene = Scene(graph, spec.rows, title=spec.title if title else "", title_width=title_width, legend=False,
                          cell_sizes=sizes, highlight=spec.highlight)
            scene.edge_style = _edge_style(spec, label_size)
            out[mode].append(scene)
    return out


def _edge_style(spec, label_size):
    def edge_style(keys):
        kind, op, *rest = keys[0]
        key = (id(op), rest[0]) if kind == "in" else None
        if key not in label_size:
            return {}
        width, lines = label_size[key]
        current = key in spec.current
        colour = style.HIGHLIGHT if current else "#000000"
        text = spec.edges.get(key, [])
        body = (f'<FONT COLOR="{colour}" POINT-SIZE="{EDGE_FONT_SIZE}">{"<BR/>".join(map(escape, text))}</FONT>'
                if text else "")
        label = (f'<<TABLE BORDER="0" CELLPADDING="0"><TR><TD FIXEDSIZE="TRUE" WIDTH="{width}" '
                 f'HEIGHT="{lines * LINE_HEIGHT + 4}">{body}</TD></TR></TABLE>>')
        attrs = dict(label=label)
        if current:
            attrs.update(color=style.HIGHLIGHT, penwidth="2.5")
        return attrs

    return edge_style


SEQUENCE_FORMATS = ("png", "svg", "pdf")


def _frame_paths(path, n: int) -> list | None:
    """The files of a sequence ("frame_{}.png", "frame_{}.svg", "frame_{}.pdf", or a folder of PNGs), or
    None for a single-file format."""
    path = os.fspath(path)
    if "{}" in path:
        return [path.format(f"{i:02d}") for i in range(n)]
    if os.path.isdir(path) or not os.path.splitext(path)[1]:
        return [os.path.join(path, f"step_{i:02d}.png") for i in range(n)]
    return None


def save_steps(frames, path, dpi: int = 150, seconds_per_frame: float = 1.5):
    """Write frames as a vector PDF with one page per frame (.pdf, fonts embedded), an animated GIF (.gif),
    or one file per frame: a path with ``{}`` for the step number whose suffix picks PNG (at ``dpi``), SVG
    or PDF ("frame_{}.svg"), or a folder (PNGs). Every file is written atomically; returns the path(s)."""
    from .rendering import check_dpi

    frames = list(frames)
    if not frames:
        raise ValueError("viz.save_steps: no frames to save")
    check_dpi(dpi, "viz.save_steps")
    if not isinstance(seconds_per_frame, (int, float)) or not seconds_per_frame > 0:
        raise ValueError(f"viz.save_steps: seconds_per_frame must be a positive number, got {seconds_per_frame!r}")
    paths = _frame_paths(path, len(frames))
    suffix = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if (paths is None and suffix not in ("pdf", "gif")) or \
            (paths is not None and os.path.splitext(paths[0])[1].lstrip(".").lower() not in SEQUENCE_FORMATS):
        raise ValueError(f"viz.save_steps: cannot save frames as {os.fspath(path)!r}; use .pdf, .gif, a path "
                         "with {} (frame_{}.png, .svg or .pdf) or a folder")
    require_dot()
    if paths is not None:
        fmt = os.path.splitext(paths[0])[1].lstrip(".").lower()
        for frame, p in zip(frames, paths):
            write_atomic(p, pipe(frame, fmt, dpi if fmt == "png" else None))
        return paths
    if suffix == "pdf":
        write_atomic(path, _pdf_pages([pipe(f, "pdf") for f in frames]))
        return os.fspath(path)
    from PIL import Image

    images = _same_size([Image.open(io.BytesIO(pipe(f, "png", dpi))).convert("RGB") for f in frames])
    buffer = io.BytesIO()
    images[0].save(buffer, "GIF", save_all=True, append_images=images[1:],
                   duration=int(seconds_per_frame * 1000), loop=0)
    write_atomic(path, buffer.getvalue())
    return os.fspath(path)


def _pdf_pages(documents) -> bytes:
    """One PDF from one-page PDFs (Graphviz's vector output, fonts embedded), in order."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in documents:
        for page in PdfReader(io.BytesIO(data)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _same_size(images) -> list:
    """Pad every image with white to the largest width and height, so pages and frames line up."""
    from PIL import Image

    width, height = max(i.width for i in images), max(i.height for i in images)
    out = []
    for image in images:
        if image.size == (width, height):
            out.append(image)
            continue
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(image, (0, 0))
        out.append(canvas)
    return out
