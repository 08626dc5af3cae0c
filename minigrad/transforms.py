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


def _per_argnum(argnums, results):
    """One result for an int ``argnums``, a tuple of them for a tuple."""
    return results[0] if isinstance(argnums, int) else tuple(results)


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


def _call(f, args, argnums, has_aux=False, several_outputs=False):
    """Run f with fresh nodes at ``argnums``; returns (nested ctx, inputs, output, aux).

    ``several_outputs``: f may return a tuple of nodes (the Jacobians then come per output)."""
    args = list(args)
    nums = _argnums(argnums, len(args))
    ctx = _Nested([args[a] for a in nums])
    with ctx:
        xs = [_fresh(_as_node(args[a])) for a in nums]
        for a, x in zip(nums, xs):
            args[a] = x
        result = f(*args)
    out, aux = (result if has_aux else (result, None))
    if several_outputs and isinstance(out, tuple) and out and all(isinstance(o, Node) for o in out):
        return ctx, xs, out, aux
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
        g = _per_argnum(argnums, [ctx.finish(g) for g in gs])
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
    """The Jacobian by reverse mode: one vjp per output element; shape out.shape + x.shape
    (a tuple per argument for a tuple ``argnums``, and per output when f returns a tuple)."""

    def jac_f(*args):
        ctx, xs, out, _ = _call(f, args, argnums, several_outputs=True)
        outs = out if isinstance(out, tuple) else (out,)
        per_output = []
        with ctx:
            for o in outs:
                rows = [autodiff.grad([o], xs, [_basis(o, k)], retain_graph=True, create_graph=ctx.create_graph)
                        for k in range(o.size)]
                jacs = [ctx.finish(_assemble(o, x, [r[i] for r in rows], out_major=True)) for i, x in enumerate(xs)]
                per_output.append(_per_argnum(argnums, jacs))
        return tuple(per_output) if isinstance(out, tuple) else per_output[0]

    return jac_f


def _basis(x, k):
    """The k-th unit vector in x's shape, as a constant node like x."""
    if isinstance(x, Scalar):
        return x.ones_like()
    e = np.zeros(x.size)
    e[k] = 1.0
    return x._lift(e.reshape(x.shape))


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
    """The Jacobian by forward mode: one jvp per input element; shape out.shape + x.shape
    (a tuple per argument for a tuple ``argnums``, and per output when f returns a tuple)."""

    def jac_f(*args):
        ctx, xs, out, _ = _call(f, args, argnums, several_outputs=True)
        outs = out if isinstance(out, tuple) else (out,)
        jacs = [[None] * len(xs) for _ in outs]  # jacs[j][i] = ∂out_j/∂x_i
        with ctx:
            with (enable_grad() if ctx.create_graph else no_grad()):
                for i, x in enumerate(xs):
                    cols = []
                    for k in range(x.size):
                        seeds = [v.zeros_like() for v in xs]
                        seeds[i] = _basis(x, k)
                        cols.append(autodiff.forward_sweep(list(outs), xs, seeds))
                    for j, o in enumerate(outs):
                        jacs[j][i] = ctx.finish(_assemble(o, x, [c[j] for c in cols], out_major=False))
        per_output = [_per_argnum(argnums, row) for row in jacs]
        return tuple(per_output) if isinstance(out, tuple) else per_output[0]

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
