"""The losses against NumPy definitions and hand-computed cases, against PyTorch where installed
(values and gradients), the loss Modules, and their argument checks."""
import numpy as np
import pytest

import tinyconv
from tinyconv import Tensor, nn, functional as F


def log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def crammer_singer_brute_force(scores, labels, margin=1.0):
    total = 0.0
    for row, y in zip(scores, labels):
        worst = max(row[j] for j in range(len(row)) if j != y)
        total += max(0.0, margin + worst - row[y])
    return total / len(scores)


def weston_watkins_brute_force(scores, labels, p=1, margin=1.0, weight=None):
    losses = []
    for row, y in zip(scores, labels):
        w = 1.0 if weight is None else weight[y]
        losses.append(sum(w * max(0.0, margin - row[y] + row[i]) ** p for i in range(len(row)) if i != y) / len(row))
    return np.mean(losses)


def bce_brute_force(x, t):
    p = 1 / (1 + np.exp(-x))
    return np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p))


# ---------------------------------------------------------------- NumPy references, no torch needed

@pytest.mark.parametrize("seed", range(3))
def test_cross_entropy_weight_ignore_index_and_smoothing_by_definition(seed):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 4, 6)
    y[1] = 7  # ignored below
    w, s = rng.uniform(0.5, 2, 4), 0.2
    log_p = log_softmax(x, 1)
    kept = y != 7
    q = (1 - s) * np.eye(4)[np.where(kept, y, 0)] + s / 4
    per_row = -(q * w * log_p).sum(1) * kept
    expected = per_row.sum() / w[y[kept]].sum()
    got = F.cross_entropy(x, y, weight=w, ignore_index=7, label_smoothing=s)
    assert got.item() == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(F.cross_entropy(x, y, w, ignore_index=7, reduction="none", label_smoothing=s).data,
                               per_row, rtol=1e-12)


def test_cross_entropy_class_probabilities_and_k_dimensional_input():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 5))
    t = np.exp(log_softmax(rng.normal(size=x.shape), 1))
    expected = -(t * log_softmax(x, 1)).sum(1)
    np.testing.assert_allclose(F.cross_entropy(x, t, reduction="none").data, expected, rtol=1e-12)
    y = rng.integers(0, 3, (2, 4, 5))
    picked = np.take_along_axis(log_softmax(x, 1), y[:, None], 1)[:, 0]
    assert F.cross_entropy(x, y).item() == pytest.approx(-picked.mean(), rel=1e-12)
    # unbatched: (C,) scores and a 0-d target
    assert F.cross_entropy(x[0, :, 0, 0], np.array(1)).item() == pytest.approx(-log_softmax(x[0, :, 0, 0], 0)[1])


def test_cross_entropy_gradient_by_hand():
    x = Tensor(np.array([[0.0, 0.0], [np.log(3.0), 0.0]]), requires_grad=True)
    F.cross_entropy(x, np.array([0, 1]), reduction="sum").backward()
    np.testing.assert_allclose(x.grad, [[-0.5, 0.5], [0.75, -0.75]])


def test_softmax_cross_entropy_is_cross_entropy_with_its_defaults():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    assert F.softmax_cross_entropy(x, y).item() == F.cross_entropy(x, y).item()


def test_nll_loss_picks_weighted_log_probabilities():
    log_p = np.log(np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]]))
    w = np.array([1.0, 3.0])
    y = np.array([1, 0, -100])
    expected = -(3 * log_p[0, 1] + 1 * log_p[1, 0]) / 4
    assert F.nll_loss(log_p, y, w).item() == pytest.approx(expected)
    np.testing.assert_allclose(F.nll_loss(log_p, y, reduction="none").data, [-log_p[0, 1], -log_p[1, 0], 0])


@pytest.mark.parametrize("fn, ref", [(F.mse_loss, lambda d: d * d), (F.l1_loss, np.abs)])
def test_mse_and_l1_reductions_and_weight(fn, ref):
    rng = np.random.default_rng(2)
    x, t, w = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0, 1, (3, 4))
    assert fn(x, t).item() == pytest.approx(ref(x - t).mean(), rel=1e-12)
    assert fn(x, t, reduction="sum").item() == pytest.approx(ref(x - t).sum(), rel=1e-12)
    np.testing.assert_allclose(fn(x, t, reduction="none").data, ref(x - t), rtol=1e-12)
    assert fn(x, t, weight=w).item() == pytest.approx((w * ref(x - t)).sum() / w.sum(), rel=1e-12)


def test_l1_loss_gradient_is_the_sign():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    F.l1_loss(x, np.array([0.0, 0.0, 3.0]), reduction="sum").backward()
    np.testing.assert_array_equal(x.grad, [1, -1, 0])


