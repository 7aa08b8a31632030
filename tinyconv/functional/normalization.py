"""Batch normalisation (Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep Network
Training by Reducing Internal Covariate Shift", Algorithm 1), forward and backward fused in one
Function.

Per channel c, over the m = N*L (or N*H*W) values of a batch:
``mu = mean(x)``, ``var = mean((x - mu)**2)`` (biased), ``x_hat = (x - mu) / sqrt(var + eps)``,
``y = gamma * x_hat + beta``. The backward in closed form (the paper's chain rule, section 3,
summed up): with ``g_hat = g * gamma``,
``dx = (m * g_hat - sum(g_hat) - x_hat * sum(g_hat * x_hat)) / (m * sqrt(var + eps))``,
``dgamma = sum(g * x_hat)``, ``dbeta = sum(g)``. In evaluation the running statistics are
constants, so ``dx = g * gamma / sqrt(running_var + eps)``.
"""
import math

from ..autograd import Function
from ..backend import get_array_module
from ..anomaly import finite_under_anomaly
from ..tensor import tensor_arg
from ..validation import number, positive_int, require_float, require_same_dtype


class BatchNorm(Function):
    """Normalises x (N, C, ...) per channel with the batch statistics (``training``, updating
    the running statistics in place when given) or with the running statistics."""

    def __init__(self, running_mean, running_var, training, momentum, eps):
        self.running_mean, self.running_var = running_mean, running_var
        self.training, self.momentum, self.eps = training, momentum, eps

    def forward(self, x, weight=None, bias=None):
        xp = get_array_module(x)
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)  # broadcasts (C,) over x
        if self.training:
            mean, var = x.mean(axis=axes), x.var(axis=axes)
            self._update_running(mean, var, x.size // x.shape[1])
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = (1 / xp.sqrt(var + self.eps)).astype(x.dtype).reshape(shape)
        self.x_hat = (x - mean.reshape(shape)) * self.inv_std
        self.axes, self.shape, self.weight = axes, shape, weight
        y = self.x_hat if weight is None else self.x_hat * weight.reshape(shape)
        return y if bias is None else y + bias.reshape(shape)

    def _update_running(self, mean, var, m):
        """running = (1 - momentum) * running + momentum * batch statistic, with the unbiased
        variance var * m / (m - 1) (as PyTorch does)."""
        if self.running_mean is not None:
            self.running_mean *= 1 - self.momentum
            self.running_mean += self.momentum * mean
        if self.running_var is not None:
            self.running_var *= 1 - self.momentum
            self.running_var += self.momentum * var * (m / (m - 1))

    def backward(self, g):
        need = self.needs_input_grad
        g_hat = g if self.weight is None else g * self.weight.reshape(self.shape)
        gx = None
        if need[0] and self.training:  # the closed form above, with the sums as means
            mean_g = g_hat.mean(axis=self.axes, keepdims=True)
            mean_gx = (g_hat * self.x_hat).mean(axis=self.axes, keepdims=True)
            gx = (g_hat - mean_g - self.x_hat * mean_gx) * self.inv_std
        elif need[0]:
            gx = g_hat * self.inv_std
        if len(need) == 1:
            return gx
        gw = (g * self.x_hat).sum(axis=self.axes) if need[1] else None
        return (gx, gw) if len(need) == 2 else (gx, gw, g.sum(axis=self.axes) if need[2] else None)


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation of x per channel (axis 1), as in PyTorch's ``batch_norm``.

    Args:
        x: (N, C), (N, C, L) or (N, C, H, W) (any rank >= 2), float32 or float64.
        running_mean, running_var: (C,) Tensors or arrays of x's dtype, or None. With
            ``training`` they are updated in place (when given): ``running = (1 - momentum) *
            running + momentum * batch statistic``, with the unbiased batch variance; without,
            x is normalised with them (both required).
        weight, bias: optional (C,) scale gamma and shift beta (trained Parameters in
            :class:`tinyconv.nn.BatchNorm2d`).
        training: normalise with the batch's mean and biased variance (Ioffe & Szegedy 2015,
            Algorithm 1) rather than the running statistics.
        momentum: weight of the new batch statistic, in [0, 1]. eps: > 0, added to the variance.

    Returns:
        A tensor of x's shape and dtype.

    Raises:
        ValueError: x of fewer than 2 dimensions, a statistic, weight or bias not of shape
            (C,), missing running statistics outside ``training``, a single value per channel
            in ``training`` (no variance), momentum outside [0, 1], eps <= 0, or non-finite x
            inside :func:`tinyconv.detect_anomaly` (a :class:`tinyconv.NonFiniteError`).
        TypeError: x not float32/float64, or another argument of another dtype than x.
        RuntimeError: arguments on different devices.
    """
    x = tensor_arg("x", x)
    require_float("x", x)
    if x.ndim < 2:
        raise ValueError(f"x: expected a tensor (N, C, ...) of at least 2 dimensions, got shape {tuple(x.shape)}")
    c = x.shape[1]
    running_mean, running_var = (_channel_arg(name, value, x) for name, value in
                                 (("running_mean", running_mean), ("running_var", running_var)))
    params = [_channel_arg(name, value, x) for name, value in (("weight", weight), ("bias", bias))]
    if not training and (running_mean is None or running_var is None):
        raise ValueError("running_mean, running_var: expected both outside training, got None")
    if training and x.numel() // max(c, 1) < 2:
        raise ValueError(f"x: expected more than 1 value per channel in training, got shape {tuple(x.shape)}")
    number("momentum", momentum, 0, 1)
    number("eps", eps, 0, low_open=True)
    finite_under_anomaly("x", x)
    if params[0] is None and params[1] is not None:
        params[0] = tensor_arg("weight", get_array_module(x.data).ones(c, dtype=x.dtype))
    args = [x] + [p for p in params if p is not None]
    stats = [None if s is None else s.data for s in (running_mean, running_var)]
    return BatchNorm(*stats, bool(training), float(momentum), float(eps))(*args)


def _channel_arg(name, value, x):
    """None, or ``value`` as a Tensor of shape (C,) and x's dtype."""
    if value is None:
        return None
    value = tensor_arg(name, value)
    get_array_module(x.data, value.data)  # same device
    if tuple(value.shape) != (x.shape[1],):
        raise ValueError(f"{name}: expected shape ({x.shape[1]},) for x of shape {tuple(x.shape)}, "
                         f"got {tuple(value.shape)}")
    require_same_dtype(name, value, "x", x)
    return value


