"""Fuzzing the public functional API: random shapes (empty batches, 1x1 images, empty axes),
options (valid and not), dtypes and values from tiny (subnormal) to huge.

Every call must either raise one of the documented errors (ValueError, TypeError,
RuntimeError; IndexError for an index out of range), with a message that starts with the name
of what is wrong, or return a correctly shaped result of the input's dtype whose forward values
and gradients are finite wherever no intermediate value can exceed the dtype's range. Each test
predicts independently which calls are invalid, so an op that refuses a valid call fails too.
"""
import math
import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinyconv as tc
from tinyconv import Tensor, functional as F

ERRORS = (ValueError, TypeError, RuntimeError)
NAMED = re.compile(r"^[A-Za-z_][\w\[\]'.]*(\(\))?: \S")
FAMILIES = ("normal", "zeros", "tiny", "big", "huge", "mixed")
DTYPES = (np.float32, np.float64)

fuzz = settings(max_examples=max(60, settings.default.max_examples), deadline=None)  # more with --hypothesis-profile=thorough


@pytest.fixture(autouse=True)
def quiet_numpy():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in the bounds and in NumPy itself
        yield


def make(shape, dtype, family, seed, positive=False):
    """Values of one magnitude family: normal (std 1), zeros, tiny (around the smallest normal
    number, subnormals included), big (about max^(1/4): products stay in range), huge (up to
    max / 2), mixed (every exponent from subnormal to huge)."""
    rng = np.random.default_rng(seed)
    info = np.finfo(dtype)
    if family == "zeros":
        v = np.zeros(shape)
    elif family == "normal":
        v = rng.standard_normal(shape)
    elif family == "tiny":
        v = rng.standard_normal(shape) * float(info.tiny) * 4
    elif family == "big":
        v = rng.standard_normal(shape) * float(info.max) ** 0.25
    elif family == "huge":
        v = rng.uniform(-0.5, 0.5, shape) * float(info.max)
    else:
        low, high = math.log10(float(info.smallest_subnormal)), math.log10(float(info.max) / 2)
        v = 10.0 ** rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)
    v = np.abs(v) if positive else v
    return v.astype(dtype)


@st.composite
def arrays(draw, shape, dtype=None, positive=False):
    dtype = draw(st.sampled_from(DTYPES)) if dtype is None else dtype
    return make(shape, dtype, draw(st.sampled_from(FAMILIES)), draw(st.integers(0, 2**32 - 1)), positive)


def limit(dtype):
    return float(np.finfo(dtype).max) / 16


def amax(*arrays):
    """The largest magnitude in ``arrays``, as a NumPy float64 (so that bounds overflow to inf)."""
    return np.float64(max([float(np.max(np.abs(a.astype(np.float64)))) if a.size else 0.0 for a in arrays]))


def check(call, inputs, shape, bound, errors=ERRORS):
    """Run ``call(*Tensors)``: ``shape`` None means the call is invalid and must raise one of
    ``errors`` with a named message; otherwise it must return ``shape`` in the dtype of the
    first input, and (when ``bound``, the largest magnitude any intermediate value can take,
    stays under the dtype's range) finite values and finite gradients of the float inputs."""
    tensors = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in inputs]
    if shape is None:
        with pytest.raises(errors) as info:
            call(*tensors)
        assert NAMED.match(str(info.value)), str(info.value)
        return
    out = call(*tensors)
    assert out.shape == tuple(shape), (out.shape, shape)
    dtype = inputs[0].dtype
    assert out.dtype == dtype
    finite = bound < limit(dtype)
    if finite:
        assert np.isfinite(out.data).all(), f"non-finite output with bound {bound:.3g}"
    if out.requires_grad:
        out.backward(np.ones(out.shape, dtype))
        for t in tensors:
            if t.requires_grad:
                assert t.grad is not None and t.grad.shape == t.shape and t.grad.dtype == t.dtype
                if finite:
                    assert np.isfinite(t.grad).all(), f"non-finite gradient with bound {bound:.3g}"


def out_size(size, kernel, stride, padding, dilation=1):
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


