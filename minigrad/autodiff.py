"""The graph core shared by Scalar and Tensor.

A value produced by an op remembers that op (``node._op``); the op remembers its inputs. That is the
whole computation graph. This module orders it (``toposort``), runs it backwards (``backprop``:
reverse mode, vector-Jacobian products) and forwards (``forward_sweep``: forward mode,
Jacobian-vector products), and holds the grad mode (``no_grad`` / ``enable_grad``).

Every op is one small subclass of ``Op`` with three methods side by side:

    forward(*raw)    the computation on raw payloads (floats or backend arrays)
    vjp(g)           reverse rule: the gradient of each input, given the output's gradient g
    jvp(*tangents)   forward rule: the output's tangent, given one tangent per input

The rules are written with Scalar/Tensor operations, so they are themselves recorded when grad mode
is on: that is what makes grad of grad and forward-over-reverse work.
"""
from __future__ import annotations

import threading
import weakref


class _GradState(threading.local):
    grad_enabled = True  # the default in every thread


_state = _GradState()


def is_grad_enabled() -> bool:
    return _state.grad_enabled


class _GradMode:
    enabled: bool

    def __enter__(self):
        self._prev = is_grad_enabled()
        _state.grad_enabled = self.enabled

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        wrapper.__name__, wrapper.__doc__ = fn.__name__, fn.__doc__
        return wrapper


class no_grad(_GradMode):
    """Context manager / decorator: ops inside record no graph (evaluation, optimizer steps)."""

    enabled = False


class enable_grad(_GradMode):
    """Context manager / decorator: turn graph recording back on inside a ``no_grad`` block."""

    enabled = True


_scope: list = []  # names of the nn.Modules currently running (innermost last), for drawing


class module_scope:
    """Ops recorded inside ``with module_scope("layer1.0"):`` remember that name (``op.scope``)."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self):
        _scope.append(self.name)

    def __exit__(self, *exc):
        _scope.pop()


class VersionCounter:
    """How many in-place changes a block of memory has seen: shared by a tensor, its views and its
    detached aliases, so a change made through any of them is seen through all (as in PyTorch)."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Op:
    """One differentiable operation: forward, reverse rule (vjp) and forward rule (jvp).

    Attributes set when the op is applied: ``inputs`` (the input nodes), ``needs_grad`` (which inputs
    want a gradient), ``xp`` (the backend module of the payloads), and ``out`` (the output node,
    held weakly so the graph has no reference cycles).
    """

    # what the graph core sets on every applied op (not the op's own geometry or constants)
    BOOKKEEPING = frozenset({"inputs", "needs_grad", "versions", "out_version", "xp", "scope", "freed"})
    differentiable = True
    is_view = False  # the output shares the first input's memory (and so its version counter)
    scope = ()
    symbol = None  # formula template for tables and drawings, e.g. "log({0})"

    def __init__(self, **attrs):
        self.__dict__.update(attrs)

    def forward(self, *raw):
        raise NotImplementedError

    def vjp(self, g):
        raise NotImplementedError(f"{type(self).__name__} has no reverse-mode rule")

    def jvp(self, *tangents):
        raise NotImplementedError(f"{type(self).__name__} has no forward-mode rule")

    @property
    def out(self):
        return self._out_ref()

    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    def formula(self, *names) -> str:
        if self.symbol is None:
            return f"{self.name}({', '.join(names)})"
        return self.symbol.format(*names, **{k: v for k, v in self.__dict__.items() if not k.startswith("_")})

    def shares_memory(self) -> bool:
        """Whether the output is a view of the first input (``is_view``; ops may decide per call)."""
        return self.is_view

    def free(self):
        self.freed = True

    freed = False

    @classmethod
    def apply(cls, *inputs, **attrs):
        """Run the op on nodes; record it in the graph when grad mode is on and an input needs grad."""
        op = cls(**attrs)
        first = inputs[0]
        for x in inputs[1:]:
            if x.device != first.device:
                raise RuntimeError(f"{cls.__name__}: inputs are on different devices ({first.device} and "
                                   f"{x.device}); move them with .to(device) first")
        op.xp = first.backend
        try:
            raw = op.forward(*[x.data for x in inputs])
        except ValueError as e:
            shapes = " and ".join(str(x.shape) for x in inputs)
            raise ValueError(f"{cls.__name__}: cannot apply to shapes {shapes} ({e})") from None
        out = first._new(raw)
        if op.shares_memory():
            out._versions = first._shared_versions()
            shares = getattr(op.xp, "shares_memory", None)  # a backend whose views may be copies (CUDA)
            if shares is not None and not shares(raw, first.data):
                out._view_of = (first, op)
        if cls.differentiable and is_grad_enabled():
            needs = [x.requires_grad for x in inputs]
            if any(needs):
                op.inputs = inputs
                op.needs_grad = needs
                op.versions = [x._version for x in inputs]
                op.out_version = out._version
                op._out_ref = weakref.ref(out)
                op.scope = tuple(_scope)
                out._op = op
                out.requires_grad = True
        return out


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods; ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict, hook):
        RemovableHandle._next_id += 1
        self._hooks, self._key = hooks, RemovableHandle._next_id
        hooks[self._key] = hook

    def remove(self):
        self._hooks.pop(self._key, None)


