"""minigrad: a readable autodiff engine — scalars and tensors, forward and reverse mode.

    import minigrad as mg
    x, y = mg.Scalar(3.0, name="x"), mg.Scalar(2.0, name="y")
    f = y * x.log() + (y * x.log()).sqrt()
    f.backward(); x.grad, y.grad
"""
from . import autodiff
from .autodiff import enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck, numerical_jacobian
from .scalar import Scalar
from .serialization import load, save
from .tensor import (Tensor, arange, bool_, cat, concat, default_dtype, empty, float16, float32, float64, full,
                     full_like, get_rng, get_rng_state, int32, int64, manual_seed, maximum, minimum, ones,
                     ones_like, rand, rand_like, randint, randn, randn_like, set_rng_state, stack, tensor, uint8,
                     where, zeros, zeros_like)
from .listing import listing
from .trace import trace
from .tensor_vocabulary import (allclose, atan2, copysign, eye, isclose, lerp, linspace, logaddexp, std_mean,
                                var_mean)
from .ops.einsum import einsum
from .transforms import grad, hessian, hvp, jacfwd, jacrev, jvp, value_and_grad, vjp


def _unary(name):
    def fn(x, *args, **kwargs):
        return getattr(x, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"mg.{name}(x) is x.{name}()."
    return fn


for _name in ("exp", "log", "log1p", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "erf", "sum", "mean",
              "var", "std", "max", "min", "argmax", "logsumexp", "softmax", "log_softmax", "matmul", "reshape",
              "transpose", "permute", "squeeze", "unsqueeze", "flatten", "clip", "pad", "split", "chunk"):
    globals()[_name] = _unary(_name)
for _name in ("floor", "ceil", "round", "trunc", "sign", "isnan", "isinf", "isfinite", "logical_not", "logical_and",
              "logical_or", "logical_xor", "any", "all", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
              "atanh", "log2", "log10", "exp2", "rsqrt", "square", "prod", "cumsum", "cumprod", "logcumsumexp",
              "flip", "roll", "repeat_interleave", "tril", "triu", "diag", "diagonal", "unflatten", "gather",
              "scatter", "scatter_add", "masked_fill", "sort", "argsort", "topk", "floor_divide", "remainder",
              "add", "sub", "mul", "div", "neg", "silu", "mish", "selu", "celu", "hardtanh", "relu6", "hardsigmoid",
              "hardswish", "logsigmoid", "softsign", "softmin", "argmin", "min"):
    globals()[_name] = _unary(_name)
del _name

__version__ = "0.1.0"
from . import backends, cuda, nn, optim, models
