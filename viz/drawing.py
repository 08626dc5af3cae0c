"""``viz.draw``: the computation graph of a Scalar or Tensor as a Graphviz Digraph.

    x, y = mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")
    a = x.log().named("a"); b = (y * a).named("b"); c = b.sqrt().named("c"); f = (c + b).named("f")
    viz.draw(f)                       # x, y → log → a → · → b → √ → c → + → f
    viz.draw(f, flow=True)            # edges coloured by the gradient flowing back along them
    viz.draw(loss, modules=model, depth=2)   # ResNet-18 with each BasicBlock folded into one node
"""
from __future__ import annotations

from minigrad import autodiff

from . import style
from .flow import FlowColors, edge_norms, gradient_flow
from .graph import read_graph
from .labels import DIGITS, Row, check_digits, gradient_norm, gradient_text, number, value_text
from .modules import layout
from .scene import Scene, colorbar_rows, count_columns, count_elements, edge_groups, to_digraph
from .slides import (check_font_scale, check_legend, fit_aspect, in_reading_order, pad_to, parse_aspect,
                     scale_fonts)

SHOW = ("value", "grad", "tangent")
SHOW_OPTIONS = SHOW + ("full",)   # "full": every entry of tensors up to 64 elements
RANKDIRS = ("LR", "TB", "RL", "BT")


def _check_options(show, rankdir, max_elements, depth, wrap):
    show = (show,) if isinstance(show, str) else tuple(show)
    unknown = [s for s in show if s not in SHOW_OPTIONS]
    if unknown:
        raise ValueError(f"viz.draw: show={unknown} is not understood; choose from {SHOW_OPTIONS}")
    if show == ("full",):
        show = SHOW + show
    if rankdir not in RANKDIRS:
        raise ValueError(f"viz.draw: rankdir must be one of {RANKDIRS}, got {rankdir!r}")
    if not isinstance(max_elements, int) or max_elements < 1:
        raise ValueError(f"viz.draw: max_elements must be a positive int, got {max_elements!r}")
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise ValueError(f"viz.draw: depth must be a positive int (1 folds top-level modules) or None, got {depth!r}")
    if wrap is not None and (not isinstance(wrap, int) or wrap < 1):
        raise ValueError(f"viz.draw: wrap must be a positive int (columns per row) or None, got {wrap!r}")
    return show


def _model_of(modules):
    if modules is True or modules is False or modules is None:
        return None
    if not hasattr(modules, "named_modules"):
        raise TypeError(f"viz.draw: modules= takes True/False or the nn.Module that made the graph, got "
                        f"{type(modules).__name__}")
    return modules


def value_rows(node, show, gradient, tangents, digits: int = DIGITS) -> list:
    """The rows of a value node: value, grad (— before backward), and tangents when given."""
    rows, full = [], "full" in show
    if "value" in show:
        rows.append(Row("value", value_text(node, digits, full)))
    if "grad" in show and node.requires_grad:
        rows.append(Row("grad", gradient_text(gradient(node), digits, full)))
    if "tangent" in show and id(node) in tangents:
        t = tangents[id(node)]
        if isinstance(t, dict):
            rows += [Row(f"∂/∂{direction}", value_text(tv, digits, full)) for direction, tv in t.items()]
        else:
            rows.append(Row("tangent", value_text(t, digits, full)))
    return rows


def local_derivatives(graph) -> dict:
    """(id(op), i) -> ∂out/∂input_i, from each op's vjp with g = 1 (Scalar graphs)."""
    out = {}
    with autodiff.no_grad():
        for op in graph.ops:
            grads = op.vjp(op.out.ones_like())
            grads = grads if isinstance(grads, tuple) else (grads,)
            for i, (g, need) in enumerate(zip(grads, op.needs_grad)):
                if need and g is not None:
                    out[(id(op), i)] = g
    return out


