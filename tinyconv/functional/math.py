"""Elementwise arithmetic, matmul and reductions, with broadcasting-aware gradients."""
import collections

import numpy as np

from ..autograd import Function
from ..backend import blas_scope, get_array_module
from ..tensor import Tensor, _is_number, tensor_arg
from ..validation import axis_arg, dim_alias
from .shape import take_along_dim


def _broadcastable(sa, sb):
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(sa), reversed(sb)))


def sum_to(grad, shape):
    """Sum ``grad`` over the axes that broadcasting expanded, so that it has ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


class _Binary(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        try:
            return self.compute(a, b)
        except ValueError:
            if a.ndim and b.ndim and not _broadcastable(a.shape, b.shape):
                raise ValueError(f"{type(self).__name__.lower()}: shapes {a.shape} and {b.shape} do not broadcast") from None
            raise

    def reduce(self, ga, gb):
        return sum_to(ga, self.shapes[0]), sum_to(gb, self.shapes[1])


class Add(_Binary):
    compute = staticmethod(lambda a, b: a + b)

    def backward(self, g):
        return self.reduce(g, g)


class Sub(_Binary):
    compute = staticmethod(lambda a, b: a - b)

    def backward(self, g):
        return self.reduce(g, -g)


class Mul(_Binary):
    def compute(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return self.reduce(g * self.b, g * self.a)


class Div(_Binary):
    def compute(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        ga = g / self.b
        return self.reduce(ga, -ga * self.a / self.b)


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class Pow(Function):
    """``a ** exponent`` for a constant (non-differentiated) exponent."""

    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, a):
        self.a = a
        return a ** self.exponent

    def backward(self, g):
        return g * self.exponent * self.a ** (self.exponent - 1)


class MatMul(Function):
    """Matrix product of (..., N, K) and (..., K, M) arrays (1-D operands as in numpy.matmul)."""

    @blas_scope
    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    @blas_scope
    def backward(self, g):
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        # Restore the axes that numpy.matmul drops for 1-D operands (before any batch axes of g).
        g2 = g[..., None] if b.ndim == 1 else g
        g2 = g2[..., None, :] if a.ndim == 1 else g2
        ga = sum_to(g2 @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape) if self.needs_input_grad[0] else None
        gb = sum_to(a2.swapaxes(-1, -2) @ g2, b2.shape).reshape(b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Exp(Function):
    def forward(self, a):
        self.y = get_array_module(a).exp(a)
        return self.y

    def backward(self, g):
        return g * self.y


class Log(Function):
    def forward(self, a):
        self.a = a
        return get_array_module(a).log(a)

    def backward(self, g):
        return g / self.a


class Abs(Function):
    """|a|; the gradient at 0 is 0, as PyTorch's."""

    def forward(self, a):
        xp = get_array_module(a)
        self.sign = xp.sign(a)
        return xp.abs(a)

    def backward(self, g):
        return g * self.sign


class Sqrt(Function):
    def forward(self, a):
        self.y = get_array_module(a).sqrt(a)
        return self.y

    def backward(self, g):
        return g / (2 * self.y)


