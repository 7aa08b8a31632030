"""Losses with PyTorch's names, arguments and results: cross-entropy (class indices or class
probabilities, class weights, ignore_index, label smoothing), negative log-likelihood, mean
squared and absolute errors, binary cross-entropy (from probabilities or from logits), the
Weston-Watkins multi-class hinge loss and one-hot encoding; and, under its own name, the
Crammer-Singer multi-class hinge loss.

Every loss takes ``reduction`` = "mean" (the default), "sum" or "none" (one loss per element).
Deliberate differences from PyTorch, each an error that names it: the deprecated
``size_average``/``reduce`` arguments; shapes of input and target that differ (PyTorch warns and
broadcasts); NaN or Inf in the input inside :func:`tinyconv.detect_anomaly` (outside it, the
loss is NaN as in PyTorch: checking reads every input again and waits for the GPU); and a "mean" over no element or over a total weight of 0
(PyTorch returns nan).
"""

import numpy as np

from ..autograd import Function
from ..backend import device_of, get_array_module
from ..tensor import Tensor, tensor_arg
from .activation import _log_softmax, log_softmax, relu, stable_sigmoid
from ..anomaly import finite_under_anomaly, is_anomaly_enabled
from ..validation import integer, number, require_broadcastable, require_float, require_same_dtype

REDUCTIONS = ("none", "mean", "sum")


class SoftmaxCrossEntropy(Function):
    """-sum_c q[c] log softmax(x)[c] along the class axis ``dim`` of logits x, for a constant
    target distribution q with the class axis last (one-hot targets mixed with label smoothing,
    times the class weights; zero for ignored targets). Fused, so that the gradient is
    softmax(x) sum_c q[c] - q, by log-sum-exp."""

    def __init__(self, q, dim):
        self.q, self.dim = q, dim

    def forward(self, x):
        xp = get_array_module(x)
        self.log_p = _log_softmax(xp.moveaxis(x, self.dim, -1), axis=-1)
        return -(self.q * self.log_p).sum(axis=-1)

    def backward(self, g):
        xp = get_array_module(g)
        grad = (xp.exp(self.log_p) * self.q.sum(axis=-1, keepdims=True) - self.q) * g[..., None]
        return xp.moveaxis(grad, -1, self.dim)


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), elementwise, never overflowing; gradient
    sigmoid(-x)."""

    def forward(self, x):
        xp = get_array_module(x)
        self.x = x
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, g):
        return g * stable_sigmoid(-self.x)


class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)) elementwise, each log clamped at -100 as PyTorch does;
    gradients (x - t) / max(x (1 - x), 1e-12) for x (PyTorch's) and log(1 - x) - log(x) for t
    (with the same clamps, so finite everywhere)."""

    def forward(self, x, t):
        xp = get_array_module(x)
        self.x, self.t = x, t
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped
            self.log_x = xp.maximum(xp.log(x), -100)
            self.log_1mx = xp.maximum(xp.log1p(-x), -100)
        return -(t * self.log_x + (1 - t) * self.log_1mx)

    def backward(self, g):
        xp = get_array_module(g)
        x = self.x
        gx = g * (x - self.t) / xp.maximum(x * (1 - x), x.dtype.type(1e-12))
        return gx, g * (self.log_1mx - self.log_x)


class CrammerSingerLoss(Function):
    """Per row of (N, K) scores: max(0, margin + max_{j != y} s_j - s_y); the (sub)gradient is
    +1 at the best wrong class and -1 at the label, for rows with a positive loss."""

    def __init__(self, margin):
        self.margin = margin

    def forward(self, scores, labels):
        xp = get_array_module(scores)
        rows = xp.arange(scores.shape[0])
        others = scores.copy()
        others[rows, labels] = -xp.inf
        self.labels, self.rival = labels, xp.argmax(others, axis=1)
        loss = xp.maximum(scores.dtype.type(self.margin) + others[rows, self.rival] - scores[rows, labels], 0)
        self.active = loss > 0
        self.shape = scores.shape
        return loss

    def backward(self, g):
        xp = get_array_module(g)
        rows = xp.arange(self.shape[0])
        weight = self.active.astype(g.dtype) * g
        grad = xp.zeros(self.shape, dtype=g.dtype)
        grad[rows, self.rival] += weight
        grad[rows, self.labels] -= weight
        return grad, None


