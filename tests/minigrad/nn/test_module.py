"""Module bookkeeping: registration, traversal, state dicts, modes, devices, hooks, names and printing."""
import copy

import numpy as np
import pytest

import minigrad as mg
from minigrad import autodiff, nn

torch = pytest.importorskip("torch")


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(3)
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.register_buffer("calls", mg.zeros(1))

    def forward(self, x):
        return self.bn(self.conv(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 5))

    def forward(self, x):
        return self.head(self.block(x))


def torch_net():
    class TBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(2, 3, 3, padding=1, bias=False)
            self.bn = torch.nn.BatchNorm2d(3)
            self.scale = torch.nn.Parameter(torch.ones(1))
            self.register_buffer("calls", torch.zeros(1))

    net = torch.nn.Module()
    net.block = TBlock()
    net.head = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 5))
    return net


def test_names_match_torch():
    net, tnet = Net(), torch_net()
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert [n for n, _ in net.named_buffers()] == [n for n, _ in tnet.named_buffers()]
    assert [n for n, _ in net.named_modules()] == [n for n, _ in tnet.named_modules()]
    assert [n for n, _ in net.named_children()] == [n for n, _ in tnet.named_children()]
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert len(list(net.modules())) == len(list(tnet.modules())) and len(list(net.children())) == 2


def test_qualified_names_are_given_on_registration_and_recorded_as_op_scope():
    net = Net()
    assert net.block.conv.qualified_name == "block.conv"
    assert net.head[1].qualified_name == "head.1"
    out = net(mg.randn(2, 2, 4, 4, requires_grad=True))
    assert out._op.scope == ("Net", "head", "head.1")
    scopes = set()
    stack = [out]
    while stack:
        node = stack.pop()
        if node._op is not None:
            scopes.add(node._op.scope)
            stack.extend(node._op.inputs)
    assert ("Net", "block", "block.conv") in scopes and ("Net", "block", "block.bn") in scopes
    assert autodiff._scope == []


def test_module_built_bottom_up_gets_full_names():
    inner = nn.Sequential(nn.Linear(2, 2))
    outer = nn.Sequential(inner)
    root = nn.Module()
    root.body = outer
    assert inner[0].qualified_name == "body.0.0"


def test_state_dict_round_trip_and_torch_interchange(rng):
    net, tnet = Net(), torch_net()
    net.load_state_dict(tnet.state_dict())
    for key, value in tnet.state_dict().items():
        np.testing.assert_array_equal(net.state_dict()[key], value.numpy())
    other = Net()
    other.load_state_dict(net.state_dict())
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], value)
    state = net.state_dict()
    state["head.1.bias"][:] = 7.0  # a copy: changing it leaves the model alone
    assert not np.any(net.head[1].bias.numpy() == 7.0)


def test_load_state_dict_preserves_parameter_objects():
    net = Net()
    weight = net.head[1].weight
    net.load_state_dict(Net().state_dict())
    assert net.head[1].weight is weight


def test_load_state_dict_errors_change_nothing():
    net = Net()
    before = net.state_dict()
    bad = Net().state_dict()
    bad["head.1.weight"] = np.zeros((5, 47), dtype=np.float32)
    with pytest.raises(ValueError, match=r"'head.1.weight' has shape \(5, 47\) in the state dict but \(5, 48\)"):
        net.load_state_dict(bad)
    incomplete = Net().state_dict()
    del incomplete["block.bn.running_var"]
    incomplete["extra.weight"] = np.zeros(1)
    with pytest.raises(ValueError, match="missing keys: block.bn.running_var; unexpected keys: extra.weight"):
        net.load_state_dict(incomplete)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key])
    result = net.load_state_dict(incomplete, strict=False)
    assert result.missing_keys == ["block.bn.running_var"] and result.unexpected_keys == ["extra.weight"]


def _torch_load_error(tnet, state):
    """The RuntimeError torch's load_state_dict raises for ``state`` (torch tensors), or None."""
    try:
        tnet.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    except RuntimeError as e:
        return e
    return None


