"""Stochastic pooling (Zeiler & Fergus 2013): sampling frequencies against p_i, the evaluation
formula, where the training gradient goes, zero windows, seeding, the layer and bad input.
Gradient checks are in test_gradcheck.py, the kernel modules against the reference kernels in
test_kernel_contract.py."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinyconv as tc
from tinyconv import Tensor, backend, nn, functional as F
from strategies import pool_geometry, seeds, sparse_non_negative, uniform

DRAWS = 20000
SIGMAS = 5  # binomial bound per cell: a correct sampler falls outside it with probability < 6e-7


def windows(shape, kernel, stride, padding):
    """Yield ((n, c, oh, ow), [(kh*KW + kw, h, w) for each in-image position]) for every window."""
    n, c, h, w = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    for ni in range(n):
        for ci in range(c):
            for yo in range(oh):
                for xo in range(ow):
                    cells = [(i * kw + j, yo * sh - ph + i, xo * sw - pw + j) for i in range(kh) for j in range(kw)]
                    yield (ni, ci, yo, xo), [(k, hi, wi) for k, hi, wi in cells if 0 <= hi < h and 0 <= wi < w]


# ---------------------------------------------------------------- sampling

@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=20)
@given(kh=st.integers(1, 3), kw=st.integers(1, 3), seed=seeds, data=st.data())
def test_sampling_frequencies_match_p(kernels, kh, kw, seed, data):
    # DRAWS identical images, each one window: the gradient of each image marks its sample.
    region = data.draw(sparse_non_negative((kh, kw), high=5.0))
    if region.sum() == 0:
        region[kh // 2, kw // 2] = 1.0
    p = (region / region.sum()).ravel()
    x = Tensor(np.broadcast_to(region, (DRAWS, 1, kh, kw)).copy(), requires_grad=True)
    with backend.use_kernels(kernels):
        y = F.stochastic_pool2d(x, (kh, kw), rng=np.random.default_rng(seed))
    y.backward(np.ones_like(y.data))
    marks = x.grad.numpy().reshape(DRAWS, kh * kw)
    assert np.all(marks.sum(axis=1) == 1) and np.all((marks == 0) | (marks == 1))  # one location each
    np.testing.assert_array_equal((marks * region.ravel()).sum(axis=1), y.data.ravel())  # its activation
    counts = marks.sum(axis=0)
    assert np.all(counts[p == 0] == 0), "a location with p = 0 was sampled"
    bound = SIGMAS * np.sqrt(DRAWS * p * (1 - p)) + 1
    assert np.all(np.abs(counts - DRAWS * p) <= bound), f"counts {counts} against expected {DRAWS * p}"


def test_sampling_frequencies_chi_square():
    # One fixed region with unequal probabilities; 10 cells: chi-square with 9 degrees of
    # freedom, whose 0.9999 quantile is 33.7.
    region = np.array([[0.1, 0.2, 0.5, 1.0, 2.0], [3.0, 0.05, 0.7, 1.5, 0.9]])
    x = Tensor(np.broadcast_to(region, (DRAWS, 1, 2, 5)).copy(), requires_grad=True)
    F.stochastic_pool2d(x, (2, 5), rng=np.random.default_rng(7)).sum().backward()
    counts = x.grad.numpy().reshape(DRAWS, -1).sum(axis=0)
    expected = DRAWS * region.ravel() / region.sum()
    assert ((counts - expected) ** 2 / expected).sum() < 33.7


def expected_samples(x, kernel, stride, padding, u):
    """Plain-loop oracle: inverse CDF over each window in row-major order, float64 sums."""
    y = np.zeros(u.shape, dtype=x.dtype)
    where = {}
    for out, cells in windows(x.shape, kernel, stride, padding):
        ni, ci = out[:2]
        values = [float(x[ni, ci, hi, wi]) for _, hi, wi in cells]
        total = 0.0
        for v in values:
            total += v
        cumulative, target = 0.0, u[out] * total
        for (k, hi, wi), v in zip(cells, values):
            cumulative += v
            if cumulative > target:
                y[out], where[out] = v, (hi, wi)
                break
    return y, where


@pytest.mark.parametrize("kernels", backend.KERNELS)
@given(data=st.data(), g=pool_geometry(max_kernel=4), seed=seeds)
def test_training_gradient_goes_to_the_sampled_location_only(kernels, data, g, seed):
    x = data.draw(sparse_non_negative(g.x_shape))
    grad = data.draw(uniform((g.n, g.c) + g.out_size))
    t = Tensor(x, requires_grad=True)
    with backend.use_kernels(kernels):
        y = F.stochastic_pool2d(t, g.kernel, g.stride, g.padding, rng=np.random.default_rng(seed))
    y.backward(grad)
    u = np.random.default_rng(seed).random(y.shape)  # the draws the op made: one per window
    y_expected, where = expected_samples(x, g.kernel, g.stride, g.padding, u)
    np.testing.assert_array_equal(y.data, y_expected)
    dx = np.zeros_like(x)
    for out, (hi, wi) in where.items():  # windows that sum to 0 are absent: no gradient
        dx[out[0], out[1], hi, wi] += grad[out]
    np.testing.assert_allclose(t.grad, dx, rtol=1e-12, atol=0)


# ---------------------------------------------------------------- evaluation

@pytest.mark.parametrize("kernels", backend.KERNELS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data(), g=pool_geometry(max_kernel=4))
def test_evaluation_equals_the_formula(kernels, dtype, data, g):
    x = data.draw(sparse_non_negative(g.x_shape)).astype(dtype)
    grad = data.draw(uniform((g.n, g.c) + g.out_size))
    t = Tensor(x, requires_grad=True)
    with backend.use_kernels(kernels):
        y = F.stochastic_pool2d(t, g.kernel, g.stride, g.padding, training=False)
    y.backward(grad.astype(dtype))
    assert y.dtype == dtype and t.grad.dtype == dtype
    y_expected, dx = np.zeros(y.shape), np.zeros(x.shape)
    for out, cells in windows(x.shape, g.kernel, g.stride, g.padding):
        a = np.array([x[out[0], out[1], hi, wi] for _, hi, wi in cells], dtype=np.float64)
        s, q = a.sum(), (a * a).sum()
        if s == 0:
            continue  # output 0, gradient 0
        y_expected[out] = ((a / s) * a).sum()  # sum_i p_i a_i
        for (_, hi, wi), aj in zip(cells, a):
            dx[out[0], out[1], hi, wi] += grad[out] * (2 * aj * s - q) / s ** 2
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(y.data, y_expected, **tol)
    np.testing.assert_allclose(t.grad, dx, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)


@pytest.mark.parametrize("kernels", backend.KERNELS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_windows_that_sum_to_zero_give_zero_and_no_gradient(kernels, training):
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[1.0, 2.0], [3.0, 4.0]]  # one live window of four
    t = Tensor(x, requires_grad=True)
    with backend.use_kernels(kernels):
        y = F.stochastic_pool2d(t, 2, training=training, rng=np.random.default_rng(0))
    y.backward(np.full(y.shape, 3.0))
    assert np.all(y.data[0, 0][[0, 0, 1], [0, 1, 0]] == 0) and y.data[0, 0, 1, 1] > 0
    assert np.all(t.grad.numpy()[0, 0, :2] == 0) and np.all(t.grad.numpy()[0, 0, :, :2] == 0)
    assert np.abs(t.grad.numpy()[0, 0, 2:, 2:]).sum() > 0


def test_padding_is_never_sampled():
    # Windows that are mostly padding: 1x1 images, kernel 3, padding 1.
    x = Tensor(np.full((5000, 1, 1, 1), 0.25), requires_grad=True)
    y = F.stochastic_pool2d(x, 3, padding=1, rng=np.random.default_rng(3))
    y.sum().backward()
    assert np.all(y.data == 0.25) and np.all(x.grad.numpy() == 1)
    assert np.all(F.stochastic_pool2d(x, 3, padding=1, training=False).data == 0.25)


# ---------------------------------------------------------------- seeding, devices, layer

@given(seed=seeds)
def test_same_seed_same_samples(seed):
    x = np.random.default_rng(1).uniform(0, 1, (4, 3, 8, 8))
    runs = []
    for kernels in backend.KERNELS:  # the reference kernels are also the GPU path (CuPy)
        with backend.use_kernels(kernels):
            runs.append(F.stochastic_pool2d(Tensor(x), 2, rng=np.random.default_rng(seed)).data)
            tc.manual_seed(seed)
            runs.append(F.stochastic_pool2d(Tensor(x), 2).data)
    for run in runs[1:]:
        np.testing.assert_array_equal(run, runs[0])
    other = F.stochastic_pool2d(Tensor(x), 2, rng=np.random.default_rng(seed + 1)).data
    assert not np.array_equal(other, runs[0])


def test_default_generator_advances_in_training_only():
    x = Tensor(np.random.default_rng(0).uniform(0, 1, (2, 2, 6, 6)))
    tc.manual_seed(5)
    first = F.stochastic_pool2d(x, 2).data
    assert not np.array_equal(F.stochastic_pool2d(x, 2).data, first)  # the generator moved on
    tc.manual_seed(5)
    F.stochastic_pool2d(x, 2, training=False)  # evaluation draws nothing
    np.testing.assert_array_equal(F.stochastic_pool2d(x, 2).data, first)


def test_layer_samples_in_training_and_weights_in_evaluation():
    x = Tensor(np.random.default_rng(0).uniform(0, 1, (2, 3, 8, 6)).astype(np.float32))
    layer = nn.StochasticPool2d(2, rng=np.random.default_rng(0))
    assert repr(layer) == "StochasticPool2d(kernel_size=2, stride=None, padding=0)"
    y = layer(x)
    assert y.shape == (2, 3, 4, 3) and y.dtype == np.float32
    assert np.all(np.isin(y.data, x.data))  # sampled activations
    np.testing.assert_array_equal(y.data, F.stochastic_pool2d(x, 2, rng=np.random.default_rng(0)).data)
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, F.stochastic_pool2d(x, 2, training=False).data)
    np.testing.assert_array_equal(layer(x).data, layer(x).data)  # deterministic
    assert nn.StochasticPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 8, 6)


def test_layer_trains_in_a_network():
    tc.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.StochasticPool2d(2),
                          nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    x = Tensor(np.random.default_rng(0).standard_normal((6, 1, 8, 8)).astype(np.float32))
    loss = F.softmax_cross_entropy(model(x), np.array([0, 1, 2, 0, 1, 2]))
    loss.backward()
    assert all(p.grad is not None and np.isfinite(p.grad).all() for p in model.parameters())


def test_plain_arrays_are_accepted():
    np.testing.assert_allclose(F.stochastic_pool2d(np.array([[[[1.0, 3.0]]]]), (1, 2), training=False).data,
                               [[[[2.5]]]])  # (1 + 9) / 4
    assert F.stochastic_pool2d(np.array([[[[0.0, 3.0]]]]), (1, 2)).data[0, 0, 0, 0] == 3.0


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_negative_input_is_rejected_inside_detect_anomaly(training):
    x = Tensor(np.array([[[[0.5, -0.25], [1.0, 2.0]]]]))
    with tc.detect_anomaly(), pytest.raises(ValueError, match=r"x: expected non-negative values .*ReLU.*got a minimum of -0\.25"):
        F.stochastic_pool2d(x, 2, training=training)
    assert F.stochastic_pool2d(x, 2, training=training).shape == (1, 1, 1, 1)  # outside: not read


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input_is_rejected_inside_detect_anomaly(bad):
    x = np.ones((1, 1, 2, 2))
    x[0, 0, 1, 1] = bad
    with tc.detect_anomaly(), pytest.raises(tc.NonFiniteError, match=r"x: expected finite values, got NaN or Inf"):
        F.stochastic_pool2d(Tensor(x), 2)
    assert F.stochastic_pool2d(Tensor(x), 2).shape == (1, 1, 1, 1)  # outside: not read


def test_bad_arguments_are_rejected():
    x = Tensor(np.ones((1, 1, 4, 4), dtype=np.float32))
    with pytest.raises(TypeError, match=r"x: expected a Tensor, an array or a number, got NoneType"):
        F.stochastic_pool2d(None, 2)
    with pytest.raises(TypeError, match=r"rng: expected a numpy.random.Generator or None, got int"):
        F.stochastic_pool2d(x, 2, rng=0)
    with pytest.raises(TypeError, match=r"x: expected a floating-point tensor.*int64"):
        F.stochastic_pool2d(Tensor(np.ones((1, 1, 4, 4), dtype=np.int64)), 2)
    with pytest.raises(ValueError, match=r"x: expected a 4-D tensor \(N, C, H, W\), got shape \(4, 4\)"):
        F.stochastic_pool2d(Tensor(np.ones((4, 4))), 2)
    with pytest.raises(ValueError, match=r"kernel_size: kernel height 5 is larger than the padded input height 4"):
        F.stochastic_pool2d(x, 5)
    with pytest.raises(ValueError, match=r"padding: expected at most half the kernel height \(1\), got 2"):
        F.stochastic_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"stride: expected values >= 1, got 0"):
        F.stochastic_pool2d(x, 2, stride=0)