class Node:
    """What Scalar and Tensor share: payload, graph link, gradient, name and in-place version."""

    _op: Op | None = None
    _post_accumulate_grad_hooks: dict = {}
    grad = None
    name: str | None = None
    _versions: VersionCounter | None = None  # created on the first in-place change or view
    _view_of: tuple | None = None  # (base, view op) where the backend copied a view: in-place writes go back
    _retains_grad = False

    # --- provided by Scalar / Tensor ---------------------------------------------------------
    backend = None

    def _new(self, raw):
        """A fresh node of the same kind (and device) around ``raw``."""
        raise NotImplementedError

    def zeros_like(self):
        raise NotImplementedError

    def ones_like(self):
        raise NotImplementedError

    # --- in-place versions ---------------------------------------------------------------------
    @property
    def _version(self) -> int:
        return 0 if self._versions is None else self._versions.value

    def _shared_versions(self) -> VersionCounter:
        if self._versions is None:
            self._versions = VersionCounter()
        return self._versions

    def _bump(self):
        """Count an in-place change of this node's memory (seen by every view and alias of it)."""
        self._shared_versions().value += 1
        return self

    # --- graph ---------------------------------------------------------------------------------
    @property
    def is_leaf(self) -> bool:
        return self._op is None

    def detach(self):
        """The same value, cut from the graph; it shares the memory and so the version counter."""
        out = self._new(self.data)
        out.name = self.name
        out._versions = self._shared_versions()
        out._view_of = self._view_of
        return out

    def requires_grad_(self, flag: bool = True):
        kind = getattr(self.dtype, "kind", "f")  # (a Scalar's dtype is the Python float)
        if flag and kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.dtype}")
        if not self.is_leaf and not flag:
            raise RuntimeError("requires_grad_(False) only works on leaves; use .detach() on results of ops")
        self.requires_grad = flag
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf node after backward (leaves always keep it)."""
        self._retains_grad = True
        return self

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """Call ``hook(leaf)`` each time ``backward`` has accumulated this leaf's ``.grad`` (PyTorch's
        name). Its gradient for that backward is then final: distributed training starts sending it."""
        if not self.is_leaf:
            raise RuntimeError("register_post_accumulate_grad_hook works only on leaves (parameters)")
        if "_post_accumulate_grad_hooks" not in self.__dict__:
            self._post_accumulate_grad_hooks = {}
        return RemovableHandle(self._post_accumulate_grad_hooks, hook)

    def named(self, name: str):
        """Give the node a name (shown by ``mg.trace`` and ``viz``); returns the node."""
        self.name = name
        return self

    def _repr_svg_(self):
        """Jupyter: the graph behind a computed one-element value, a Scalar or a loss (``viz.draw``); None
        (the text repr) for a leaf, a tensor of several entries (its numbers matter more), a graph too big
        to draw, or without Graphviz. viz is imported here only: minigrad never needs it."""
        if self._op is None or self.size != 1:
            return None
        try:
            import viz
            return viz.svg_text(viz.draw(self, max_elements=300))
        except Exception:
            return None

    def backward(self, grad=None, retain_graph: bool = False, create_graph: bool = False):
        """Reverse mode: accumulate d(self)/d(leaf) into every leaf's ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a value that does not require grad: no input of the computation "
                "had requires_grad=True (or it ran under mg.no_grad())")
        if grad is None:
            if self.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient works only for a scalar output, but this output has "
                    f"shape {self.shape}; pass grad= (a tensor of shape {self.shape})")
            grad = self.ones_like()
        else:
            grad = self._lift(grad)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape} but the output has shape {self.shape}")
        backprop([self], [grad], retain_graph=retain_graph or create_graph, create_graph=create_graph,
                 accumulate=True)


def toposort(roots, stop_at=()):
    """Nodes that require grad and lead to ``roots``, inputs before outputs (iterative DFS, any depth)."""
    order, visited = [], set()
    stops = {id(n) for n in stop_at}
    stack = [(r, False) for r in reversed(roots) if r.requires_grad]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        if node._op is not None and id(node) not in stops:
            for parent in reversed(node._op.inputs):
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def _check_saved_versions(op):
    saved = list(zip(op.inputs, op.versions))
    if op.out is not None:
        saved.append((op.out, op.out_version))
    for x, v in saved:
        if x._version != v:
            raise RuntimeError(
                f"a value needed to compute the gradient of {op.name} was modified by an in-place operation: "
                f"the value of shape {x.shape} is at version {x._version}, but the graph saved version {v}. "
                "Don't modify tensors in place between forward and backward (use an out-of-place op or "
                "clone first).")