class Clamp(Function):
    """``a`` clipped to [low, high] (either may be None); the gradient passes where
    low <= a <= high, as PyTorch's."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, a):
        self.inside = (a >= (a.dtype.type(self.low) if self.low is not None else -np.inf)) & \
                      (a <= (a.dtype.type(self.high) if self.high is not None else np.inf))
        return get_array_module(a).clip(a, self.low, self.high).astype(a.dtype, copy=False)

    def backward(self, g):
        return g * self.inside


class Where(Function):
    """``condition ? a : b`` elementwise, broadcasting the three (``condition`` a constant bool array)."""

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return get_array_module(a, b).where(self.condition, a, b)

    def backward(self, g):
        zero = g.dtype.type(0)
        xp = get_array_module(g)
        return sum_to(xp.where(self.condition, g, zero), self.shapes[0]), \
            sum_to(xp.where(self.condition, zero, g), self.shapes[1])


class Cast(Function):
    """The same values in another floating-point dtype; the gradient is cast back."""

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        self.in_dtype = a.dtype
        return a.astype(self.dtype)

    def backward(self, g):
        return g.astype(self.in_dtype)


class Sum(Function):
    """Sum over ``axes`` (a tuple of non-negative axes, checked by the wrapper)."""

    def __init__(self, axes, keepdims=False):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, a):
        self.shape = a.shape
        return a.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        xp = get_array_module(g)
        if not self.keepdims:
            g = xp.expand_dims(g, self.axes)
        return xp.broadcast_to(g, self.shape).copy()


class Mean(Sum):
    def forward(self, a):
        y = super().forward(a)
        self.count = a.size // y.size if y.size else 1
        return y / a.dtype.type(self.count)

    def backward(self, g):
        return super().backward(g) / g.dtype.type(self.count)


class Max(Function):
    """Maximum over ``axes``; the gradient is shared equally among tied maxima."""

    def __init__(self, axes, keepdims=False):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, a):
        if a.size == 0:  # an empty result (the wrapper refuses a max over nothing)
            xp = get_array_module(a)
            y = xp.zeros(tuple(1 if i in self.axes else n for i, n in enumerate(a.shape)), dtype=a.dtype)
            self.weights = xp.zeros(a.shape, dtype=a.dtype)
            return y if self.keepdims else y.squeeze(self.axes)
        y = a.max(axis=self.axes, keepdims=True)
        mask = a == y
        self.weights = mask / mask.sum(axis=self.axes, keepdims=True)
        return y if self.keepdims else y.squeeze(self.axes)

    def backward(self, g):
        if not self.keepdims:
            g = get_array_module(g).expand_dims(g, self.axes)
        return (g * self.weights).astype(g.dtype, copy=False)


def _operands(a, b):
    """Wrap Python scalars as NumPy would treat them beside the Tensor operand
    (float32 stays float32; an integer tensor times 0.5 becomes float); arrays and lists become
    Tensors; anything else is a TypeError naming the operand."""
    if isinstance(a, Tensor) and _is_number(b):
        xp = get_array_module(a._data)  # not .data: no read-only view is needed to read
        b = Tensor(xp.asarray(b, dtype=xp.result_type(a.dtype, b)))
    elif isinstance(b, Tensor) and _is_number(a):
        xp = get_array_module(b._data)
        a = Tensor(xp.asarray(a, dtype=xp.result_type(a, b.dtype)))
    return tensor_arg("a", a), tensor_arg("b", b)


def add(a, b):
    """Elementwise ``a + b`` with NumPy broadcasting (also ``+`` on Tensors); the same for
    :func:`sub`, :func:`mul`, :func:`div`.

    Raises:
        ValueError: the shapes do not broadcast.
        TypeError: an operand is not a Tensor, an array or a number.
    """
    return Add()(*_operands(a, b))


def sub(a, b): return Sub()(*_operands(a, b))
def mul(a, b): return Mul()(*_operands(a, b))
def div(a, b): return Div()(*_operands(a, b))
def neg(a): return Neg()(tensor_arg("a", a))
def exp(a): return Exp()(tensor_arg("a", a))
def log(a): return Log()(tensor_arg("a", a))


def pow(a, exponent):
    """``a ** exponent`` for a Python number ``exponent``."""
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
        raise TypeError(f"exponent: expected a Python int or float, got {type(exponent).__name__}")
    return Pow(exponent)(tensor_arg("a", a))


def matmul(a, b):
    """Matrix product, as ``numpy.matmul``.

    Raises:
        ValueError: a 0-d operand, the inner dimensions differ, or the batch dimensions do
            not broadcast.
        TypeError: an operand is not a Tensor, an array or a number.
    """
    a, b = tensor_arg("a", a), tensor_arg("b", b)
    sa, sb = a.shape, b.shape
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: expected operands with at least 1 dimension, got shapes {sa} and {sb}")
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        raise ValueError(f"matmul: inner dimensions must match, got shapes {sa} and {sb}")
    if not _broadcastable(sa[:-2], sb[:-2]):
        raise ValueError(f"matmul: batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast, got shapes {sa} and {sb}")
    return MatMul()(a, b)


def sum(a, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Sum over ``dim`` (an int, a tuple of distinct ints, or None for all), as ``torch.sum``;
    ``axis`` and ``keepdims`` are aliases of ``dim`` and ``keepdim``.

    Raises:
        TypeError: a bad dim type. ValueError: a dim out of range or repeated.
    """
    a = tensor_arg("a", a)
    dim, keepdim = dim_alias(dim, keepdim, axis, keepdims)
    return Sum(axis_arg("dim", dim, a.ndim), keepdim)(a)


