"""Argument checks shared by the functional wrappers: each names the argument, what was
expected and what came."""
import numbers

import numpy as np

from ..anomaly import NonFiniteError
from ..backend import get_array_module


def pair(name, value, minimum):
    """Return ``value`` (an int or a pair of ints, each >= ``minimum``) as a tuple of two ints.

    Raises:
        TypeError: not an int or a pair of ints.
        ValueError: an entry is below ``minimum``.
    """
    values = (value, value) if isinstance(value, numbers.Integral) else tuple(value) if isinstance(value, (tuple, list)) else None
    if values is None or len(values) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {value!r}")
    if min(values) < minimum:
        raise ValueError(f"{name}: expected values >= {minimum}, got {value!r}")
    return int(values[0]), int(values[1])


def require_float(name, x):
    """Raise TypeError unless tensor/array ``x`` (or array-like: a list, a number) has a
    floating-point dtype."""
    dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
    if dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor (float32 or float64), got dtype {dtype}")


def require_finite(name, x):
    """Raise :class:`tinyconv.NonFiniteError` (a ValueError) if ``x`` holds NaN or Inf (so that
    no NaN spreads silently)."""
    data = getattr(x, "data", x)
    if not bool(get_array_module(data).isfinite(data).all()):
        raise NonFiniteError(f"{name}: expected finite values, got NaN or Inf")


def require_ndim(name, x, ndim, layout):
    """Raise ValueError unless ``x`` has ``ndim`` dimensions (``layout`` names them, e.g. "(N, C, H, W)")."""
    if x.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D tensor {layout}, got shape {tuple(x.shape)}")


def require_same_dtype(name, x, reference_name, reference):
    """Raise TypeError unless ``x`` has the dtype of ``reference`` (no silent upcasts)."""
    if x.dtype != reference.dtype:
        raise TypeError(f"{name}: expected dtype {reference.dtype} like {reference_name}, got {x.dtype}")
