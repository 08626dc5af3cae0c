"""JAX-style function transforms over the graph core: grad, value_and_grad, vjp, jvp, jacrev, jacfwd,
hessian, hvp. They take Scalars or Tensors (numbers become Scalars, arrays become Tensors) and nest:
``grad(grad(f))``, ``jacfwd(jacrev(f))`` (the Hessian, forward over reverse), ``jvp(grad(f), ...)``.

Each transform feeds ``f`` fresh nodes for its arguments (an identity op on top of what it was
given), so an inner transform differentiates only through its own arguments. Inside another
transform the rules are recorded (``create_graph``), which is what lets the outer one differentiate
the inner one's result; at top level results come back detached.
"""
from __future__ import annotations

import numpy as np

from . import autodiff
from .autodiff import Node, enable_grad, no_grad
from .ops.elementwise import Identity
from .scalar import Scalar
from .tensor import Tensor, stack, tensor

_depth = 0  # how many transforms are running around the current call


def _as_node(x) -> Node:
    if isinstance(x, Node):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return Scalar(float(x), requires_grad=False)
    return tensor(x)


def _fresh(x: Node) -> Node:
    """A new differentiable node equal to ``x`` (still connected to x's graph if x has one)."""
    with enable_grad():
        if x.requires_grad:
            return Identity.apply(x)
        return x.detach().requires_grad_()


def _argnums(argnums, n):
    """``argnums`` (an int or a non-empty tuple of distinct ints) as non-negative positions among n arguments."""
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if not isinstance(nums, tuple) or not nums or any(isinstance(a, bool) or not isinstance(a, int) for a in nums):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    for a in nums:
        if not -n <= a < n:
            raise ValueError(f"argnums={argnums} is out of range for a function called with {n} arguments")
    nums = tuple(a % n for a in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"argnums={argnums} names the same argument more than once; each must be distinct")
    return nums


class _Nested:
    """Context for running ``f`` inside a transform; tells whether results must stay differentiable."""

    def __init__(self, primals):
        self.create_graph = _depth > 0 or any(isinstance(p, Node) and p.requires_grad for p in primals)

    def __enter__(self):
        global _depth
        _depth += 1
        self._grad = enable_grad()
        self._grad.__enter__()
        return self

    def __exit__(self, *exc):
        global _depth
        _depth -= 1
        self._grad.__exit__(*exc)

    def finish(self, x):
        if x is None or self.create_graph:
            return x
        return x.detach()


# ---- pytrees: tuples, lists and dicts of tensors as inputs and outputs ------------------------------

def _flatten(tree):
    """(leaves, structure) of a pytree: tuples (namedtuples too), lists and dicts nest; anything else is a leaf."""
    if isinstance(tree, (tuple, list)):
        leaves, parts = [], []
        for item in tree:
            sub, part = _flatten(item)
            leaves += sub
            parts.append((part, len(sub)))
        return leaves, (type(tree), None, parts)
    if isinstance(tree, dict):
        leaves, parts = _flatten(list(tree.values()))
        return leaves, (dict, list(tree), parts[2])
    return [tree], None


def _unflatten(structure, leaves):
    """The pytree of ``structure`` with ``leaves`` in its places (the inverse of ``_flatten``)."""
    if structure is None:
        return leaves[0]
    kind, keys, parts = structure
    items, start = [], 0
    for part, n in parts:
        items.append(_unflatten(part, leaves[start:start + n]))
        start += n
    if kind is dict:
        return dict(zip(keys, items))
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def _call(f, args, argnums, has_aux=False):
    """Run f with fresh nodes for the leaves of the arguments at ``argnums``.

    Returns (nested ctx, input leaves, their structure per argnum, output leaves, output structure, aux).
    """
    args = list(args)
    nums = _argnums(argnums, len(args))
    flat = [_flatten(args[a]) for a in nums]
    ctx = _Nested([x for leaves, _ in flat for x in leaves])
    xs, in_trees = [], []
    with ctx:
        for a, (leaves, structure) in zip(nums, flat):
            fresh = [_fresh(_as_node(x)) for x in leaves]
            args[a] = _unflatten(structure, fresh)
            xs += fresh
            in_trees.append((structure, len(fresh)))
        result = f(*args)
    if has_aux:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError("with has_aux=True the function must return a pair (output, aux)")
        out, aux = result
    else:
        out, aux = result, None
    outs, out_tree = _flatten(out)
    for o in outs:
        if not isinstance(o, Node):
            raise TypeError(f"the function must return Scalars or Tensors (or tuples, lists, dicts of them), "
                            f"got {type(o).__name__}")
    return ctx, xs, in_trees, outs, out_tree, aux


