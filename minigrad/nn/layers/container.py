"""Containers: ModuleList (a list whose modules are registered) and Sequential (layers applied in order)."""
from __future__ import annotations

from collections import OrderedDict

from ..module import Module


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (it has no forward of its own)."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

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

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self


class Sequential(ModuleList):
    """``Sequential(a, b, c)(x) = c(b(a(x)))``; children are named "0", "1", ... (or by an OrderedDict)."""

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], OrderedDict):
            Module.__init__(self)
            for name, layer in layers[0].items():
                self.add_module(name, layer)
        else:
            super().__init__(layers)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    @property
    def conv_bn_pairs(self):
        """Every two consecutive children: what ``nn.utils.fuse_conv_bn`` may fold."""
        names = list(self._modules)
        return tuple(zip(names, names[1:]))
