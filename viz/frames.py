"""Step-through frames of forward mode and reverse mode, one Digraph per step of ``mg.trace``'s tables.

    frames = viz.steps(f, mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y"), mode="forward")
    viz.save_steps(frames, "forward.pdf")      # or .gif, "frame_{}.png", a folder

Forward mode: frame 0 shows the inputs with their seed tangents; frame k computes the k-th node: its
value and its tangent with respect to each input (the lecture's steps 0-4). Reverse mode: frame k
takes the k-th node in reverse topological order, shows its adjoint ∂f/∂node, and labels the edges to
its op's inputs with upstream × local = downstream; adjoints still being summed are shown in grey.
Every frame of a mode has the same nodes with cells of the same size, so the layout does not move.
"""
from __future__ import annotations

import io
import os

import minigrad as mg

from . import style
from .graph import read_graph
from .labels import Row, escape, gradient_text, op_symbol, value_text
from .rendering import pipe, require_dot, write_atomic
from .scene import Scene, to_digraph

MODES = ("forward", "reverse")
CELL_WIDTH = 80      # points: room for "-0.8915 …"
LABEL_WIDTH = 96     # points: room for "1.337 × 1.099" over "= 1.469"
TITLE_WIDTH = 620


def _short(v) -> str:
    return gradient_text(v) if v is not None else "—"


def steps(fn, *inputs, mode: str = "forward", rankdir: str = "LR") -> list:
    """One Digraph per step of forward mode (inputs, then each computed node) or reverse mode (each node)."""
    if mode not in MODES:
        raise ValueError(f"viz.steps: mode must be 'forward' or 'reverse', got {mode!r}")
    table = mg.trace(fn, *inputs)
    names = {id(r.node): r.name for r in table.forward_rows}
    graph = read_graph(table.output, names=names)
    frames = _forward_frames(table, graph) if mode == "forward" else _reverse_frames(table, graph)
    return [to_digraph(scene, rankdir) for scene in frames]


def _scene(graph, title, **kw) -> Scene:
    return Scene(graph, {}, title=title, title_width=TITLE_WIDTH, cell_width=CELL_WIDTH, legend=False, **kw)


def _highlight_edges(highlighted_ops):
    def edge_style(keys):
        if any(key[1] in highlighted_ops for key in keys if key[0] == "in"):
            return dict(color=style.HIGHLIGHT, penwidth="2.5")
        return {}
    return edge_style


def _forward_frames(table, graph) -> list:
    directions = table.input_names
    inputs = [r for r in table.forward_rows if r.formula == "input"]
    computed = [r for r in table.forward_rows if r.formula != "input"]
    groups = [inputs] + [[r] for r in computed]
    done, frames = {}, []
    for k, group in enumerate(groups):
        for r in group:
            done[id(r.node)] = r
        current = {id(r.node) for r in group}
        scene = _scene(graph, _forward_title(k, group, directions))
        for v in graph.values:
            row = done.get(id(v))
            if row is None and v._op is None:
                scene.rows[id(v)] = [Row("value", value_text(v))] + [Row(f"∂/∂{d}", "0") for d in directions]
            elif row is None:
                scene.rows[id(v)] = [Row("value", "?", "pending")] + \
                    [Row(f"∂/∂{d}", "?", "pending") for d in directions]
            else:
                state = "new" if id(v) in current else ""
                scene.rows[id(v)] = [Row("value", value_text(row.value), state)] + \
                    [Row(f"∂/∂{d}", value_text(row.tangents[d]) if d in row.tangents else "0", state)
                     for d in directions]
        ops = {id(r.node._op) for r in group if r.node._op is not None}
        scene.highlight = current | ops
        scene.edge_style = _highlight_edges({op for op in graph.ops if id(op) in ops})
        frames.append(scene)
    return frames


def _forward_title(k, group, directions) -> str:
    if group[0].formula == "input":
        values = ", ".join(f"{r.name} = {value_text(r.value)}" for r in group)
        seeds = " = ".join(f"∂{r.name}/∂{r.name}" for r in group)
        return f"Forward mode · step {k}: inputs {values}; seed tangents {seeds} = 1, the others 0"
    r = group[0]
    tangents = ", ".join(f"∂{r.name}/∂{d} = {value_text(r.tangents[d])}" for d in directions if d in r.tangents)
    return f"Forward mode · step {k}: {r.name} = {r.formula} = {value_text(r.value)};  {tangents}"


def _reverse_frames(table, graph) -> list:
    root = graph.name(table.output)
    contributions = _edge_contributions(table, graph)
    adjoints = {id(r.node): r.adjoint for r in table.reverse_rows}
    frames = []
    for k, row in enumerate(table.reverse_rows):
        scene = _scene(graph, _reverse_title(k, row, root))
        processed = {id(r.node) for r in table.reverse_rows[:k + 1]}
        partial = _partial_sums(table, k, contributions)
        for v in graph.values:
            label = f"∂{root}/∂{graph.name(v)}"
            if id(v) == id(row.node):
                adjoint = Row(label, _short(row.adjoint), "new")
            elif id(v) in processed:
                adjoint = Row(label, _short(adjoints[id(v)]))
            elif id(v) in partial:
                adjoint = Row(label, _short(partial[id(v)]) + " …", "pending")
            else:
                adjoint = Row(label, "?", "pending")
            scene.rows[id(v)] = [Row("value", value_text(v)), adjoint]
        op = row.node._op if row.contributions else None
        scene.highlight = {id(row.node)} | ({id(op)} if op is not None else set())
        scene.edge_style = _reverse_edge_style(table, k, contributions)
        frames.append(scene)
    return frames


