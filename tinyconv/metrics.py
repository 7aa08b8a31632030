"""Classification and regression metrics on NumPy arrays, CuPy arrays and Tensors.

Inputs are copied to the host (:func:`tinyconv.backend.to_numpy`); results are Python floats or
NumPy arrays. Labels are integers in [0, n_classes); ``n_classes=None`` means one more than the
largest label seen in the arguments.

Undefined ratios. A precision, recall or F1 whose denominator is 0 (a class never predicted, a
class that never occurs) is 0.0, like scikit-learn's ``zero_division=0``, and no warning is
issued. Macro averages run over all ``n_classes`` classes, those included. An ROC curve needs
both positives and negatives: :func:`roc_curve` and :func:`roc_auc` raise ValueError otherwise;
:func:`roc_auc_ovr` gives such a class NaN and leaves it out of the macro average (NaN when no
class has both).

Plots (:func:`plot_confusion_matrix`, :func:`plot_roc_curves`) need matplotlib, imported on
the first call with the non-interactive Agg backend.
"""
import numbers

import numpy as np

from .backend import to_numpy
from .validation import integer

AVERAGES = (None, "macro", "micro", "weighted")


def _array(name, value):
    """Return ``value`` (a Tensor, NumPy or CuPy array, list or number) as a NumPy array."""
    from .tensor import Tensor
    if isinstance(value, Tensor):
        value = value.data
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected an array, a Tensor or a list of numbers, got {type(value).__name__}")
    if isinstance(value, (np.ndarray, np.generic, list, tuple, numbers.Number)):
        array = np.asarray(value)
    else:
        try:
            array = to_numpy(value)
        except AttributeError:
            raise TypeError(f"{name}: expected an array, a Tensor or a list of numbers, "
                            f"got {type(value).__name__}") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got dtype {array.dtype}")
    return array


def _labels(name, value, n_classes=None):
    """Return ``value`` as a 1-D int64 array of labels in [0, n_classes) (a non-empty vector)."""
    array = _array(name, value)
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: expected at least one label, got an empty array")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"{name}: expected integer labels, got non-integer values")
    labels = array.astype(np.int64)
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or (n_classes is not None and high >= n_classes):
        bound = "n_classes" if n_classes is None else n_classes
        raise ValueError(f"{name}: expected labels in [0, {bound}), got values in [{low}, {high}]")
    return labels


def _pair(y_true, y_pred, n_classes):
    """Check and convert two label vectors of one length; return them and the class count."""
    n_classes = integer("n_classes", n_classes, low=1, optional=True)
    y_true = _labels("y_true", y_true, n_classes)
    y_pred = _labels("y_pred", y_pred, n_classes)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_pred: expected shape {y_true.shape} like y_true, got {y_pred.shape}")
    if n_classes is None:
        n_classes = int(max(y_true.max(), y_pred.max())) + 1
    return y_true, y_pred, n_classes