# ---------------------------------------------------------------- convolution and pooling

sizes = st.integers(-1, 4)          # a few invalid (0, -1) among the valid
paddings = st.integers(-1, 2)


@fuzz
@given(data=st.data())
def test_conv2d(data):
    n, c, o = data.draw(st.integers(0, 2)), data.draw(st.integers(1, 3)), data.draw(st.integers(0, 3))
    h, w = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    kh, kw = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    stride, padding, dilation = data.draw(sizes), data.draw(paddings), data.draw(st.integers(0, 2))
    wc = c if data.draw(st.integers(0, 9)) else c + 1            # channel mismatch
    rank = data.draw(st.sampled_from([4] * 9 + [3]))               # wrong rank
    dtype = data.draw(st.sampled_from(DTYPES))
    x = data.draw(arrays((n, c, h, w)[:rank], dtype))
    weight = data.draw(arrays((o, wc, kh, kw), dtype))
    bias = data.draw(st.none() | arrays((o,), dtype))
    oh = out_size(h, kh, max(stride, 1), max(padding, 0), max(dilation, 1))
    ow = out_size(w, kw, max(stride, 1), max(padding, 0), max(dilation, 1))
    valid = rank == 4 and wc == c and stride >= 1 and padding >= 0 and dilation >= 1 and oh >= 1 and ow >= 1 \
        and np.isfinite(x).all()
    bound = c * kh * kw * amax(x) * amax(weight) + amax(bias if bias is not None else np.zeros(0)) \
        + n * oh * ow * (amax(x) + amax(weight)) * max(o, 1)
    inputs = [x, weight] + ([] if bias is None else [bias])
    check(lambda *t: F.conv2d(*t, stride=stride, padding=padding, dilation=dilation), inputs,
          (n, o, oh, ow) if valid else None, bound)


@pytest.mark.parametrize("op", ["max", "avg", "stochastic-train", "stochastic-eval"])
@fuzz
@given(data=st.data())
def test_pooling(op, data):
    n, c = data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))
    h, w = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    kernel, stride, padding = data.draw(st.integers(0, 4)), data.draw(st.none() | sizes), data.draw(paddings)
    negative = op.startswith("stochastic") and data.draw(st.integers(0, 9)) == 0
    x = data.draw(arrays((n, c, h, w), positive=op.startswith("stochastic") and not negative))
    s = kernel if stride is None else stride
    oh, ow = (out_size(size, kernel, max(s, 1), max(padding, 0)) for size in (h, w))
    valid = kernel >= 1 and s >= 1 and 0 <= 2 * padding <= kernel and oh >= 1 and ow >= 1
    if negative:  # the sign is checked inside detect_anomaly() only
        negative = bool((x < 0).any())
        valid = valid and not negative
    fn = {"max": F.max_pool2d, "avg": F.avg_pool2d,
          "stochastic-train": lambda t, *a: F.stochastic_pool2d(t, *a, training=True),
          "stochastic-eval": lambda t, *a: F.stochastic_pool2d(t, *a, training=False)}[op]
    window = max(kernel, 1) ** 2
    bound = window * amax(x) ** (2 if op == "stochastic-eval" else 1) * 4
    if op == "stochastic-eval" and (x > 0).any():
        # The weighted pooling's gradient is computed as (g / S) * (2 a - y) with S the window's
        # sum, so 1 / S is an intermediate: a window summing to a subnormal number overflows it.
        bound += 1 / np.float64(x[x > 0].min())
    with tc.detect_anomaly(negative):
        check(lambda t: fn(t, kernel, stride, padding), [x], (n, c, oh, ow) if valid else None, bound)


# ---------------------------------------------------------------- dense layers and losses

@fuzz
@given(data=st.data())
def test_linear(data):
    n, i, o = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 4)), data.draw(st.integers(0, 3))
    wi = i if data.draw(st.integers(0, 9)) else i + 1
    dtype = data.draw(st.sampled_from(DTYPES))
    x, weight = data.draw(arrays((n, i), dtype)), data.draw(arrays((o, wi), dtype))
    bias = data.draw(st.none() | arrays((o,), dtype))
    bound = (i + 1) * amax(x) * amax(weight) + amax(bias if bias is not None else np.zeros(0)) \
        + (n + o + 1) * (amax(x) + amax(weight))
    inputs = [x, weight] + ([] if bias is None else [bias])
    check(F.linear, inputs, (n, o) if wi == i else None, bound)


