"""From a read graph and what to show on it (rows, highlights, edge styles, clusters) to Graphviz source.

``viz.draw`` and ``viz.steps`` both fill in a Scene; ``to_digraph`` lays it out the same way for both:
value nodes as tables, ops as small circles with their symbol, folded modules as boxes, module
clusters, a legend and an optional title.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from . import style
from .graph import Graph
from .labels import (count_text, escape, module_table, number, op_symbol, saved_for_backward, shape_text,
                     value_table, value_text)
from .modules import ModuleLayout
from .rendering import Digraph


@dataclass
class Scene:
    graph: Graph
    rows: dict                                      # id(value) -> [Row]
    layout: ModuleLayout | None = None              # module clusters and folded blocks
    elide_intermediates: bool = False               # folded drawings skip values between ops
    edge_style: Callable | None = None              # [("in", op, i) | ("out", op)] -> dict of attrs
    highlight: set = field(default_factory=set)     # ids of values and ops to emphasise
    title: str = ""
    title_width: int | None = None
    legend_extra: list = field(default_factory=list)  # extra HTML rows for the legend
    cell_width: int | None = None
    cell_sizes: dict = field(default_factory=dict)  # id(value) -> (label width, text width, row height), fixed
    legend: bool | str = True                       # True or "right": after the last column; "left"; False
    wrap: int | None = None                         # lay out left to right in rows of this many columns
    row_markers: bool = False                       # hold wrapped rows in order with invisible markers
    show_saved: bool = False                        # list under each op what it keeps for backward


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", name)


class _Ids:
    """Graphviz node ids: v<i> for values, op<j> for ops, m_<name> for folded modules."""

    def __init__(self, scene: Scene):
        g, lay = scene.graph, scene.layout
        self.scene = scene
        self.value_index = {id(v): i for i, v in enumerate(g.values)}
        self.op_index = {id(op): j for j, op in enumerate(g.ops)}
        self.units = lay.units if lay is not None else {}

    def of_op(self, op) -> str:
        unit = self.units.get(id(op))
        return f"m_{_safe(unit)}" if unit else f"op{self.op_index[id(op)]}"

    def of_value(self, v) -> str:
        unit = self.units.get(id(v))
        if unit:
            return f"m_{_safe(unit)}"
        if self.scene.elide_intermediates and self.scene.graph.kind(v) == "intermediate":
            return self.of_op(v._op)
        return f"v{self.value_index[id(v)]}"


def count_elements(scene: Scene) -> int:
    ids = _Ids(scene)
    return len({ids.of_value(v) for v in scene.graph.values} | {ids.of_op(op) for op in scene.graph.ops})


def _value_node(scene, v):
    kind = scene.graph.kind(v)
    fill, border = style.KIND_COLORS[kind]
    if kind == "constant":
        return dict(label=escape(value_text(v)), shape="box", style="rounded,filled", fillcolor=fill, color=border,
                    fontsize=str(style.SMALL_FONT_SIZE + 1), margin="0.06,0.03", width="0", height="0")
    if id(v) in scene.highlight:
        fill, border = style.HIGHLIGHT_FILL, style.HIGHLIGHT
    title = scene.graph.name(v)
    label = value_table(title, shape_text(v), scene.rows.get(id(v), []), fill, border, cell_width=scene.cell_width,
                        sizes=scene.cell_sizes.get(id(v)))
    return dict(label=label, shape="plain")


def _op_node(scene, op):
    symbol = op_symbol(op)
    fill, border = style.OP_COLORS
    attrs = dict(label=escape(symbol), style="filled", fillcolor=fill, color=border, fontsize=str(_symbol_size(symbol)))
    if len(symbol) <= 2:
        attrs.update(shape="circle", width="0.5", fixedsize="true")
    else:
        attrs.update(shape="ellipse", margin="0.04", width="0.5", height="0.5")
    if id(op) in scene.highlight:
        attrs.update(color=style.HIGHLIGHT, penwidth="3")
    if scene.show_saved:
        saved = saved_for_backward(op, lambda x: scene.graph.name(x) or value_text(x))
        text = escape("saved: " + (", ".join(saved) if saved else "nothing"))
        attrs["xlabel"] = f'<<FONT POINT-SIZE="{style.SMALL_FONT_SIZE}" COLOR="{style.MUTED}">{text}</FONT>>'

    return attrs


def _symbol_size(symbol: str) -> int:
    if symbol == "·":
        return style.FONT_SIZE + 16
    return style.FONT_SIZE + 4 if len(symbol) <= 2 else style.FONT_SIZE


def _block_node(scene, block):
    fill, border = style.MODULE_COLORS
    lines = [t for t in (block.class_name,
                         f"{count_text(block.parameters)} params" if block.parameters else "",
                         "→ " + shape_text(block.output).split(" ")[0] if block.output is not None else "") if t]
    return dict(label=module_table(block.name, lines, fill, border), shape="plain")


def _swatch(colour: str, text: str) -> str:
    return f'<TR><TD ALIGN="LEFT"><FONT COLOR="{colour}" POINT-SIZE="{style.FONT_SIZE + 6}">■</FONT> {text}</TD></TR>'


def _legend(scene, ids) -> str:
    present = {scene.graph.kind(v) for v in scene.graph.values if ids.of_value(v).startswith("v")}
    rows = [_swatch(style.KIND_COLORS[k][1], k) for k in style.KIND_COLORS if k in present]
    if any(ids.of_op(op).startswith("op") for op in scene.graph.ops):
        rows.append(_swatch(style.OP_COLORS[1], "op"))
    if scene.layout is not None and scene.layout.blocks:
        rows.append(_swatch(style.MODULE_COLORS[1], "module"))
    rows += [f'<TR><TD ALIGN="LEFT">{row}</TD></TR>' for row in scene.legend_extra]
    return (f'<<TABLE BORDER="1" COLOR="{style.MUTED}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
            f'STYLE="ROUNDED"><TR><TD ALIGN="LEFT"><B>legend</B></TD></TR>{"".join(rows)}</TABLE>>')


def _title(scene) -> str:
    size = f' FIXEDSIZE="TRUE" WIDTH="{scene.title_width}" HEIGHT="{style.FONT_SIZE + 16}"' if scene.title_width else ""
    return (f'<<TABLE BORDER="0" CELLPADDING="4"><TR><TD ALIGN="LEFT"{size}>'
            f'<FONT POINT-SIZE="{style.FONT_SIZE + 2}">{escape(scene.title)}</FONT></TD></TR></TABLE>>')


def edge_groups(scene: Scene) -> dict:
    """(tail id, head id, operand) -> the graph edges drawn as that one edge, in drawing order. An edge of the
    graph is ("in", op, i), input i flowing into op, or ("out", op), op producing its output. Every operand
    of a drawn op is its own edge (``x * x`` has two, operand 0 and 1); edges into a folded module are
    merged (operand None)."""
    ids = _Ids(scene)
    edges = {}
    for op in scene.graph.ops:
        head = ids.of_op(op)
        for i, x in enumerate(op.inputs):
            tail = ids.of_value(x)
            if tail != head:
                operand = i if head.startswith("op") else None
                edges.setdefault((tail, head, operand), []).append(("in", op, i))
        out = ids.of_value(op.out)
        if out != head:
            edges.setdefault((head, out, None), []).append(("out", op))
    return edges


def _operand_attrs(operand, keys) -> dict:
    """Ports and operand tags for an edge into an op: parallel edges of an input read twice enter the op at
    their own ports; operands of a non-commutative op are tagged 1, 2, ... so the order is visible."""
    if operand is None:
        return {}
    op = keys[0][1]
    n = len(op.inputs)
    attrs = {}
    if n == 2 and op.inputs[0] is op.inputs[1]:
        attrs["headport"] = ("nw", "sw")[operand]
    if n >= 2 and op.name not in COMMUTATIVE:
        attrs.update(headlabel=str(operand + 1), labelfontsize=str(style.SMALL_FONT_SIZE),
                     labelfontcolor=style.MUTED, labeldistance="1.6")
    return attrs


COMMUTATIVE = ("add", "mul", "maximum", "minimum")


def to_digraph(scene: Scene, rankdir: str = "LR") -> Digraph:
    g, lay = scene.graph, scene.layout
    ids = _Ids(scene)
    dot = Digraph("minigrad")
    dot.attr(rankdir="LR" if scene.wrap else rankdir, newrank="true", **style.GRAPH_ATTRS)
    dot.attr("node", **style.NODE_ATTRS)
    dot.attr("edge", **style.EDGE_ATTRS)
    if scene.title:
        dot.attr(label=_title(scene), labelloc="t", labeljust="l")

    members, drawn = {}, {}

    def place(node_id, path, attrs):
        if node_id not in drawn:
            drawn[node_id] = path
            members.setdefault(tuple(path), []).append((node_id, attrs))

    for v in g.values:
        node_id = ids.of_value(v)
        if node_id.startswith("v"):
            place(node_id, lay.clusters.get(id(v), ()) if lay else (), _value_node(scene, v))
    for op in g.ops:
        node_id = ids.of_op(op)
        if node_id.startswith("op"):
            place(node_id, lay.clusters.get(id(op), ()) if lay else (), _op_node(scene, op))
    if lay is not None:
        for name, block in lay.blocks.items():
            place(f"m_{_safe(name)}", lay.clusters[name], _block_node(scene, block))
    members = {tuple(_Part(name) for name in path): items for path, items in members.items()}

    edges = edge_groups(scene)
    row_of = {}
    if scene.wrap:
        row_of = {n: r // scene.wrap for n, r in column_ranks(list(drawn), edges).items()}
        members = _split_into_rows(members, row_of)
    children = {}
    for path in list(members):
        for k in range(len(path)):
            children.setdefault(path[:k], set()).add(path[:k + 1])
    first_member = _first_position(members)
    cluster_id = _cluster_ids(members)

    def emit(sub, path):
        for node_id, attrs in members.get(path, []):
            sub.node(node_id, **attrs)
        for child in sorted(children.get(path, ()), key=first_member):
            with sub.subgraph(name=cluster_id(child[-1])) as c:
                if child[-1].module is None:
                    c.attr(label="", style="invis")
                else:
                    c.attr(**_cluster_attrs(child[-1].module, lay))
                emit(c, child)

    emit(dot, ())
    for (tail, head, operand), keys in edges.items():
        attrs = _operand_attrs(operand, keys)
        attrs.update(scene.edge_style(keys) if scene.edge_style else {})
        if row_of.get(tail) != row_of.get(head):   # into a later row: it must not rank its head after its tail
            attrs["constraint"] = "false"
            if "label" in attrs:    # placed beside the straight edge after layout, not as a rank of its own
                attrs["xlabel"] = attrs.pop("label")
        dot.edge(tail, head, **attrs)
    if scene.wrap:
        _wrap(dot, list(drawn), edges, scene.wrap, scene.row_markers)
        if lay is None:    # an edge into the next row runs straight to it (around module boxes it must curve)
            dot.attr(splines="line", forcelabels="true")
    dot.rows, dot.row_markers = row_of, scene.row_markers
    dot.row_crossings = sum(row_of.get(tail) != row_of.get(head) for tail, head, _ in edges)
    if scene.legend:
        dot.node("legend", label=_legend(scene, ids), shape="plain")
        if scene.legend == "right":   # after the last column: held there by invisible edges from the outputs
            for root in g.roots:
                dot.edge(ids.of_value(root), "legend", style="invis")
        else:
            with dot.subgraph() as s:
                s.attr(rank="sink")
                s.node("legend")
    return dot


@dataclass(frozen=True)
class _Part:
    """One cluster box: a module (``row`` None when the drawing is not wrapped), or, with ``module`` None,
    the invisible box that holds row ``row`` of a wrapped drawing. A module whose nodes lie in several
    rows gets one box per row, so each row is a band of its own and rows never overlap."""
    module: str | None
    row: int | None = None


def _split_into_rows(members, row_of) -> dict:
    """Members keyed by cluster path with every path put inside its row's box: (row, module parts...)."""
    rows = {}
    for path, items in members.items():
        for node_id, attrs in items:
            row = row_of[node_id]
            key = (_Part(None, row),) + tuple(_Part(part.module, row) for part in path)
            rows.setdefault(key, []).append((node_id, attrs))
    return dict(sorted(rows.items(), key=lambda item: item[0][0].row))


