"""Argument checks shared by the functional wrappers: each names the argument, what was
expected and what came."""
import math
import numbers

import numpy as np

from ..anomaly import NonFiniteError, is_anomaly_enabled
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


def tensor_arg(name, value):
    """Return ``value`` as a Tensor: Tensors pass through, arrays, numbers and nested lists are
    wrapped (see :class:`tinyconv.Tensor`).

    Raises:
        TypeError: None, a string or another object that is not numbers.
        ValueError: ragged nested lists.
    """
    from ..tensor import Tensor, to_array
    if isinstance(value, Tensor):
        return value
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected a Tensor, an array or a number, got {type(value).__name__}")
    return Tensor(to_array(value, name=name))


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
    if not bool(get_array_module(data).isfinite(data).all()):
        raise NonFiniteError(f"{name}: expected finite values, got NaN or Inf")


def finite_under_anomaly(name, x):
    """Inside :func:`tinyconv.detect_anomaly`, raise :class:`tinyconv.NonFiniteError` (a
    ValueError) if ``x`` holds NaN or Inf; outside, check nothing, so NaN propagates to the
    output as in PyTorch. The per-op checks of inputs use this: the check is a full pass over the
    data and, on the GPU, a wait for the device on every call."""
    if is_anomaly_enabled():
        require_finite(name, x)


def require_ndim(name, x, ndim, layout):
    """Raise ValueError unless ``x`` has ``ndim`` dimensions (``layout`` names them, e.g. "(N, C, H, W)")."""
    if x.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D tensor {layout}, got shape {tuple(x.shape)}")


def require_same_dtype(name, x, reference_name, reference):
    """Raise TypeError unless ``x`` has the dtype of ``reference`` (no silent upcasts)."""
    if x.dtype != reference.dtype:
        raise TypeError(f"{name}: expected dtype {reference.dtype} like {reference_name}, got {x.dtype}")


def positive_int(name, value):
    """Return ``value`` as an int >= 1 (sizes of layers).

    Raises:
        TypeError: not an int. ValueError: < 1.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected a positive int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{name}: expected a positive int, got {value}")
    return int(value)


def positive_real(name, value):
    """Return ``value`` as a float if it is a finite real number > 0 (not a bool).

    Raises:
        TypeError: not a real number. ValueError: not finite and > 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a positive real number, got {type(value).__name__} {value!r}")
    if not 0 < value < math.inf:
        raise ValueError(f"{name}: expected a finite number > 0, got {value!r}")
    return float(value)


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


def layer_args(x, weight, bias, x_layout, weight_layout, bias_axis=0):
    """Convert and check the input, weight and optional bias of a layer (linear, conv2d): ranks
    as the layouts say (e.g. "(N, C, H, W)"), float x, weight and bias of x's dtype, bias of
    shape (weight.shape[bias_axis],). Returns the three as Tensors (bias may be None).

    Raises:
        ValueError: wrong ranks or bias shape. TypeError: non-float x, other dtypes.
    """
    x, weight = tensor_arg("x", x), tensor_arg("weight", weight)
    require_ndim("x", x, x_layout.count(",") + 1, x_layout)
    require_ndim("weight", weight, weight_layout.count(",") + 1, weight_layout)
    require_float("x", x)
    require_same_dtype("weight", weight, "x", x)
    if bias is not None:
        bias = tensor_arg("bias", bias)
        if tuple(bias.shape) != (weight.shape[bias_axis],):
            raise ValueError(f"bias: expected shape ({weight.shape[bias_axis]},), got {tuple(bias.shape)}")
        require_same_dtype("bias", bias, "x", x)
    return x, weight, bias