@fuzz
@given(data=st.data())
def test_softmax_cross_entropy(data):
    n, k = data.draw(st.integers(0, 4)), data.draw(st.integers(0, 4))
    logits = data.draw(arrays((n, k)))
    labels = np.asarray(data.draw(st.lists(st.integers(-1, max(k, 1)), min_size=n, max_size=n)), dtype=np.int64)
    if data.draw(st.integers(0, 9)) == 0:
        labels = labels[:-1] if n else np.zeros(1, np.int64)
    in_range = bool(((labels >= 0) & (labels < k)).all())
    valid = n > 0 and k > 0 and labels.shape == (n,) and in_range
    bound = 4 * amax(logits) + k
    with tc.detect_anomaly(not in_range):  # the labels' range is checked inside detect_anomaly() only
        check(lambda t: F.softmax_cross_entropy(t, labels), [logits], () if valid else None, bound)


@fuzz
@given(data=st.data())
def test_mse_loss(data):
    shape = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple))
    dtype = data.draw(st.sampled_from(DTYPES))
    other = shape if data.draw(st.integers(0, 9)) else shape + (1,)
    x, target = data.draw(arrays(shape, dtype)), data.draw(arrays(other, dtype))
    valid = other == shape and int(np.prod(shape)) > 0
    bound = (amax(x) + amax(target)) ** 2 * max(int(np.prod(shape)), 1) * 4
    check(F.mse_loss, [x, target], () if valid else None, bound)


# ---------------------------------------------------------------- elementwise and reductions

def shapes(max_dims=3, max_side=3):
    return st.lists(st.integers(0, max_side), min_size=0, max_size=max_dims).map(tuple)


@pytest.mark.parametrize("op", ["sigmoid", "tanh", "relu", "leaky_relu", "exp", "log", "neg", "square", "sqrt",
                                "reciprocal"])
@fuzz
@given(data=st.data())
def test_elementwise(op, data):
    shape = data.draw(shapes())
    x = data.draw(arrays(shape, positive=op in ("log", "sqrt") and data.draw(st.booleans())))
    fn = {"sigmoid": F.sigmoid, "tanh": F.tanh, "relu": F.relu, "leaky_relu": lambda t: F.leaky_relu(t, 0.1),
          "exp": F.exp, "log": F.log, "neg": F.neg, "square": lambda t: t ** 2, "sqrt": lambda t: t ** 0.5,
          "reciprocal": lambda t: t ** -1}[op]
    m = amax(x)
    smallest = np.float64(np.min(np.abs(x)) if x.size else 1.0)
    bound = {"sigmoid": 1.0, "tanh": 1.0, "relu": m, "leaky_relu": m, "neg": m,
             "exp": np.exp(np.float64(x.max() if x.size else 0.0)),
             "log": math.inf if x.size and (x <= 0).any() else 1 / smallest + 800,
             "square": 4 * m * m, "sqrt": math.inf if x.size and (x <= 0).any() else 1 / np.sqrt(smallest) + m,
             "reciprocal": math.inf if smallest == 0 else 1 / smallest ** 2 + 1 / smallest}[op]
    check(fn, [x], shape, bound)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@fuzz
