"""Function transforms (grad, value_and_grad, vjp, jvp, jacrev, jacfwd, hessian, hvp) against torch.func."""
import math

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")

X = np.array([0.3, -0.8, 1.1, 0.5])
V = np.array([1.0, -0.5, 0.25, 2.0])


def loss(x):
    """A nonlinear scalar function of a vector; the same code runs on minigrad and torch tensors."""
    return (x.sin() * x.exp()).sum() + ((x * x).sum() + 1).log() + (x[:-1] * x[1:]).tanh().sum()


def field(x):
    """A nonlinear vector-valued function, R^4 -> R^3."""
    return (x[:-1] * x[1:]).sin() + x[1:].exp() * x.sum()


def t64(a):
    return torch.tensor(a, dtype=torch.float64)


def m64(a):
    return mg.tensor(a, dtype=mg.float64)


def test_hessian_matches_torch_func(assert_close):
    assert_close(mg.hessian(loss)(m64(X)), torch.func.hessian(loss)(t64(X)))


def test_jacfwd_equals_jacrev_and_torch(assert_close):
    forward, reverse = mg.jacfwd(field)(m64(X)), mg.jacrev(field)(m64(X))
    assert forward.shape == reverse.shape == (3, 4)
    assert_close(forward, reverse)
    assert_close(reverse, torch.func.jacrev(field)(t64(X)))


def test_jacobian_of_a_matrix_function_has_shape_out_by_in(assert_close):
    a = np.arange(6.0).reshape(2, 3) / 6

    def f(m):
        return (m @ m.T).tanh()

    assert_close(mg.jacrev(f)(m64(a)), torch.func.jacrev(f)(t64(a)))
    assert_close(mg.jacfwd(f)(m64(a)), torch.func.jacfwd(f)(t64(a)))


def test_grad_of_grad_of_cube_for_a_scalar():
    d2 = mg.grad(mg.grad(lambda x: x ** 3))(2.0)
    assert isinstance(d2, mg.Scalar) and d2.data == 12.0
    assert mg.grad(mg.grad(mg.grad(lambda x: x.sin())))(0.5).data == pytest.approx(-math.cos(0.5), rel=1e-14)


def test_grad_with_argnums_tuple_and_aux(assert_close):
    def f(x, y):
        out = (x.sin() * y).sum() + (x * x * y).exp().sum()
        return out, {"half": out * 0.5}

    x, y = np.array([0.2, -0.4, 0.9]), np.array([1.5, 0.3, -0.7])
    (gx, gy), aux = mg.grad(f, argnums=(0, 1), has_aux=True)(m64(x), m64(y))
    (tx, ty), taux = torch.func.grad(f, argnums=(0, 1), has_aux=True)(t64(x), t64(y))
    assert_close(gx, tx)
    assert_close(gy, ty)
    assert_close(aux["half"], taux["half"])
    assert_close(mg.grad(lambda x, y: f(x, y)[0], argnums=1)(m64(x), m64(y)), ty)


def test_grad_accepts_numbers_and_arrays():
    assert mg.grad(lambda x: x * x)(3.0).data == 6.0
    np.testing.assert_allclose(mg.grad(lambda x: (x * x).sum())(np.array([1.0, 2.0])).numpy(), [2.0, 4.0])


def test_value_and_grad(assert_close):
    value, g = mg.value_and_grad(loss)(m64(X))
    expected_grad, expected_value = torch.func.grad_and_value(loss)(t64(X))
    assert_close(value, expected_value)
    assert_close(g, expected_grad)
    assert not value.requires_grad and not g.requires_grad


def test_vjp(assert_close):
    out, vjp_fn = mg.vjp(field, m64(X))
    expected, torch_vjp = torch.func.vjp(field, t64(X))
    cotangent = np.array([1.0, -2.0, 0.5])
    assert_close(out, expected)
    (g,) = vjp_fn(m64(cotangent))
    (tg,) = torch_vjp(t64(cotangent))
    assert_close(g, tg)
    assert_close(vjp_fn(cotangent)[0], tg)  # callable twice, with an array


def test_vjp_of_two_inputs(assert_close):
    def f(a, b):
        return a @ b

    a, b = np.arange(6.0).reshape(2, 3), np.linspace(-1, 1, 12).reshape(3, 4)
    ct = np.ones((2, 4))
    _, fn = mg.vjp(f, m64(a), m64(b))
    _, tfn = torch.func.vjp(f, t64(a), t64(b))
    for g, tg in zip(fn(m64(ct)), tfn(t64(ct))):
        assert_close(g, tg)


def test_jvp(assert_close):
    out, tangent = mg.jvp(field, (m64(X),), (m64(V),))
    expected, expected_tangent = torch.func.jvp(field, (t64(X),), (t64(V),))
    assert_close(out, expected)
    assert_close(tangent, expected_tangent)


def test_hvp_matches_forward_over_reverse_in_torch(assert_close):
    g, hv = mg.hvp(loss, (m64(X),), (m64(V),))
    tg, thv = torch.func.jvp(torch.func.grad(loss), (t64(X),), (t64(V),))
    assert_close(g, tg)
    assert_close(hv, thv)


def test_grad_of_jvp_is_hessian_vector_product(assert_close):
    def directional(x):
        return mg.jvp(loss, (x,), (m64(V),))[1]

    expected = torch.func.hessian(loss)(t64(X)) @ t64(V)
    assert_close(mg.grad(directional)(m64(X)), expected)


@pytest.mark.parametrize("outer, inner", [(mg.jacfwd, mg.jacfwd), (mg.jacrev, mg.jacrev), (mg.jacrev, mg.jacfwd)],
                         ids=["fwd_fwd", "rev_rev", "rev_fwd"])