def _cluster_ids(members):
    """Graphviz names of the cluster boxes: cluster_<module> for a module's first (or only) box,
    cluster_<module>__<row> for its continuation in later rows, cluster_row_<row> for a row."""
    first_row = {}
    for path in members:
        for part in path:
            if part.module is not None:
                first_row.setdefault(part.module, part.row)

    def cluster_id(part):
        if part.module is None:
            return f"cluster_row_{part.row}"
        if part.row is None or part.row == first_row[part.module]:
            return f"cluster_{_safe(part.module)}"
        return f"cluster_{_safe(part.module)}__{part.row}"
    return cluster_id


def _cluster_attrs(module: str, lay) -> dict:
    label = module
    if lay is not None and lay.class_names.get(module):
        label = f"{module} · {lay.class_names[module]}"
    fill, border = style.CLUSTER_COLORS
    return dict(label=label, labeljust="l", style="rounded,filled", fillcolor=fill, color=border,
                fontcolor=style.MUTED, fontsize=str(style.SMALL_FONT_SIZE + 1))


def column_ranks(nodes, edges) -> dict:
    """node id -> its column in a left-to-right layout: the longest path to it from a source, and a source
    (a weight, a constant) one column before its first reader, so it sits in the row of its reader."""
    rank = {n: 0 for n in nodes}
    parents = {n: [] for n in nodes}
    for tail, head, _ in edges:
        if head in parents and tail in rank:
            parents[head].append(tail)
    changed = True
    while changed:
        changed = False
        for n in nodes:
            r = max((rank[p] + 1 for p in parents[n]), default=0)
            if r > rank[n]:
                rank[n], changed = r, True
    readers = {n: [] for n in nodes}
    for head, tails in parents.items():
        for tail in tails:
            readers[tail].append(head)
    for n in nodes:
        if not parents[n] and readers[n]:
            rank[n] = min(rank[r] for r in readers[n]) - 1
    return rank