# ---------------------------------------------------------------- argument checks and helpers

def _reduction_arg(reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        raise NotImplementedError("size_average, reduce: deprecated in PyTorch and not in tinyconv; "
                                  "use reduction='mean', 'sum' or 'none'")
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction: expected 'none', 'mean' or 'sum', got {reduction!r}")
    return reduction


def _reduce(loss, reduction, denominator=None):
    """Reduce the elementwise ``loss``: itself, its sum, or its sum / ``denominator`` (a Tensor
    or a scalar of the loss's dtype; by default the number of elements). A "mean" over no
    element raises; one over a total weight of 0 raises inside detect_anomaly() only (reading
    the total waits for the GPU) and is NaN outside it, as in PyTorch."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    count = loss.numel() if denominator is None else denominator
    if not loss.numel() or (denominator is not None and is_anomaly_enabled()
                            and float(count.data if isinstance(count, Tensor) else count) == 0):
        raise ValueError("reduction: 'mean' over no element (or a total weight of 0) is 0/0; tinyconv raises "
                         "where PyTorch returns nan (use reduction='sum' or 'none')")
    return total / count


def _input_arg(input, min_ndim=0):
    """``input`` as a float Tensor with at least ``min_ndim`` dimensions."""
    input = tensor_arg("input", input)
    require_float("input", input)
    if input.ndim < min_ndim:
        raise ValueError(f"input: expected a tensor (C,), (N, C) or (N, C, d1, ..., dk), got shape {tuple(input.shape)}")
    finite_under_anomaly("input", input)
    return input


def _companion(name, value, input, check_shape):
    """``value`` (target, weight) as a Tensor of ``input``'s dtype and device, after
    ``check_shape(shape)`` (which raises ValueError naming ``name``)."""
    value = tensor_arg(name, value)
    check_shape(tuple(value.shape))
    require_same_dtype(name, value, "input", input)
    get_array_module(input.data, value.data)  # same device
    finite_under_anomaly(name, value)
    return value


def _like_input(name, value, input):
    """``value`` (target, weight) as a Tensor of ``input``'s shape, dtype and device."""
    def check_shape(shape):
        if shape != tuple(input.shape):
            raise ValueError(f"{name}: expected shape {tuple(input.shape)} like input, got {shape} "
                             "(tinyconv does not broadcast a target as PyTorch does with a warning)")
    return _companion(name, value, input, check_shape)


def _broadcast_weight(name, weight, input):
    """``weight`` (or None) as a Tensor of ``input``'s dtype that broadcasts to its shape."""
    if weight is None:
        return None
    return _companion(name, weight, input, lambda shape: require_broadcastable(name, shape, input.shape))


def _class_dim(input):
    """The class axis of an input (C,), (N, C) or (N, C, d1, ..., dk), and C (>= 1)."""
    dim = 0 if input.ndim == 1 else 1
    if input.shape[dim] < 1:
        raise ValueError(f"input: expected at least one class (C >= 1), got shape {tuple(input.shape)}")
    return dim, input.shape[dim]


def _class_weight(weight, input):
    """Per-class ``weight`` (or None) as a Tensor (C,) of ``input``'s dtype."""
    if weight is None:
        return None
    c = _class_dim(input)[1]

    def check_shape(shape):
        if shape != (c,):
            raise ValueError(f"weight: expected shape ({c},), one per class, got {shape}")
    return _companion("weight", weight, input, check_shape)


def _class_targets(input, target, ignore_index=None):
    """Check integer class indices ``target`` against ``input`` (C,), (N, C) or (N, C, d1, ...):
    shape () , (N,) or (N, d1, ...), values in [0, C) or ``ignore_index``. Returns the indices
    with the ignored and out-of-range ones set to 0, and a mask of ``input``'s dtype: 1 for the
    kept targets, 0 for the ignored ones, NaN for those out of range (arrays). The range is
    checked on the CPU (a ValueError, as PyTorch raises there) and on the GPU inside
    detect_anomaly() only (reading the targets waits for the device); outside it, a target out
    of range on the GPU makes its loss NaN instead of a wrong number."""
    dim, c = _class_dim(input)
    expected = tuple(input.shape[:dim] + input.shape[dim + 1:])
    target = tensor_arg("target", target).data
    xp = get_array_module(input.data, target)  # same device
    if target.dtype.kind not in "iu":
        raise TypeError(f"target: expected an integer tensor of class indices, got dtype {target.dtype}")
    if tuple(target.shape) != expected:
        raise ValueError(f"target: expected shape {expected} matching input {tuple(input.shape)}, got {tuple(target.shape)}")
    kept = target != ignore_index if ignore_index is not None else xp.ones(target.shape, dtype=bool)
    bad = kept & ((target < 0) | (target >= c))
    if (is_anomaly_enabled() or device_of(target) == "cpu") and bool(bad.any()):
        also = "" if ignore_index is None else f" or ignore_index={ignore_index}"
        raise ValueError(f"target: expected class indices in [0, {c}){also}, "
                         f"got values in [{int(target[bad].min())}, {int(target[bad].max())}]")
    return xp.where(kept & ~bad, target, 0), xp.where(bad, np.nan, kept).astype(input.dtype)


def _pick(x, index):
    """``x``'s entries at the class ``index`` along the class axis, shaped like ``index``
    (differentiable)."""
    xp = get_array_module(index)
    dim = _class_dim(x)[0]
    grids = tuple(xp.arange(n).reshape([-1 if j == i else 1 for j in range(index.ndim)])
                  for i, n in enumerate(index.shape))
    return x[grids[:dim] + (index,) + grids[dim:]]


def _along_classes(weight, input):
    """The (C,) ``weight`` reshaped to broadcast along ``input``'s class axis."""
    dim = _class_dim(input)[0]
    return weight.reshape(*[-1 if i == dim else 1 for i in range(input.ndim)])


def _nll(log_p, target, weight, ignore_index, reduction):
    """-weight[y] log_p[y] per element (0 for ignored ones); "mean" divides by the total weight
    of the kept targets, as PyTorch's nll_loss."""
    index, kept = _class_targets(log_p, target, ignore_index)
    w_y = kept if weight is None else weight[index] * kept
    return _reduce(-_pick(log_p, index) * w_y, reduction, w_y.sum())


def _cross_entropy_of_indices(input, target, weight, ignore_index, reduction, label_smoothing):
    """cross_entropy of class indices, fused: the target distribution is (1 - s) onehot(y) + s / C,
    times the class weights, 0 for ignored targets; "mean" divides by the total weight of the kept
    targets (PyTorch's rule, also with label smoothing)."""
    if weight is not None and weight.requires_grad:
        raise NotImplementedError("weight: cross_entropy has no gradient for the class weights, as in PyTorch; "
                                  "pass weight.detach()")
    index, kept = _class_targets(input, target, ignore_index)
    xp = get_array_module(index)
    dim, c = _class_dim(input)
    w = xp.ones(c, dtype=input.dtype) if weight is None else weight.data
    w_y = w[index] * kept
    q = (index[..., None] == xp.arange(c)) * (w_y[..., None] * (1 - label_smoothing))
    if label_smoothing:
        q = q + w * (kept[..., None] * (label_smoothing / c))
    return _reduce(SoftmaxCrossEntropy(q.astype(input.dtype), dim)(input), reduction, w_y.sum())


def _index_target(target):
    """True when the Tensor ``target`` holds class indices (integers), False for class
    probabilities (floats).

    Raises:
        TypeError: any other dtype.
    """
    if target.dtype.kind not in "iuf":
        raise TypeError(f"target: expected integer class indices or float class probabilities, got dtype {target.dtype}")
    return target.dtype.kind in "iu"


# ---------------------------------------------------------------- the losses

def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of ``target`` under softmax(``input``) along the class axis, as PyTorch's
    ``torch.nn.functional.cross_entropy``.

    Args:
        input: float logits (C,), (N, C) or (N, C, d1, ..., dk).
        target: class indices (integers) of shape (), (N,) or (N, d1, ..., dk), in [0, C) or
            equal to ``ignore_index``; or class probabilities (floats) of ``input``'s shape and
            dtype (differentiable).
        weight: optional per-class weights (C,) of input's dtype.
        ignore_index: a class index whose targets count for nothing (class-index targets only).
        reduction: "mean" (sum over elements divided by the total weight of the kept targets;
            for probability targets divided by the number of elements), "sum" or "none".
        label_smoothing: in [0, 1]: the target becomes (1 - s) target + s / C.

    Returns:
        A Tensor of input's dtype: a scalar, or the per-element losses for "none".

    Raises:
        ValueError: shapes that do not match, indices out of range, no class, a bad reduction
            or label_smoothing, non-finite input or weight inside detect_anomaly() (a :class:`tinyconv.NonFiniteError`),
            a "mean" of nothing (every target ignored; PyTorch returns nan).
        TypeError: non-float input; targets of another dtype.
        NotImplementedError: ``size_average`` or ``reduce`` given (deprecated in PyTorch).
        RuntimeError: ``ignore_index`` with probability targets (as PyTorch); tensors on
            different devices.
        NotImplementedError: a weight that requires grad with class-index targets (PyTorch
            has no such gradient either).
    """
    reduction = _reduction_arg(reduction, size_average, reduce)
    input = _input_arg(input, min_ndim=1)
    weight = _class_weight(weight, input)
    smoothing = float(number("label_smoothing", label_smoothing, 0, 1))
    target = tensor_arg("target", target)
    if _index_target(target):
        return _cross_entropy_of_indices(input, target, weight, ignore_index, reduction, smoothing)
    dim, c = _class_dim(input)
    log_p = log_softmax(input, axis=dim)
    if ignore_index != -100:
        raise RuntimeError("ignore_index: not supported for floating point (probability) targets, as in PyTorch")
    q = _like_input("target", target, input)
    if smoothing:
        q = q * (1 - smoothing) + smoothing / c
    if weight is not None:
        q = q * _along_classes(weight, input)
    return _reduce(-(log_p * q).sum(dim), reduction)


def softmax_cross_entropy(logits, labels):
    """tinyconv's older name for ``cross_entropy(logits, labels)`` with its defaults (the mean
    over the batch of -log softmax(logits)[label]); see :func:`cross_entropy`."""
    return cross_entropy(logits, labels)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of class indices ``target`` given log-probabilities ``input``,
    as PyTorch's ``torch.nn.functional.nll_loss``: -weight[y] input[y] per element.

    Args:
        input: float log-probabilities (C,), (N, C) or (N, C, d1, ..., dk) (finite).
        target: integer class indices (), (N,) or (N, d1, ..., dk) in [0, C) or ``ignore_index``.
        weight: optional per-class weights (C,) of input's dtype.
        reduction: "mean" (divided by the total weight of the kept targets), "sum" or "none".

    Returns:
        A Tensor of input's dtype: a scalar, or the per-element losses for "none".

    Raises:
        ValueError, TypeError, NotImplementedError: as :func:`cross_entropy`.
    """
    reduction = _reduction_arg(reduction, size_average, reduce)
    input = _input_arg(input, min_ndim=1)
    return _nll(input, target, _class_weight(weight, input), ignore_index, reduction)