def test_nested_jacobians_give_the_hessian(outer, inner, assert_close):
    assert_close(outer(inner(loss))(m64(X)), torch.func.hessian(loss)(t64(X)))


def test_jvp_of_grad_for_scalars():
    def f(x):
        return x.sin() * x

    _, d2 = mg.jvp(mg.grad(f), (0.7,), (1.0,))
    assert d2.data == pytest.approx(2 * math.cos(0.7) - 0.7 * math.sin(0.7), rel=1e-14)


def test_inner_transform_ignores_outer_variables():
    """d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1 (no perturbation confusion)."""
    def outer(x):
        return x * mg.grad(lambda y: x + y)(1.0)

    assert mg.grad(outer)(2.0).data == 1.0


def test_transforms_leave_inputs_untouched():
    x = m64(X).requires_grad_()
    mg.grad(loss)(x)
    mg.hessian(loss)(x)
    assert x.grad is None


def test_grad_of_non_scalar_output_says_so():
    with pytest.raises(ValueError, match="scalar output.*jacrev"):
        mg.grad(field)(m64(X))


def test_argnums_out_of_range_says_so():
    with pytest.raises(ValueError, match="argnums"):
        mg.grad(loss, argnums=1)(m64(X))


def test_tangent_shape_mismatch_says_so():
    with pytest.raises(ValueError, match=r"tangent has shape \(3,\).*\(4,\)"):
        mg.jvp(loss, (m64(X),), (m64(V[:3]),))


# ---- pytrees: tuples, lists and dicts as inputs and outputs (issue 13) ------------------------------

def pair(x, y):
    """R^4 × R^4 -> (R^3, R): a tuple of outputs."""
    return (x[:-1] * y[1:]).sin(), (x * y.exp()).sum()


def params_loss(p):
    """A dict of parameters -> a scalar."""
    return ((p["w"] * p["x"]).tanh().sum() + p["b"] * p["b"]) * 1.0


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for k in sorted(tree) for leaf in _leaves(tree[k])]
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def assert_trees_close(assert_close, actual, expected):
    assert type(actual) is type(expected) or isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if isinstance(expected, dict):
        assert sorted(actual) == sorted(expected)
    a, e = _leaves(actual), _leaves(expected)
    assert len(a) == len(e)
    for x, y in zip(a, e):
        assert_close(x, y)


Y = np.array([0.7, 0.1, -0.3, 0.9])
PARAMS = {"w": np.array([0.5, -1.0, 2.0]), "x": np.array([0.3, 0.2, -0.4]), "b": np.array(0.7)}


def test_jvp_with_tuple_outputs_and_tuple_primals_matches_torch(assert_close):
    out, tangent = mg.jvp(pair, (m64(X), m64(Y)), (m64(V), m64(-V)))
    t_out, t_tangent = torch.func.jvp(pair, (t64(X), t64(Y)), (t64(V), t64(-V)))
    assert isinstance(out, tuple) and isinstance(tangent, tuple)
    assert_trees_close(assert_close, out, t_out)
    assert_trees_close(assert_close, tangent, t_tangent)


def test_jvp_and_vjp_with_dict_primals_match_torch(assert_close):
    mp, tp = ({k: f(v) for k, v in PARAMS.items()} for f in (m64, t64))
    dirs = {k: np.full(np.shape(v), 0.5) for k, v in PARAMS.items()}
    _, tangent = mg.jvp(params_loss, (mp,), ({k: m64(v) for k, v in dirs.items()},))
    _, t_tangent = torch.func.jvp(params_loss, (tp,), ({k: t64(v) for k, v in dirs.items()},))
    assert_close(tangent, t_tangent)
    _, pull = mg.vjp(params_loss, mp)
    _, t_pull = torch.func.vjp(params_loss, tp)
    (grads,), (t_grads,) = pull(m64(1.5)), t_pull(t64(1.5))
    assert isinstance(grads, dict)
    assert_trees_close(assert_close, grads, t_grads)
    assert_trees_close(assert_close, mg.grad(params_loss)(mp), torch.func.grad(params_loss)(tp))


def test_vjp_with_tuple_outputs_takes_a_tuple_cotangent(assert_close):
    out, pull = mg.vjp(pair, m64(X), m64(Y))
    t_out, t_pull = torch.func.vjp(pair, t64(X), t64(Y))
    cotangent = (np.array([1.0, -2.0, 0.5]), np.array(3.0))
    assert_trees_close(assert_close, pull(tuple(m64(c) for c in cotangent)), t_pull(tuple(t64(c) for c in cotangent)))
    with pytest.raises(ValueError, match="leaves"):
        pull((m64(cotangent[0]),))


@pytest.mark.parametrize("jac, torch_jac", [(mg.jacrev, torch.func.jacrev), (mg.jacfwd, torch.func.jacfwd)],
                         ids=["jacrev", "jacfwd"])
def test_jacobians_of_tuple_outputs_with_argnums_and_aux_match_torch(jac, torch_jac, assert_close):
    def f(x, y):
        a, b = pair(x, y)
        return (a, b), {"norm": (a * a).sum()}

    (jacs, aux) = jac(f, argnums=(0, 1), has_aux=True)(m64(X), m64(Y))
    (t_jacs, t_aux) = torch_jac(f, argnums=(0, 1), has_aux=True)(t64(X), t64(Y))
    assert jacs[0][1].shape == (3, 4) and jacs[1][0].shape == (4,)
    assert_trees_close(assert_close, jacs, t_jacs)
    assert_close(aux["norm"], t_aux["norm"])
    dict_jac = jac(params_loss)({k: m64(v) for k, v in PARAMS.items()})
    assert_trees_close(assert_close, dict_jac, torch_jac(params_loss)({k: t64(v) for k, v in PARAMS.items()}))