@given(data=st.data())
def test_softmax(op, data):
    shape = data.draw(shapes())
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    x = data.draw(arrays(shape))
    ndim = len(shape)
    valid = ndim >= 1 and -ndim <= axis < ndim
    if valid and shape[axis % ndim] == 0 and all(s for i, s in enumerate(shape) if i != axis % ndim):
        valid = False  # a softmax over nothing
    fn = F.softmax if op == "softmax" else F.log_softmax
    check(lambda t: fn(t, axis=axis), [x], shape if valid else None, 4 * amax(x) + 10)


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
@fuzz
@given(data=st.data())
def test_binary(op, data):
    a_shape, b_shape = data.draw(shapes()), data.draw(shapes())
    dtype = data.draw(st.sampled_from(DTYPES))
    a, b = data.draw(arrays(a_shape, dtype)), data.draw(arrays(b_shape, dtype))
    try:
        shape = np.broadcast_shapes(a_shape, b_shape)
    except ValueError:
        shape = None
    ma, mb = amax(a), amax(b)
    smallest = np.float64(np.min(np.abs(b)) if b.size else 1.0)
    big = float(np.prod(shape)) if shape is not None else 1.0  # gradients summed over broadcast axes
    bound = {"add": 2 * (ma + mb) + big, "sub": 2 * (ma + mb) + big, "mul": (ma + 1) * (mb + 1) * (big + 1),
             "div": math.inf if smallest == 0 else (ma + 1) / smallest ** 2 * (big + 1) + (ma + 1) / smallest}[op]
    check(getattr(F, op), [a, b], shape, bound)


@fuzz
@given(data=st.data())
def test_matmul(data):
    a_shape = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple))
    b_shape = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple))
    if data.draw(st.booleans()):  # mostly matching inner dimensions
        b_shape = ((a_shape[-1],) if len(b_shape) == 1 else b_shape[:-2] + (a_shape[-1], b_shape[-1]))
    dtype = data.draw(st.sampled_from(DTYPES))
    a, b = data.draw(arrays(a_shape, dtype)), data.draw(arrays(b_shape, dtype))
    inner = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    try:
        expected = np.matmul(np.zeros(a_shape), np.zeros(b_shape)).shape
    except ValueError:
        expected = None
    if a_shape[-1] != inner:
        expected = None
    bound = (max(a_shape + b_shape) + 1) ** 3 * (amax(a) + 1) * (amax(b) + 1)
    check(F.matmul, [a, b], expected, bound)


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
@fuzz
@given(data=st.data())
def test_reductions(op, data):
    shape = data.draw(shapes())
    ndim = len(shape)
    axis = data.draw(st.none() | st.integers(-ndim - 1, ndim) |
                     st.lists(st.integers(-ndim - 1, max(ndim, 1)), min_size=1, max_size=3).map(tuple))
    keepdims = data.draw(st.booleans())
    x = data.draw(arrays(shape))
    axes = (axis,) if isinstance(axis, int) else (tuple(range(ndim)) if axis is None else axis)
    bound_ = max(ndim, 1)
    valid = all(-bound_ <= a < bound_ for a in axes)
    if valid:
        axes = tuple(a % bound_ for a in axes)
        valid = len(set(axes)) == len(axes)
        axes = axes if ndim else ()
    expected = None
    if valid:
        reduced_empty = any(shape[a] == 0 for a in axes) and all(s for i, s in enumerate(shape) if i not in axes)
        if op in ("mean", "max") and reduced_empty and int(np.prod(shape)) == 0:
            valid = False
        expected = tuple(1 if i in axes else s for i, s in enumerate(shape)) if keepdims else \
            tuple(s for i, s in enumerate(shape) if i not in axes)
    bound = amax(x) * (max(int(np.prod(shape)), 1) + 1)
    reduce = F.amax if op == "max" else getattr(F, op)  # F.max(dim) is torch.max: one int dim
    check(lambda t: reduce(t, axis=axis, keepdims=keepdims), [x], expected if valid else None, bound)


# ---------------------------------------------------------------- shapes and randomness