def backprop(roots, root_grads, inputs=None, retain_graph=False, create_graph=False, accumulate=True):
    """Reverse mode over the graph of ``roots``: g[i] += g[l] * df_l/dy_i in reverse topological order.

    ``inputs=None`` accumulates into leaves' ``.grad`` (``Tensor.backward``); with ``inputs`` it returns
    their gradients instead (``mg.autodiff.grad``). With ``create_graph`` the rules are recorded so the
    gradients can be differentiated again.
    """
    stop = () if inputs is None else inputs
    input_ids = {id(n) for n in stop}
    order = toposort(roots, stop_at=stop)
    if inputs is not None:
        relevant = set(input_ids)
        for node in order:
            if node._op is not None and id(node) not in relevant:
                if any(id(p) in relevant for p in node._op.inputs):
                    relevant.add(id(node))
    grads = {}
    for r, g in zip(roots, root_grads):
        grads[id(r)] = g if id(r) not in grads else grads[id(r)] + g
    wanted = {} if inputs is None else {id(n): None for n in inputs}
    mode = enable_grad() if create_graph else no_grad()
    with mode:
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if id(node) in wanted:
                wanted[id(node)] = g if wanted[id(node)] is None else wanted[id(node)] + g
            op = node._op
            if accumulate and (op is None or node._retains_grad):
                if not create_graph:
                    g = g.detach()
                node.grad = g if node.grad is None else node.grad + g
                for hook in tuple(node._post_accumulate_grad_hooks.values()):
                    hook(node)
            if op is None or id(node) in input_ids:
                continue
            if inputs is not None and id(node) not in relevant:
                continue
            if op.freed:
                raise RuntimeError(
                    "Trying to backward through the graph a second time, but its saved values were freed "
                    "by the first backward. Call the first .backward(retain_graph=True) if you need to "
                    "backward twice.")
            _check_saved_versions(op)
            in_grads = op.vjp(g)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            for x, gx, need in zip(op.inputs, in_grads, op.needs_grad):
                if need and gx is not None:
                    grads[id(x)] = gx if id(x) not in grads else grads[id(x)] + gx
            if not retain_graph:
                op.free()
    if inputs is not None:
        return [wanted[id(n)] for n in inputs]
    return None


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=True):
    """d(outputs)/d(inputs) as a list (like ``torch.autograd.grad``); does not touch ``.grad``.

    Inputs the outputs do not depend on get zeros.
    """
    outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if grad_outputs is None:
        for o in outputs:
            if o.size != 1:
                raise RuntimeError(f"grad() of a non-scalar output of shape {o.shape} needs grad_outputs")
        grad_outputs = [o.ones_like() for o in outputs]
    else:
        grad_outputs = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not live:
        return [x.zeros_like() for x in inputs]
    retain = create_graph if retain_graph is None else retain_graph
    result = backprop([o for o, _ in live], [g for _, g in live], inputs=inputs, retain_graph=retain,
                      create_graph=create_graph, accumulate=False)
    return [x.zeros_like() if g is None else g for x, g in zip(inputs, result)]


def absent_tangent(node):
    """Zeros standing for "no tangent": the input of an op that forward mode does not follow. Rules
    that multiply a tangent (``_times`` in ops.elementwise) treat it as an exact 0, like PyTorch's
    ZeroTensor, so 0 · inf is 0 there (jvp(grad(sqrt)) at 0 is -inf, as in PyTorch, not nan)."""
    zero = node.zeros_like()
    zero._absent = True
    return zero


def is_absent(tangent) -> bool:
    return getattr(tangent, "_absent", False)


def forward_sweep(outputs, inputs, tangents, on_step=None):
    """Forward mode over the recorded graph: dy_l = sum_i df_l/dy_i * dy_i in topological order.

    Returns the tangent of each output (zeros where it does not depend on ``inputs``).
    ``on_step(node, op, tangent)`` is called after every computed node (used by ``mg.trace``).
    """
    tan = {id(x): t for x, t in zip(inputs, tangents)}
    for node in toposort(outputs, stop_at=inputs):
        op = node._op
        if id(node) in tan or op is None:
            continue
        ts = [tan.get(id(p)) for p in op.inputs]
        if all(t is None for t in ts):
            continue
        ts = [absent_tangent(p) if t is None else t for p, t in zip(op.inputs, ts)]
        t = op.jvp(*ts)
        if getattr(t, "shape", None) != node.shape:
            t = t.expand(node.shape)
        tan[id(node)] = t
        if on_step is not None:
            on_step(node, op, t)
    return [tan.get(id(o), None) if id(o) in tan else o.zeros_like() for o in outputs]
