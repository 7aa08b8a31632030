"""The multi-class hinge loss and binary cross-entropy from logits against brute-force NumPy
definitions, at extreme logits, against PyTorch where installed, and their argument checks."""
import numpy as np
import pytest

import tinyconv
from tinyconv import Tensor, functional as F


def hinge_brute_force(scores, labels, margin=1.0):
    total = 0.0
    for row, y in zip(scores, labels):
        worst = max(row[j] for j in range(len(row)) if j != y)
        total += max(0.0, margin + worst - row[y])
    return total / len(scores)


def bce_brute_force(x, t):
    p = 1 / (1 + np.exp(-x))
    return np.mean(-t * np.log(p) - (1 - t) * np.log(1 - p))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("margin", [0.0, 1.0, 2.5])
def test_multi_margin_loss_matches_brute_force(seed, margin):
    rng = np.random.default_rng(seed)
    n, k = rng.integers(1, 8), rng.integers(2, 6)
    scores, labels = rng.normal(size=(n, k)), rng.integers(0, k, n)
    got = F.multi_margin_loss(scores, labels, margin=margin).item()
    assert got == pytest.approx(hinge_brute_force(scores, labels, margin), rel=1e-12, abs=1e-15)


def test_multi_margin_loss_gradient_by_hand():
    scores = Tensor(np.array([[2.0, 1.5, -1.0], [0.0, 3.0, 0.5], [5.0, 0.0, 1.0]]), requires_grad=True)
    labels = np.array([0, 2, 0])
    loss = F.multi_margin_loss(scores, labels)
    # row 0: 1 + 1.5 - 2 = 0.5 > 0; row 1: 1 + 3 - 0.5 = 3.5; row 2: 1 + 1 - 5 < 0 (no loss)
    assert loss.item() == pytest.approx((0.5 + 3.5) / 3)
    loss.backward()
    np.testing.assert_allclose(scores.grad, np.array([[-1, 1, 0], [0, 1, -1], [0, 0, 0]]) / 3)


def test_multi_margin_loss_float32_and_large_scores():
    scores = np.array([[1e4, -1e4, 3.0], [-1e4, 1e4, 0.0]], dtype=np.float32)
    s = Tensor(scores, requires_grad=True)
    loss = F.multi_margin_loss(s, [1, 1])
    loss.backward()
    assert loss.dtype == np.float32 and s.grad.dtype == np.float32
    assert loss.item() == pytest.approx((1 + 1e4 + 1e4) / 2)
    assert np.isfinite(s.grad).all()


@pytest.mark.parametrize("seed", range(5))
def test_bce_with_logits_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 5, rng.integers(1, 4)))
    x, t = rng.uniform(-8, 8, shape), rng.uniform(0, 1, shape)
    t[rng.random(shape) < 0.3] = 1.0
    got = F.binary_cross_entropy_with_logits(x, t).item()
    assert got == pytest.approx(bce_brute_force(x, t), rel=1e-10)


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


def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(4, 3)) * 5, rng.uniform(0, 1, (4, 3))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(t)).item()
    assert F.binary_cross_entropy_with_logits(x, t).item() == pytest.approx(expected, rel=1e-12)
    # Crammer-Singer with 2 classes equals PyTorch's Weston-Watkins loss times K = 2
    scores, labels = rng.normal(size=(6, 2)), rng.integers(0, 2, 6)
    ww = torch.nn.functional.multi_margin_loss(torch.tensor(scores), torch.tensor(labels)).item()
    assert F.multi_margin_loss(scores, labels).item() == pytest.approx(2 * ww, rel=1e-12)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.multi_margin_loss(np.zeros(3), [0]), ValueError, "scores: expected a 2-D"),
    (lambda: F.multi_margin_loss(np.zeros((2, 1)), [0, 0]), ValueError, "scores: expected at least 2 classes"),
    (lambda: F.multi_margin_loss(np.zeros((2, 3)), [0, 3]), ValueError, r"labels: expected values in \[0, 3\)"),
    (lambda: F.multi_margin_loss(np.zeros((2, 3)), [0]), ValueError, "labels: expected shape"),
    (lambda: F.multi_margin_loss(np.zeros((2, 3)), [0.0, 1.0]), TypeError, "labels: expected an integer"),
    (lambda: F.multi_margin_loss(np.zeros((2, 3), dtype=np.int64), [0, 1]), TypeError, "scores: expected a floating"),
    (lambda: F.multi_margin_loss(np.zeros((2, 3)), [0, 1], margin=-1.0), ValueError, "margin"),
    (lambda: F.multi_margin_loss(np.zeros((2, 3)), [0, 1], margin="1"), TypeError, "margin"),
    (lambda: F.multi_margin_loss(np.full((1, 2), np.nan), [0]), ValueError, "scores: expected finite"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(2)), ValueError, "targets: expected shape"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(3, np.float32)), TypeError, "targets: expected dtype"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(2), np.array([0.5, 1.5])), ValueError, r"targets: expected values in \[0, 1\]"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(0), np.zeros(0)), ValueError, "logits: expected at least one"),
    (lambda: F.binary_cross_entropy_with_logits(np.array([np.inf]), np.zeros(1)), ValueError, "logits: expected finite"),
    (lambda: F.binary_cross_entropy_with_logits(np.zeros(2, np.int64), np.zeros(2, np.int64)), TypeError, "logits"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_exported_from_the_package():
    assert tinyconv.functional.multi_margin_loss is F.multi_margin_loss
    assert tinyconv.functional.binary_cross_entropy_with_logits is F.binary_cross_entropy_with_logits