def _per_argnum(values, in_trees, argnums):
    """Flat per-leaf values regrouped into one pytree per argnum (one tree when argnums is an int)."""
    trees, start = [], 0
    for structure, n in in_trees:
        trees.append(_unflatten(structure, values[start:start + n]))
        start += n
    return trees[0] if isinstance(argnums, int) else tuple(trees)


def _check_like(given, expected, what):
    """The leaves of ``given``, which must be as many as those of ``expected`` (lists and tuples may differ)."""
    leaves, n = _flatten(given)[0], len(_flatten(expected)[0])
    if len(leaves) != n:
        raise ValueError(f"{what} has {len(leaves)} leaves but the value it belongs to has {n}")
    return leaves


# ---- reverse mode ------------------------------------------------------------------------------

def value_and_grad(f, argnums=0, has_aux=False):
    """x ↦ (f(x), ∇f(x)) for a scalar-valued f (with ``has_aux``: ((f(x), aux), ∇f(x))).

    Arguments may be pytrees (tuples, lists, dicts of tensors); the gradient has the same structure."""

    def value_and_grad_f(*args):
        ctx, xs, in_trees, outs, out_tree, aux = _call(f, args, argnums, has_aux)
        if out_tree is not None:
            raise TypeError("grad needs a function that returns one scalar; use mg.vjp or mg.jacrev for "
                            "tuples, lists or dicts of outputs")
        out = outs[0]
        if out.size != 1:
            raise ValueError(f"grad needs a function with a scalar output, but it returned shape {out.shape}; "
                             "use mg.jacrev or mg.vjp for non-scalar outputs")
        with ctx:
            gs = autodiff.grad([out], xs, [out.ones_like()], create_graph=ctx.create_graph)
        g = _per_argnum([ctx.finish(g) for g in gs], in_trees, argnums)
        value = ctx.finish(out)
        return ((value, aux) if has_aux else value), g

    return value_and_grad_f


def grad(f, argnums=0, has_aux=False):
    """∇f: the function x ↦ ∂f/∂x for a scalar-valued f (a tuple when ``argnums`` is a tuple)."""
    vg = value_and_grad(f, argnums, has_aux)

    def grad_f(*args):
        (value, g) = vg(*args)
        return (g, value[1]) if has_aux else g

    return grad_f


def vjp(f, *primals, has_aux=False):
    """(f(x), v ↦ vᵀ·∂f/∂x): reverse mode for any output shape; outputs, primals and cotangents may be pytrees."""
    ctx, xs, in_trees, outs, out_tree, aux = _call(f, primals, tuple(range(len(primals))), has_aux)

    def vjp_fn(cotangent):
        cts = _check_like(cotangent, _unflatten(out_tree, outs), "vjp: the cotangent")
        cts = [o._lift(c) if not isinstance(c, Node) else c for o, c in zip(outs, cts)]
        for o, c in zip(outs, cts):
            if c.shape != o.shape:
                raise ValueError(f"vjp: the cotangent has shape {c.shape}, but the output has shape {o.shape}")
        with ctx:
            gs = autodiff.grad(outs, xs, cts, retain_graph=True, create_graph=ctx.create_graph)
        return _per_argnum([ctx.finish(g) for g in gs], in_trees, tuple(range(len(primals))))

    value = _unflatten(out_tree, [ctx.finish(o) for o in outs])
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def _jacobians(outs, out_tree, xs, in_trees, argnums, derivative):
    """The Jacobian pytree: for each output leaf, the per-argnum trees of ∂out/∂x (shape out.shape + x.shape)."""
    per_output = [_per_argnum([derivative(i, j) for j in range(len(xs))], in_trees, argnums)
                  for i in range(len(outs))]
    return _unflatten(out_tree, per_output)


def _unit(node, k):
    """The k-th basis element in the shape of ``node``."""
    e = np.zeros(node.size)
    e[k] = 1.0
    return node._lift(float(e[0])) if isinstance(node, Scalar) else node._lift(e.reshape(node.shape))


