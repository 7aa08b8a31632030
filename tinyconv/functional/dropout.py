"""Inverted dropout (Srivastava et al. 2014, JMLR 15): zero each element with probability p and
scale the survivors by 1 / (1 - p) during training, so evaluation is the identity."""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..random import resolve_rng
from .validation import require_float


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


def dropout(x, p=0.5, training=True, rng=None):
    """Zero elements of ``x`` with probability ``p`` (0 <= p < 1) when ``training``; identity otherwise.

    ``rng``: a ``numpy.random.Generator`` (default: the framework's seeded generator).

    Raises:
        ValueError: ``p`` outside [0, 1).
        TypeError: non-float ``x``.
    """
    if not 0 <= p < 1:
        raise ValueError(f"p: expected a probability in [0, 1), got {p}")
    require_float("x", x)
    if not training or p == 0:
        return x
    return Dropout(p, resolve_rng(rng))(x)