def draw(root, show=SHOW, flow: bool = False, modules=False, depth: int | None = None, rankdir: str = "LR",
         max_elements: int = 2000, edge_labels: bool = False, tangents: dict | None = None,
         legend: bool | str = True, wrap: int | None = None, show_saved: bool = False, aspect=None,
         font_scale: float = 1.0, digits: int = DIGITS):
    """The computation graph behind ``root`` (a Scalar or Tensor, or a list of them) as a Digraph.

    show          rows of value nodes: "value", "grad" (— until backward), "tangent" (with ``tangents``);
                  add "full" to print every entry of tensors up to 64 elements (show="full": all rows)
    flow          colour and widen edges by the norm of the gradient flowing back along them (log scale),
                  marking vanishing (< 1e-7 of the largest) and exploding (> 1e3) ones; needs no backward
    modules       True: cluster ops by the nn.Module that recorded them; or the model itself, which adds
                  class names, parameter counts and parameter names
    depth         fold every module that many levels down into one node (2: ResNet BasicBlocks)
    edge_labels   label Scalar edges with the local derivative ∂out/∂in
    tangents      {node: tangent} or {node: {input name: tangent}}, e.g. from a forward-mode run
    max_elements  refuse graphs with more drawn nodes than this (fold modules with ``depth`` instead)
    legend        add a legend (node kinds; the colour scale with ``flow``): True or "right" after the last
                  column, "left" before the first, False for none
    wrap          lay out left to right in rows of this many columns, like lines of text, so a long chain
                  (a folded ResNet) fits a slide; each row is a band of its own, a module cluster spanning
                  rows gets one box per row (cluster_<name>, then cluster_<name>__<row>); one dot run checks
                  that the rows stack in order, else invisible row markers hold them
    show_saved    list under each op what it keeps for its backward rule (saved tensors and attributes)
    aspect        "16:9" (or a width/height number): wrap into the rows closest to it, then pad to it exactly;
                  wraps that Graphviz cannot lay out in reading order are skipped (a RuntimeWarning when
                  none is left and the drawing stays one row)
    font_scale    multiply every font size (1.5 for a projector)
    digits        significant digits of every number drawn
    """
    show = _check_options(show, rankdir, max_elements, depth, wrap)
    ratio = parse_aspect(aspect)
    font_scale = check_font_scale(font_scale)
    check_legend(legend)
    check_digits(digits)
    model = _model_of(modules)
    parameter_names = {id(p): n for n, p in model.named_parameters()} if model is not None else {}
    graph = read_graph(root, parameter_names)
    if edge_labels and not graph.is_scalar:
        raise ValueError("viz.draw: edge_labels=True labels edges with local derivatives, which only Scalar "
                         "graphs have; leave it off for Tensor graphs")
    tangents = {id(k): v for k, v in (tangents or {}).items()}
    use_modules = bool(modules) or depth is not None
    scene = Scene(graph, {}, legend=legend, wrap=wrap)
    if use_modules:
        scene.layout = layout(graph, depth, model)
        scene.elide_intermediates = depth is not None

    flows = gradient_flow(graph) if flow else None
    gradient = (lambda v: flows.adjoints.get(id(v))) if flow else (lambda v: v.grad)
    for v in graph.values:
        scene.rows[id(v)] = value_rows(v, show, gradient, tangents, digits)
    scene.show_saved = show_saved

    styles = []
    if flow:
        styles.append(_flow_style(graph, flows, scene))
    if edge_labels:
        styles.append(_derivative_labels(graph))
    scene.edge_style = lambda keys: {k: v for s in styles for k, v in s(keys).items()}

    n = count_elements(scene)
    if n > max_elements:
        hint = "pass modules=model, depth=2 to fold modules" if not use_modules or depth is None else \
            "use a smaller depth"
        raise ValueError(f"viz.draw: the graph has {n} nodes, more than max_elements={max_elements}; {hint}, "
                         "or raise max_elements")
    return finish(scene, rankdir, ratio, font_scale)


def finish(scene, rankdir, ratio, font_scale, where: str = "viz.draw"):
    """The scene's Digraph with fonts scaled and, given a width/height ``ratio``, wrapped into the rows that
    come closest to it (unless the scene has its own ``wrap``) and padded to it."""
    def make(wrap, markers=False):
        scene.wrap, scene.row_markers = wrap, markers
        return scale_fonts(to_digraph(scene, rankdir), font_scale)

    if scene.wrap is not None:
        dot = in_reading_order(make, scene.wrap)
        return dot if ratio is None else pad_to(dot, ratio)
    if ratio is None:
        return make(None)
    wrap, dot = fit_aspect(make, count_columns(scene), ratio, where)
    scene.wrap, scene.row_markers = wrap, dot.row_markers
    return dot


def _flow_style(graph, flows, scene):
    """Edge colours on one log scale over the drawn edges (a folded edge shows its largest gradient)."""
    norms = edge_norms(flows)
    out_norms = {id(op): gradient_norm(flows.adjoints[id(op.out)]) for op in graph.ops
                 if id(op.out) in flows.adjoints}

    def norm_of(key):
        return norms.get((id(key[1]), key[2])) if key[0] == "in" else out_norms.get(id(key[1]))

    def largest(keys):
        found = [n for n in map(norm_of, keys) if n is not None]
        return max(found) if found else None

    drawn = [n for n in map(largest, edge_groups(scene).values()) if n is not None]
    colors = FlowColors(drawn)
    scene.legend_extra = colorbar_rows(colors.colorbar(), any(map(colors.vanishing, drawn)),
                                       any(map(colors.exploding, drawn)))

    def edge_style(keys):
        n = largest(keys)
        return dict(color=style.NO_GRADIENT_EDGE, style="dotted") if n is None else colors.edge_attrs(n)

    return edge_style


def _derivative_labels(graph):
    local = local_derivatives(graph)

    def edge_style(keys):
        kind, op, *rest = keys[0]
        if kind != "in" or (id(op), rest[0]) not in local:
            return {}
        x = op.inputs[rest[0]]
        text = f"∂{graph.name(op.out)}/∂{graph.name(x) or number(x.data)} = {number(local[(id(op), rest[0])].data)}"
        return dict(label=text)

    return edge_style
