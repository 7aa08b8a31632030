"""Forward passes against plain nested loops written from the definitions, the im2col/col2im
adjoint identity, numerical stability at extreme magnitudes, and dtype preservation."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinyconv import Tensor, functional as F
from tinyconv.kernels import reference as K
from strategies import conv_geometry, pool_geometry, uniform


# ---------------------------------------------------------------- loop oracles

def out_len(size, k, s, p, d):
    """Number of window positions i*s - p (i >= 0) whose last tap i*s - p + d*(k-1) stays within
    size + p - 1, counted one by one."""
    count = 0
    while count * s - p + d * (k - 1) <= size - 1 + p:
        count += 1
    return count


def conv2d_loops(x, w, b, stride, padding, dilation):
    """Direct cross-correlation: y[n, o, i, j] = b[o] + sum x[n, c, i*SH - PH + p*DH, j*SW - PW + q*DW] w[o, c, p, q]
    over taps inside the image (zero padding)."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = out_len(h, kh, stride[0], padding[0], dilation[0])
    ow = out_len(wd, kw, stride[1], padding[1], dilation[1])
    y = np.zeros((n, o, oh, ow))
    for bi in range(n):
        for f in range(o):
            for i in range(oh):
                for j in range(ow):
                    acc = 0.0 if b is None else b[f]
                    for ch in range(c):
                        for p in range(kh):
                            for q in range(kw):
                                r = i * stride[0] - padding[0] + p * dilation[0]
                                s = j * stride[1] - padding[1] + q * dilation[1]
                                if 0 <= r < h and 0 <= s < wd:
                                    acc += x[bi, ch, r, s] * w[f, ch, p, q]
                    y[bi, f, i, j] = acc
    return y


def pool_loops(x, kernel, stride, padding, mode):
    """Max (over the taps inside the image: padding acts as -inf) or average (sum of the taps
    inside the image over KH*KW: padded zeros count) of every window."""
    n, c, h, w = x.shape
    oh = out_len(h, kernel[0], stride[0], padding[0], 1)
    ow = out_len(w, kernel[1], stride[1], padding[1], 1)
    y = np.zeros((n, c, oh, ow))
    for bi in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    taps = [x[bi, ch, r, s]
                            for r in range(i * stride[0] - padding[0], i * stride[0] - padding[0] + kernel[0])
                            for s in range(j * stride[1] - padding[1], j * stride[1] - padding[1] + kernel[1])
                            if 0 <= r < h and 0 <= s < w]
                    y[bi, ch, i, j] = max(taps) if mode == "max" else sum(taps) / (kernel[0] * kernel[1])
    return y


# ---------------------------------------------------------------- convolution and pooling forward

@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=conv_geometry(), bias=st.booleans())
def test_conv2d_matches_direct_loops(data, g, bias):
    x, w = data.draw(uniform(g.x_shape)), data.draw(uniform(g.weight_shape))
    b = data.draw(uniform((g.o,))) if bias else None
    args = (Tensor(x), Tensor(w)) + ((Tensor(b),) if bias else ())
    y = F.conv2d(*args, stride=g.stride, padding=g.padding, dilation=g.dilation).data
    expected = conv2d_loops(x, w, b, g.stride, g.padding, g.dilation)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["max", "avg"])
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=pool_geometry(), negative=st.booleans())
def test_pooling_matches_loops(mode, data, g, negative):
    # All-negative inputs: a max window that is partly padding must not return a padded 0.
    x = data.draw(uniform(g.x_shape, -3.0, -1.0) if negative else uniform(g.x_shape, -2.0, 2.0))
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    y = pool(Tensor(x), g.kernel, g.stride, g.padding).data
    expected = pool_loops(x, g.kernel, g.stride, g.padding, mode)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_max_pool_pads_with_minus_infinity():
    x = -np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    y = F.max_pool2d(Tensor(x), 2, stride=2, padding=1).data
    np.testing.assert_array_equal(y[0, 0], [[-1, -2], [-4, -5]])


def test_avg_pool_counts_padding():
    x = np.ones((1, 1, 2, 2))
    y = F.avg_pool2d(Tensor(x), 2, stride=2, padding=1).data
    np.testing.assert_array_equal(y[0, 0], np.full((2, 2), 0.25))


