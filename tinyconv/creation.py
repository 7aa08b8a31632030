"""Tensor factories and dtypes with PyTorch's names, arguments and defaults: ``zeros``, ``ones``,
``full``, ``empty``, their ``*_like`` forms, ``rand``, ``randn``, ``randint``, ``arange``,
``linspace``, ``eye``, ``from_numpy``.

Sizes are given as PyTorch does: ``zeros(2, 3)`` or ``zeros((2, 3))``. ``dtype`` is a NumPy
dtype (see :mod:`tinyconv.dtypes`: ``tinyconv.float32``, ``tinyconv.long``...); ``device`` is
"cpu", "cuda" or "cuda:0". The default floating dtype is float32;
integers are int64 and bools bool, as in PyTorch. Random factories draw from ``generator`` (a
``numpy.random.Generator``) or from tinyconv's seeded default one (see
:func:`tinyconv.manual_seed`); the numbers differ from PyTorch's for the same seed.
"""
import numbers

import numpy as np

from .random import resolve_rng
from .tensor import Tensor, _dtype_arg
from .validation import integer

FLOAT, INT, BOOL = np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_)  # PyTorch's defaults

def _sizes(size):
    """``size`` as given to zeros(*size): ints, or one tuple or list of ints."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_)) for n in size):
        raise TypeError(f"size: expected ints or one tuple of ints, got {size!r}")
    if any(n < 0 for n in size):
        raise ValueError(f"size: expected sizes >= 0, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _make(array, dtype, default, device, requires_grad):
    """A Tensor of ``array`` cast to ``dtype`` (``default`` when None) on ``device``."""
    dtype = _dtype_arg(default if dtype is None else dtype)
    return Tensor(array.astype(dtype, copy=False), requires_grad=requires_grad, device=device)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros of shape ``size`` (float32 unless ``dtype``), as ``torch.zeros``; the
    same arguments for :func:`ones` and :func:`empty` (which gives zeros, not garbage).

    Raises:
        TypeError: a size that is not an int, or a bad dtype. ValueError: a negative size.
    """
    return _make(np.zeros(_sizes(size)), dtype, FLOAT, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _make(np.ones(_sizes(size)), dtype, FLOAT, device, requires_grad)


empty = zeros


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor of shape ``size`` filled with ``fill_value``, as ``torch.full``: of dtype
    bool, int64 or float32 after the value's Python type, unless ``dtype`` is given."""
    default = BOOL if isinstance(fill_value, bool) else INT if isinstance(fill_value, numbers.Integral) else FLOAT
    return _make(np.full(_sizes((size,)), fill_value), dtype, default, device, requires_grad)


def _like(input, dtype, device):
    return input.shape, input.dtype if dtype is None else dtype, input.device if device is None else device


def zeros_like(input, *, dtype=None, device=None, requires_grad=False):
    """``zeros`` with ``input``'s shape, dtype and device unless given; the same for the other
    ``*_like`` factories."""
    shape, dtype, device = _like(input, dtype, device)
    return zeros(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(input, dtype, device)
    return ones(shape, dtype=dtype, device=device, requires_grad=requires_grad)


empty_like = zeros_like


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(input, dtype, device)
    return full(shape, fill_value, dtype=dtype, device=device, requires_grad=requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1) of shape ``size``, as ``torch.rand`` (see the module notes on
    ``generator``)."""
    return _make(resolve_rng(generator).random(_sizes(size)), dtype, FLOAT, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples of shape ``size``, as ``torch.randn``."""
    return _make(resolve_rng(generator).standard_normal(_sizes(size)), dtype, FLOAT, device, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(input, dtype, device)
    return rand(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False):
    shape, dtype, device = _like(input, dtype, device)
    return randn(shape, dtype=dtype, device=device, requires_grad=requires_grad)


def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high), as ``torch.randint(low=0, high, size)``:
    ``randint(high, size)`` or ``randint(low, high, size)``; int64 unless ``dtype``.

    Raises:
        TypeError: bounds that are not ints, or a missing size. ValueError: low >= high.
    """
    if size is None and args and isinstance(args[-1], (tuple, list)):
        args, size = args[:-1], args[-1]
    if size is None or len(args) not in (1, 2):
        raise TypeError(f"randint: expected (high, size) or (low, high, size), got {args!r} and size={size!r}")
    low, high = (0,) + args if len(args) == 1 else args
    for name, value in (("low", low), ("high", high)):
        integer(name, value)
    if low >= high:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    values = resolve_rng(generator).integers(low, high, _sizes((size,)), dtype=np.int64)
    return _make(values, dtype, INT, device, requires_grad)


def arange(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """``[start, start + step, ...)`` up to ``end`` (excluded), as ``torch.arange``:
    ``arange(end)`` or ``arange(start, end, step)``; int64 when all are ints, else float32.

    Raises:
        ValueError: step is 0, or has the wrong sign for the range.
    """
    if end is None:
        start, end = 0, start
    if step == 0 or (end - start) * step < 0:
        raise ValueError(f"arange: step {step} cannot go from start {start} to end {end}")
    integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
    values = np.arange(start, end, step, dtype=np.int64 if integral else np.float64)
    return _make(values, dtype, INT if integral else FLOAT, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included), float32
    unless ``dtype``, as ``torch.linspace``.

    Raises:
        TypeError: steps is not an int. ValueError: steps < 0.
    """
    integer("steps", steps, low=0)
    return _make(np.linspace(start, end, steps), dtype, FLOAT, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` (default n x n) identity matrix, float32 unless ``dtype``, as ``torch.eye``."""
    n, m = _sizes((n, n if m is None else m))
    return _make(np.eye(n, m), dtype, FLOAT, device, requires_grad)


def from_numpy(ndarray):
    """A tensor sharing ``ndarray``'s memory and dtype, as ``torch.from_numpy`` (a write to one
    shows in the other).

    Raises:
        TypeError: not a NumPy array, or not an array of numbers.
    """
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"ndarray: expected a numpy.ndarray, got {type(ndarray).__name__}")
    return Tensor(ndarray)
