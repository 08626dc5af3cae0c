"""Module and Parameter: the bookkeeping every layer shares (PyTorch conventions).

A Module holds three kinds of named state, registered by assignment (``self.conv1 = Conv2d(...)``):

    parameters   Parameter tensors the optimizer updates      (``self.weight = Parameter(...)``)
    buffers      tensors saved with the model but not trained  (``self.register_buffer("running_mean", t)``)
    submodules   child Modules                                  (``self.layer1 = Sequential(...)``)

Each module knows its qualified name in the model ("layer1.0.conv1"); calling it runs ``forward``
inside ``autodiff.module_scope(name)`` so every op it records remembers which layer made it.
"""
from __future__ import annotations

import copy
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

import numpy as np

from .. import autodiff, backend as backends
from ..tensor import Tensor, tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class StateDictError(ValueError, RuntimeError):
    """A state dict that does not fit (keys, shapes, dtypes): a ValueError, and a RuntimeError like PyTorch's."""


class Parameter(Tensor):
    """A leaf tensor that a Module registers as trainable (``requires_grad=True``, float32 by default)."""

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.zeros(0, dtype=np.float32)
        source = data if isinstance(data, Tensor) else tensor(data)
        if source.dtype.kind != "f":
            raise TypeError(f"Parameter needs floating-point data, got dtype {source.dtype}")
        super().__init__(source.data, requires_grad=requires_grad, device=source.device)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class RemovableHandle:
    """Returned by ``register_forward_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks: dict, key: int):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


class Module:
    """Base class of all layers and models: override ``__init__`` (register state) and ``forward``."""

    _next_hook_id = 0
    conv_bn_pairs: tuple = ()  # (conv, bn) child names where forward applies bn right after conv: fusable
    host_buffers: tuple = ()  # buffer names that stay on the host whatever the device (counters Python reads)

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_name", "")
        object.__setattr__(self, "training", True)

    # ---- registration ------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self.add_module(name, value)
        elif name in params:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to parameter {name!r} "
                                "(expected a Parameter or None)")
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer {name!r} (expected a Tensor or None)")
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to submodule {name!r} "
                                "(expected a Module or None)")
            modules[name] = None
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep=None):
        """Drop ``name`` from every store but ``keep`` (where an assignment replaces it in its place)."""
        for store in (self._parameters, self._buffers, self._modules):
            if store is not keep:
                store.pop(name, None)
        self._non_persistent.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            if store in d and name in d[store]:
                return d[store][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if any(name in s for s in (self._parameters, self._buffers, self._modules)):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None):
        """Add a parameter (or an empty slot, ``None``, such as a missing bias)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter({name!r}): expected a Parameter or None, got {type(param).__name__}")
        self._forget(name, keep=self._parameters)
        self._parameters[name] = param

    def register_buffer(self, name: str, value: Tensor | None, persistent: bool = True):
        """Add a tensor that is state but not trained (running statistics); saved in ``state_dict``
        unless ``persistent=False``."""
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"register_buffer({name!r}): expected a Tensor or None, got {type(value).__name__}")
        self._forget(name, keep=self._buffers)
        self._buffers[name] = value
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None):
        """Add a child module; it learns its qualified name (and so do its own children)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}): expected a Module, got {type(module).__name__}")
        self._forget(name, keep=self._modules)
        self._modules[name] = module
        if module is not None:
            module._set_name(f"{self._name}.{name}" if self._name else name)

    def _set_name(self, qualified: str):
        object.__setattr__(self, "_name", qualified)
        for child_name, child in self._modules.items():
            if child is not None:
                child._set_name(f"{qualified}.{child_name}")

    @property
    def qualified_name(self) -> str:
        """This module's dotted path in the model it belongs to ("" for the root)."""
        return self._name

    # ---- calling -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        """``forward`` inside ``module_scope(qualified name)`` (the root uses its class name), then the hooks."""
        with autodiff.module_scope(self._name or type(self).__name__):
            out = self.forward(*args, **kwargs)
        for hook in tuple(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, inputs, output)`` after every forward; a non-None result replaces the output."""
        Module._next_hook_id += 1
        self._forward_hooks[Module._next_hook_id] = hook
        return RemovableHandle(self._forward_hooks, Module._next_hook_id)

    # ---- walking the tree --------------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo=None):
        """(dotted name, module) for this module and all below it, each module once, parents first."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, store: str, recurse: bool):
        seen = set()
        owners = self.named_modules() if recurse else [("", self)]
        for prefix, module in owners:
            for name, t in getattr(module, store).items():
                if t is None or id(t) in seen:
                    continue
                seen.add(id(t))
                yield (f"{prefix}.{name}" if prefix else name), t

    def named_parameters(self, recurse: bool = True):
        """(dotted name, Parameter) pairs; a parameter shared by two layers is listed once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True):
        return (p for _, p in self.named_parameters(recurse))

    def named_buffers(self, recurse: bool = True):
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True):
        return (b for _, b in self.named_buffers(recurse))

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule (children first) and on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes, devices, gradients -----------------------------------------------------------
    def train(self, mode: bool = True):
        """Training mode (batch statistics in BatchNorm, Dropout on) for this module and all below."""
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode (running statistics in BatchNorm, Dropout off); same as ``train(False)``."""
        return self.train(False)

    def to(self, device=None, dtype=None):
        """Move (and/or cast, floating-point tensors only) every parameter and buffer, in place; returns self.

        The Parameter objects stay the same, so an optimizer built before ``to`` keeps working.
        """
        if device is not None:
            backends.get(device)
        on_host = {id(b) for m in self.modules() for name, b in m._buffers.items() if name in m.host_buffers}
        for t in (*self.parameters(), *self.buffers()):
            if id(t) in on_host:
                continue
            _move_(t, device, dtype)
            if t.grad is not None:
                _move_(t.grad, device, dtype)
        return self

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def double(self):
        return self.to(dtype=np.float64)

    def float(self):
        return self.to(dtype=np.float32)

    def zero_grad(self, set_to_none: bool = True):
        """Forget the gradients of all parameters (``None``, or zeros with ``set_to_none=False``)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = p.grad.zeros_like()

    def requires_grad_(self, flag: bool = True):
        for p in self.parameters():
            p.requires_grad_(flag)
        return self

    # ---- saving and loading ------------------------------------------------------------------
    def state_dict(self) -> OrderedDict:
        """Every parameter and persistent buffer by dotted name, as NumPy arrays (copies)."""
        return OrderedDict((k, np.array(t.numpy(), copy=True)) for k, t in self._state_tensors().items())

    def _state_tensors(self) -> OrderedDict:
        out = OrderedDict()
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[dot + name] = p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    out[dot + name] = b
        return out

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values (NumPy arrays, Tensors, torch tensors, or anything ``np.asarray`` reads) into the
        parameters and buffers with the same names; all or nothing: every key, shape, dtype and value is
        checked first, and one StateDictError lists every problem.

        ``strict=True`` demands exactly the same keys; ``strict=False`` loads what matches and returns
        the missing and unexpected keys (a shape or dtype problem is an error either way, as in PyTorch).
        Values are cast to the dtype of the tensor they go into, as PyTorch's ``copy_`` does, except
        where the cast would change them: non-numbers (strings, objects), complex numbers, a float into
        an integer buffer (``num_batches_tracked``) or an integer too large for it. PyTorch raises
        RuntimeError here; StateDictError is both a ValueError and a RuntimeError.
        """
        if not isinstance(state_dict, Mapping):
            raise StateDictError(f"load_state_dict for {type(self).__name__}: expected a mapping of names to "
                                 f"arrays, got {type(state_dict).__name__}")
        targets = self._state_tensors()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(map(str, unexpected))}")
        values = {}
        for key, target in targets.items():
            if key in state_dict:
                value, problem = _loadable_value(key, state_dict[key], target)
                if problem:
                    problems.append(problem)
                values[key] = value
        if problems:
            raise StateDictError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems))
        with autodiff.no_grad():
            for key, value in values.items():
                targets[key].copy_(value)
        return IncompatibleKeys(missing, unexpected)

    def __deepcopy__(self, memo):
        """A full copy with new tensors (backend modules are shared, not copied)."""
        for be in backends._BACKENDS.values():
            memo.setdefault(id(be), be)
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            object.__setattr__(new, key, copy.deepcopy(value, memo))
        return new

    # ---- printing ----------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The layer's settings, shown inside its parentheses (override in layers)."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + _indent(repr(child)) for name, child in self._modules.items() if child is not None]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = ([extra] if extra else []) + lines
        return f"{type(self).__name__}(\n  " + "\n  ".join(body) + "\n)"