def _edge_contributions(table, graph) -> dict:
    """id(node) -> [((op, input index), Contribution)]: which edge each contribution of a row flows along."""
    out = {}
    for row in table.reverse_rows:
        op = row.node._op
        if op is None or not row.contributions:
            continue
        start, pairs = 0, []
        for c in row.contributions:
            for i in range(start, len(op.inputs)):
                if graph.names.get(id(op.inputs[i])) == c.input:
                    pairs.append(((op, i), c))
                    start = i + 1
                    break
        out[id(row.node)] = pairs
    return out


def _partial_sums(table, k, contributions) -> dict:
    """id(node) -> the sum of the contributions it has received after step k."""
    sums = {}
    for r in table.reverse_rows[:k + 1]:
        for (op, i), c in contributions.get(id(r.node), []):
            x = op.inputs[i]
            sums[id(x)] = c.downstream if id(x) not in sums else sums[id(x)] + c.downstream
    return sums


def _contribution_lines(c) -> list:
    """upstream × local = downstream, on two lines (only the downstream gradient when ``mg.trace`` has
    no local derivative: a non-scalar node)."""
    if c.local is None:
        return [f"→ {gradient_text(c.downstream)}"]
    return [f"{gradient_text(c.upstream)} × {gradient_text(c.local)}", f"= {gradient_text(c.downstream)}"]


def _reverse_edge_style(table, k, contributions):
    labels, current = {}, set()
    for j, r in enumerate(table.reverse_rows[:k + 1]):
        for (op, i), c in contributions.get(id(r.node), []):
            labels[(id(op), i)] = _contribution_lines(c)
            if j == k:
                current.add((id(op), i))
    every_edge = {(id(op), i) for pairs in contributions.values() for (op, i), _ in pairs}

    def edge_style(keys):
        kind, op, *rest = keys[0]
        if kind != "in" or (id(op), rest[0]) not in every_edge:
            return {}
        key = (id(op), rest[0])
        lines = labels.get(key, [])
        colour = style.HIGHLIGHT if key in current else "#000000"
        body = f'<FONT COLOR="{colour}" POINT-SIZE="12">{"<BR/>".join(map(escape, lines))}</FONT>' if lines else ""
        label = f'<<TABLE BORDER="0" CELLPADDING="0"><TR><TD WIDTH="{LABEL_WIDTH}" HEIGHT="32">{body}</TD></TR></TABLE>>'
        attrs = dict(label=label)
        if key in current:
            attrs.update(color=style.HIGHLIGHT, penwidth="2.5")
        return attrs

    return edge_style


def _reverse_title(k, row, root) -> str:
    if not row.contributions:
        return f"Reverse mode · step {k}: ∂{root}/∂{row.name} = {_short(row.adjoint)}  (an input: done)"
    return f"Reverse mode · step {k}: ∂{root}/∂{row.name} = {_short(row.adjoint)}; pass it back through " \
           f"{op_symbol(row.node._op)}: upstream × local = downstream"


def _frame_paths(path, n: int) -> list | None:
    """The files of a PNG sequence ("frame_{}.png" or a folder), or None for a single-file format."""
    path = os.fspath(path)
    if "{}" in path:
        return [path.format(f"{i:02d}") for i in range(n)]
    if os.path.isdir(path) or not os.path.splitext(path)[1]:
        return [os.path.join(path, f"step_{i:02d}.png") for i in range(n)]
    return None


def save_steps(frames, path, dpi: int = 110, seconds_per_frame: float = 1.5):
    """Write frames as a multi-page PDF (.pdf), an animated GIF (.gif), or a PNG sequence (a path with
    ``{}`` for the step number, or a folder). Every file is written atomically; returns the path(s)."""
    from PIL import Image

    frames = list(frames)
    if not frames:
        raise ValueError("viz.save_steps: no frames to save")
    paths = _frame_paths(path, len(frames))
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if paths is None and suffix not in (".pdf", ".gif"):
        raise ValueError(f"viz.save_steps: cannot save frames as {os.fspath(path)!r}; use .pdf, .gif, a path "
                         "with {} (frame_{}.png) or a folder")
    require_dot()
    pictures = [pipe(f, "png", dpi) for f in frames]
    if paths is not None:
        for data, p in zip(pictures, paths):
            write_atomic(p, data)
        return paths
    images = _same_size([Image.open(io.BytesIO(p)).convert("RGB") for p in pictures])
    buffer = io.BytesIO()
    if suffix == ".pdf":
        images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    else:
        images[0].save(buffer, "GIF", save_all=True, append_images=images[1:],
                       duration=int(seconds_per_frame * 1000), loop=0)
    write_atomic(path, buffer.getvalue())
    return os.fspath(path)


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