@pytest.mark.parametrize("seed", range(3))
def test_binary_cross_entropy_by_definition(seed):
    rng = np.random.default_rng(seed)
    x, t, w = rng.uniform(0.01, 0.99, (3, 4)), rng.uniform(0, 1, (3, 4)), rng.uniform(0, 2, 4)
    expected = -w * (t * np.log(x) + (1 - t) * np.log(1 - x))
    assert F.binary_cross_entropy(x, t, w).item() == pytest.approx(expected.mean(), rel=1e-12)
    xt = Tensor(x, requires_grad=True)
    F.binary_cross_entropy(xt, t, reduction="sum").backward()
    np.testing.assert_allclose(xt.grad, (x - t) / (x * (1 - x)), rtol=1e-10)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    loss = F.binary_cross_entropy(np.array([0.0, 1.0]), np.array([1.0, 0.0]), reduction="none")
    np.testing.assert_array_equal(loss.data, [100.0, 100.0])


@pytest.mark.parametrize("seed", range(5))
def test_bce_with_logits_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 5, rng.integers(1, 4)))
    x, t = rng.uniform(-8, 8, shape), rng.uniform(0, 1, shape)
    t[rng.random(shape) < 0.3] = 1.0
    got = F.binary_cross_entropy_with_logits(x, t).item()
    assert got == pytest.approx(bce_brute_force(x, t), rel=1e-10)


def test_bce_with_logits_pos_weight_scales_the_positive_term():
    rng = np.random.default_rng(4)
    x, t, pw = rng.normal(size=(5, 3)), rng.uniform(0, 1, (5, 3)), np.array([1.0, 2.0, 0.5])
    log_sig = -np.log1p(np.exp(-x))
    expected = -(pw * t * log_sig + (1 - t) * (log_sig - x))
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, t, pos_weight=pw, reduction="none").data,
                               expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_finite_for_huge_logits(dtype):
    x = Tensor(np.array([1e4, -1e4, 1e4, -1e4, 0.0], dtype=dtype), requires_grad=True)
    t = Tensor(np.array([1.0, 0.0, 0.0, 1.0, 0.5], dtype=dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # exp(-1e4) may underflow to 0
        loss = F.binary_cross_entropy_with_logits(x, t)
        loss.backward()
    # right answers cost ~0, wrong ones cost |x|, the 0 logit log 2
    assert loss.item() == pytest.approx((2e4 + np.log(2)) / 5, rel=1e-6)
    np.testing.assert_allclose(x.grad, np.array([0, 0, 1, -1, 0]) / 5, atol=1e-7)
    assert np.isfinite(t.grad).all()
    assert loss.dtype == dtype and x.grad.dtype == dtype


def test_bce_with_logits_gradient_is_sigmoid_minus_target():
    x = Tensor(np.array([[0.3, -2.0], [4.0, 0.0]]), requires_grad=True)
    t = np.array([[1.0, 0.0], [0.25, 0.5]])
    F.binary_cross_entropy_with_logits(x, t).backward()
    np.testing.assert_allclose(x.grad, (1 / (1 + np.exp(-x.data)) - t) / 4, rtol=1e-12)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("p, margin", [(1, 1.0), (2, 1.0), (1, 0.3), (2, -0.5)])
def test_multi_margin_loss_is_weston_watkins(seed, p, margin):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 8), rng.integers(2, 6)
    scores, labels, w = rng.normal(size=(n, k)), rng.integers(0, k, n), rng.uniform(0.5, 2, k)
    got = F.multi_margin_loss(scores, labels, p=p, margin=margin, weight=w).item()
    assert got == pytest.approx(weston_watkins_brute_force(scores, labels, p, margin, w), rel=1e-12, abs=1e-15)


def test_multi_margin_loss_by_hand():
    # row 0: y=0, hinges 1 - 2 + 1.5 = 0.5 and 1 - 2 - 1 < 0 -> 0.5 / 3; row 1: y=2, 1 - 0.5 + 0 = 0.5 and
    # 1 - 0.5 + 3 = 3.5 -> 4 / 3; the old Crammer-Singer loss gave (0.5 + 3.5) / 2 = 2 here
    scores = Tensor(np.array([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5]]), requires_grad=True)
    loss = F.multi_margin_loss(scores, np.array([0, 2]))
    assert loss.item() == pytest.approx((0.5 + 4) / 3 / 2)
    loss.backward()
    np.testing.assert_allclose(scores.grad, np.array([[-1, 1, 0], [1, 1, -2]]) / 6)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("margin", [0.0, 1.0, 2.5])
