"""Containers: Sequential (layers applied in order) and ModuleList (a list whose modules are registered)."""
from __future__ import annotations

from collections import OrderedDict

from ..module import Module


class Sequential(Module):
    """``Sequential(a, b, c)(x) = c(b(a(x)))``; children are named "0", "1", ... (or by an OrderedDict)."""

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            for name, layer in layers[0].items():
                self.add_module(name, layer)
        else:
            for i, layer in enumerate(layers):
                self.add_module(str(i), layer)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    @property
    def conv_bn_pairs(self):
        """Every two consecutive children: what ``nn.utils.fuse_conv_bn`` may fold."""
        names = list(self._modules)
        return tuple(zip(names, names[1:]))

    def _key(self, index: int) -> str:
        n = len(self._modules)
        if not isinstance(index, int) or not -n <= index < n:
            raise IndexError(f"index {index!r} is out of range for a {type(self).__name__} of length {n} "
                             "(integers only)")
        return list(self._modules)[index % n]

    def __getitem__(self, index: int):
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module):
        self.add_module(self._key(index), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (it has no forward of its own)."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def _key(self, index: int) -> str:
        n = len(self._modules)
        if not isinstance(index, int) or not -n <= index < n:
            raise IndexError(f"index {index!r} is out of range for a ModuleList of length {n} (integers only)")
        return str(index % n)

    def __getitem__(self, index: int):
        return self._modules[self._key(index)]

    def __setitem__(self, index: int, module: Module):
        self.add_module(self._key(index), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module: Module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self
