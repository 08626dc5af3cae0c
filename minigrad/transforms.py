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
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -n <= a < n:
            raise ValueError(f"argnums={argnums} is out of range for a function called with {n} arguments")
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


def _call(f, args, argnums, has_aux=False):
    """Run f with fresh nodes at ``argnums``; returns (nested ctx, inputs, output, aux)."""
    args = list(args)
    nums = _argnums(argnums, len(args))
    ctx = _Nested([args[a] for a in nums])
    with ctx:
        xs = [_fresh(_as_node(args[a])) for a in nums]
        for a, x in zip(nums, xs):
            args[a] = x
        result = f(*args)
    out, aux = (result if has_aux else (result, None))
    if not isinstance(out, Node):
        raise TypeError(f"the function must return a Scalar or Tensor, got {type(out).__name__}")
    return ctx, xs, out, aux


# ---- reverse mode ------------------------------------------------------------------------------

def value_and_grad(f, argnums=0, has_aux=False):
    """x ↦ (f(x), ∇f(x)) for a scalar-valued f (with ``has_aux``: ((f(x), aux), ∇f(x)))."""

    def value_and_grad_f(*args):
        ctx, xs, out, aux = _call(f, args, argnums, has_aux)
        if out.size != 1:
            raise ValueError(f"grad needs a function with a scalar output, but it returned shape {out.shape}; "
                             "use mg.jacrev or mg.vjp for non-scalar outputs")
        with ctx:
            gs = autodiff.grad([out], xs, [out.ones_like()], create_graph=ctx.create_graph)
        gs = [ctx.finish(g) for g in gs]
        g = gs[0] if isinstance(argnums, int) else tuple(gs)
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
    """(f(x), v ↦ vᵀ·∂f/∂x): reverse mode for any output shape."""
    ctx, xs, out, aux = _call(f, primals, tuple(range(len(primals))), has_aux)

    def vjp_fn(cotangent):
        ct = out._lift(cotangent) if not isinstance(cotangent, Node) else cotangent
        if ct.shape != out.shape:
            raise ValueError(f"vjp: the cotangent has shape {ct.shape}, but the output has shape {out.shape}")
        with ctx:
            gs = autodiff.grad([out], xs, [ct], retain_graph=True, create_graph=ctx.create_graph)
        return tuple(ctx.finish(g) for g in gs)

    value = ctx.finish(out)
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jacrev(f, argnums=0):
    """The Jacobian by reverse mode: one vjp per output element; shape out.shape + x.shape."""

    def jac_f(*args):
        ctx, xs, out, _ = _call(f, args, argnums)
        rows = []
        with ctx:
            for k in range(out.size):
                e = np.zeros(out.size)
                e[k] = 1.0
                ct = out._lift(float(e[0])) if isinstance(out, Scalar) else out._lift(e.reshape(out.shape))
                rows.append(autodiff.grad([out], xs, [ct], retain_graph=True, create_graph=ctx.create_graph))
        jacs = [_assemble(out, x, [r[i] for r in rows], out_major=True) for i, x in enumerate(xs)]
        jacs = [ctx.finish(j) for j in jacs]
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    return jac_f


# ---- forward mode -------------------------------------------------------------------------------

def jvp(f, primals, tangents, has_aux=False):
    """(f(x), ∂f/∂x · v): forward mode, one pass from inputs to output with each op's JVP rule."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: got {len(primals)} primals but {len(tangents)} tangents")
    ctx, xs, out, aux = _call(f, primals, tuple(range(len(primals))), has_aux)
    ts = []
    for x, t in zip(xs, tangents):
        t = x._lift(t) if not isinstance(t, Node) else t
        if t.shape != x.shape:
            raise ValueError(f"jvp: a tangent has shape {t.shape}, but its primal has shape {x.shape}")
        ts.append(t)
    with ctx:
        with (enable_grad() if ctx.create_graph else no_grad()):
            (t_out,) = autodiff.forward_sweep([out], xs, ts)
    result = (ctx.finish(out), ctx.finish(t_out))
    return result + (aux,) if has_aux else result


def jacfwd(f, argnums=0):
    """The Jacobian by forward mode: one jvp per input element; shape out.shape + x.shape."""

    def jac_f(*args):
        ctx, xs, out, _ = _call(f, args, argnums)
        jacs = []
        with ctx:
            with (enable_grad() if ctx.create_graph else no_grad()):
                for i, x in enumerate(xs):
                    cols = []
                    for k in range(x.size):
                        e = np.zeros(x.size)
                        e[k] = 1.0
                        seeds = [x.zeros_like() for x in xs]
                        seeds[i] = x._lift(float(e[0])) if isinstance(x, Scalar) else x._lift(e.reshape(x.shape))
                        cols.append(autodiff.forward_sweep([out], xs, seeds)[0])
                    jacs.append(_assemble(out, x, cols, out_major=False))
        jacs = [ctx.finish(j) for j in jacs]
        return jacs[0] if isinstance(argnums, int) else tuple(jacs)

    return jac_f


def _assemble(out, x, pieces, out_major):
    """Stack per-element derivatives into a Jacobian of shape out.shape + x.shape."""
    if isinstance(out, Scalar) and isinstance(x, Scalar):
        return pieces[0]
    pieces = [p if isinstance(p, Tensor) else tensor(p.data, dtype=x.dtype) for p in pieces]
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