def count_columns(scene: Scene) -> int:
    """How many columns the drawing of ``scene`` has in one row (what ``wrap`` splits into rows)."""
    edges = edge_groups(scene)
    nodes = list(dict.fromkeys(n for tail, head, _ in edges for n in (tail, head)))
    return max(column_ranks(nodes, edges).values(), default=0) + 1


def _wrap(dot, nodes, edges, width: int, markers: bool = False):
    """Lay a left-to-right drawing out in rows of ``width`` columns, like lines of text: a node's column
    is its longest path from a source modulo ``width`` (each column one rank); each row is a cluster band
    (see to_digraph). With ``markers``, a column of invisible row markers, linked top to bottom and each to
    the first nodes of its row, holds the rows in order where dot's own order mixes them up (it ignores
    ordering edges between clusters); it costs loopier edges between rows, so it is the second try."""
    rank = column_ranks(nodes, edges)
    columns = {}
    for n in sorted(nodes, key=lambda n: rank[n]):
        columns.setdefault(rank[n] % width, []).append(n)
    for column in columns.values():
        with dot.subgraph() as s:
            s.attr(rank="same")
            for n in column:
                s.node(n)
    if not markers:
        return
    rows = sorted({rank[n] // width for n in nodes})
    with dot.subgraph() as s:
        s.attr(rank="same")
        for row in rows:
            s.node(f"row_{row}", shape="point", style="invis", width="0", height="0", label="")
    for upper, lower in zip(rows, rows[1:]):
        dot.edge(f"row_{upper}", f"row_{lower}", style="invis")
    for n in columns.get(0, []):
        dot.edge(f"row_{rank[n] // width}", n, style="invis")


def _first_position(members):
    """Sort clusters by where their first member was recorded, so they appear in computation order."""
    order = {}
    position = 0
    for path, items in members.items():
        for _ in items:
            position += 1
            for k in range(len(path) + 1):
                order.setdefault(path[:k], position)
    return lambda path: order.get(path, 0)


def colorbar_rows(colorbar, vanishing: bool, exploding: bool) -> list:
    """Legend lines for gradient flow: the colormap from the smallest to the largest gradient norm."""
    blocks = "".join(f'<FONT COLOR="{c}">██</FONT>' for c, _ in colorbar)
    small = f'<FONT POINT-SIZE="{style.SMALL_FONT_SIZE}">'
    rows = ["gradient norm along edges (log scale)",
            f"{small}{number(colorbar[0][1], 2)}</FONT> {blocks} {small}{number(colorbar[-1][1], 2)}</FONT>"]
    if vanishing:
        rows.append(f'<FONT COLOR="{style.ALARM}">- - -  vanishing (&lt; 1e-7 × max)</FONT>')
    if exploding:
        rows.append(f'<FONT COLOR="{style.ALARM}"><B>━━  exploding (&gt; 1e3)</B></FONT>')
    return rows