def test_pooling_default_stride_is_kernel():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(F.max_pool2d(Tensor(x), 2).data[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(F.avg_pool2d(Tensor(x), 2).data[0, 0], [[2.5, 4.5], [10.5, 12.5]])


# ---------------------------------------------------------------- im2col / col2im kernels

@pytest.mark.parametrize("pad_value", [0.0, -np.inf])
@given(data=st.data(), g=conv_geometry())
def test_im2col_matches_definition(pad_value, data, g):
    x = data.draw(uniform(g.x_shape))
    col = K.im2col(x, g.kernel, g.stride, g.padding, g.dilation, pad_value)
    (n, c), (kh, kw), (oh, ow) = g.x_shape[:2], g.kernel, g.out_size
    assert col.shape == (c * kh * kw, n * oh * ow)
    col = col.reshape(c, kh, kw, n, oh, ow)
    (sh, sw), (ph, pw), (dh, dw) = g.stride, g.padding, g.dilation
    for p in range(kh):
        for q in range(kw):
            for i in range(oh):
                for j in range(ow):
                    r, s = i * sh - ph + p * dh, j * sw - pw + q * dw
                    inside = 0 <= r < g.h and 0 <= s < g.w
                    expected = x[:, :, r, s] if inside else np.full((n, c), pad_value)
                    np.testing.assert_array_equal(col[:, p, q, :, i, j], expected.T)


@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=conv_geometry())
def test_col2im_is_adjoint_of_im2col(data, g):
    (n, c), (kh, kw), (oh, ow) = g.x_shape[:2], g.kernel, g.out_size
    x = data.draw(uniform(g.x_shape))
    c_ = data.draw(uniform((c * kh * kw, n * oh * ow)))
    col = K.im2col(x, g.kernel, g.stride, g.padding, g.dilation)
    back = K.col2im(c_, g.x_shape, g.kernel, g.stride, g.padding, g.dilation)
    assert back.shape == x.shape
    lhs, rhs = float((col * c_).sum()), float((x * back).sum())
    assert math.isclose(lhs, rhs, rel_tol=1e-10, abs_tol=1e-10)


# ---------------------------------------------------------------- extreme magnitudes

def logsumexp64(row):
    m = max(row)
    return m + math.log(sum(math.exp(v - m) for v in row))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy_known_values_at_1e4(dtype):
    logits = np.array([[1e4, 0, -1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4], [0, 1e4, 0]], dtype=dtype)
    labels = np.array([0, 1, 2, 0])
    x = Tensor(logits, requires_grad=True)
    loss = F.softmax_cross_entropy(x, labels)
    assert loss.dtype == dtype
    expected = (0 + math.log(2) + math.log(3) + 1e4) / 4
    assert math.isclose(loss.item(), expected, rel_tol=1e-6)
    loss.backward()
    assert x.grad.dtype == dtype and np.isfinite(x.grad).all()
    expected_grad = np.array([[0, 0, 0], [0.5, -0.5, 0], [1 / 3, 1 / 3, -2 / 3], [-1, 1, 0]]) / 4
    np.testing.assert_allclose(x.grad, expected_grad, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(logits64=uniform((4, 5), -1e4, 1e4), labels=st.lists(st.integers(0, 4), min_size=4, max_size=4))
def test_softmax_cross_entropy_large_logits_by_logsumexp(dtype, logits64, labels):
    logits = logits64.astype(dtype)
    rows = logits.astype(np.float64).tolist()
    expected = sum(logsumexp64(r) - r[t] for r, t in zip(rows, labels)) / len(rows)
    x = Tensor(logits, requires_grad=True)
    loss = F.softmax_cross_entropy(x, np.array(labels))
    assert math.isclose(loss.item(), expected, rel_tol=1e-5 if dtype == np.float32 else 1e-12, abs_tol=1e-3)
    loss.backward()
    grad = np.array([[math.exp(v - logsumexp64(r)) for v in r] for r in rows])
    grad[np.arange(4), labels] -= 1
    assert np.isfinite(x.grad).all()
    np.testing.assert_allclose(x.grad, grad / 4, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_and_log_softmax_at_1e4(dtype):
    x = Tensor(np.array([[1e4, 0, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p, logp = F.softmax(x, axis=1), F.log_softmax(x, axis=1)
        (p * Tensor(np.array([[1.0, 2.0, 3.0]], dtype=dtype)) + logp).sum().backward()
    assert p.dtype == logp.dtype == x.grad.dtype == dtype
    np.testing.assert_allclose(p.data, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    np.testing.assert_allclose(logp.data, [[0, -1e4, -2e4], [-math.log(3)] * 3], rtol=1e-6)
    assert np.isfinite(x.grad).all()


def test_sigmoid_float32_at_1e4():
    x = Tensor(np.array([-1e4, -1e3, 0.0, 1e3, 1e4], dtype=np.float32), requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = F.sigmoid(x)
        y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_array_equal(y.data, [0, 0, 0.5, 1, 1])
    np.testing.assert_array_equal(x.grad, [0, 0, 0.25, 0, 0])


@pytest.mark.parametrize("dtype, limit, rtol", [(np.float32, 80, 4e-7), (np.float64, 700, 1e-15)])
def test_sigmoid_relative_precision_in_both_tails(dtype, limit, rtol):
    # Where the sigmoid is a normal number it should be as precise as the dtype, e.g.
    # sigmoid(-20) = 2.06e-9 in float32, not 0 (which 0.5 * (1 + tanh(x / 2)) returns).
    x = np.linspace(-limit, limit, 2001).astype(dtype)
    y = F.sigmoid(Tensor(x)).data
    expected = np.array([1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))
                         for v in x.astype(np.float64)])
    np.testing.assert_allclose(y, expected, rtol=rtol, atol=0)


# ---------------------------------------------------------------- dtypes

@given(data=st.data(), g=conv_geometry(), bias=st.booleans())
def test_conv2d_float32_matches_float64(data, g, bias):
    inputs = [data.draw(uniform(g.x_shape)), data.draw(uniform(g.weight_shape))]
    if bias:
        inputs.append(data.draw(uniform((g.o,))))
    results = {}
    for dtype in (np.float32, np.float64):
        ts = [Tensor(a.astype(dtype), requires_grad=True) for a in inputs]
        y = F.conv2d(*ts, stride=g.stride, padding=g.padding, dilation=g.dilation)
        (y * Tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape).astype(dtype))).sum().backward()
        assert y.dtype == dtype and all(t.grad.dtype == dtype for t in ts)
        results[dtype] = [y.data] + [t.grad for t in ts]
    for a32, a64 in zip(results[np.float32], results[np.float64]):
        np.testing.assert_allclose(a32, a64, rtol=1e-5, atol=1e-5)


def _x(shape=(2, 3)):
    return np.random.default_rng(0).uniform(0.5, 1.5, shape)


LABELS = np.array([0, 2])
# name -> (fn taking float32 Tensors, float64 input arrays); every op keeps float32 throughout.
OPS = {
    "mul_int": (lambda t: t * 2, [_x()]),
    "rmul_int": (lambda t: 2 * t, [_x()]),
    "add_float": (lambda t: t + 1.5, [_x()]),
    "rsub_float": (lambda t: 1.0 - t, [_x()]),
    "div_int": (lambda t: t / 3, [_x()]),
    "rdiv_float": (lambda t: 0.5 / t, [_x()]),
    "mul_np_float32_scalar": (lambda t: np.float32(2) * t, [_x()]),
    "pow_int": (lambda t: t ** 2, [_x()]),
    "pow_float": (lambda t: t ** 0.5, [_x()]),
    "add_broadcast": (lambda a, b: a + b, [_x((2, 3)), _x((3,))]),
    "sub": (lambda a, b: a - b, [_x(), _x()]),
    "div": (lambda a, b: a / b, [_x(), _x()]),
    "neg": (lambda t: -t, [_x()]),
    "matmul": (lambda a, b: a @ b, [_x((2, 3)), _x((3, 4))]),
    "exp": (F.exp, [_x()]),
    "log": (F.log, [_x()]),
    "sum": (lambda t: t.sum(axis=1), [_x()]),
    "mean": (lambda t: t.mean(), [_x()]),
    "mean_axis": (lambda t: t.mean(axis=0, keepdims=True), [_x()]),
    "max": (lambda t: t.max(axis=1).values + t.amax(1), [_x()]),
    "reshape": (lambda t: t.reshape(3, 2), [_x()]),
    "transpose": (lambda t: t.T, [_x()]),
    "flatten": (lambda t: t.flatten(), [_x()]),
    "getitem": (lambda t: t[np.array([1, 1, 0])], [_x()]),
    "concat": (lambda a, b: F.concat([a, b], axis=1), [_x(), _x()]),
    "sigmoid": (F.sigmoid, [_x()]),
    "tanh": (F.tanh, [_x()]),
    "relu": (F.relu, [_x() - 1]),
    "leaky_relu": (F.leaky_relu, [_x() - 1]),
    "softmax": (lambda t: F.softmax(t, dim=1), [_x()]),
    "log_softmax": (lambda t: F.log_softmax(t, dim=-1), [_x()]),
    "softmax_cross_entropy": (lambda t: F.softmax_cross_entropy(t, LABELS), [_x()]),
    "mse_loss": (F.mse_loss, [_x(), _x()]),
    "multi_margin_loss": (lambda t: F.multi_margin_loss(t, LABELS), [_x()]),
    "crammer_singer_loss": (lambda t: F.crammer_singer_loss(t, LABELS), [_x()]),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, [_x() - 1, _x() - 0.5]),
    "linear": (F.linear, [_x((2, 3)), _x((4, 3)), _x((4,))]),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, padding=1), [_x((2, 2, 5, 5)), _x((3, 2, 3, 3)), _x((3,))]),
    "max_pool2d": (lambda t: F.max_pool2d(t, 2, padding=1), [_x((1, 2, 5, 5))]),
    "avg_pool2d": (lambda t: F.avg_pool2d(t, 3, stride=2, padding=1), [_x((1, 2, 5, 5))]),
    "dropout": (lambda t: F.dropout(t, 0.5, rng=np.random.default_rng(0)), [_x()]),
    "stochastic_pool2d": (lambda t: F.stochastic_pool2d(t, 2, padding=1, rng=np.random.default_rng(0)), [_x((1, 2, 5, 5))]),
    "stochastic_pool2d_eval": (lambda t: F.stochastic_pool2d(t, 3, stride=2, padding=1, training=False), [_x((1, 2, 5, 5))]),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_float32_stays_float32(name):
    fn, arrays = OPS[name]
    ts = [Tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    y = fn(*ts)
    assert y.dtype == np.float32, f"{name} returned {y.dtype}"
    y.sum().backward()
    for i, t in enumerate(ts):
        assert t.grad is not None and t.grad.dtype == np.float32, f"{name}: gradient of input {i} is {t.grad.dtype}"
