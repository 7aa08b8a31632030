"""The argument checks of tinyconv, one behaviour per kind of argument: each names the argument,
what was expected and what came, as ``"<name>: expected <what>, got <value>"``. A value of the
wrong type raises TypeError, a value of the right type out of range raises ValueError, and NaN or
Inf in data raises :class:`NonFiniteError` (a ValueError).

A base module: it imports nothing from tinyconv but the kernels' array helper, so every layer
(backend, functional, nn, optim, data, the models, checkpoint) checks its arguments here."""
import math
import numbers
import os

import numpy as np

from .kernels.arrays import array_module


class NonFiniteError(ValueError):
    """NaN or Inf where tinyconv needs finite values (an argument check or, as its subclass
    :class:`tinyconv.AnomalyError`, an anomaly)."""


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
    """Raise TypeError unless tensor/array ``x`` (or array-like: a list, a number) is float32
    or float64 (the dtypes every kernel supports)."""
    dtype = x.dtype if hasattr(x, "dtype") else np.asarray(x).dtype
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: expected a floating-point tensor (float32 or float64), got dtype {dtype}")


def axis_arg(name, axis, ndim, allow_none=True, allow_tuple=True, error=ValueError):
    """Return ``axis`` (an int, a tuple of distinct ints, or None for every axis) normalised to
    a tuple of non-negative axes of an ``ndim``-D tensor.

    Raises:
        TypeError: not an int (or tuple of ints, or None where allowed).
        ValueError (or ``error``): an axis outside [-ndim, ndim) or repeated.
    """
    if axis is None and allow_none:
        return tuple(range(ndim))
    single = isinstance(axis, numbers.Integral) and not isinstance(axis, bool)
    several = allow_tuple and isinstance(axis, (tuple, list)) and \
        all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axis)
    if not (single or several):
        allowed = "an int" + (", a tuple of ints" if allow_tuple else "") + (" or None" if allow_none else "")
        raise TypeError(f"{name}: expected {allowed}, got {axis!r}")
    axes = (int(axis),) if single else tuple(int(a) for a in axis)
    bound = max(ndim, 1)  # a 0-d tensor accepts axis 0 or -1, as NumPy's reductions do
    if any(not -bound <= a < bound for a in axes):
        raise error(f"{name}: expected values in [{-bound}, {bound}), got {axis!r} (the tensor is {ndim}-D)")
    axes = tuple(a % bound for a in axes)
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: expected distinct axes, got {axis!r}")
    return axes if ndim else ()


def dim_alias(dim, keepdim, axis=None, keepdims=None, default=None):
    """Return ``(dim, keepdim)``, taking NumPy's spellings ``axis`` and ``keepdims`` as aliases,
    as PyTorch does (``default``: dim's default value).

    Raises:
        TypeError: both spellings of one argument are given.
    """
    if axis is not None:
        if dim != default:
            raise TypeError(f"dim and axis are aliases: give one, got dim={dim!r} and axis={axis!r}")
        dim = axis
    if keepdims is not None:
        if keepdim:
            raise TypeError("keepdim and keepdims are aliases: give one")
        keepdim = keepdims
    return dim, bool(keepdim)


def require_finite(name, x):
    """Raise :class:`tinyconv.NonFiniteError` (a ValueError) if ``x`` holds NaN or Inf (so that
    no NaN spreads silently)."""
    data = getattr(x, "data", x)
    xp = array_module(data) if hasattr(data, "__cuda_array_interface__") else np
    if not bool(xp.isfinite(data).all()):
        raise NonFiniteError(f"{name}: expected finite values, got NaN or Inf")


def require_ndim(name, x, ndim, layout):
    """Raise ValueError unless ``x`` has ``ndim`` dimensions (``layout`` names them, e.g. "(N, C, H, W)")."""
    if x.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D tensor {layout}, got shape {tuple(x.shape)}")


def require_broadcastable(name, shape, target):
    """Raise ValueError unless an array of ``shape`` broadcasts to ``target`` unchanged (the
    shape of an in-place or companion operand)."""
    try:
        fits = np.broadcast_shapes(tuple(shape), tuple(target)) == tuple(target)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}: expected a shape that broadcasts to {tuple(target)}, got {tuple(shape)}")