def test_crammer_singer_loss_matches_brute_force(seed, margin):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 8), rng.integers(2, 6)
    scores, labels = rng.normal(size=(n, k)), rng.integers(0, k, n)
    got = F.crammer_singer_loss(scores, labels, margin=margin).item()
    assert got == pytest.approx(crammer_singer_brute_force(scores, labels, margin), rel=1e-12, abs=1e-15)


def test_crammer_singer_loss_gradient_by_hand():
    scores = Tensor(np.array([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5], [5.0, 0.0, 1.0]]), requires_grad=True)
    loss = F.crammer_singer_loss(scores, np.array([0, 2, 0]))
    # row 0: 1 + 1.5 - 2 = 0.5 > 0; row 1: 1 + 3 - 0.5 = 3.5; row 2: 1 + 1 - 5 < 0 (no loss)
    assert loss.item() == pytest.approx((0.5 + 3.5) / 3)
    loss.backward()
    np.testing.assert_allclose(scores.grad, np.array([[-1, 1, 0], [0, 1, -1], [0, 0, 0]]) / 3)


def test_crammer_singer_loss_float32_and_large_scores():
    s = Tensor(np.array([[1e4, -1e4, 3.0], [-1e4, 1e4, 0.0]], dtype=np.float32), requires_grad=True)
    loss = F.crammer_singer_loss(s, [1, 1])
    loss.backward()
    assert loss.dtype == np.float32 and s.grad.dtype == np.float32
    assert loss.item() == pytest.approx((1 + 1e4 + 1e4) / 2)
    assert np.isfinite(s.grad).all()


def test_one_hot():
    got = F.one_hot(np.array([[0, 2], [1, 1]]), 4)
    assert got.dtype == np.int64 and got.shape == (2, 2, 4)
    np.testing.assert_array_equal(got.data[0], [[1, 0, 0, 0], [0, 0, 1, 0]])
    assert F.one_hot(np.array([3, 0])).shape == (2, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_keep_the_input_dtype(dtype, reduction):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 3)).astype(dtype), rng.integers(0, 3, 4)
    t, w = rng.uniform(0, 1, (4, 3)).astype(dtype), np.ones(3, dtype)
    for loss in [F.cross_entropy(x, y, w, reduction=reduction, label_smoothing=0.1),
                 F.cross_entropy(x, t, w, reduction=reduction), F.nll_loss(x, y, w, reduction=reduction),
                 F.mse_loss(x, t, reduction=reduction), F.l1_loss(x, t, reduction=reduction),
                 F.binary_cross_entropy(t, t, w, reduction=reduction),
                 F.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=w),
                 F.multi_margin_loss(x, y, 2, 0.5, w, reduction=reduction),
                 F.crammer_singer_loss(x, y, reduction=reduction)]:
        assert loss.dtype == dtype


def test_loss_modules_call_their_functions():
    rng = np.random.default_rng(5)
    x, y, t = rng.normal(size=(4, 3)), rng.integers(0, 3, 4), rng.uniform(0, 1, (4, 3))
    w = Tensor(rng.uniform(0.5, 2, 3))
    y[0] = -1
    cases = [
        (nn.CrossEntropyLoss(w, ignore_index=-1, reduction="sum", label_smoothing=0.1),
         F.cross_entropy(x, y, w, ignore_index=-1, reduction="sum", label_smoothing=0.1)),
        (nn.NLLLoss(w, ignore_index=-1), F.nll_loss(x, y, w, ignore_index=-1)),
        (nn.MultiMarginLoss(2, 0.5, w), F.multi_margin_loss(x, np.abs(y), 2, 0.5, w)),
    ]
    for module, expected in cases:
        target = np.abs(y) if isinstance(module, nn.MultiMarginLoss) else y
        assert module(x, target).item() == expected.item()
    assert nn.MSELoss(reduction="sum")(x, t).item() == F.mse_loss(x, t, reduction="sum").item()
    assert nn.L1Loss()(x, t).item() == F.l1_loss(x, t).item()
    assert nn.BCELoss(w)(t, t).item() == F.binary_cross_entropy(t, t, w).item()
    assert nn.BCEWithLogitsLoss(w, pos_weight=w)(x, t).item() == \
        F.binary_cross_entropy_with_logits(x, t, w, pos_weight=w).item()
    assert list(nn.BCEWithLogitsLoss(w, pos_weight=w).state_dict()) == ["weight", "pos_weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []


def test_import_paths():
    import tinyconv.nn.functional as G
    assert G is tinyconv.functional and tinyconv.nn.functional is F
    for name in ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "multi_margin_loss", "one_hot", "crammer_singer_loss"]:
        assert callable(getattr(G, name))


