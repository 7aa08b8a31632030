"""Linear: a fully connected layer."""
import math

import numpy as np

from .. import functional as F
from ..validation import float_dtype, positive_int
from ..tensor import Parameter
from . import init
from .module import Module


def reset_uniform(weight, bias, rng=None):
    """PyTorch's default layer initialisation: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(init.fans(weight.shape)[0])
    init.uniform_(weight, -bound, bound, rng)
    if bias is not None:
        init.uniform_(bias, -bound, bound, rng)


class Identity(Module):
    """Return the input unchanged (any arguments of the constructor are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x @ W.T + b for x (N, in_features) -> (N, out_features).

    Args:
        in_features, out_features: positive ints. bias: learn an additive bias.
        dtype: float32 (default) or float64. rng: generator for the initialisation.

    Raises:
        TypeError: a size that is not an int, another dtype, or an rng that is not a Generator.
        ValueError: a size < 1.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32, rng=None):
        super().__init__()
        in_features, out_features = positive_int("in_features", in_features), positive_int("out_features", out_features)
        dtype = float_dtype("dtype", dtype)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.bias = Parameter(np.empty(out_features, dtype=dtype)) if bias else None
        reset_uniform(self.weight, self.bias, rng)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"
