"""``nn.summary(model, input_shape)``: each layer's output shape, parameters and multiply-adds.

It runs one forward pass on zeros of shape (1, *input_shape), in eval mode and under no_grad (so
running statistics do not move), with a forward hook on every leaf layer, and lists the leaves in
the order they ran. Multiply-adds are per sample:

    Conv (1-d, 2-d)   C_out · (output positions) · (C_in/groups) · (kernel positions)
    Linear            in_features · out_features  (per output row)
    anything else     0  (BatchNorm, pooling and activations: no weight multiplications counted)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..autodiff import no_grad
from ..tensor import Tensor, zeros
from .layers.conv import _ConvNd
from .layers.linear import Linear


@dataclass
class LayerRow:
    name: str
    type: str
    output_shape: tuple | None  # without the batch dimension
    weight_shape: tuple | None
    params: int
    mult_adds: int


@dataclass
class ModelSummary:
    """The rows of ``nn.summary`` and its totals; ``str()`` gives the printed table."""
    input_shape: tuple
    rows: list
    total_params: int
    trainable_params: int
    total_mult_adds: int

    def __str__(self):
        header = ("Layer", "Type", "Output shape", "Weight shape", "Params", "Mult-adds")
        cells = [header, ("input", "", _shape(self.input_shape), "", "", "")]
        cells += [(r.name, r.type, _shape(r.output_shape), _shape(r.weight_shape), f"{r.params:,}",
                   f"{r.mult_adds:,}") for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
        numeric = {4, 5}

        def line(row):
            return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths)))

        rule = "-" * len(line(header))
        body = [line(header), rule] + [line(row) for row in cells[1:]] + [rule]
        body += [f"Total params: {self.total_params:,}", f"Trainable params: {self.trainable_params:,}",
                 f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                 f"Mult-adds per sample: {self.total_mult_adds:,}"]
        return "\n".join(line.rstrip() for line in body)


def _shape(shape) -> str:
    return "" if shape is None else " × ".join(str(n) for n in shape)


def mult_adds(module, output: Tensor) -> int:
    """Multiply-adds of one call of ``module`` per sample, given its output (see the module docstring)."""
    per_sample = output.size // output.shape[0]
    if isinstance(module, _ConvNd):
        kernel = int(np.prod(module.kernel_size))
        return per_sample * (module.in_channels // module.groups) * kernel
    if isinstance(module, Linear):
        return per_sample * module.in_features
    return 0


def summary(model, input_shape, print_fn=print) -> ModelSummary:
    """Summarise ``model`` on one input of shape ``input_shape`` (without the batch dimension); prints the
    table with ``print_fn`` (``None``: print nothing) and returns it as a ``ModelSummary``."""
    input_shape = tuple(int(n) for n in input_shape)
    params = list(model.parameters())
    device = params[0].device if params else "cpu"
    dtype = params[0].dtype if params else None
    rows, handles = [], []

    def record(module, inputs, output):
        out = output if isinstance(output, Tensor) else None
        weight = module._parameters.get("weight")
        rows.append(LayerRow(
            name=module.qualified_name or type(module).__name__, type=type(module).__name__,
            output_shape=out.shape[1:] if out is not None else None,
            weight_shape=weight.shape if weight is not None else None,
            params=sum(p.size for p in module.parameters(recurse=False)),
            mult_adds=mult_adds(module, out) if out is not None else 0))

    modes = {m: m.training for m in model.modules()}
    try:
        for m in model.modules():
            if not any(True for _ in m.children()):
                handles.append(m.register_forward_hook(record))
        model.eval()
        with no_grad():
            model(zeros(1, *input_shape, dtype=dtype, device=device))
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes.items():
            m.training = mode
    result = ModelSummary(input_shape=input_shape, rows=rows, total_params=sum(p.size for p in params),
                          trainable_params=sum(p.size for p in params if p.requires_grad),
                          total_mult_adds=sum(r.mult_adds for r in rows))
    if print_fn is not None:
        print_fn(str(result))
    return result