def jacrev(f, argnums=0, has_aux=False):
    """The Jacobian by reverse mode: one vjp per output element; shape out.shape + x.shape.

    Inputs and outputs may be pytrees: the result nests the inputs' structure inside the outputs'."""

    def jac_f(*args):
        ctx, xs, in_trees, outs, out_tree, aux = _call(f, args, argnums, has_aux)
        pieces = {}
        with ctx:
            for i, out in enumerate(outs):
                rows = [autodiff.grad([out], xs, [_unit(out, k)], retain_graph=True, create_graph=ctx.create_graph)
                        for k in range(out.size)]
                for j, x in enumerate(xs):
                    pieces[i, j] = ctx.finish(_assemble(out, x, [r[j] for r in rows], out_major=True))
        jac = _jacobians(outs, out_tree, xs, in_trees, argnums, lambda i, j: pieces[i, j])
        return (jac, aux) if has_aux else jac

    return jac_f


# ---- forward mode -------------------------------------------------------------------------------

def jvp(f, primals, tangents, has_aux=False):
    """(f(x), ∂f/∂x · v): forward mode, one pass from inputs to output with each op's JVP rule.

    ``primals`` and ``tangents`` are tuples of the same structure (their items may be pytrees), as are the
    output and its tangent."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    ctx, xs, in_trees, outs, out_tree, aux = _call(f, primals, tuple(range(len(primals))), has_aux)
    ts = []
    for x, t in zip(xs, _check_like(tangents, primals, "jvp: tangents")):
        t = x._lift(t) if not isinstance(t, Node) else t
        if t.shape != x.shape:
            raise ValueError(f"jvp: a tangent has shape {t.shape}, but its primal has shape {x.shape}")
        ts.append(t)
    with ctx:
        with (enable_grad() if ctx.create_graph else no_grad()):
            t_outs = autodiff.forward_sweep(outs, xs, ts)
    result = (_unflatten(out_tree, [ctx.finish(o) for o in outs]),
              _unflatten(out_tree, [ctx.finish(t) for t in t_outs]))
    return result + (aux,) if has_aux else result


def jacfwd(f, argnums=0, has_aux=False):
    """The Jacobian by forward mode: one jvp per input element; shape out.shape + x.shape (pytrees as jacrev)."""

    def jac_f(*args):
        ctx, xs, in_trees, outs, out_tree, aux = _call(f, args, argnums, has_aux)
        pieces = {}
        with ctx:
            with (enable_grad() if ctx.create_graph else no_grad()):
                for j, x in enumerate(xs):
                    cols = []
                    for k in range(x.size):
                        seeds = [other.zeros_like() for other in xs]
                        seeds[j] = _unit(x, k)
                        cols.append(autodiff.forward_sweep(outs, xs, seeds))
                    for i, out in enumerate(outs):
                        pieces[i, j] = ctx.finish(_assemble(out, x, [c[i] for c in cols], out_major=False))
        jac = _jacobians(outs, out_tree, xs, in_trees, argnums, lambda i, j: pieces[i, j])
        return (jac, aux) if has_aux else jac

    return jac_f


def _assemble(out, x, pieces, out_major):
    """Stack per-element derivatives into a Jacobian of shape out.shape + x.shape."""
    if isinstance(out, Scalar) and isinstance(x, Scalar):
        return pieces[0]
    pieces = [p if isinstance(p, Tensor) else tensor(p.data, dtype=x.dtype) for p in pieces]
    if not pieces:
        return Tensor(x.backend.zeros(out.shape + x.shape, dtype=x.dtype), device=x.device)
    if out_major:  # pieces[k] = ∂out_k/∂x, shape x.shape
        return stack(pieces, 0).reshape(out.shape + x.shape)
    stacked = stack(pieces, -1)  # ∂out/∂x_k along the last axis
    return stacked.reshape(out.shape + x.shape)


# ---- second order --------------------------------------------------------------------------------

def hessian(f, argnums=0):
    """∇²f = jacfwd(jacrev(f)): forward mode over reverse mode."""
    return jacfwd(jacrev(f, argnums), argnums)


def hvp(f, primals, tangents):
    """(∇f(x), ∇²f(x)·v) without forming the Hessian: jvp of grad (forward over reverse)."""
    argnums = tuple(range(len(tuple(primals))))
    g = grad(f, argnums)

    def g_single(*xs):
        out = g(*xs)
        return out[0] if len(out) == 1 else out

    if len(tuple(primals)) != 1:
        raise ValueError("hvp: pass a single primal (wrap several inputs in one tensor)")
    return jvp(g_single, primals, tangents)
