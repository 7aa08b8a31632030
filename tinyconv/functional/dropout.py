"""Inverted dropout (Srivastava et al. 2014, JMLR 15): zero each element with probability p and
scale the survivors by 1 / (1 - p) during training, so evaluation is the identity."""
import numbers
import warnings

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..random import resolve_rng
from ..tensor import tensor_arg
from ..validation import require_float


class Dropout(Function):
    """Inverted dropout of single elements, or of whole channels (``channels``: one draw per
    (n, c) of x (N, C, ...), as Dropout2d; Tompson et al. 2015)."""

    def __init__(self, p, rng, channels=False):
        self.p, self.rng, self.channels = p, rng, channels

    def forward(self, x):
        xp = get_array_module(x)
        shape = x.shape[:2] + (1,) * (x.ndim - 2) if self.channels else x.shape
        keep = self.rng.random(shape, dtype=np.float32) >= self.p
        self.mask = xp.asarray(keep, dtype=x.dtype) / x.dtype.type(1 - self.p)
        return x * self.mask

    def backward(self, g):
        return g * self.mask


def probability_arg(p):
    """Return ``p`` as a float in [0, 1).

    Raises:
        TypeError: not a real number. ValueError: outside [0, 1) (NaN included).
    """
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"p: expected a probability in [0, 1), got {type(p).__name__} {p!r}")
    if not 0 <= p < 1:
        raise ValueError(f"p: expected a probability in [0, 1), got {p}")
    return float(p)


def dropout(x, p=0.5, training=True, rng=None):
    """Zero elements of ``x`` with probability ``p`` (0 <= p < 1) when ``training``; identity otherwise.

    ``rng``: a ``numpy.random.Generator`` (default: the framework's seeded generator).

    Raises:
        ValueError: ``p`` outside [0, 1).
        TypeError: non-float ``x``, a ``p`` that is not a real number, or an ``rng`` that is
            not a Generator.
    """
    p = probability_arg(p)
    x = tensor_arg("x", x)
    require_float("x", x)
    if not training or p == 0:
        return x
    return Dropout(p, resolve_rng(rng))(x)


def dropout2d(input, p=0.5, training=True, inplace=False, rng=None):
    """Zero whole channels of ``input`` (N, C, H, W) with probability ``p`` when ``training``,
    scaling the others by 1 / (1 - p), as PyTorch's ``dropout2d``; a 3-D input is taken as
    (N, C, L) with PyTorch's warning. ``rng`` as :func:`dropout`.

    Raises:
        ValueError: ``p`` outside [0, 1), an input of another rank.
        NotImplementedError: ``inplace=True`` (tinyconv's dropout is out of place).
        TypeError: as :func:`dropout`.
    """
    if inplace:
        raise NotImplementedError("dropout2d(inplace=True): tinyconv has no in-place dropout; use inplace=False")
    p = probability_arg(p)
    x = tensor_arg("input", input)
    require_float("input", x)
    if x.ndim not in (3, 4):
        raise ValueError(f"input: expected a 4-D tensor (N, C, H, W) or 3-D (N, C, L), got shape {tuple(x.shape)}")
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L)", UserWarning, stacklevel=2)
    if not training or p == 0:
        return x
    return Dropout(p, resolve_rng(rng), channels=True)(x)