@pytest.mark.parametrize("spoil, key", [
    (lambda s: s.pop("head.1.bias"), "head.1.bias"),                                    # missing
    (lambda s: s.update({"head.2.weight": np.zeros(1, np.float32)}), "head.2.weight"),  # unexpected
    (lambda s: s.update({"head.1.bias": np.zeros(4, np.float32)}), "head.1.bias"),      # size mismatch
], ids=["missing", "unexpected", "shape"])
def test_load_state_dict_errors_are_runtime_errors_naming_the_key_like_torch(spoil, key):
    net, tnet = Net(), torch_net()
    state = net.state_dict()
    spoil(state)
    expected = _torch_load_error(tnet, state)
    assert expected is not None and key in str(expected)
    with pytest.raises(RuntimeError, match=key.replace(".", r"\.")) as info:
        net.load_state_dict(state)
    assert isinstance(info.value, ValueError) and isinstance(info.value, nn.StateDictError)


@pytest.mark.parametrize("bad_bias", [
    np.array(["a", "b", "c", "d", "e"]),           # strings
    [[1.0], [2.0, 3.0], [4.0], [5.0], [6.0]],       # ragged: no array at all
    np.ones(5) + 1j,                                # complex: a cast would drop the imaginary part
    np.array([None] * 5, dtype=object),
], ids=["strings", "ragged", "complex", "objects"])
def test_a_bad_value_late_in_the_state_dict_changes_nothing(bad_bias):
    net = Net()
    before = net.state_dict()
    state = Net().state_dict()  # other values everywhere ...
    state["head.1.bias"] = bad_bias  # ... and one bad one, after all the others
    with pytest.raises(nn.StateDictError, match="'head.1.bias'"):
        net.load_state_dict(state)
    for key, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_integer_counters_take_integers_only():
    bn = nn.BatchNorm2d(3)
    state = bn.state_dict()
    assert state["num_batches_tracked"].dtype == np.int64  # as torch's
    for bad in (np.array(2.5), np.array(2**70, dtype=np.float64).astype(object)):
        with pytest.raises(nn.StateDictError, match="num_batches_tracked"):
            bn.load_state_dict({**state, "num_batches_tracked": bad})
    with pytest.raises(nn.StateDictError, match="outside the range of int32"):
        module = nn.Module()
        module.register_buffer("count", mg.zeros(1, dtype=np.int32))
        module.load_state_dict({"count": np.array([2**40])})
    bn.load_state_dict({**state, "num_batches_tracked": np.array(7)})
    assert int(bn.num_batches_tracked.numpy()) == 7


def test_values_are_cast_to_the_models_dtype_as_torch_copy_does():
    net, tnet = Net(), torch_net()
    state = {k: v.numpy() for k, v in tnet.state_dict().items()}
    state = {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in state.items()}
    net.load_state_dict(state)
    tnet.load_state_dict({k: torch.as_tensor(v) for k, v in state.items()})
    for key, value in tnet.state_dict().items():
        assert net.state_dict()[key].dtype == value.numpy().dtype
        np.testing.assert_array_equal(net.state_dict()[key], value.numpy())
    net.load_state_dict(dict(torch_net().named_parameters()), strict=False)  # tensors that require grad


def test_non_persistent_buffers_stay_out_of_state_dict():
    m = nn.Module()
    m.register_buffer("kept", mg.ones(2))
    m.register_buffer("scratch", mg.ones(2), persistent=False)
    assert list(m.state_dict()) == ["kept"]
    assert [n for n, _ in m.named_buffers()] == ["kept", "scratch"]


def test_train_eval_reach_every_submodule():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_and_shared_parameters_are_listed_once():
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(model.parameters())) == 2
    model(mg.randn(2, 3)).sum().backward()
    assert lin.weight.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_to_moves_and_casts_in_place():
    net = Net()
    params = list(net.parameters())
    assert net.double() is net
    assert [p is q for p, q in zip(params, net.parameters())] == [True] * len(params)
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert net.block.bn.num_batches_tracked.dtype == np.int64
    out = net(mg.randn(2, 2, 4, 4, dtype=mg.float64))
    assert out.dtype == np.float64
    net.float().to("cpu")
    assert all(p.dtype == np.float32 and p.device == "cpu" for p in net.parameters())
    with pytest.raises(ValueError, match="unknown device"):
        net.to("tpu")


def test_apply_visits_children_first():
    visited = []
    Net().apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Conv2d", "BatchNorm2d", "Block", "Flatten", "Linear", "Sequential", "Net"]