def _divide(numerator, denominator):
    """numerator / denominator elementwise, 0.0 where the denominator is 0 (no warning)."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros(np.broadcast(numerator, denominator).shape)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def accuracy(y_true, y_pred):
    """Fraction of labels predicted exactly (a float in [0, 1])."""
    y_true, y_pred, _ = _pair(y_true, y_pred, None)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=None):
    """Return the (n_classes, n_classes) int64 matrix whose entry [i, j] counts the samples of
    true class i predicted as class j (rows true, columns predicted)."""
    y_true, y_pred, n_classes = _pair(y_true, y_pred, n_classes)
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes).astype(np.int64)


def precision_recall_f1(y_true, y_pred, n_classes=None, average=None):
    """Precision, recall and F1 of single-label classification.

    For class c: precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R); a
    zero denominator gives 0.0.

    Args:
        y_true, y_pred: 1-D integer labels of one length.
        n_classes: number of classes (None: one more than the largest label).
        average: None for per-class arrays of shape (n_classes,); "macro" for the unweighted
            mean over all n_classes classes; "micro" for the ratios of the summed counts (equal
            to the accuracy for single-label data); "weighted" for the mean weighted by each
            class's support (its count in y_true), the F1 being the weighted mean of per-class
            F1s (as in scikit-learn).

    Returns:
        (precision, recall, f1): three float64 arrays, or three floats when averaging.
    """
    if average not in AVERAGES:
        raise ValueError(f"average: expected one of {AVERAGES}, got {average!r}")
    cm = confusion_matrix(y_true, y_pred, n_classes)
    tp = np.diag(cm).astype(np.float64)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    if average == "micro":
        precision = _divide(tp.sum(), predicted.sum())
        recall = _divide(tp.sum(), support.sum())
        f1 = _divide(2 * precision * recall, precision + recall)
        return float(precision), float(recall), float(f1)
    precision, recall = _divide(tp, predicted), _divide(tp, support)
    f1 = _divide(2 * precision * recall, precision + recall)
    if average is None:
        return precision, recall, f1
    weights = np.full(len(tp), 1.0 / len(tp)) if average == "macro" else support / support.sum()
    return float(precision @ weights), float(recall @ weights), float(f1 @ weights)


def _scores(name, value, ndim, n_rows):
    array = _array(name, value).astype(np.float64)
    if array.ndim != ndim or array.shape[0] != n_rows:
        layout = "(N,)" if ndim == 1 else "(N, K)"
        raise ValueError(f"{name}: expected shape {layout} with N = {n_rows} (the length of y_true), "
                         f"got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: expected finite values, got NaN or Inf")
    return array


def _binary(name, value):
    array = _array(name, value)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D array of 0/1 labels, got shape {array.shape}")
    if not np.all((array == 0) | (array == 1)):
        raise ValueError(f"{name}: expected 0/1 (or bool) labels, got values {np.unique(array)[:5].tolist()}")
    return array.astype(bool)


def roc_curve(y_true, scores):
    """Receiver operating characteristic of a binary problem.

    Args:
        y_true: 1-D 0/1 (or bool) labels, 1 the positive class; both classes must occur.
        scores: 1-D scores of one length, higher meaning more likely positive.

    Returns:
        (fpr, tpr, thresholds): float64 arrays; point i counts the samples with score >=
        thresholds[i] as positive. Thresholds are the distinct scores in decreasing order after
        a first +inf (the point (0, 0)); the last point is (1, 1).

    Raises:
        ValueError: y_true has no positives or no negatives, shapes differ, scores not finite.
    """
    y_true = _binary("y_true", y_true)
    scores = _scores("scores", scores, 1, len(y_true))
    positives = int(y_true.sum())
    negatives = len(y_true) - positives
    if positives == 0 or negatives == 0:
        raise ValueError(f"y_true: expected both positives and negatives, got {positives} positives "
                         f"and {negatives} negatives (the ROC curve is undefined)")
    order = np.argsort(-scores, kind="stable")
    scores, y_true = scores[order], y_true[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]  # end of each run of ties
    tps = np.cumsum(y_true)[last]
    fps = (last + 1) - tps
    fpr = np.r_[0.0, fps / negatives]
    tpr = np.r_[0.0, tps / positives]
    return fpr, tpr, np.r_[np.inf, scores[last]]


def auc(x, y):
    """Area under the curve through points (x[i], y[i]) by the trapezoidal rule; x must be
    monotonic (increasing or decreasing)."""
    x, y = _array("x", x).astype(np.float64), _array("y", y).astype(np.float64)
    if x.ndim != 1 or x.shape != y.shape or len(x) < 2:
        raise ValueError(f"y: expected a 1-D array of the shape of x with at least 2 points, "
                         f"got x {x.shape}, y {y.shape}")
    dx = np.diff(x)
    if np.all(dx >= 0):
        direction = 1.0
    elif np.all(dx <= 0):
        direction = -1.0
    else:
        raise ValueError("x: expected monotonic values, got an order that goes up and down")
    return float(direction * np.sum(dx * (y[1:] + y[:-1]) / 2))


def roc_auc(y_true, scores):
    """Area under the ROC curve of a binary problem: the probability that a random positive
    scores higher than a random negative, ties counting 1/2 (Mann-Whitney U / (P N)).

    Raises:
        ValueError: as :func:`roc_curve`.
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    return auc(fpr, tpr)