def mean(a, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Mean over ``dim`` (an int, a tuple of distinct ints, or None for all), as ``torch.mean``;
    ``axis`` and ``keepdims`` are aliases of ``dim`` and ``keepdim``.

    Raises:
        TypeError: a bad dim type, or ``a`` is not floating-point (bool or integer: PyTorch
            raises too; cast first).
        ValueError: a dim out of range or repeated, or a mean over no elements (an empty axis
            with a non-empty result: it would be NaN).
    """
    a = tensor_arg("a", a)
    if a.dtype.kind not in "fc":  # PyTorch's rule: a bool mean would be the count, an int mean float64
        raise TypeError(f"mean: expected a floating-point tensor, got dtype {a.dtype}")
    dim, keepdim = dim_alias(dim, keepdim, axis, keepdims)
    axes = axis_arg("dim", dim, a.ndim)
    if _reduces_nothing(a, axes):
        raise ValueError(f"mean: expected at least one element to average over dim {dim}, got shape {tuple(a.shape)}")
    return Mean(axes, keepdim)(a)


def amax(a, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Maximum over ``dim`` (an int or a tuple of distinct ints; () or None: all), as
    ``torch.amax``: the gradient is shared equally among tied maxima. ``axis`` and
    ``keepdims`` are aliases.

    Raises:
        TypeError: a bad dim type.
        ValueError: a dim out of range or repeated, or a maximum over no elements.
    """
    a = tensor_arg("a", a)
    dim, keepdim = dim_alias(dim, keepdim, axis, keepdims, default=())
    axes = axis_arg("dim", None if dim == () else dim, a.ndim)
    if _reduces_nothing(a, axes):
        raise ValueError(f"amax: expected a non-empty tensor along dim {dim}, got shape {tuple(a.shape)}")
    return Max(axes, keepdim)(a)


def amin(a, dim=(), keepdim=False, *, axis=None, keepdims=None):
    """Minimum over ``dim``, as ``torch.amin``; see :func:`amax`."""
    return neg(amax(neg(a), dim, keepdim, axis=axis, keepdims=keepdims))


MaxMin = collections.namedtuple("MaxMin", "values indices")
MaxMin.__doc__ = "The result of max(dim) and min(dim): (values, indices), as PyTorch's named tuple."


def max(a, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``torch.max``: without ``dim``, the largest element (a 0-d tensor; the gradient is shared
    among ties); with ``dim`` (an int), the named pair ``(values, indices)`` along it, the
    indices int64 and the gradient going to the index returned (the first maximum).
    ``axis``/``keepdims`` are aliases. Elementwise ``torch.max(a, other)`` is not provided.

    Raises:
        TypeError: ``dim`` is not an int (a Tensor: use tinyconv.where(a > b, a, b)).
        ValueError: a dim out of range, or an empty tensor or dim.
    """
    return _max_or_min(a, dim, keepdim, axis, keepdims, largest=True)


def min(a, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """``torch.min``; see :func:`max`."""
    return _max_or_min(a, dim, keepdim, axis, keepdims, largest=False)


def _max_or_min(a, dim, keepdim, axis, keepdims, largest):
    a = tensor_arg("a", a)
    dim, keepdim = dim_alias(dim, keepdim, axis, keepdims)
    if dim is None:
        return amax(a) if largest else amin(a)
    if isinstance(dim, Tensor):
        raise TypeError(f"dim: expected an int, got a Tensor; tinyconv has no elementwise max/min(a, other): "
                        f"use tinyconv.where(a {'>' if largest else '<'} b, a, b)")
    if a.ndim == 0:  # dim 0 or -1 of a 0-d tensor: itself, index 0
        axis_arg("dim", dim, 0, allow_none=False, allow_tuple=False)
        a, dim, keepdim = a.reshape(1), 0, False
    indices = _arg_reduce(a, dim, True, largest, "max" if largest else "min")
    (axis,) = axis_arg("dim", dim, a.ndim, allow_none=False, allow_tuple=False)
    values = take_along_dim(a, indices, axis)
    if not keepdim:
        values, indices = values.squeeze(axis), indices.squeeze(axis)
    return MaxMin(values, indices)


def argmax(a, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the largest element (int64, the first on ties), as ``torch.argmax``: over the
    flattened tensor when ``dim`` is None, else along ``dim``; outside any graph.

    Raises:
        TypeError: a bad dim type. ValueError: a dim out of range, or an empty tensor or dim.
    """
    dim, keepdim = dim_alias(dim, keepdim, axis, keepdims)
    return _arg_reduce(tensor_arg("a", a), dim, keepdim, True, "argmax")


def argmin(a, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """Index of the smallest element, as ``torch.argmin``; see :func:`argmax`."""
    dim, keepdim = dim_alias(dim, keepdim, axis, keepdims)
    return _arg_reduce(tensor_arg("a", a), dim, keepdim, False, "argmin")


def _arg_reduce(a, dim, keepdim, largest, name):
    data = a.data
    xp = get_array_module(data)
    find = xp.argmax if largest else xp.argmin
    if dim is None:
        if a.numel() == 0:
            raise ValueError(f"{name}: expected a non-empty tensor, got shape {tuple(a.shape)}")
        index = find(data.reshape(-1))
        return Tensor(index.reshape((1,) * a.ndim if keepdim else ()).astype(np.int64))
    (axis,) = axis_arg("dim", dim, a.ndim, allow_none=False, allow_tuple=False) or (None,)  # None: 0-d
    if a.ndim and a.shape[axis] == 0:
        raise ValueError(f"{name}: expected a non-empty dim {dim}, got shape {tuple(a.shape)}")
    return Tensor(find(data, axis=axis, keepdims=keepdim).astype(np.int64))


def _reduces_nothing(a, axes):
    """True when a reduction over ``axes`` has outputs but some of them see no element."""
    return a.numel() == 0 and any(a.shape[i] == 0 for i in axes) and \
        all(n for i, n in enumerate(a.shape) if i not in axes)


def abs(a): return Abs()(tensor_arg("a", a))
def sqrt(a): return Sqrt()(tensor_arg("a", a))


def clamp(a, min=None, max=None):
    """``a`` clipped to [min, max] elementwise (Python numbers; either may be None), as
    ``torch.clamp``: where min > max every element becomes max. The gradient passes where
    min <= a <= max.

    Raises:
        ValueError: both bounds are None. TypeError: a bound is not a number (tensor bounds
            are not supported).
    """
    a = tensor_arg("a", a)
    if min is None and max is None:
        raise ValueError("clamp: expected at least one of min and max, got neither")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not _is_number(bound):
            raise TypeError(f"{name}: expected a Python number or None, got {type(bound).__name__}")
        if isinstance(bound, float) and a.dtype.kind != "f":
            raise TypeError(f"{name}: a float bound on a tensor of dtype {a.dtype} (PyTorch would return "
                            f"floats); cast the tensor first, e.g. x.float().clamp(...)")
    return Clamp(min, max)(a)


def where(condition, input, other):
    """``input`` where ``condition`` is true, else ``other``, elementwise with broadcasting, as
    ``torch.where(condition, input, other)`` (``input``/``other`` may be Python numbers: they
    take the other operand's dtype). Differentiable in ``input`` and ``other``.

    Raises:
        TypeError: ``condition`` is not a bool tensor or array, or input and other differ in dtype.
        ValueError: the shapes do not broadcast.
    """
    condition = tensor_arg("condition", condition)
    if condition.dtype != np.bool_:
        raise TypeError(f"condition: expected a bool tensor, got dtype {condition.dtype}")
    input, other = _operands(input, other)
    if input.dtype != other.dtype:
        raise TypeError(f"other: expected dtype {input.dtype} like input, got {other.dtype}")
    try:
        np.broadcast_shapes(condition.shape, input.shape, other.shape)
    except ValueError:
        raise ValueError(f"where: shapes {tuple(condition.shape)}, {tuple(input.shape)} and {tuple(other.shape)} "
                         f"do not broadcast") from None
    get_array_module(condition.data, input.data, other.data)  # one device
    return Where(condition.data)(input, other)


def cast(a, dtype, copy=False):
    """``a`` as ``dtype`` (a NumPy dtype): ``a`` itself when it has it already (unless ``copy``);
    a float-to-float cast is recorded in the graph, any other gives a tensor outside it."""
    a = tensor_arg("a", a)
    if dtype == a.dtype and not copy:
        return a
    if dtype.kind == "f" and a.dtype.kind == "f":
        return Cast(dtype)(a)
    return Tensor(a.data.astype(dtype))


def clone(a):
    """A copy of ``a`` recorded in the graph (gradients flow back), as ``torch.clone``."""
    a = tensor_arg("a", a)
    return Cast(a.dtype)(a)