def _elementwise(input, target, weight, reduction, size_average, reduce):
    """Checked arguments of mse_loss and l1_loss: input, target (and weight) of one shape."""
    reduction = _reduction_arg(reduction, size_average, reduce)
    input = _input_arg(input)
    target = _like_input("target", target, input)
    weight = None if weight is None else _like_input("weight", weight, input)
    return input, target, weight, reduction


def _weighted(loss, weight, reduction):
    """Reduce ``loss`` times ``weight``; "mean" divides by the sum of the weights (PyTorch's
    weighted mse_loss and l1_loss)."""
    if weight is None:
        return _reduce(loss, reduction)
    return _reduce(loss * weight, reduction, weight.sum())


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (input - target)^2 per element, as PyTorch's ``mse_loss``.

    Args:
        input: a float tensor of any shape.
        target: of input's shape and dtype (differentiable too).
        reduction: "mean", "sum" or "none".
        weight: optional per-element weights of input's shape; then "mean" is
            sum(weight * error) / sum(weight).

    Returns:
        A Tensor of input's dtype: a scalar, or input's shape for "none".

    Raises:
        ValueError: shapes differ (PyTorch broadcasts with a warning), non-finite values (inside
            detect_anomaly()), a
            bad reduction, a "mean" of nothing. TypeError: non-float input, other dtypes.
        NotImplementedError: ``size_average`` or ``reduce`` given.
    """
    input, target, weight, reduction = _elementwise(input, target, weight, reduction, size_average, reduce)
    diff = input - target
    return _weighted(diff * diff, weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |input - target| per element, as PyTorch's ``l1_loss`` (gradient
    sign(input - target), 0 where they are equal). Arguments, results and errors as
    :func:`mse_loss`."""
    input, target, weight, reduction = _elementwise(input, target, weight, reduction, size_average, reduce)
    diff = input - target
    return _weighted(diff * get_array_module(diff.data).sign(diff.data), weight, reduction)