def _indent(text: str) -> str:
    return text.replace("\n", "\n  ")


def _move_(t: Tensor, device, dtype):
    """Move ``t``'s payload to ``device``/``dtype`` in place (floating-point dtypes only touch float tensors)."""
    cast = dtype if dtype is not None and t.dtype.kind == "f" else None
    with autodiff.no_grad():
        moved = t.to(device, cast)
    if moved is not t:
        t.data, t.device, t.backend = moved.data, moved.device, moved.backend


def _loadable_value(key: str, value, target: Tensor):
    """(value as a NumPy array of ``target``'s dtype, None) or (None, what is wrong with it)."""
    if isinstance(value, Tensor):
        value = value.numpy()
    elif hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, perhaps one that requires grad
        value = value.detach().cpu().numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as e:
        return None, f"{key!r} is not an array ({e})"
    if array.dtype.kind not in "biuf":
        return None, f"{key!r} has dtype {array.dtype} in the state dict, expected numbers for {target.dtype}"
    if tuple(array.shape) != target.shape:
        return None, (f"{key!r} has shape {tuple(array.shape)} in the state dict but {target.shape} in the model")
    if target.dtype.kind in "iu":
        if array.dtype.kind == "f":
            return None, f"{key!r} has dtype {array.dtype} in the state dict, expected integers for {target.dtype}"
        limits = np.iinfo(target.dtype)
        if array.size and (array.min() < limits.min or array.max() > limits.max):
            return None, f"{key!r} holds values outside the range of {target.dtype}"
    return np.array(array, dtype=target.dtype), None
