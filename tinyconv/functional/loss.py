"""Losses: softmax cross-entropy from logits, mean squared error, the multi-class hinge loss of a
linear SVM and binary cross-entropy from logits."""
import numbers

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


class MultiMarginLoss(Function):
    """Crammer-Singer hinge: mean over the batch of max(0, margin + max_{j != y} s_j - s_y); the
    (sub)gradient is +1/N at the best wrong class and -1/N at the label, for rows with a
    positive loss."""

    def __init__(self, margin):
        self.margin = margin

    def forward(self, scores, labels):
        xp = get_array_module(scores)
        n = scores.shape[0]
        rows = xp.arange(n)
        correct = scores[rows, labels]
        others = scores.copy()
        others[rows, labels] = -xp.inf
        self.labels, self.rival = labels, xp.argmax(others, axis=1)
        loss = xp.maximum(scores.dtype.type(self.margin) + others[rows, self.rival] - correct, 0)
        self.active = loss > 0
        self.shape = scores.shape
        return loss.sum(dtype=scores.dtype) / scores.dtype.type(n)

    def backward(self, g):
        xp = get_array_module(g)
        n = self.shape[0]
        rows = xp.arange(n)
        weight = self.active.astype(g.dtype) * (g / g.dtype.type(n))
        grad = xp.zeros(self.shape, dtype=g.dtype)
        grad[rows, self.rival] += weight
        grad[rows, self.labels] -= weight
        return grad, None


class BinaryCrossEntropyWithLogits(Function):
    """mean(max(x, 0) - x t + log1p(exp(-|x|))), the cross-entropy of targets t under
    sigmoid(x) written so that nothing overflows; gradients (sigmoid(x) - t) / size for x and
    -x / size for t."""

    def forward(self, x, t):
        xp = get_array_module(x)
        self.x, self.t = x, t
        loss = xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))
        return loss.sum(dtype=x.dtype) / x.dtype.type(x.size)

    def backward(self, g):
        xp = get_array_module(g)
        x = self.x
        e = xp.exp(-xp.abs(x))
        sigmoid = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        scale = g / g.dtype.type(x.size)
        return (sigmoid - self.t) * scale, -x * scale


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
    labels = _class_labels("logits", logits, labels, min_classes=1)
    require_finite("logits", logits)
    return SoftmaxCrossEntropy()(logits, labels)


def _class_labels(name, scores, labels, min_classes):
    """Check (N, K) ``scores`` against integer ``labels`` of shape (N,) in [0, K); return the
    labels as an array."""
    if labels is None or isinstance(labels, (str, bytes)):
        raise TypeError(f"labels: expected an integer tensor, got {type(labels).__name__}")
    labels = tensor_arg("labels", labels).data
    get_array_module(scores.data, labels)  # same device
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels: expected an integer tensor, got dtype {labels.dtype}")
    n, k = scores.shape
    if k < min_classes:
        raise ValueError(f"{name}: expected at least {'one class' if min_classes == 1 else f'{min_classes} classes'} "
                         f"(K >= {min_classes}), got shape {tuple(scores.shape)}")
    if labels.shape != (n,) or n == 0:
        raise ValueError(f"labels: expected shape ({n},) matching {name} {tuple(scores.shape)} with N > 0, "
                         f"got {tuple(labels.shape)}")
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"labels: expected values in [0, {k}), got values in [{int(labels.min())}, {int(labels.max())}]")
    return labels


def multi_margin_loss(scores, labels, margin=1.0):
    """Multi-class hinge loss of a linear SVM, in Crammer & Singer's formulation (JMLR 2:265-292,
    2001): the mean over the batch of max(0, margin + max_{j != y} s_j - s_y), so each example
    pays for its single best-scoring wrong class. (PyTorch's ``multi_margin_loss`` is the
    Weston-Watkins variant instead, summing the hinge over every wrong class and dividing by K.)

    Args:
        scores: (N, K) float scores, K >= 2.
        labels: (N,) integers in [0, K).
        margin: the required gap between the label's score and every other (a number >= 0).

    Returns:
        A scalar Tensor of the scores' dtype.

    Raises:
        ValueError: shapes do not match, fewer than 2 classes, labels outside [0, K), an empty
            batch, a negative margin, or non-finite scores (a :class:`tinyconv.NonFiniteError`).
        TypeError: float scores, integer labels and a number margin expected.
        RuntimeError: scores and labels on different devices.
    """
    scores = tensor_arg("scores", scores)
    require_ndim("scores", scores, 2, "(N, K)")
    require_float("scores", scores)
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise TypeError(f"margin: expected a number, got {type(margin).__name__} {margin!r}")
    if not margin >= 0:
        raise ValueError(f"margin: expected a number >= 0, got {margin}")
    labels = _class_labels("scores", scores, labels, min_classes=2)
    require_finite("scores", scores)
    return MultiMarginLoss(float(margin))(scores, labels)


def binary_cross_entropy_with_logits(logits, targets):
    """Binary cross-entropy of ``targets`` under sigmoid(``logits``), averaged over all elements,
    computed stably as max(x, 0) - x t + log1p(exp(-|x|)) (finite for any finite logits).

    Args:
        logits: float scores of any shape (at least one element).
        targets: probabilities in [0, 1], of the logits' shape and dtype (differentiable too).

    Returns:
        A scalar Tensor of the logits' dtype.

    Raises:
        ValueError: shapes differ, no elements, targets outside [0, 1], or non-finite logits
            or targets (a :class:`tinyconv.NonFiniteError`).
        TypeError: non-float logits, or targets of another dtype.
        RuntimeError: logits and targets on different devices.
    """
    logits, targets = tensor_arg("logits", logits), tensor_arg("targets", targets)
    require_float("logits", logits)
    if tuple(targets.shape) != tuple(logits.shape):
        raise ValueError(f"targets: expected shape {tuple(logits.shape)} like logits, got {tuple(targets.shape)}")
    require_same_dtype("targets", targets, "logits", logits)
    get_array_module(logits.data, targets.data)  # same device
    if logits.numel() == 0:
        raise ValueError(f"logits: expected at least one element, got shape {tuple(logits.shape)}")
    require_finite("logits", logits)
    require_finite("targets", targets)
    if targets.data.min() < 0 or targets.data.max() > 1:
        raise ValueError(f"targets: expected values in [0, 1], got values in "
                         f"[{float(targets.data.min())}, {float(targets.data.max())}]")
    return BinaryCrossEntropyWithLogits()(logits, targets)


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
    if x.numel() == 0:
        raise ValueError(f"x: expected at least one element, got shape {tuple(x.shape)}")
    return MSELoss()(x, target)