@fuzz
@given(data=st.data())
def test_reshape_transpose_flatten(data):
    shape = data.draw(shapes())
    x = data.draw(arrays(shape))
    size = int(np.prod(shape))
    which = data.draw(st.sampled_from(["reshape", "transpose", "flatten"]))
    ndim = len(shape)
    if which == "reshape":
        target = data.draw(st.lists(st.integers(-2, 6), min_size=0, max_size=3).map(tuple))
        known = int(np.prod([s for s in target if s != -1]))
        ok = all(s >= -1 for s in target) and target.count(-1) <= 1 and \
            ((-1 not in target and known == size) or (-1 in target and known > 0 and size % known == 0))
        expected = tuple(size // known if s == -1 else s for s in target) if ok else None
        check(lambda t: F.reshape(t, target), [x], expected, amax(x))
    elif which == "transpose":
        axes = data.draw(st.permutations(range(ndim)).map(tuple) | st.lists(st.integers(-ndim - 1, ndim),
                                                                              max_size=ndim + 1).map(tuple))
        normal = [a % ndim if ndim and -ndim <= a < ndim else None for a in axes]
        ok = sorted(a for a in normal if a is not None) == list(range(ndim)) and None not in normal
        check(lambda t: F.permute(t, axes), [x], tuple(shape[a] for a in normal) if ok else None, amax(x))
    else:
        start, end = data.draw(st.integers(-ndim - 1, ndim)), data.draw(st.integers(-ndim - 1, ndim))
        b = max(ndim, 1)
        ok = -b <= start < b and -b <= end < b and (start % b) <= (end % b)
        if ok:
            s, e = start % b, end % b
            expected = (1,) if ndim == 0 else shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
        check(lambda t: F.flatten(t, start, end), [x], expected if ok else None, amax(x))


@fuzz
@given(data=st.data())
def test_concat_and_getitem(data):
    shape = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple))
    x = data.draw(arrays(shape))
    if data.draw(st.booleans()):
        axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
        other = list(shape)
        if data.draw(st.integers(0, 3)) == 0:
            other[0] += 1  # differs off the axis unless the axis is 0
        y = make(tuple(other), x.dtype, "normal", 0)
        ok = -len(shape) <= axis < len(shape)
        if ok:
            a = axis % len(shape)
            ok = all(o == s for i, (o, s) in enumerate(zip(other, shape)) if i != a)
        expected = tuple(s + o if i == axis % len(shape) else s for i, (s, o) in enumerate(zip(shape, other))) \
            if ok else None
        check(lambda p, q: F.concat([p, q], axis=axis), [x, y], expected, amax(x, y) + 10)
    else:
        index = data.draw(st.integers(-4, 4))
        ok = -shape[0] <= index < shape[0]
        check(lambda t: t[index], [x], shape[1:] if ok else None, amax(x) + 10, errors=(IndexError,))


@fuzz
@given(data=st.data())
def test_dropout(data):
    shape = data.draw(shapes())
    x = data.draw(arrays(shape))
    p = data.draw(st.sampled_from([0.0, 0.3, 0.9, 1.0, -0.1, float("nan")]))
    training = data.draw(st.booleans())
    valid = 0 <= p < 1
    check(lambda t: F.dropout(t, p, training=training, rng=np.random.default_rng(0)), [x],
          shape if valid else None, amax(x) / (1 - p) if valid else 0.0)


@fuzz
@given(data=st.data())
def test_non_finite_inputs_are_refused_where_documented(data):
    """Inside detect_anomaly(), conv2d, the cross-entropy and stochastic pooling refuse NaN and
    Inf with NonFiniteError; outside, conv2d's and the cross-entropy's output holds NaN or Inf
    (no per-op scan of the input; stochastic pooling documents its output as meaningless)."""
    bad = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    dtype = data.draw(st.sampled_from(DTYPES))
    x = make((2, 1, 4, 4), dtype, "normal", data.draw(st.integers(0, 99)))
    x[data.draw(st.integers(0, 1)), 0, data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))] = bad
    which = data.draw(st.sampled_from(["conv2d", "cross-entropy", "stochastic"]))
    op = {"conv2d": lambda: F.conv2d(Tensor(x), Tensor(np.ones((1, 1, 3, 3), dtype))),
          "cross-entropy": lambda: F.softmax_cross_entropy(Tensor(x.reshape(2, 16)), np.array([0, 1])),
          "stochastic": lambda: F.stochastic_pool2d(Tensor(np.abs(x)), 2, training=False)}[which]
    with tc.detect_anomaly(), pytest.raises(tc.NonFiniteError, match="x: expected finite values|input: expected finite values"):
        op()
    if which != "stochastic":
        assert not np.isfinite(op().data).all()
