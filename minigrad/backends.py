"""Settings of the backends that users may change, as ``torch.backends``: ``mg.backends.cpu.conv_algorithm``."""


class CpuSettings:
    """Choices of the CPU backend, read at each call.

    conv_algorithm: how conv2d and its gradients run on the CPU (``kernels.cpu.conv.uses_winograd``):
      "auto" (default)  Winograd F(2×2, 3×3) for 3×3, stride-1, undilated, ungrouped convolutions with at
                        least 16 input and output channels and outputs at least 8×8 (measured faster there:
                        0.6-0.9× im2col's CPU time on ResNet-18's 32×32 to 8×8 layers, 1.4× on 4×4), else im2col
      "im2col"          always im2col + one GEMM (exact to the GEMM's rounding)
      "winograd"        Winograd wherever it applies, im2col elsewhere
    Winograd rounds a little differently from im2col (float32: within about 1e-5 of max |y|).
    """
    CONV_ALGORITHMS = ("auto", "im2col", "winograd")

    def __init__(self):
        self._conv_algorithm = "auto"

    @property
    def conv_algorithm(self):
        return self._conv_algorithm

    @conv_algorithm.setter
    def conv_algorithm(self, value):
        if value not in self.CONV_ALGORITHMS:
            raise ValueError(f"mg.backends.cpu.conv_algorithm must be one of {self.CONV_ALGORITHMS}, got {value!r}")
        self._conv_algorithm = value

    def __repr__(self):
        return f"CpuSettings(conv_algorithm={self._conv_algorithm!r})"


cpu = CpuSettings()
