"""Inverted dropout (Srivastava et al. 2014, JMLR 15): zero each element with probability p and
scale the survivors by 1 / (1 - p) during training, so evaluation is the identity."""
import numbers

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..random import resolve_rng
from .validation import require_float, tensor_arg


class Dropout(Function):
    def __init__(self, p, rng):
        self.p, self.rng = p, rng

    def forward(self, x):
        xp = get_array_module(x)
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
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