def require_same_dtype(name, x, reference_name, reference):
    """Raise TypeError unless ``x`` has the dtype of ``reference`` (no silent upcasts)."""
    if x.dtype != reference.dtype:
        raise TypeError(f"{name}: expected dtype {reference.dtype} like {reference_name}, got {x.dtype}")


def _expected(kind, low, high, low_open, high_open, finite):
    """What a bounded number is said to be: "a positive int", "a number in [0, 1)", ..."""
    noun = ("a finite " if finite else "an " if kind == "int" else "a ") + kind
    if low is not None and high is not None:
        return f"{noun} in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if high is None and not finite:
        if (low, low_open) == (0, True) or (kind == "int" and low == 1):
            return f"a positive {kind}"
        if (low, low_open) == (0, False):
            return f"a non-negative {kind}"
    bounds = ([f"{'>' if low_open else '>='} {low}"] if low is not None else []) + \
             ([f"{'<' if high_open else '<='} {high}"] if high is not None else [])
    return " ".join([noun] + bounds)


def _check_bounded(name, value, accepts, what, low, high, low_open, high_open, finite):
    """TypeError unless ``value`` is an ``accepts`` (not a bool); ValueError unless within bounds.
    ``what()`` says what was expected (made only for the message)."""
    if isinstance(value, bool) or not isinstance(value, accepts):
        raise TypeError(f"{name}: expected {what()}, got {type(value).__name__} {value!r}")
    inside = ((low is None or (value > low if low_open else value >= low))
              and (high is None or (value < high if high_open else value <= high))
              and (not finite or math.isfinite(value)) and value == value)
    if not inside:
        raise ValueError(f"{name}: expected {what()}, got {value}")


def number(name, value, low=None, high=None, low_open=False, high_open=False, finite=False):
    """Return ``value`` unchanged if it is a real number (not a bool) within the bounds: ``low``
    and ``high`` (None: unbounded; ``*_open``: the bound itself is excluded), finite where
    ``finite``. NaN is never within bounds.

    Raises:
        TypeError: not a real number (a bool, a string, None, ...).
        ValueError: out of bounds, NaN, or not finite where ``finite``.
    """
    def what():
        return _expected("number", low, high, low_open, high_open, finite)
    _check_bounded(name, value, numbers.Real, what, low, high, low_open, high_open, finite)
    return value


def integer(name, value, low=None, high=None, high_open=False, optional=False):
    """Return ``value`` as an int if it is an integer (not a bool) in [``low``, ``high``] (or
    [``low``, ``high``)); None passes (and is returned) where ``optional``.

    Raises:
        TypeError: not an int (a bool, a float, a string, ...).
        ValueError: out of bounds.
    """
    if value is None and optional:
        return None
    def what():
        return _expected("int", low, high, False, high_open, False) + (" or None" if optional else "")
    _check_bounded(name, value, numbers.Integral, what, low, high, False, high_open, False)
    return int(value)


def path_arg(name, value):
    """Return ``value`` (a str, bytes or os.PathLike) as a str or bytes path (``os.fspath``).

    Raises:
        TypeError: anything else (None, a bool, a number, an open file, ...).
    """
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError(f"{name}: expected a str or os.PathLike, got {type(value).__name__} {value!r}")
    return os.fspath(value)


def positive_int(name, value):
    """Return ``value`` as an int >= 1 (sizes of layers).

    Raises:
        TypeError: not an int. ValueError: < 1.
    """
    return integer(name, value, low=1)


def positive_real(name, value):
    """Return ``value`` as a float if it is a finite real number > 0 (not a bool).

    Raises:
        TypeError: not a real number. ValueError: not finite and > 0.
    """
    return float(number(name, value, low=0, low_open=True, finite=True))


def float_dtype(name, dtype):
    """Return ``dtype`` as a NumPy dtype, float32 or float64.

    Raises:
        TypeError: any other dtype, or something that is not a dtype.
    """
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name}: expected float32 or float64, got {dtype!r}") from None
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{name}: expected float32 or float64, got {dtype}")
    return dtype