def roc_auc_ovr(y_true, scores, average="macro"):
    """One-vs-rest ROC AUC of a K-class problem: class k's scores[:, k] against y_true == k.

    Args:
        y_true: 1-D integer labels in [0, K).
        scores: (N, K) scores (e.g. probabilities or logits).
        average: "macro" for the mean over the classes that have both positives and negatives
            (a float; NaN when none has), None for the per-class array (NaN for a class that
            never occurs or is the only class in y_true).
    """
    if average not in ("macro", None):
        raise ValueError(f"average: expected 'macro' or None, got {average!r}")
    scores = _array("scores", scores)
    if scores.ndim != 2:
        raise ValueError(f"scores: expected shape (N, K), got {scores.shape}")
    y_true = _labels("y_true", y_true, scores.shape[1])
    scores = _scores("scores", scores, 2, len(y_true))
    per_class = np.full(scores.shape[1], np.nan)
    for k in range(scores.shape[1]):
        positive = y_true == k
        if positive.any() and not positive.all():
            per_class[k] = roc_auc(positive, scores[:, k])
    if average is None:
        return per_class
    defined = per_class[~np.isnan(per_class)]
    return float(defined.mean()) if len(defined) else float("nan")


def top_k_accuracy(y_true, scores, k=5):
    """Fraction of samples whose true class is among the k highest scores. Ties count in favour
    of the true class: a sample is correct when fewer than k classes score strictly higher.

    Raises:
        ValueError: k outside [1, K], shapes that do not match, labels outside [0, K).
    """
    scores = _array("scores", scores)
    if scores.ndim != 2:
        raise ValueError(f"scores: expected shape (N, K), got {scores.shape}")
    k = integer("k", k, low=1, high=scores.shape[1])  # at most the number of classes
    y_true = _labels("y_true", y_true, scores.shape[1])
    scores = _scores("scores", scores, 2, len(y_true))
    true_scores = scores[np.arange(len(y_true)), y_true]
    higher = (scores > true_scores[:, None]).sum(axis=1)
    return float(np.mean(higher < k))


def mse(y_true, y_pred):
    """Mean squared error over all elements of two arrays of one shape (a float)."""
    y_true = _array("y_true", y_true).astype(np.float64)
    y_pred = _array("y_pred", y_pred).astype(np.float64)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_pred: expected shape {y_true.shape} like y_true, got {y_pred.shape}")
    if y_true.size == 0:
        raise ValueError("y_true: expected at least one value, got an empty array")
    return float(np.mean((y_true - y_pred) ** 2))


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting metrics needs matplotlib (pip install matplotlib)") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_confusion_matrix(cm, path, class_names=None):
    """Write confusion matrix ``cm`` (K, K) as a PNG image to ``path``: rows true, columns
    predicted, each cell annotated with its count. Needs matplotlib."""
    cm = _array("cm", cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"cm: expected a square (K, K) matrix, got shape {cm.shape}")
    n = cm.shape[0]
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(f"class_names: expected {n} names, got {len(names)}")
    plt = _pyplot()
    size = max(4.0, 0.5 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    try:
        image = ax.imshow(cm, cmap="Blues")
        fig.colorbar(image, ax=ax, fraction=0.046)
        ax.set_xticks(range(n), names, rotation=45, ha="right")
        ax.set_yticks(range(n), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        middle = (cm.max() + cm.min()) / 2
        for i in range(n):
            for j in range(n):
                ax.text(j, i, f"{cm[i, j]:g}", ha="center", va="center",
                        color="white" if cm[i, j] > middle else "black", fontsize=8)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)


def plot_roc_curves(y_true, scores, path, class_names=None):
    """Write the one-vs-rest ROC curves of each class of (N, K) ``scores`` (classes lacking
    positives or negatives are left out) with their AUC in the legend as a PNG to ``path``.
    Needs matplotlib."""
    per_class = roc_auc_ovr(y_true, scores, average=None)
    y_true, scores = _labels("y_true", y_true), _array("scores", scores)
    n = scores.shape[1]
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ValueError(f"class_names: expected {n} names, got {len(names)}")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    try:
        for k in range(n):
            if not np.isnan(per_class[k]):
                fpr, tpr, _ = roc_curve(y_true == k, scores[:, k])
                ax.plot(fpr, tpr, label=f"{names[k]} (AUC {per_class[k]:.3f})")
        ax.plot([0, 1], [0, 1], color="gray", linestyle="--", linewidth=0.8)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.01)
        ax.legend(loc="lower right", fontsize=7)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
