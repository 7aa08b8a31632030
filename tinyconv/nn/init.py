"""Weight initialisation, in place on Parameters, with an explicit or the default generator.

fan_in = C * KH * KW for a conv weight (O, C, KH, KW), in_features for a linear weight
(out_features, in_features); fan_out likewise with O / out_features.
"""
import math

from ..backend import get_array_module
from ..random import resolve_rng


def fans(shape):
    """Return (fan_in, fan_out) of a weight of ``shape`` (at least 2-D)."""
    if len(shape) < 2:
        raise ValueError(f"shape: expected a weight with at least 2 dimensions, got {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(param, values):
    xp = get_array_module(param.data)
    param.data[...] = xp.asarray(values, dtype=param.dtype)
    return param


def uniform_(param, low, high, rng=None):
    """Fill with U(low, high)."""
    return _fill(param, resolve_rng(rng).uniform(low, high, param.shape))


def normal_(param, mean=0.0, std=1.0, rng=None):
    """Fill with N(mean, std^2)."""
    return _fill(param, resolve_rng(rng).normal(mean, std, param.shape))


def zeros_(param):
    """Fill with zeros."""
    return _fill(param, 0.0)


def kaiming_normal_(param, gain=math.sqrt(2.0), rng=None):
    """He initialisation, N(0, gain^2 / fan_in) (He et al. 2015, eq. 10; gain sqrt(2) for ReLU)."""
    return normal_(param, 0.0, gain / math.sqrt(fans(param.shape)[0]), rng)


def kaiming_uniform_(param, gain=math.sqrt(2.0), rng=None):
    """He initialisation, U(-b, b) with b = gain * sqrt(3 / fan_in)."""
    bound = gain * math.sqrt(3.0 / fans(param.shape)[0])
    return uniform_(param, -bound, bound, rng)


def xavier_uniform_(param, gain=1.0, rng=None):
    """Glorot initialisation, U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010, eq. 16)."""
    fan_in, fan_out = fans(param.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(param, -bound, bound, rng)


def xavier_normal_(param, gain=1.0, rng=None):
    """Glorot initialisation, N(0, gain^2 * 2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(param.shape)
    return normal_(param, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng)