# ---------------------------------------------------------------- argument checks

X, Y = np.zeros((2, 3)), np.array([0, 1])


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.cross_entropy(X, Y, size_average=True), NotImplementedError, "size_average, reduce: deprecated"),
    (lambda: F.mse_loss(X, X, reduce=False), NotImplementedError, "use reduction="),
    (lambda: F.cross_entropy(X, Y, reduction="avg"), ValueError, "reduction: expected 'none', 'mean' or 'sum', got 'avg'"),
    (lambda: F.cross_entropy(X, np.array([0, 3])), ValueError,
     r"target: expected class indices in \[0, 3\) or ignore_index=-100, got values in \[3, 3\]"),
    (lambda: F.nll_loss(X, np.array([-1, 0])), ValueError, r"target: expected class indices in \[0, 3\)"),
    (lambda: F.multi_margin_loss(X, np.array([0, 3])), ValueError, r"target: expected class indices in \[0, 3\)"),
    (lambda: F.crammer_singer_loss(X, np.array([0, 3])), ValueError, r"target: expected class indices in \[0, 3\)"),
    (lambda: F.cross_entropy(X, Y, weight=np.ones(2)), ValueError, r"weight: expected shape \(3,\), one per class, got \(2,\)"),
    (lambda: F.cross_entropy(X, Y, weight=np.ones(3, np.float32)), TypeError, "weight: expected dtype float64"),
    (lambda: F.cross_entropy(X, Y, label_smoothing=1.5), ValueError, r"label_smoothing: expected a number in \[0, 1\]"),
    (lambda: F.cross_entropy(X, np.full((2, 3), 1 / 3), ignore_index=0), RuntimeError, "ignore_index: not supported"),
    (lambda: F.cross_entropy(X, np.zeros((2, 2))), ValueError, r"target: expected shape \(2, 3\) like input"),
    (lambda: F.cross_entropy(X, np.array([True, False])), TypeError, "target: expected integer class indices or float"),
    (lambda: F.cross_entropy(np.zeros(()), np.array(0)), ValueError, "input: expected a tensor"),
    (lambda: F.mse_loss(X, np.zeros(3)), ValueError, r"target: expected shape \(2, 3\) like input.*broadcast"),
    (lambda: F.l1_loss(X, X, weight=np.ones(3)), ValueError, r"weight: expected shape \(2, 3\)"),
    (lambda: F.binary_cross_entropy(np.array([0.5, 1.5]), np.zeros(2)), ValueError, r"input: expected probabilities in \[0, 1\]"),
    (lambda: F.binary_cross_entropy(X, X, weight=np.ones(2)), ValueError, r"weight: expected a shape that broadcasts to \(2, 3\)"),
    (lambda: F.binary_cross_entropy_with_logits(X, X, pos_weight=np.ones(4)), ValueError, "pos_weight: expected a shape"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(3, np.float32)), TypeError, "target: expected dtype"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(2), np.array([0.5, 1.5])), ValueError, r"target: expected values in \[0, 1\]"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(2, np.int64), np.zeros(2, np.int64)), TypeError, "input"),
    (lambda: F.multi_margin_loss(X, Y, p=3), ValueError, r"p: expected 1 or 2"),
    (lambda: F.multi_margin_loss(X, Y, margin=np.nan), ValueError, "margin: expected a finite number"),
    (lambda: F.multi_margin_loss(np.zeros((2, 3, 4)), Y), ValueError, r"input: expected a tensor \(C,\) or \(N, C\)"),
    (lambda: F.multi_margin_loss(X, np.array([0.0, 1.0])), TypeError, "target: expected an integer tensor"),
    (lambda: F.crammer_singer_loss(np.zeros(3), [0]), ValueError, "input: expected a 2-D"),
    (lambda: F.crammer_singer_loss(np.zeros((2, 1)), [0, 0]), ValueError, "C >= 2"),
    (lambda: F.crammer_singer_loss(X, [0, 1], margin=-1.0), ValueError, "margin"),
    (lambda: F.crammer_singer_loss(X, [0, 1], margin="1"), TypeError, "margin"),
    (lambda: F.crammer_singer_loss(X, [0]), ValueError, "target: expected shape"),
    (lambda: F.one_hot(np.array([0, 3]), 3), ValueError, r"tensor: expected class indices in \[0, 3\)"),
    (lambda: F.one_hot(np.array([-1])), ValueError, "tensor: expected class indices"),
    (lambda: F.one_hot(np.array([0.0])), TypeError, "tensor: expected an integer tensor"),
    (lambda: F.one_hot(np.zeros(0, np.int64)), ValueError, "num_classes: cannot be inferred"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "reduction"),
    (lambda: nn.MSELoss(size_average=False), NotImplementedError, "size_average"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.nll_loss(np.array([[-np.inf, 0.0]]), [0]), tinyconv.NonFiniteError, "input: expected finite"),
    (lambda: F.binary_cross_entropy_with_logits(np.array([np.nan]), np.zeros(1)), tinyconv.NonFiniteError,
     "input: expected finite"),
    (lambda: F.cross_entropy(X, np.array([-100, -100])), ValueError, "'mean' over no element.*PyTorch returns nan"),
])
def test_value_checks_raise_inside_detect_anomaly_and_give_nan_outside(call, exc, match):
    # checks that read every value (a wait for the GPU) run inside detect_anomaly() only
    with tinyconv.detect_anomaly(), pytest.raises(exc, match=match):
        call()
    assert not np.isfinite(call().data)  # outside: NaN (or the Inf of the input), never a wrong number


