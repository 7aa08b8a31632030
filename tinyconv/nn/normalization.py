"""LayerNorm and GroupNorm (see :func:`tinyconv.functional.layer_norm` and
:func:`tinyconv.functional.group_norm`), with PyTorch's arguments and initialisation (weight
ones, bias zeros)."""

import numpy as np

from .. import functional as F
from ..tensor import Parameter
from ..functional.normalization import normalized_shape_arg
from ..validation import float_dtype, number, positive_int
from .module import Module


def _eps_arg(eps):
    return float(number("eps", eps, 0, low_open=True))


def _affine_params(module, shape, weight, bias, dtype, device):
    dtype = float_dtype("dtype", np.float32 if dtype is None else dtype)
    module.weight = Parameter(np.ones(shape, dtype=dtype)) if weight else None
    module.bias = Parameter(np.zeros(shape, dtype=dtype)) if weight and bias else None
    if device is not None:
        module.to(device)


class LayerNorm(Module):
    """Layer normalisation over the trailing ``normalized_shape`` of the input.

    Args:
        normalized_shape: an int or a tuple of positive ints. eps: > 0.
        elementwise_affine: learn ``weight`` (ones) and, with ``bias``, ``bias`` (zeros),
            both of shape ``normalized_shape``.
        device: None or "cpu"/"cuda". dtype: None (float32), float32 or float64.

    Raises:
        TypeError: a bad normalized_shape or dtype. ValueError: eps <= 0.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = normalized_shape_arg(normalized_shape)
        self.eps, self.elementwise_affine = _eps_arg(eps), bool(elementwise_affine)
        _affine_params(self, self.normalized_shape, elementwise_affine, bias, dtype, device)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Group normalisation of (N, C, *) inputs in ``num_groups`` groups of channels.

    Args:
        num_groups: a divisor of num_channels. num_channels: C. eps: > 0.
        affine: learn a per-channel ``weight`` (ones) and ``bias`` (zeros).
        device: None or "cpu"/"cuda". dtype: None (float32), float32 or float64.

    Raises:
        TypeError: a size that is not an int, another dtype.
        ValueError: sizes < 1, num_channels not divisible by num_groups, eps <= 0.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None):
        super().__init__()
        self.num_groups, self.num_channels = positive_int("num_groups", num_groups), positive_int("num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"num_channels: expected a multiple of num_groups ({num_groups}), got {num_channels}")
        self.eps, self.affine = _eps_arg(eps), bool(affine)
        _affine_params(self, (self.num_channels,), affine, True, dtype, device)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
