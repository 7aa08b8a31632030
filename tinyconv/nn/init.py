"""Weight initialisation in place, with PyTorch's ``torch.nn.init`` names, arguments and
defaults; ``generator`` is a ``numpy.random.Generator`` (default: the framework's seeded one).

fan_in = C * KH * KW for a conv weight (O, C, KH, KW), in_features for a linear weight
(out_features, in_features); fan_out likewise with O / out_features.
"""
import math
import numbers

import numpy as np

from ..backend import get_array_module
from ..random import resolve_rng

_GAINS = {"linear": 1.0, "conv1d": 1.0, "conv2d": 1.0, "conv3d": 1.0, "conv_transpose1d": 1.0,
          "conv_transpose2d": 1.0, "conv_transpose3d": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3,
          "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def calculate_gain(nonlinearity, param=None):
    """Return PyTorch's recommended gain for ``nonlinearity``: 1 for linear, conv and sigmoid,
    5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope ``param``,
    default 0.01), 3/4 for selu.

    Raises:
        ValueError: an unknown nonlinearity, or a slope that is not a number.
    """
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise ValueError(f"param: expected a negative slope (a number), got {param!r}")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in _GAINS:
        raise ValueError(f"nonlinearity: expected one of {sorted(_GAINS) + ['leaky_relu']}, got {nonlinearity!r}")
    return _GAINS[nonlinearity]


def fans(shape):
    """Return (fan_in, fan_out) of a weight of ``shape`` (at least 2-D)."""
    if len(shape) < 2:
        raise ValueError(f"shape: expected a weight with at least 2 dimensions, got {tuple(shape)}")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fill(tensor, values):
    xp = get_array_module(tensor.data)
    tensor.data[...] = xp.asarray(values, dtype=tensor.dtype)
    return tensor


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill ``tensor`` with U(a, b); returns it."""
    return _fill(tensor, resolve_rng(generator).uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill ``tensor`` with N(mean, std^2); returns it."""
    return _fill(tensor, resolve_rng(generator).normal(mean, std, tensor.shape))


def constant_(tensor, val):
    """Fill ``tensor`` with ``val``; returns it."""
    return _fill(tensor, val)


def zeros_(tensor):
    """Fill ``tensor`` with zeros; returns it."""
    return _fill(tensor, 0.0)


def ones_(tensor):
    """Fill ``tensor`` with ones; returns it."""
    return _fill(tensor, 1.0)


def _kaiming_std(tensor, a, mode, nonlinearity):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode: expected 'fan_in' or 'fan_out', got {mode!r}")
    fan = fans(tensor.shape)[0 if mode == "fan_in" else 1]
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation (He et al. 2015, eq. 10), N(0, std^2) with std = gain / sqrt(fan),
    gain = ``calculate_gain(nonlinearity, a)`` (``a``: the negative slope of a leaky ReLU; the
    defaults give sqrt(2), ReLU's gain) and fan the fan_in or fan_out (``mode``).

    Raises:
        ValueError: a tensor of fewer than 2 dimensions, an unknown ``mode`` or ``nonlinearity``.
    """
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He initialisation, U(-b, b) with b = sqrt(3) * std (std as :func:`kaiming_normal_`,
    whose arguments and errors it shares)."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot initialisation, U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio 2010, eq. 16)."""
    fan_in, fan_out = fans(tensor.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot initialisation, N(0, gain^2 * 2 / (fan_in + fan_out))."""
    fan_in, fan_out = fans(tensor.shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def orthogonal_(tensor, gain=1, generator=None):
    """Fill ``tensor`` (at least 2-D, viewed as (rows, cols) = (shape[0], the rest)) with a
    random orthogonal matrix times ``gain`` (Saxe et al. 2013), as PyTorch: the Q of the QR
    decomposition of a standard normal matrix, signs fixed by R's diagonal (so Q is uniform
    on the orthogonal group); orthonormal rows if rows <= cols, else orthonormal columns.
    Returns ``tensor``.

    Raises:
        ValueError: a tensor of fewer than 2 dimensions.
    """
    if len(tensor.shape) < 2:
        raise ValueError(f"tensor: expected at least 2 dimensions, got shape {tuple(tensor.shape)}")
    rows = tensor.shape[0]
    cols = math.prod(tensor.shape) // rows
    flat = resolve_rng(generator).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    return _fill(tensor, gain * (q if rows >= cols else q.T).reshape(tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill ``tensor`` with N(mean, std^2) truncated to [a, b] (absolute bounds, not in units
    of std, as PyTorch's), drawn by rejection: out-of-range draws are drawn again. Returns
    ``tensor``.

    Raises:
        ValueError: std <= 0, a >= b, or [a, b] holds less than 1e-9 of the normal's mass (so
            far in its tail that rejection would not end).
    """
    if not std > 0:
        raise ValueError(f"std: expected a positive number, got {std}")
    if not a < b:
        raise ValueError(f"a: expected a < b, got a={a} and b={b}")
    cdf = lambda x: 0.5 * math.erfc(-(x - mean) / (std * math.sqrt(2)))  # noqa: E731
    mass = cdf(b) - cdf(a)
    if mass < 1e-9:
        raise ValueError(f"a, b: [{a}, {b}] holds only {mass:.3g} of N({mean}, {std}^2); move the bounds "
                         f"within a few std of the mean")
    rng, size = resolve_rng(generator), math.prod(tensor.shape)
    values = np.empty(0)
    while values.size < size:
        draws = rng.normal(mean, std, min(int((size - values.size) / mass * 1.1) + 16, 10 ** 7))
        values = np.concatenate([values, draws[(draws >= a) & (draws <= b)]])
    return _fill(tensor, values[:size].reshape(tensor.shape))
