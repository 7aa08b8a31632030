"""Losses: softmax cross-entropy from logits and mean squared error."""
from ..autograd import Function
from ..backend import get_array_module
from .activation import _log_softmax
from .validation import require_finite, require_float, require_ndim, require_same_dtype, tensor_arg


class SoftmaxCrossEntropy(Function):
    """Mean over the batch of -log softmax(logits)[label], by log-sum-exp; fused so that the
    gradient is (softmax(logits) - onehot(label)) / N."""

    def forward(self, logits, labels):
        xp = get_array_module(logits)
        self.labels = labels
        self.log_p = _log_softmax(logits, axis=1)
        n = logits.shape[0]
        return -self.log_p[xp.arange(n), labels].sum(dtype=logits.dtype) / logits.dtype.type(n)

    def backward(self, g):
        xp = get_array_module(g)
        n = self.log_p.shape[0]
        grad = xp.exp(self.log_p)
        grad[xp.arange(n), self.labels] -= 1
        return grad * (g / g.dtype.type(n)), None


class MSELoss(Function):
    def forward(self, x, target):
        self.diff = x - target
        return (self.diff * self.diff).mean()

    def backward(self, g):
        grad = self.diff * (g * self.diff.dtype.type(2 / self.diff.size))
        return grad, -grad


def softmax_cross_entropy(logits, labels):
    """Cross-entropy of integer ``labels`` under softmax(``logits``), averaged over the batch.

    Args:
        logits: (N, K) float scores.
        labels: (N,) integers in [0, K) (a Tensor, an array or a list).

    Returns:
        A scalar Tensor of the logits' dtype.

    Raises:
        ValueError: shapes do not match, labels outside [0, K), an empty batch, no classes
            (K = 0), or non-finite logits (a :class:`tinyconv.NonFiniteError`).
        TypeError: float logits or integer labels expected.
        RuntimeError: logits and labels on different devices.
    """
    logits = tensor_arg("logits", logits)
    require_ndim("logits", logits, 2, "(N, K)")
    require_float("logits", logits)
    if labels is None or isinstance(labels, (str, bytes)):
        raise TypeError(f"labels: expected an integer tensor, got {type(labels).__name__}")
    labels = tensor_arg("labels", labels).data
    get_array_module(logits.data, labels)  # same device
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels: expected an integer tensor, got dtype {labels.dtype}")
    n, k = logits.shape
    if k == 0:
        raise ValueError(f"logits: expected at least one class (K >= 1), got shape {tuple(logits.shape)}")
    if labels.shape != (n,) or n == 0:
        raise ValueError(f"labels: expected shape ({n},) matching logits {tuple(logits.shape)} with N > 0, "
                         f"got {tuple(labels.shape)}")
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels: expected values in [0, {k}), got values in [{int(labels.min())}, {int(labels.max())}]")
    require_finite("logits", logits)
    return SoftmaxCrossEntropy()(logits, labels)


def mse_loss(x, target):
    """Mean squared error mean((x - target)^2) over all elements; shapes and dtypes must match.

    Raises:
        ValueError: shapes differ, or x is empty (the mean of nothing).
        TypeError: non-float x, or a target of another dtype.
    """
    x, target = tensor_arg("x", x), tensor_arg("target", target)
    if tuple(x.shape) != tuple(target.shape):
        raise ValueError(f"target: expected shape {tuple(x.shape)} like x, got {tuple(target.shape)}")
    require_float("x", x)
    require_same_dtype("target", target, "x", x)
    if x.size == 0:
        raise ValueError(f"x: expected at least one element, got shape {tuple(x.shape)}")
    return MSELoss()(x, target)