def _binary_args(input, target, weight, reduction, size_average, reduce):
    """Checked arguments of the binary cross-entropies: targets in [0, 1] of input's shape."""
    reduction = _reduction_arg(reduction, size_average, reduce)
    input = _input_arg(input)
    target = _like_input("target", target, input)
    if target.numel() and (float(target.data.min()) < 0 or float(target.data.max()) > 1):
        raise ValueError(f"target: expected values in [0, 1], got values in "
                         f"[{float(target.data.min())}, {float(target.data.max())}]")
    return input, target, _broadcast_weight("weight", weight, input), reduction


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross-entropy -w (t log x + (1 - t) log(1 - x)) of probabilities ``input``, as
    PyTorch's ``binary_cross_entropy`` (each log clamped at -100, so it stays finite).

    Args:
        input: float probabilities in [0, 1], any shape.
        target: probabilities in [0, 1] of input's shape and dtype (differentiable too).
        weight: optional weights broadcasting to input's shape.
        reduction: "mean" (over elements), "sum" or "none".

    Returns:
        A Tensor of input's dtype: a scalar, or input's shape for "none".

    Raises:
        ValueError: input or target outside [0, 1], shapes that differ or do not broadcast,
            non-finite values (inside detect_anomaly()), a bad reduction, a "mean" of nothing.
        TypeError: non-float input, other dtypes. NotImplementedError: ``size_average``/``reduce``.
    """
    input, target, weight, reduction = _binary_args(input, target, weight, reduction, size_average, reduce)
    if input.numel() and (float(input.data.min()) < 0 or float(input.data.max()) > 1):
        raise ValueError(f"input: expected probabilities in [0, 1], got values in "
                         f"[{float(input.data.min())}, {float(input.data.max())}] (use binary_cross_entropy_with_logits for scores)")
    loss = BinaryCrossEntropy()(input, target)
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross-entropy of ``target`` under sigmoid(``input``), as PyTorch's
    ``binary_cross_entropy_with_logits``: w ((1 - t) x - (1 + (p - 1) t) log sigmoid(x)),
    which never overflows (finite for any finite logits).

    Args:
        input: float logits, any shape.
        target: probabilities in [0, 1] of input's shape and dtype (differentiable too).
        weight: optional weights broadcasting to input's shape.
        pos_weight: optional weights p of the positive term, broadcasting to input's shape
            (typically (C,) for input (N, C): one per class).
        reduction: "mean" (over elements), "sum" or "none".

    Returns:
        A Tensor of input's dtype: a scalar, or input's shape for "none".

    Raises:
        ValueError: target outside [0, 1], shapes that differ or do not broadcast, non-finite
            values, a bad reduction, a "mean" of nothing.
        TypeError: non-float input, other dtypes. NotImplementedError: ``size_average``/``reduce``.
    """
    input, target, weight, reduction = _binary_args(input, target, weight, reduction, size_average, reduce)
    pos_weight = _broadcast_weight("pos_weight", pos_weight, input)
    log_weight = 1 if pos_weight is None else (pos_weight - 1) * target + 1
    loss = (1 - target) * input - log_weight * LogSigmoid()(input)
    return _reduce(loss if weight is None else loss * weight, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Multi-class hinge loss of Weston & Watkins, as PyTorch's ``multi_margin_loss``: per row,
    sum over the wrong classes i of weight[y] max(0, margin - x[y] + x[i])^p, divided by C.
    (tinyconv's earlier ``multi_margin_loss``, Crammer & Singer's, is :func:`crammer_singer_loss`.)

    Args:
        input: float scores (C,) or (N, C).
        target: integer class indices () or (N,) in [0, C).
        p: 1 or 2.
        margin: a finite number.
        weight: optional per-class weights (C,) of input's dtype.
        reduction: "mean" (over rows, not weighted), "sum" or "none" (one loss per row).

    Returns:
        A Tensor of input's dtype: a scalar, or (N,) for "none".

    Raises:
        ValueError: p not 1 or 2, a non-finite margin, shapes that do not match, indices out of
            range, non-finite values (inside detect_anomaly()), a bad reduction, a "mean" of nothing.
        TypeError: non-float input, non-integer target. NotImplementedError: ``size_average``/``reduce``.
    """
    reduction = _reduction_arg(reduction, size_average, reduce)
    if isinstance(p, bool) or p not in (1, 2):
        raise ValueError(f"p: expected 1 or 2 (as PyTorch), got {p!r}")
    number("margin", margin, finite=True)
    input = _input_arg(input, min_ndim=1)
    if input.ndim > 2:
        raise ValueError(f"input: expected a tensor (C,) or (N, C), got shape {tuple(input.shape)}")
    weight = _class_weight(weight, input)
    index, kept = _class_targets(input, target)
    c = input.shape[-1]
    column = index.reshape(index.shape + (1,))
    wrong = (column != get_array_module(index).arange(c)).astype(input.dtype)
    hinge = relu(input - _pick(input, index).reshape(*column.shape) + float(margin)) * wrong
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[column]
    return _reduce(hinge.sum(input.ndim - 1) * (kept / c), reduction)


def crammer_singer_loss(input, target, margin=1.0, reduction="mean"):
    """Multi-class hinge loss of a linear SVM in Crammer & Singer's formulation (JMLR
    2:265-292, 2001): per row max(0, margin + max_{j != y} x[j] - x[y]), so each example pays
    for its single best-scoring wrong class. (PyTorch's :func:`multi_margin_loss` is Weston &
    Watkins' instead: the hinge summed over every wrong class, divided by C.)

    Args:
        input: float scores (N, C), C >= 2.
        target: integer class indices (N,) in [0, C).
        margin: the required gap between the target's score and every other (a number >= 0).
        reduction: "mean" (over rows), "sum" or "none" (one loss per row).

    Returns:
        A Tensor of input's dtype: a scalar, or (N,) for "none".

    Raises:
        ValueError: not (N, C) with C >= 2, shapes that do not match, indices out of range, a
            negative margin, non-finite scores (inside detect_anomaly()), a bad reduction, a "mean" of nothing.
        TypeError: non-float input, non-integer target, a margin that is not a number.
    """
    reduction = _reduction_arg(reduction)
    number("margin", margin, 0)
    input = _input_arg(input)
    if input.ndim != 2 or input.shape[1] < 2:
        raise ValueError(f"input: expected a 2-D tensor (N, C) with C >= 2 classes, got shape {tuple(input.shape)}")
    index, kept = _class_targets(input, target)
    return _reduce(CrammerSingerLoss(float(margin))(input, index) * kept, reduction)


def one_hot(tensor, num_classes=-1):
    """One-hot encoding of integer class indices, as PyTorch's ``one_hot``: an int64 Tensor of
    shape ``tensor.shape + (num_classes,)`` with 1 at each index and 0 elsewhere (not
    differentiable).

    Args:
        tensor: non-negative integers, any shape.
        num_classes: the number of classes; -1 means tensor.max() + 1.

    Raises:
        TypeError: non-integer ``tensor`` or ``num_classes``.
        ValueError: negative indices, indices >= num_classes, num_classes < -1, or -1 with an
            empty tensor (no maximum to infer it from).
    """
    data = tensor_arg("tensor", tensor).data
    xp = get_array_module(data)
    if data.dtype.kind not in "iu":
        raise TypeError(f"tensor: expected an integer tensor of class indices, got dtype {data.dtype}")
    if integer("num_classes", num_classes, low=-1) == -1:
        if data.size == 0:
            raise ValueError("num_classes: cannot be inferred (-1) from an empty tensor; give it")
        num_classes = int(data.max()) + 1
    if data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(f"tensor: expected class indices in [0, {num_classes}), "
                         f"got values in [{int(data.min())}, {int(data.max())}]")
    return Tensor((data[..., None] == xp.arange(num_classes)).astype(np.int64))