# ---------------------------------------------------------------- against PyTorch

def _compare(torch, fn, torch_fn, inputs, targets=(), **kwargs):
    """Values and gradients (of every float input) of fn and torch_fn on the same arrays."""
    ours = [Tensor(a, requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    converted = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    got = fn(*ours, *targets, **kwargs)
    expected = torch_fn(*theirs, *[torch.tensor(t) for t in targets], **converted)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_against_pytorch(reduction):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.default_rng(7)
    x, y, w = rng.normal(size=(6, 4)), rng.integers(0, 4, 6), rng.uniform(0.5, 2, 4)
    y_ignored = y.copy()
    y_ignored[2] = -100
    probs = np.exp(log_softmax(rng.normal(size=(6, 4)), 1))
    x4, y4 = rng.normal(size=(2, 4, 3, 2)), rng.integers(0, 4, (2, 3, 2))
    u, t = rng.uniform(0.05, 0.95, (6, 4)), rng.uniform(0, 1, (6, 4))
    r = reduction
    _compare(torch, F.cross_entropy, tf.cross_entropy, [x], [y_ignored], weight=w, reduction=r, label_smoothing=0.15)
    _compare(torch, F.cross_entropy, tf.cross_entropy, [x4], [y4], weight=w, reduction=r, label_smoothing=0.1)
    _compare(torch, F.cross_entropy, tf.cross_entropy, [x, probs], weight=w, reduction=r, label_smoothing=0.2)
    _compare(torch, F.cross_entropy, tf.cross_entropy, [x[0]], [y[0]], reduction=r)
    _compare(torch, F.nll_loss, tf.nll_loss, [x], [y_ignored], weight=w, reduction=r)
    _compare(torch, F.nll_loss, tf.nll_loss, [x4], [y4], weight=w, ignore_index=1, reduction=r)
    _compare(torch, F.mse_loss, tf.mse_loss, [x, t], reduction=r)
    _compare(torch, F.l1_loss, tf.l1_loss, [x, t], reduction=r, weight=u)
    _compare(torch, F.mse_loss, tf.mse_loss, [x, t], reduction=r, weight=u)
    _compare(torch, F.binary_cross_entropy, tf.binary_cross_entropy, [u, t], weight=w, reduction=r)
    _compare(torch, F.binary_cross_entropy_with_logits, tf.binary_cross_entropy_with_logits, [x * 5, t],
             weight=w, pos_weight=w[::-1].copy(), reduction=r)
    for p in (1, 2):
        _compare(torch, F.multi_margin_loss, tf.multi_margin_loss, [x], [y], p=p, margin=0.7, weight=w, reduction=r)
    _compare(torch, F.multi_margin_loss, tf.multi_margin_loss, [x[0]], [y[0]], reduction=r)


def test_one_hot_and_modules_against_pytorch():
    torch = pytest.importorskip("torch")
    labels = np.array([[2, 0], [1, 4]])
    np.testing.assert_array_equal(F.one_hot(labels).data, torch.nn.functional.one_hot(torch.tensor(labels)).numpy())
    x, y = np.random.default_rng(8).normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    w = np.array([0.2, 1.0, 3.0])
    for ours, theirs in [(nn.CrossEntropyLoss(Tensor(w), label_smoothing=0.3), torch.nn.CrossEntropyLoss(torch.tensor(w), label_smoothing=0.3)),
                         (nn.MultiMarginLoss(weight=Tensor(w)), torch.nn.MultiMarginLoss(weight=torch.tensor(w)))]:
        assert ours(x, y).item() == pytest.approx(theirs(torch.tensor(x), torch.tensor(y)).item(), rel=1e-12)
