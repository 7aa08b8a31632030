"""Stochastic pooling (Zeiler & Fergus 2013, "Stochastic pooling for regularization of deep
convolutional neural networks", arXiv:1301.3557).

Over each window of non-negative activations a_i (after ReLU), p_i = a_i / sum_k a_k. Training
samples one location from that multinomial: the output is the sampled activation, and the
gradient goes to that location only. Evaluation uses probabilistic weighting, sum_i p_i a_i
(= sum a^2 / sum a), with its exact gradient. A window that sums to 0 outputs 0 and passes no
gradient; padding counts as 0, so it is never sampled.
"""
from .. import backend
from ..anomaly import is_anomaly_enabled
from ..autograd import Function
from ..kernels.geometry import output_size
from ..random import resolve_rng
from .pooling import _pool_args
from ..tensor import tensor_arg
from ..validation import require_finite


class StochasticPool2d(Function):
    """Training mode: sample a location per window with ``rng`` (one uniform draw per window)."""

    def __init__(self, kernel_size, stride, padding, rng):
        self.kernel, self.stride, self.padding, self.rng = kernel_size, stride, padding, rng

    def forward(self, x):
        xp = backend.get_array_module(x)
        self.shape = x.shape
        out_shape = x.shape[:2] + tuple(output_size(x.shape[2 + a], self.kernel[a], self.stride[a], self.padding[a], 1)
                                        for a in (0, 1))
        u = xp.asarray(self.rng.random(out_shape))  # float64 in [0, 1), drawn on the host
        y, self.index = backend.kernels(x).stochastic_pool_forward(x, self.kernel, self.stride, self.padding, u)
        self.live = y > 0  # a sampled activation is positive; 0 only where the window sums to 0
        return y

    def backward(self, g):
        return backend.kernels(g).max_pool_backward(g * self.live, self.index, self.shape,
                                                    self.kernel, self.stride, self.padding)


class WeightedPool2d(Function):
    """Evaluation mode: probabilistic weighting, sum_i p_i a_i per window."""

    def __init__(self, kernel_size, stride, padding):
        self.kernel, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        self.x = x
        return backend.kernels(x).stochastic_pool_weighted_forward(x, self.kernel, self.stride, self.padding)

    def backward(self, g):
        return backend.kernels(g).stochastic_pool_weighted_backward(g, self.x, self.kernel, self.stride, self.padding)


def _check_activations(data):
    """Raise ValueError unless ``data`` is finite and non-negative (two passes over it, and on
    the GPU a wait for the device: run inside detect_anomaly() only)."""
    require_finite("x", data)
    if data.size and float(data.min()) < 0:
        raise ValueError(f"x: expected non-negative values (stochastic pooling samples in proportion to the "
                         f"activations: apply it after a ReLU), got a minimum of {float(data.min()):.6g}")


def stochastic_pool2d(x, kernel_size, stride=None, padding=0, training=True, rng=None):
    """Stochastic pooling of non-negative ``x`` (N, C, H, W) -> (N, C, OH, OW).

    In each window, p_i = a_i / sum_k a_k. With ``training``, one location per window is drawn
    from p with ``rng`` (a ``numpy.random.Generator``; default: the framework's seeded
    generator, so the same seed gives the same samples) and its activation is the output; the
    gradient goes to that location only. Otherwise the output is sum_i p_i a_i, deterministic,
    with its exact gradient. A window that sums to 0 outputs 0 with zero gradient.
    ``kernel_size``, ``stride`` (default: ``kernel_size``) and ``padding`` (at most half the
    kernel; padded zeros have p = 0) are ints or (height, width) pairs, as :func:`max_pool2d`.

    ``x`` is checked for negative, NaN and infinite values inside :func:`tinyconv.detect_anomaly`
    only (the check reads the whole input and, on the GPU, waits for the device): outside it,
    such an input gives a meaningless output (a window holding NaN may output 0), so debug a
    network that pools raw activations (not after a ReLU) inside that block.

    Raises:
        ValueError: wrong rank, padding over half the kernel, or a kernel larger than the padded
            input; inside detect_anomaly(), a negative, NaN or infinite value in ``x`` (apply it
            after a ReLU; NaN and Inf as a :class:`tinyconv.NonFiniteError`).
        TypeError: non-float input, bad size types, or an ``rng`` that is not a Generator.
    """
    x = tensor_arg("x", x)
    _, kernel, stride, padding, _, _ = _pool_args(x, kernel_size, stride, padding)
    rng = resolve_rng(rng)
    if is_anomaly_enabled():
        _check_activations(x.data)
    if training:
        return StochasticPool2d(kernel, stride, padding, rng)(x)
    return WeightedPool2d(kernel, stride, padding)(x)