def test_forward_hooks_see_and_may_replace_outputs():
    lin = nn.Linear(2, 2)
    seen = []
    handle = lin.register_forward_hook(lambda m, inputs, out: seen.append((m, inputs[0].shape, out.shape)))
    doubler = lin.register_forward_hook(lambda m, inputs, out: out * 2)
    x = mg.randn(4, 2)
    y = lin(x)
    assert seen == [(lin, (4, 2), (4, 2))]
    np.testing.assert_allclose(y.numpy(), 2 * (x.numpy() @ lin.weight.numpy().T + lin.bias.numpy()), rtol=1e-6)
    handle.remove(), doubler.remove()
    lin(x)
    assert len(seen) == 1


def test_repr_matches_torch():
    net, tnet = Net(), torch_net()
    assert repr(net.head) == repr(tnet.head)
    assert repr(net) == (
        "Net(\n"
        "  (block): Block(\n"
        "    (conv): Conv2d(2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)\n"
        "    (bn): BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n"
        "  )\n"
        "  (head): Sequential(\n"
        "    (0): Flatten(start_dim=1, end_dim=-1)\n"
        "    (1): Linear(in_features=48, out_features=5, bias=True)\n"
        "  )\n"
        ")")


def test_deepcopy_gives_independent_tensors():
    net = Net()
    twin = copy.deepcopy(net)
    with mg.no_grad():
        twin.head[1].bias.fill_(3.0)
    assert not np.any(net.head[1].bias.numpy() == 3.0)
    assert twin.head[1].qualified_name == "head.1"


def test_sequential_and_modulelist_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and [type(m) for m in seq][1] is nn.ReLU
    assert seq[2].qualified_name == "2"
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    holder = nn.Module()
    holder.layers = layers
    assert len(list(holder.parameters())) == 6 and holder.layers[1].qualified_name == "layers.1"
    assert list(holder.state_dict())[:2] == ["layers.0.weight", "layers.0.bias"]


def test_registration_errors():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign Tensor to parameter 'weight'"):
        lin.weight = mg.zeros(2, 2)
    with pytest.raises(TypeError, match="Parameter needs floating-point data"):
        nn.Parameter(np.arange(3))

    class Forgetful(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)

    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\)"):
        Forgetful()


def test_parameter_is_a_float32_leaf_that_requires_grad():
    p = nn.Parameter(np.zeros((2, 3)))
    assert isinstance(p, mg.Tensor) and p.is_leaf and p.requires_grad and p.dtype == np.float32
    assert repr(p).startswith("Parameter containing:\ntensor(")
    q = nn.Parameter(mg.zeros(2, dtype=mg.float64), requires_grad=False)
    assert q.dtype == np.float64 and not q.requires_grad


@pytest.mark.parametrize("max_norm, norm_type", [(0.5, 2.0), (100.0, 2.0), (0.1, float("inf")), (1.0, 1.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type, rng):
    net, tnet = Net(), torch_net()
    net.load_state_dict(tnet.state_dict())
    grads = [rng.standard_normal(p.shape).astype(np.float32) for p in net.parameters()]
    for p, tp, g in zip(net.parameters(), tnet.parameters(), grads):
        p.grad, tp.grad = mg.tensor(g), torch.tensor(g)
    total = nn.utils.clip_grad_norm_(net.parameters(), max_norm, norm_type)
    total_t = torch.nn.utils.clip_grad_norm_(tnet.parameters(), max_norm, norm_type)
    assert total.item() == pytest.approx(total_t.item(), rel=1e-5)
    for p, tp in zip(net.parameters(), tnet.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_rejects_non_finite_norms_when_asked():
    p = nn.Parameter(np.ones(3, dtype=np.float32))
    p.grad = mg.tensor([1.0, float("inf"), 0.0])
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is inf"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_parameters_to_vector_and_back():
    net, tnet = Net(), torch_net()
    net.load_state_dict(tnet.state_dict())
    vec = nn.utils.parameters_to_vector(net.parameters())
    np.testing.assert_array_equal(vec.numpy(), torch.nn.utils.parameters_to_vector(tnet.parameters()).detach().numpy())
    (vec * vec).sum().backward()  # differentiable: d(Σθ²)/dθ = 2θ
    np.testing.assert_allclose(net.head[1].weight.grad.numpy(), 2 * net.head[1].weight.numpy())
    other = Net()
    nn.utils.vector_to_parameters(vec.detach() * 2, other.parameters())
    np.testing.assert_allclose(nn.utils.parameters_to_vector(other.parameters()).numpy(), 2 * vec.numpy())
    with pytest.raises(ValueError, match=f"expected a vector of {vec.size} values"):
        nn.utils.vector_to_parameters(mg.zeros(3), other.parameters())
