"""Elementwise arithmetic, matmul and reductions, with broadcasting-aware gradients."""
from ..autograd import Function
from ..backend import blas_scope, get_array_module
from ..tensor import Tensor, _is_number
from .validation import axis_arg, tensor_arg


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
        xp = get_array_module(a.data)
        b = Tensor(xp.asarray(b, dtype=xp.result_type(a.dtype, b)))
    elif isinstance(b, Tensor) and _is_number(a):
        xp = get_array_module(b.data)
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


def sum(a, axis=None, keepdims=False):
    """Sum over ``axis`` (an int, a tuple of distinct ints, or None for all).

    Raises:
        TypeError: a bad axis type. ValueError: an axis out of range or repeated.
    """
    a = tensor_arg("a", a)
    return Sum(axis_arg("axis", axis, a.ndim), keepdims)(a)


def mean(a, axis=None, keepdims=False):
    """Mean over ``axis`` (an int, a tuple of distinct ints, or None for all).

    Raises:
        TypeError: a bad axis type, or ``a`` is not floating-point (bool or integer: PyTorch
            raises too; cast first).
        ValueError: an axis out of range or repeated, or a mean over no elements (an empty axis
            with a non-empty result: it would be NaN).
    """
    a = tensor_arg("a", a)
    if a.dtype.kind not in "fc":  # PyTorch's rule: a bool mean would be the count, an int mean float64
        raise TypeError(f"mean: expected a floating-point tensor, got dtype {a.dtype}")
    axes = axis_arg("axis", axis, a.ndim)
    if _reduces_nothing(a, axes):
        raise ValueError(f"mean: expected at least one element to average over axis {axis}, got shape {tuple(a.shape)}")
    return Mean(axes, keepdims)(a)


def max(a, axis=None, keepdims=False):
    """Maximum over ``axis`` (an int, a tuple of distinct ints, or None for all).

    Raises:
        TypeError: a bad axis type.
        ValueError: an axis out of range or repeated, or a maximum over no elements.
    """
    a = tensor_arg("a", a)
    axes = axis_arg("axis", axis, a.ndim)
    if _reduces_nothing(a, axes):
        raise ValueError(f"max: expected a non-empty tensor along axis {axis}, got shape {tuple(a.shape)}")
    return Max(axes, keepdims)(a)


def _reduces_nothing(a, axes):
    """True when a reduction over ``axes`` has outputs but some of them see no element."""
    return a.size == 0 and any(a.shape[i] == 0 for i in axes) and \
        all(n for i, n in enumerate(a.shape) if i not in axes)
