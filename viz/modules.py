"""Which nn.Module made each part of a graph: clusters, and modules folded into one node.

Every op remembers the modules that were running when it was recorded (``op.scope``, qualified names,
outermost first: ("layer1", "layer1.0", "layer1.0.conv1")). With ``depth=None`` each module becomes a
cluster around its ops. With ``depth=d`` every op inside a module is folded into its enclosing module
``d`` levels down (``layer1.0`` at depth 2, ``layer1`` at depth 1), drawn as one node with the module's
class, parameter count and output shape, inside clusters of the modules above it. Modules less than
``d`` levels down fold too when they have no submodules (``conv1``); the ops a parent module runs
itself (the residual ``+`` of a BasicBlock at depth 3) stay ops inside its cluster.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .graph import Graph, consumers


@dataclass
class Block:
    """A module folded into one node."""
    name: str
    class_name: str = ""
    parameters: int = 0
    output: object = None   # the value node it hands on (for its shape)


@dataclass
class ModuleLayout:
    units: dict = field(default_factory=dict)     # id(op or value) -> name of the block it is folded into
    clusters: dict = field(default_factory=dict)  # id(op, value or block name) -> cluster path (outermost first)
    blocks: dict = field(default_factory=dict)    # block name -> Block
    class_names: dict = field(default_factory=dict)  # module name -> class name (when the model is known)
    modules_of: dict = field(default_factory=dict)   # block name of a second call ("relu #2") -> module name


def _root_names(scopes, model) -> set:
    """Scope entries that stand for the model itself (Module.__call__ names the root by its class)."""
    roots = set()
    if model is not None:
        roots.add(getattr(model, "qualified_name", "") or type(model).__name__)
    for scope in scopes:
        if len(scope) >= 2 and not scope[1].startswith(scope[0] + "."):
            roots.add(scope[0])
    return roots


def _module_scope(op, roots) -> tuple:
    scope = tuple(s for s in op.scope if s)
    return scope[1:] if scope and scope[0] in roots else scope


def layout(graph: Graph, depth: int | None = None, model=None) -> ModuleLayout:
    """Clusters (and, with ``depth``, folded blocks) for the ops and values of ``graph``."""
    named = dict(model.named_modules()) if model is not None else {}
    roots = _root_names([op.scope for op in graph.ops], model)
    result = ModuleLayout(class_names={n: type(m).__name__ for n, m in named.items() if n})

    scopes = {id(op): _module_scope(op, roots) for op in graph.ops}
    parents = {name for scope in scopes.values() for name in scope[:-1]}
    producer_unit, producer_cluster = {}, {}
    for op in graph.ops:
        scope = scopes[id(op)]
        if depth is not None and scope and (len(scope) >= depth or scope[-1] not in parents):
            k = min(depth, len(scope))
            unit, path = scope[k - 1], scope[:k - 1]
            result.units[id(op)] = unit
            if unit not in result.blocks:
                result.blocks[unit] = Block(unit, result.class_names.get(unit, ""))
                result.clusters[unit] = path
        else:
            path = scope
        result.clusters[id(op)] = path
    _split_calls(graph, result)
    for op in graph.ops:
        producer_unit[id(op.out)] = result.units.get(id(op))
        producer_cluster[id(op.out)] = result.clusters[id(op)]

    readers = consumers(graph)
    for v in graph.values:
        kind = graph.kind(v)
        if id(v) in producer_cluster:
            unit, path = producer_unit[id(v)], producer_cluster[id(v)]
            if unit is not None and kind != "output":
                result.units[id(v)] = unit
            result.clusters[id(v)] = path if unit is None else result.clusters[unit]
            continue
        reader_units = {result.units.get(id(op)) for op in readers[id(v)]}
        reader_paths = [result.clusters[id(op)] for op in readers[id(v)]]
        if kind in ("parameter", "constant") and len(reader_units) == 1 and None not in reader_units:
            result.units[id(v)] = reader_units.pop()
        result.clusters[id(v)] = _common_prefix(reader_paths) if kind != "input" else ()

    _describe_blocks(graph, result, named, readers)
    return result


def _split_calls(graph, result):
    """A module called twice (BasicBlock's ``self.relu``) is two blocks, "layer1.0.relu" and
    "layer1.0.relu #2": the ops of one call are connected through each other, those of separate calls are
    not. Without the split both calls fold into one node and the drawing has a cycle."""
    by_unit = {}
    for op in graph.ops:
        unit = result.units.get(id(op))
        if unit is not None:
            by_unit.setdefault(unit, []).append(op)
    for unit, ops in by_unit.items():
        component = {id(op): i for i, op in enumerate(ops)}

        def find(i):
            while component_of[i] != i:
                component_of[i] = component_of[component_of[i]]
                i = component_of[i]
            return i

        component_of = list(range(len(ops)))
        makers = {id(op.out): component[id(op)] for op in ops}
        for op in ops:
            for x in op.inputs:
                if id(x) in makers:
                    component_of[find(component[id(op)])] = find(makers[id(x)])
        roots = list(dict.fromkeys(find(i) for i in range(len(ops))))
        for call, root in enumerate(roots[1:], start=2):
            name = f"{unit} #{call}"
            result.blocks[name] = Block(name, result.blocks[unit].class_name)
            result.clusters[name] = result.clusters[unit]
            result.modules_of[name] = unit
            for i, op in enumerate(ops):
                if find(i) == root:
                    result.units[id(op)] = name


def _common_prefix(paths) -> tuple:
    if not paths:
        return ()
    prefix = paths[0]
    for p in paths[1:]:
        n = 0
        while n < min(len(prefix), len(p)) and prefix[n] == p[n]:
            n += 1
        prefix = prefix[:n]
    return tuple(prefix)


def _describe_blocks(graph, result, named, readers):
    """Parameter count (from the model, else the parameters folded in) and output value of each block."""
    for v in graph.values:
        unit = result.units.get(id(v))
        if unit is None:
            continue
        block = result.blocks[unit]
        if graph.kind(v) == "parameter" and result.modules_of.get(unit, unit) not in named:
            block.parameters += v.size
        leaves_block = graph.kind(v) == "output" or any(result.units.get(id(op)) != unit for op in readers[id(v)])
        if v._op is not None and leaves_block:
            block.output = v
    for v in graph.values:
        op = v._op
        if graph.kind(v) == "output" and op is not None and id(op) in result.units:
            result.blocks[result.units[id(op)]].output = v
    for name, block in result.blocks.items():
        module = result.modules_of.get(name, name)
        if module in named:
            block.parameters = sum(p.size for p in named[module].parameters())
