"""Activations: sigmoid, tanh, ReLU, leaky ReLU, GELU, softmax and log-softmax."""
import math
import warnings

from ..autograd import Function
from ..backend import erf, get_array_module
from ..tensor import tensor_arg
from ..validation import axis_arg, dim_alias, number, require_float


def stable_sigmoid(x):
    """1 / (1 + exp(-x)) of an array, evaluated as exp(min(x, 0)) / (1 + exp(-|x|)): no
    exponent is positive, so it never overflows, and it keeps full relative precision in both
    tails. Branch-free: selecting 1 / (1 + e) or e / (1 + e) by the sign of x with ``where``
    took 10x to 20x longer on NumPy for random signs (an LSTM's gates, (64, 512))."""
    xp = get_array_module(x)
    return xp.exp(xp.minimum(x, 0)) / (1 + xp.exp(-xp.abs(x)))


class Sigmoid(Function):
    def forward(self, x):
        self.y = stable_sigmoid(x)
        return self.y

    def backward(self, g):
        return g * self.y * (1 - self.y)


class Tanh(Function):
    def forward(self, x):
        self.y = get_array_module(x).tanh(x)
        return self.y

    def backward(self, g):
        return g * (1 - self.y * self.y)


class ReLU(Function):
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, g):
        return g * self.mask


class LeakyReLU(Function):
    def __init__(self, negative_slope):
        self.negative_slope = negative_slope

    def forward(self, x):
        xp = get_array_module(x)
        self.scale = xp.where(x > 0, x.dtype.type(1), x.dtype.type(self.negative_slope))
        return x * self.scale

    def backward(self, g):
        return g * self.scale


class GELU(Function):
    """x * Phi(x), Phi the standard normal CDF (Hendrycks & Gimpel 2016), exactly (with erf)
    or with PyTorch's tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    def __init__(self, approximate):
        self.approximate = approximate

    def forward(self, x):
        xp, self.x = get_array_module(x), x
        if self.approximate == "tanh":
            self.t = xp.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + erf(x * x.dtype.type(1 / math.sqrt(2))))
        return x * self.cdf

    def backward(self, g):
        x, xp = self.x, get_array_module(g)
        if self.approximate == "tanh":
            inner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + self.t) + 0.5 * x * (1 - self.t * self.t) * inner)
        return g * (self.cdf + x * xp.exp(-0.5 * x * x) * x.dtype.type(1 / math.sqrt(2 * math.pi)))


def _log_softmax(x, axis):
    xp = get_array_module(x)
    if x.size == 0:  # NumPy's max refuses an empty axis even when the result is empty too
        return x.copy()
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.y = get_array_module(x).exp(_log_softmax(x, self.axis))
        return self.y

    def backward(self, g):
        gy = g * self.y
        return gy - self.y * gy.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        self.y = _log_softmax(x, self.axis)
        return self.y

    def backward(self, g):
        xp = get_array_module(g)
        return g - xp.exp(self.y) * g.sum(axis=self.axis, keepdims=True)


def sigmoid(x):
    """Logistic sigmoid, elementwise; stable for any magnitude. Raises TypeError for non-float x."""
    x = tensor_arg("x", x)
    require_float("x", x)
    return Sigmoid()(x)


def tanh(x):
    """Hyperbolic tangent, elementwise. Raises TypeError for non-float x."""
    x = tensor_arg("x", x)
    require_float("x", x)
    return Tanh()(x)


def relu(x):
    """max(x, 0), elementwise (gradient 0 at 0); any numeric dtype."""
    return ReLU()(tensor_arg("x", x))


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, else ``negative_slope`` * x (Maas et al. 2013).

    Raises:
        TypeError: non-float x, or a ``negative_slope`` that is not a real number.
        ValueError: a NaN or infinite ``negative_slope``.
    """
    x = tensor_arg("x", x)
    require_float("x", x)
    return LeakyReLU(slope_arg(negative_slope))(x)


def slope_arg(negative_slope):
    """Return ``negative_slope`` as a float.

    Raises:
        TypeError: not a real number. ValueError: NaN or infinite.
    """
    return float(number("negative_slope", negative_slope, finite=True))


def gelu(input, approximate="none"):
    """GELU, elementwise, as PyTorch's: x * Phi(x) (``approximate="none"``) or its tanh
    approximation (``"tanh"``); same shape and dtype.

    Raises:
        TypeError: non-float input. ValueError: another ``approximate``.
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate: expected 'none' or 'tanh', got {approximate!r}")
    x = tensor_arg("input", input)
    require_float("input", x)
    return GELU(approximate)(x)


def _softmax_args(x, dim, axis, name):
    x = tensor_arg("x", x)
    require_float("x", x)
    dim, _ = dim_alias(dim, False, axis)
    if x.ndim == 0:
        raise ValueError("x: expected a tensor with at least 1 dimension, got shape ()")
    if dim is None:  # PyTorch's implicit (deprecated) choice, with its warning
        dim = 0 if x.ndim in (1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                      f"dim=X as an argument (dim={dim} was used).", UserWarning, stacklevel=3)
    (axis,) = axis_arg("dim", dim, x.ndim, allow_none=False, allow_tuple=False)
    if x.shape[axis] == 0 and x.numel() == 0 and all(n for i, n in enumerate(x.shape) if i != axis):
        raise ValueError(f"x: expected at least one element along dim {axis}, got shape {tuple(x.shape)}")
    return x, axis


def softmax(x, dim=None, *, axis=None):
    """exp(x) / sum(exp(x)) along ``dim`` (``axis`` is an alias), computed with the max
    subtracted; same shape and dtype. Without either, PyTorch's deprecated implicit choice is
    made, with its warning: dim 0 for a 1-D or 3-D x, else dim 1.

    Raises:
        TypeError: non-float x, a non-int dim, or both dim and axis.
        ValueError: a 0-d x, a dim out of range, or an empty ``dim`` (with other elements).
    """
    x, axis = _softmax_args(x, dim, axis, "softmax")
    return Softmax(axis)(x)


def log_softmax(x, dim=None, *, axis=None):
    """log(softmax(x)) along ``dim``, by log-sum-exp. Arguments and errors as :func:`softmax`."""
    x, axis = _softmax_args(x, dim, axis, "log_softmax")
    return LogSoftmax(axis)(x)