class Normalize(Function):
    """Each row of x (B, M) standardised over its M values with the biased variance:
    x_hat = (x - mean) / sqrt(var + eps); the backward is batch normalisation's closed form
    (module docstring) with the sums over a row: dx = (g - mean(g) - x_hat * mean(g * x_hat))
    / sqrt(var + eps)."""

    def __init__(self, eps):
        self.eps = eps

    def forward(self, x):
        xp = get_array_module(x)
        self.inv_std = (1 / xp.sqrt(x.var(axis=1, keepdims=True) + self.eps)).astype(x.dtype)
        self.x_hat = (x - x.mean(axis=1, keepdims=True)) * self.inv_std
        return self.x_hat

    def backward(self, g):
        mean_g, mean_gx = g.mean(axis=1, keepdims=True), (g * self.x_hat).mean(axis=1, keepdims=True)
        return (g - mean_g - self.x_hat * mean_gx) * self.inv_std


def _normalize_rows(x, rows, eps):
    """Standardise ``x`` in ``rows`` equal groups of consecutive values; x's shape."""
    from .shape import reshape
    number("eps", eps, 0, low_open=True)
    return reshape(Normalize(float(eps))(reshape(x, (rows, -1))), tuple(x.shape))


def _affine(y, weight, bias, shape, broadcast, x):
    """y * weight + bias, each (when given) checked to be of ``shape`` and x's dtype, and
    reshaped to ``broadcast`` to broadcast over y."""
    from .math import add, mul
    from .shape import reshape
    for name, value, op in (("weight", weight, mul), ("bias", bias, add)):
        if value is not None:
            value = tensor_arg(name, value)
            require_same_dtype(name, value, "input", x)
            if tuple(value.shape) != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {tuple(value.shape)}")
            y = op(y, reshape(value, broadcast))
    return y


def normalized_shape_arg(normalized_shape):
    """Return ``normalized_shape`` (a positive int or a non-empty tuple or list of them) as a
    tuple of ints.

    Raises:
        TypeError: not an int, a tuple or a list; empty; an entry not an int. ValueError: an
            entry < 1.
    """
    if isinstance(normalized_shape, (tuple, list)) and normalized_shape:
        return tuple(positive_int("normalized_shape", n) for n in normalized_shape)
    if isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"normalized_shape: expected a positive int or a non-empty tuple of them, got {normalized_shape!r}")
    return (positive_int("normalized_shape", normalized_shape),)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation (Ba et al. 2016) as PyTorch's: standardise over the trailing
    dimensions ``normalized_shape`` (an int or a tuple) with the biased variance, then scale
    by ``weight`` and shift by ``bias`` (optional, of shape ``normalized_shape``).

    Returns:
        A tensor of input's shape and dtype.

    Raises:
        TypeError: non-float input, a weight or bias of another dtype, a normalized_shape of the
            wrong type (see :func:`normalized_shape_arg`).
        ValueError: a normalized_shape entry < 1, input's trailing dimensions are not ``normalized_shape``, weight or bias
            of another shape, eps <= 0.
    """
    x = tensor_arg("input", input)
    require_float("input", x)
    shape = normalized_shape_arg(normalized_shape)
    if tuple(x.shape[x.ndim - len(shape):]) != shape or x.ndim < len(shape):
        raise ValueError(f"input: expected trailing dimensions {shape} (normalized_shape), got shape {tuple(x.shape)}")
    y = _normalize_rows(x, x.numel() // math.prod(shape), eps)
    return _affine(y, weight, bias, shape, shape, x)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation (Wu & He 2018) as PyTorch's: the C channels of input (N, C, *) in
    ``num_groups`` groups of consecutive channels, each standardised over its channels and
    positions, then scaled and shifted per channel by ``weight`` and ``bias`` ((C,), optional).

    Raises:
        TypeError: non-float input, a non-int num_groups, weight or bias of another dtype.
        ValueError: input of fewer than 2 dimensions, num_groups < 1, C not divisible by num_groups, weight
            or bias not (C,), eps <= 0.
    """
    x = tensor_arg("input", input)
    require_float("input", x)
    if x.ndim < 2:
        raise ValueError(f"input: expected a tensor (N, C, *) of at least 2 dimensions, got shape {tuple(x.shape)}")
    if x.shape[1] % positive_int("num_groups", num_groups):
        raise ValueError(f"num_groups: expected a divisor of the {x.shape[1]} channels, got {num_groups}")
    y = _normalize_rows(x, x.shape[0] * int(num_groups), eps)
    return _affine(y, weight, bias, (x.shape[1],), (x.shape[1],) + (1,) * (x.ndim - 2), x)
