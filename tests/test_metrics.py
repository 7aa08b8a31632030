"""tinyconv.metrics: hand-computed cases, brute-force definitions on drawn labels, errors, plots."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinyconv as tc
from tinyconv import metrics

FAST = settings(max_examples=40, deadline=None)


def labels_and_classes(draw_n=st.integers(1, 30)):
    """(y_true, y_pred, n_classes) with n_classes possibly above the labels used (absent classes)."""
    @st.composite
    def build(draw):
        n_classes = draw(st.integers(1, 6))
        n = draw(draw_n)
        label = st.integers(0, n_classes - 1)
        y_true = np.array(draw(st.lists(label, min_size=n, max_size=n)), dtype=np.int64)
        y_pred = np.array(draw(st.lists(label, min_size=n, max_size=n)), dtype=np.int64)
        return y_true, y_pred, n_classes + draw(st.integers(0, 2))
    return build()


def test_hand_computed_classification():
    y_true = [0, 0, 1, 1, 2, 2]
    y_pred = [0, 1, 1, 1, 0, 2]
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    cm = metrics.confusion_matrix(y_true, y_pred)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])
    p, r, f = metrics.precision_recall_f1(y_true, y_pred)
    np.testing.assert_allclose(p, [1 / 2, 2 / 3, 1])
    np.testing.assert_allclose(r, [1 / 2, 1, 1 / 2])
    np.testing.assert_allclose(f, [1 / 2, 0.8, 2 / 3])
    macro = metrics.precision_recall_f1(y_true, y_pred, average="macro")
    np.testing.assert_allclose(macro, [(1 / 2 + 2 / 3 + 1) / 3, (1 / 2 + 1 + 1 / 2) / 3, (1 / 2 + 0.8 + 2 / 3) / 3])
    assert metrics.precision_recall_f1(y_true, y_pred, average="micro") == pytest.approx((4 / 6,) * 3)
    # one class never occurs and is never predicted: 0.0, counted in the macro mean
    p, r, f = metrics.precision_recall_f1([0, 1], [0, 1], n_classes=3)
    np.testing.assert_array_equal(p, [1, 1, 0])
    assert metrics.precision_recall_f1([0, 1], [0, 1], n_classes=3, average="macro") == pytest.approx((2 / 3,) * 3)
    assert metrics.precision_recall_f1([0, 1], [0, 1], n_classes=3, average="weighted") == pytest.approx((1, 1, 1))
    assert metrics.mse([1.0, 2.0, 3.0], [1.0, 0.0, 4.0]) == pytest.approx(5 / 3)


def test_hand_computed_roc():
    fpr, tpr, thresholds = metrics.roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)
    assert metrics.roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)
    assert metrics.auc([0, 1], [0, 1]) == pytest.approx(0.5)
    assert metrics.auc([1, 0], [1, 1]) == pytest.approx(1.0)
    scores = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
    assert metrics.top_k_accuracy([0, 2, 2, 1], scores, k=1) == pytest.approx(0.5)
    assert metrics.top_k_accuracy([0, 2, 2, 1], scores, k=2) == pytest.approx(1.0)
    per_class = metrics.roc_auc_ovr([0, 0, 1, 1], np.array([[0.9, 0.1, 0], [0.6, 0.4, 0], [0.3, 0.7, 0], [0.2, 0.8, 0]]),
                                    average=None)
    np.testing.assert_allclose(per_class, [1, 1, np.nan])
    assert metrics.roc_auc_ovr([0, 0, 1, 1], np.array([[0.9, 0.1, 0], [0.6, 0.4, 0], [0.3, 0.7, 0], [0.2, 0.8, 0]])) == 1.0


def brute_force(y_true, y_pred, n_classes):
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    precision, recall, f1 = [], [], []
    for c in range(n_classes):
        tp = sum(1 for t, p in zip(y_true, y_pred) if t == c and p == c)
        predicted = sum(1 for p in y_pred if p == c)
        actual = sum(1 for t in y_true if t == c)
        pc = tp / predicted if predicted else 0.0
        rc = tp / actual if actual else 0.0
        precision.append(pc)
        recall.append(rc)
        f1.append(2 * pc * rc / (pc + rc) if pc + rc else 0.0)
    return cm, np.array(precision), np.array(recall), np.array(f1)


@FAST
@given(labels_and_classes())
def test_against_brute_force(case):
    y_true, y_pred, n_classes = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cm, p, r, f = brute_force(y_true, y_pred, n_classes)
        np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, n_classes), cm)
        got = metrics.precision_recall_f1(y_true, y_pred, n_classes)
        for a, b in zip(got, (p, r, f)):
            np.testing.assert_allclose(a, b, atol=1e-12)
        np.testing.assert_allclose(metrics.precision_recall_f1(y_true, y_pred, n_classes, "macro"),
                                   [p.mean(), r.mean(), f.mean()], atol=1e-12)
        support = np.bincount(y_true, minlength=n_classes) / len(y_true)
        np.testing.assert_allclose(metrics.precision_recall_f1(y_true, y_pred, n_classes, "weighted"),
                                   [p @ support, r @ support, f @ support], atol=1e-12)
        accuracy = float(np.mean(y_true == y_pred))
        assert metrics.accuracy(y_true, y_pred) == pytest.approx(accuracy)
        np.testing.assert_allclose(metrics.precision_recall_f1(y_true, y_pred, n_classes, "micro"),
                                   [accuracy] * 3, atol=1e-12)


def mann_whitney(positive, scores):
    pos, neg = scores[positive], scores[~positive]
    total = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return total / (len(pos) * len(neg))


@FAST
@given(st.integers(0, 2**31 - 1), st.integers(2, 40), st.integers(1, 5))
def test_auc_and_top_k_against_definitions(seed, n, n_classes):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, n_classes, size=n)
    scores = rng.integers(0, 4, size=(n, n_classes)) / 4.0  # coarse scores: many ties
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = np.full(n_classes, np.nan)
        for k in range(n_classes):
            positive = y_true == k
            if positive.any() and not positive.all():
                expected[k] = mann_whitney(positive, scores[:, k])
                assert metrics.roc_auc(positive, scores[:, k]) == pytest.approx(expected[k])
                fpr, tpr, thresholds = metrics.roc_curve(positive.astype(int), scores[:, k])
                assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
                assert np.all(np.diff(thresholds) < 0)
        np.testing.assert_allclose(metrics.roc_auc_ovr(y_true, scores, average=None), expected)
        macro = metrics.roc_auc_ovr(y_true, scores)
        if np.isnan(expected).all():
            assert np.isnan(macro)
        else:
            assert macro == pytest.approx(np.nanmean(expected))
        for k in range(1, n_classes + 1):
            hits = 0
            for i in range(n):
                strictly_higher = sum(1 for c in range(n_classes) if scores[i, c] > scores[i, y_true[i]])
                hits += strictly_higher < k
            assert metrics.top_k_accuracy(y_true, scores, k) == pytest.approx(hits / n)
        assert metrics.top_k_accuracy(y_true, scores, n_classes) == 1.0


def test_tensors_and_lists_give_floats_and_arrays():
    y_true, y_pred = np.array([0, 1, 2, 1]), np.array([0, 2, 2, 1])
    assert isinstance(metrics.accuracy(tc.Tensor(y_true), tc.Tensor(y_pred)), float)
    np.testing.assert_array_equal(metrics.confusion_matrix(tc.Tensor(y_true), list(y_pred)),
                                  metrics.confusion_matrix(y_true, y_pred))
    assert isinstance(metrics.mse(tc.Tensor(np.ones(3)), np.zeros(3)), float)
    scores = tc.Tensor(np.eye(3)[[0, 1, 2, 1]])
    assert metrics.top_k_accuracy(y_true, scores, 1) == 1.0
    assert metrics.roc_auc_ovr(tc.Tensor(y_true), scores) == 1.0


@pytest.mark.skipif(not tc.cuda.is_available(), reason="needs CuPy and a GPU")
def test_cupy_arrays():
    import cupy as cp
    y_true, y_pred = np.array([0, 1, 2, 1]), np.array([0, 2, 2, 1])
    assert metrics.accuracy(cp.asarray(y_true), cp.asarray(y_pred)) == metrics.accuracy(y_true, y_pred)
    scores = np.random.default_rng(0).random((4, 3))
    assert metrics.roc_auc_ovr(cp.asarray(y_true), cp.asarray(scores)) == metrics.roc_auc_ovr(y_true, scores)
    assert metrics.top_k_accuracy(cp.asarray(y_true), tc.Tensor(scores, device="cuda"), 2) == \
        metrics.top_k_accuracy(y_true, scores, 2)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"y_pred: expected shape \(3,\)"):
        metrics.accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match=r"y_true: expected labels in \[0, 2\), got values in \[0, 2\]"):
        metrics.confusion_matrix([0, 1, 2], [0, 1, 1], n_classes=2)
    with pytest.raises(ValueError, match="y_pred: expected labels in"):
        metrics.confusion_matrix([0, 1], [0, -1])
    with pytest.raises(ValueError, match="average: expected"):
        metrics.precision_recall_f1([0], [0], average="samples")
    with pytest.raises(ValueError, match=r"k: expected an int in \[1, 3\], got 4"):
        metrics.top_k_accuracy([0, 1], np.zeros((2, 3)), k=4)
    with pytest.raises(ValueError, match=r"k: expected an int in \[1, 3\], got 0"):
        metrics.top_k_accuracy([0, 1], np.zeros((2, 3)), k=0)
    with pytest.raises(ValueError, match=r"scores: expected shape \(N, K\) with N = 2"):
        metrics.top_k_accuracy([0, 1], np.zeros((3, 3)), k=1)
    with pytest.raises(ValueError, match="y_true: expected both positives and negatives"):
        metrics.roc_curve([1, 1], [0.2, 0.3])
    with pytest.raises(ValueError, match="y_true: expected 0/1"):
        metrics.roc_curve([0, 2], [0.2, 0.3])
    with pytest.raises(ValueError, match=r"scores: expected shape \(N,\)"):
        metrics.roc_curve([0, 1], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"y_pred: expected shape \(2,\) like y_true"):
        metrics.mse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="n_classes: expected a positive int"):
        metrics.confusion_matrix([0], [0], n_classes=0)
    with pytest.raises(ValueError, match="y_true: expected integer labels"):
        metrics.accuracy([0.5], [0])
    with pytest.raises(ValueError, match="y_true: expected at least one label"):
        metrics.accuracy([], [])


def test_against_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    labels = list(range(6))
    for average in (None, "macro", "micro", "weighted"):
        expected = sklearn_metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0)[:3]
        got = metrics.precision_recall_f1(y_true, y_pred, n_classes=6, average=average)
        np.testing.assert_allclose(got, expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred),
                                  sklearn_metrics.confusion_matrix(y_true, y_pred))
    scores = rng.random((200, 5))
    assert metrics.roc_auc_ovr(y_true, scores) == pytest.approx(
        np.mean([sklearn_metrics.roc_auc_score(y_true == k, scores[:, k]) for k in range(5)]))
    assert metrics.top_k_accuracy(y_true, scores, 2) == pytest.approx(
        sklearn_metrics.top_k_accuracy_score(y_true, scores, k=2))


def test_plots_write_png(tmp_path):
    pytest.importorskip("matplotlib")
    y_true = np.array([0, 1, 2, 2, 1, 0, 2])
    scores = np.random.default_rng(0).random((7, 4))  # class 3 never occurs: left out of the plot
    cm = metrics.confusion_matrix(y_true, scores.argmax(1), n_classes=4)
    metrics.plot_confusion_matrix(cm, tmp_path / "cm.png", class_names=["a", "b", "c", "d"])
    metrics.plot_roc_curves(y_true, scores, tmp_path / "roc.png")
    for name in ("cm.png", "roc.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000
    with pytest.raises(ValueError, match="class_names: expected 4 names, got 2"):
        metrics.plot_confusion_matrix(cm, tmp_path / "x.png", class_names=["a", "b"])


def test_plots_without_matplotlib_say_so(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="needs matplotlib"):
        metrics.plot_confusion_matrix(np.eye(2, dtype=np.int64), tmp_path / "cm.png")
    assert not (tmp_path / "cm.png").exists()
