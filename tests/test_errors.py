"""Bad input fails early with an error that names the argument, what was expected and what came."""
import re

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, nn
from tinyconv import functional as F


def floats(*shape, dtype=np.float32):
    return Tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype))


def ints(*shape):
    return Tensor(np.ones(shape, dtype=np.int64))


X = floats(2, 3, 8, 8)
W = floats(4, 3, 3, 3)


# ---------------------------------------------------------------- conv2d

def test_conv2d_weight_channel_mismatch():
    with pytest.raises(ValueError, match=r"weight: expected 3 input channels.*\(2, 3, 8, 8\).*\(4, 5, 3, 3\)"):
        F.conv2d(X, floats(4, 5, 3, 3))


def test_conv2d_kernel_larger_than_padded_input():
    with pytest.raises(ValueError, match=r"weight: kernel height 9 .*larger than the padded input height 8"):
        F.conv2d(X, floats(4, 3, 9, 3))
    with pytest.raises(ValueError, match=r"kernel width 11 .*padded input width 10"):
        F.conv2d(X, floats(4, 3, 3, 11), padding=1)
    with pytest.raises(ValueError, match=r"kernel height 5 \(dilation 3\)"):
        F.conv2d(X, floats(4, 3, 5, 1), dilation=3)  # dilated extent 13 > 8
    assert F.conv2d(X, floats(4, 3, 10, 10), padding=1).shape == (2, 4, 1, 1)  # exactly fits


@pytest.mark.parametrize("x, w, match", [
    (floats(3, 8, 8), W, r"x: expected a 4-D tensor \(N, C, H, W\), got shape \(3, 8, 8\)"),
    (floats(1, 2, 3, 8, 8), W, r"x: expected a 4-D tensor.*\(1, 2, 3, 8, 8\)"),
    (X, floats(4, 3, 3), r"weight: expected a 4-D tensor \(O, C, KH, KW\), got shape \(4, 3, 3\)"),
])
def test_conv2d_wrong_ranks(x, w, match):
    with pytest.raises(ValueError, match=match):
        F.conv2d(x, w)


@pytest.mark.parametrize("bias", [floats(3), floats(4, 1), floats(5)])
def test_conv2d_bias_wrong_shape(bias):
    with pytest.raises(ValueError, match=r"bias: expected shape \(4,\), got " + re.escape(str(tuple(bias.shape)))):
        F.conv2d(X, W, bias)


@pytest.mark.parametrize("kw, match", [
    (dict(padding=-1), r"padding: expected values >= 0, got -1"),
    (dict(padding=(0, -2)), r"padding: expected values >= 0, got \(0, -2\)"),
    (dict(stride=0), r"stride: expected values >= 1, got 0"),
    (dict(stride=(1, 0)), r"stride: expected values >= 1"),
    (dict(dilation=0), r"dilation: expected values >= 1, got 0"),
    (dict(padding="full"), r"padding: expected an int, a pair, 'valid' or 'same', got 'full'"),
])
def test_conv2d_bad_sizes_raise_value_error(kw, match):
    with pytest.raises(ValueError, match=match):
        F.conv2d(X, W, **kw)


@pytest.mark.parametrize("kw, match", [
    (dict(stride=1.0), r"stride: expected an int or a pair of ints, got 1\.0"),
    (dict(stride=(1, 2.5)), r"stride: expected an int or a pair of ints"),
    (dict(padding=1.5), r"padding: expected an int or a pair of ints, got 1\.5"),
    (dict(stride=(1, 1, 1)), r"stride: expected an int or a pair"),
    (dict(dilation=True), r"dilation"),
])
def test_conv2d_bad_size_types_raise_type_error(kw, match):
    with pytest.raises(TypeError, match=match):
        F.conv2d(X, W, **kw)


def test_conv2d_integer_input_or_weight():
    with pytest.raises(TypeError, match=r"x: expected a floating-point tensor.*got dtype int64"):
        F.conv2d(ints(2, 3, 8, 8), W)
    with pytest.raises(TypeError, match=r"weight: expected dtype float32 like x, got int64"):
        F.conv2d(X, ints(4, 3, 3, 3))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_conv2d_non_finite_input_inside_detect_anomaly(bad):
    data = X.data.copy()
    data[1, 2, 3, 4] = bad
    with tc.detect_anomaly(), pytest.raises(ValueError, match="x: expected finite values, got NaN or Inf"):
        F.conv2d(Tensor(data), W)
    assert not np.isfinite(F.conv2d(Tensor(data), W).data[1]).all()  # outside: propagates, as in PyTorch


def test_conv2d_layer_reports_through_the_same_checks():
    with pytest.raises(ValueError, match="input channels"):
        nn.Conv2d(1, 4, 3)(X)
    with pytest.raises(ValueError, match="kernel_size: expected values >= 1"):
        nn.Conv2d(3, 4, 0)


# ---------------------------------------------------------------- pooling

@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d], ids=["max", "avg"])
def test_pool_kernel_larger_than_input(pool):
    x = floats(1, 2, 4, 6)
    with pytest.raises(ValueError, match=r"kernel_size: kernel height 5 is larger than the padded input height 4"):
        pool(x, 5)
    with pytest.raises(ValueError, match=r"kernel width 7 is larger than the padded input width 6"):
        pool(x, (2, 7))


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d], ids=["max", "avg"])
def test_pool_padding_more_than_half_the_kernel(pool):
    x = floats(1, 2, 8, 8)
    with pytest.raises(ValueError, match=r"padding: expected at most half the kernel height \(1\), got 2"):
        pool(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"padding: expected at most half the kernel width \(1\), got 2"):
        pool(x, 2, padding=(1, 2))
    assert pool(x, 2, padding=1).shape == (1, 2, 5, 5)  # exactly half is allowed


@pytest.mark.parametrize("pool", [F.max_pool2d, F.avg_pool2d], ids=["max", "avg"])
def test_pool_bad_arguments(pool):
    with pytest.raises(ValueError, match=r"x: expected a 4-D tensor \(N, C, H, W\), got shape \(2, 8, 8\)"):
        pool(floats(2, 8, 8), 2)
    with pytest.raises(TypeError, match=r"x: expected a floating-point tensor.*int64"):
        pool(ints(1, 1, 4, 4), 2)
    with pytest.raises(ValueError, match=r"kernel_size: expected values >= 1, got 0"):
        pool(floats(1, 1, 4, 4), 0)
    with pytest.raises(ValueError, match=r"stride: expected values >= 1, got 0"):
        pool(floats(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(TypeError, match=r"stride: expected an int or a pair of ints, got 2\.0"):
        pool(floats(1, 1, 4, 4), 2, stride=2.0)
    with pytest.raises(ValueError, match=r"padding: expected values >= 0, got -1"):
        pool(floats(1, 1, 4, 4), 2, padding=-1)


# ---------------------------------------------------------------- losses

LOGITS = floats(4, 3)


@pytest.mark.parametrize("labels, shown", [
    (np.array([0, 1, 3, 2]), r"\[3, 3\]"),
    (np.array([0, -1, 2, 2]), r"\[-1, -1\]"),
])
def test_cross_entropy_labels_out_of_range(labels, shown):
    with pytest.raises(ValueError, match=r"target: expected class indices in \[0, 3\) or ignore_index=-100, got values in " + shown):
        F.softmax_cross_entropy(LOGITS, labels)  # on the CPU always, as PyTorch raises there


@pytest.mark.parametrize("labels", [np.array([0.0, 1.0, 2.0, 1.0]), Tensor([0.0, 1.0, 2.0, 1.0])])
def test_cross_entropy_float_labels(labels):
    # float targets are class probabilities (PyTorch's meaning), so they must have the logits' shape
    with pytest.raises(ValueError, match=r"target: expected shape \(4, 3\) like input, got \(4,\)"):
        F.softmax_cross_entropy(LOGITS, labels)


@pytest.mark.parametrize("labels, shape", [
    (np.zeros(3, dtype=np.int64), r"\(3,\)"),
    (np.zeros((4, 1), dtype=np.int64), r"\(4, 1\)"),
    (np.zeros((4, 3), dtype=np.int64), r"\(4, 3\)"),
])
def test_cross_entropy_wrong_label_shape(labels, shape):
    with pytest.raises(ValueError, match=r"target: expected shape \(4,\) matching input \(4, 3\), got " + shape):
        F.softmax_cross_entropy(LOGITS, labels)


def test_cross_entropy_bad_logits():
    labels = np.array([0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"target: expected shape \(\) matching input \(4,\)"):
        F.softmax_cross_entropy(floats(4), labels)
    with pytest.raises(TypeError, match=r"input: expected a floating-point tensor.*int64"):
        F.softmax_cross_entropy(ints(4, 3), labels)
    data = LOGITS.data.copy()
    data[2, 1] = np.nan
    with tc.detect_anomaly(), pytest.raises(ValueError, match="input: expected finite values, got NaN or Inf"):
        F.softmax_cross_entropy(Tensor(data), labels)
    assert np.isnan(F.softmax_cross_entropy(Tensor(data), labels).data)  # outside: propagates
    with pytest.raises(ValueError, match="'mean' over no element"):
        F.softmax_cross_entropy(floats(0, 3), np.zeros(0, dtype=np.int64))


def test_mse_loss_shape_and_dtype():
    with pytest.raises(ValueError, match=r"target: expected shape \(4, 3\) like input, got \(3, 4\)"):
        F.mse_loss(LOGITS, floats(3, 4))
    with pytest.raises(TypeError, match=r"input: expected a floating-point tensor"):
        F.mse_loss(ints(2), ints(2))


# ---------------------------------------------------------------- integer input where floats are needed

@pytest.mark.parametrize("fn", [F.sigmoid, F.tanh, F.softmax, F.log_softmax, F.leaky_relu,
                                lambda x: F.dropout(x, 0.5), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU()],
                         ids=["sigmoid", "tanh", "softmax", "log_softmax", "leaky_relu", "dropout",
                              "Sigmoid", "Tanh", "LeakyReLU"])
def test_integer_input_to_float_ops(fn):
    with pytest.raises(TypeError, match=r"x: expected a floating-point tensor \(float32 or float64\), got dtype int64"):
        fn(ints(2, 3))


def test_integer_input_to_linear():
    with pytest.raises(TypeError, match=r"x: expected a floating-point tensor.*int64"):
        F.linear(ints(2, 3), floats(4, 3))
    with pytest.raises(TypeError, match=r"weight: expected dtype float32 like x, got int64"):
        F.linear(floats(2, 3), ints(4, 3))
    with pytest.raises(TypeError, match="int64"):
        nn.Linear(3, 4)(ints(2, 3))


def test_float_ops_accept_python_floats():
    np.testing.assert_allclose(F.sigmoid([0.0]).data, [0.5])
    np.testing.assert_allclose(F.tanh(Tensor([0.0])).data, [0.0])


# ---------------------------------------------------------------- linear, reshape, matmul, shapes

def test_linear_feature_mismatch():
    with pytest.raises(ValueError, match=r"x: expected 3 features to match weight \(4, 3\), got shape \(2, 5\)"):
        F.linear(floats(2, 5), floats(4, 3))
    with pytest.raises(ValueError, match=r"x: expected 10 features.*got shape \(2, 5\)"):
        nn.Linear(10, 4)(floats(2, 5))


def test_linear_wrong_ranks_and_bias():
    with pytest.raises(ValueError, match=r"x: expected a 2-D tensor \(N, in_features\), got shape \(2, 3, 4\)"):
        F.linear(floats(2, 3, 4), floats(4, 3))
    with pytest.raises(ValueError, match=r"weight: expected a 2-D tensor \(out_features, in_features\), got shape \(3,\)"):
        F.linear(floats(2, 3), floats(3))
    with pytest.raises(ValueError, match=r"bias: expected shape \(4,\), got \(3,\)"):
        F.linear(floats(2, 3), floats(4, 3), floats(3))


@pytest.mark.parametrize("shape", [(4,), (5, -1), (2, 2), (-1, -1), (7, 1)])
def test_reshape_to_an_incompatible_shape(shape):
    x = floats(2, 3)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into"):
        x.reshape(shape)


def test_reshape_error_names_the_target_shape():
    with pytest.raises(ValueError, match=r"into \(4, 2\)"):
        F.reshape(floats(2, 3), (4, 2))


@pytest.mark.parametrize("a, b, shown", [
    ((2, 3), (4, 5), r"\(2, 3\) and \(4, 5\)"),
    ((3,), (4,), r"\(3,\) and \(4,\)"),
    ((2, 3), (2,), r"\(2, 3\) and \(2,\)"),
    ((5, 2, 3), (2, 3), r"\(5, 2, 3\) and \(2, 3\)"),
])
def test_matmul_inner_dimension_mismatch(a, b, shown):
    with pytest.raises(ValueError, match=r"matmul: inner dimensions must match, got shapes " + shown):
        floats(*a) @ floats(*b)


def test_matmul_of_a_scalar():
    with pytest.raises(ValueError, match="at least 1 dimension"):
        F.matmul(Tensor(2.0), floats(2, 2))


def test_transpose_and_concat_errors():
    with pytest.raises(ValueError, match=r"dims: expected a permutation of range\(3\), got \(0, 0, 1\)"):
        floats(2, 3, 4).permute(0, 0, 1)
    with pytest.raises(ValueError, match=r"cat: shapes must match except along dim 0, got \[\(2, 3\), \(2, 4\)\]"):
        F.concat([floats(2, 3), floats(2, 4)])
    with pytest.raises(ValueError, match="tensors: expected at least one tensor"):
        F.concat([])


def test_reduction_axis_out_of_range():
    with pytest.raises(ValueError, match=r"dim: expected values in \[-2, 2\), got 2"):
        floats(2, 3).sum(axis=2)


def test_pow_exponent_type():
    with pytest.raises(TypeError, match="exponent: expected a Python int or float, got Tensor"):
        floats(2) ** floats(2)


# ---------------------------------------------------------------- dropout, randomness

@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, float("nan")])
def test_dropout_p_outside_unit_interval(p):
    shown = "nan" if p != p else repr(p)
    with pytest.raises(ValueError, match=r"p: expected a probability in \[0, 1\), got " + shown):
        F.dropout(floats(3, 3), p)
    with pytest.raises(ValueError, match=r"p: expected a probability in \[0, 1\)"):
        nn.Dropout(p)


def test_dropout_bad_rng():
    with pytest.raises(TypeError, match="rng: expected a numpy.random.Generator or None, got int"):
        F.dropout(floats(3, 3), 0.5, rng=42)


@pytest.mark.parametrize("op", ["conv2d", "linear"])
def test_weight_and_bias_dtype_must_match_input(op):
    x = np.zeros((2, 3, 5, 5) if op == "conv2d" else (2, 3), np.float32)
    w = np.zeros((4, 3, 3, 3) if op == "conv2d" else (4, 3), np.float64)
    fn = getattr(F, op)
    with pytest.raises(TypeError, match=r"weight: expected dtype float32 like x, got float64"):
        fn(Tensor(x), Tensor(w))
    with pytest.raises(TypeError, match=r"bias: expected dtype float32 like x, got float64"):
        fn(Tensor(x), Tensor(w.astype(np.float32)), Tensor(np.zeros(4)))


# ---------------------------------------------------------------- the whole public API, reviewed

def _leaf(*shape):
    return Tensor(np.ones(shape, np.float32), requires_grad=True)


def _backward_twice():
    y = (_leaf(2) * 2).sum()
    y.backward()
    y.backward()


REVIEW = [
    # Tensor construction and backward
    ("Tensor of a string", lambda: Tensor("abc"), TypeError,
     r"data: expected numbers \(bool, int, float or complex\), got str"),
    ("Tensor of None", lambda: Tensor(None), TypeError, r"data: expected numbers .*got NoneType"),
    ("Tensor of ragged lists", lambda: Tensor([[1, 2], [3]]), ValueError,
     r"data: expected nested lists of equal lengths \(a rectangular array\), got ragged ones"),
    ("non-scalar backward without grad", lambda: (_leaf(2) * 2).backward(), RuntimeError,
     r"backward\(\): grad can be omitted only for a tensor with one element, got shape \(2,\)"),
    ("backward twice", _backward_twice, RuntimeError,
     r"backward\(\): the graph through <Sum> was freed by an earlier backward; pass retain_graph=True"),
    ("backward grad of a string", lambda: (_leaf(2) * 2).backward("ab"), TypeError,
     r"grad: expected an array of numbers shaped \(2,\), got str"),
    ("backward grad of the wrong shape", lambda: (_leaf(2) * 2).backward(np.ones(3)), ValueError,
     r"backward\(\): grad must have shape \(2,\), got \(3,\)"),
    # arithmetic
    ("shapes that do not broadcast", lambda: floats(2, 3) + floats(4), ValueError,
     r"add: shapes \(2, 3\) and \(4,\) do not broadcast"),
    ("adding None", lambda: floats(2) + None, TypeError, r"b: expected a Tensor, an array or a number, got NoneType"),
    ("multiplying a string", lambda: "a" * floats(2), TypeError, r"a: expected a Tensor, an array or a number, got str"),
    ("matmul with None", lambda: F.matmul(floats(2, 2), None), TypeError, r"b: expected a Tensor"),
    ("float axis", lambda: floats(2, 3).sum(axis=1.5), TypeError,
     r"dim: expected an int, a tuple of ints or None, got 1\.5"),
    ("repeated axis", lambda: floats(2, 3).sum(axis=(0, 0)), ValueError, r"dim: expected distinct axes, got \(0, 0\)"),
    ("mean of nothing", lambda: floats(0, 3).mean(), ValueError,
     r"mean: expected at least one element to average over dim None, got shape \(0, 3\)"),
    ("max of nothing", lambda: floats(0, 3).max(axis=0), ValueError,
     r"max: expected a non-empty dim 0, got shape \(0, 3\)"),
    # shapes
    ("reshape with floats", lambda: floats(2, 3).reshape(2.0, 3), TypeError, r"shape: expected a tuple of ints, got \(2\.0, 3\)"),
    ("reshape with -2", lambda: floats(2, 3).reshape(-2, -3), ValueError, r"expected sizes >= 0 and at most one -1"),
    ("flatten start_dim out of range", lambda: floats(2, 3, 4).flatten(5), ValueError,
     r"start_dim: expected values in \[-3, 3\), got 5 \(the tensor is 3-D\)"),
    ("index out of range", lambda: floats(2, 3)[5], IndexError,
     r"index: index 5 is out of bounds for axis 0 with size 2 \(a tensor of shape \(2, 3\)\)"),
    ("float index", lambda: floats(2, 3)[1.5], TypeError,
     r"index: expected ints, slices, None, Ellipsis or integer/boolean arrays, got float 1\.5"),
    ("concat along a missing axis", lambda: F.concat([floats(2, 3), floats(2, 3)], axis=5), ValueError,
     r"dim: expected values in \[-2, 2\), got 5"),
    ("concat of mixed dtypes", lambda: F.concat([floats(2, 3), floats(2, 3, dtype=np.float64)]), TypeError,
     r"tensors\[1\]: expected dtype float32 like tensors\[0\], got float64"),
    ("concat of one tensor", lambda: F.concat(floats(2, 3)), TypeError,
     r"tensors: expected a list or tuple of tensors, got Tensor"),
    # activations
    ("softmax axis out of range", lambda: F.softmax(floats(2, 3), axis=3), ValueError,
     r"dim: expected values in \[-2, 2\), got 3"),
    ("softmax over an empty axis", lambda: F.log_softmax(floats(3, 0), dim=-1), ValueError,
     r"x: expected at least one element along dim 1, got shape \(3, 0\)"),
    ("relu of None", lambda: F.relu(None), TypeError, r"x: expected a Tensor, an array or a number, got NoneType"),
    ("leaky_relu slope of a string", lambda: F.leaky_relu(floats(2), "a"), TypeError,
     r"negative_slope: expected a finite number, got str 'a'"),
    ("float16 input", lambda: F.sigmoid(floats(2, dtype=np.float16)), TypeError,
     r"x: expected a floating-point tensor \(float32 or float64\), got dtype float16"),
    # layers' functional ops
    ("conv2d of None", lambda: F.conv2d(None, W), TypeError, r"x: expected a Tensor, an array or a number, got NoneType"),
    ("conv2d of float16", lambda: F.conv2d(floats(2, 3, 8, 8, dtype=np.float16), W), TypeError,
     r"x: expected a floating-point tensor \(float32 or float64\), got dtype float16"),
    ("max_pool2d of None", lambda: F.max_pool2d(None, 2), TypeError, r"x: expected a Tensor"),
    ("linear of None", lambda: F.linear(None, floats(4, 3)), TypeError, r"x: expected a Tensor"),
    ("dropout p of a string", lambda: F.dropout(floats(2), "a"), TypeError,
     r"p: expected a probability in \[0, 1\), got str 'a'"),
    # losses
    ("cross-entropy with no classes", lambda: F.softmax_cross_entropy(floats(2, 0), np.array([0, 0])), ValueError,
     r"input: expected at least one class \(C >= 1\), got shape \(2, 0\)"),
    ("cross-entropy labels None", lambda: F.softmax_cross_entropy(floats(2, 3), None), TypeError,
     r"target: expected a Tensor, an array or a number, got NoneType"),
    ("mse target of another dtype", lambda: F.mse_loss(floats(2), ints(2)), TypeError,
     r"target: expected dtype float32 like input, got int64"),
    ("mse of nothing", lambda: F.mse_loss(floats(0), floats(0)), ValueError, r"reduction: 'mean' over no element"),
    # layers
    ("Linear with 0 inputs", lambda: nn.Linear(0, 4), ValueError, r"in_features: expected a positive int, got 0"),
    ("Linear with 2.5 inputs", lambda: nn.Linear(2.5, 4), TypeError, r"in_features: expected a positive int, got float 2\.5"),
    ("Linear of int64", lambda: nn.Linear(3, 4, dtype=np.int64), TypeError, r"dtype: expected float32 or float64, got int64"),
    ("Conv2d with 0 channels", lambda: nn.Conv2d(0, 4, 3), ValueError, r"in_channels: expected a positive int, got 0"),
    ("Conv2d with stride 0", lambda: nn.Conv2d(1, 4, 3, stride=0), ValueError, r"stride: expected values >= 1, got 0"),
    ("MaxPool2d of size 0", lambda: nn.MaxPool2d(0), ValueError, r"kernel_size: expected values >= 1, got 0"),
    ("AvgPool2d padding over half", lambda: nn.AvgPool2d(2, padding=2), ValueError,
     r"padding: expected at most half the kernel height \(1\), got 2"),
    ("LeakyReLU slope of a string", lambda: nn.LeakyReLU("a"), TypeError, r"negative_slope: expected a finite number"),
    ("Dropout p of a string", lambda: nn.Dropout("a"), TypeError, r"p: expected a probability in \[0, 1\), got str"),
    ("Flatten at 1.5", lambda: nn.Flatten(1.5), TypeError, r"start_dim: expected an int, got float 1\.5"),
    ("load_state_dict of a list", lambda: nn.Linear(2, 2).load_state_dict([1]), TypeError,
     r"state_dict: expected a dict of arrays \(name -> array\), got list"),
    # optimizers, data, gradcheck
    ("optimizer given the model", lambda: tc.optim.SGD(nn.Linear(2, 2), lr=0.1), TypeError,
     r"params: expected an iterable of Parameters \(e\.g\. model\.parameters\(\)\), got the Linear module itself"),
    ("optimizer given arrays", lambda: tc.optim.SGD([np.zeros(2)], lr=0.1), TypeError,
     r"params\[0\]: expected a Parameter \(a Tensor\), got ndarray"),
    ("lr of a string", lambda: tc.optim.Adam(nn.Linear(2, 2).parameters(), lr="a"), TypeError,
     r"lr: expected a non-negative number, got str"),
    ("one beta", lambda: tc.optim.Adam(nn.Linear(2, 2).parameters(), betas=(0.9,)), ValueError,
     r"betas: expected a pair of numbers in \[0, 1\), got \(0\.9,\)"),
    ("DataLoader of None", lambda: tc.data.DataLoader(None), TypeError,
     r"dataset: expected an object with len\(\) and indexing"),
    ("gradcheck without floats", lambda: tc.gradcheck(lambda x: x, [np.array([1, 2])]), ValueError,
     r"inputs: expected at least one floating-point array to differentiate, got dtypes \['int64'\]"),
]


@pytest.mark.parametrize("call, error, match", [case[1:] for case in REVIEW], ids=[case[0] for case in REVIEW])
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_optimizer_step_with_a_gradient_of_the_wrong_shape():
    p = tc.Parameter(np.zeros(3))
    opt = tc.optim.SGD([p], lr=0.1)
    with pytest.raises(RuntimeError, match=r"grad: expected shape \(3,\) like the tensor, got \(2,\)"):
        p.grad = Tensor(np.ones(2))
    p.grad = Tensor(np.ones(3))
    p.data = np.zeros(2)  # replaced after its gradient was set
    with pytest.raises(ValueError, match=r"params\[0\]\.grad: expected shape \(2,\) like the parameter, got \(3,\)"):
        opt.step()


def test_a_failed_backward_changes_no_gradient():
    a, b = _leaf(2), _leaf(2)
    y = (a * b).sum()
    y.backward(retain_graph=True)
    first = a.grad.clone()
    shared = a * 3
    z1, z2 = (shared * b).sum(), (shared + b).sum()
    z1.backward()
    after = a.grad.clone(), b.grad.clone()
    with pytest.raises(RuntimeError, match="freed"):
        z2.backward()  # reaches `shared`, freed by z1's backward, after b's gradient was computed
    np.testing.assert_array_equal(a.grad, after[0])
    np.testing.assert_array_equal(b.grad, after[1])
    assert not np.array_equal(first, after[0])


def test_empty_batches_and_edge_sizes_work():
    assert F.conv2d(floats(0, 3, 8, 8), W).shape == (0, 4, 6, 6)
    assert F.conv2d(floats(2, 3, 8, 8), floats(0, 3, 3, 3)).shape == (2, 0, 6, 6)
    assert F.max_pool2d(floats(0, 3, 8, 8), 2).shape == (0, 3, 4, 4)
    assert F.avg_pool2d(floats(2, 3, 1, 1), 1).shape == (2, 3, 1, 1)
    assert F.linear(floats(0, 3), floats(4, 3)).shape == (0, 4)
    assert floats(3, 0).max(axis=0).values.shape == (0,)
    assert floats(2, 3).transpose(-1, 0).shape == (3, 2)
    assert Tensor(np.float32(2.0)).flatten().shape == (1,)


class _FakeDeviceArray:
    """Stands in for a CuPy array: get_array_module sees a second device."""
    __module__ = "cupy"
    __cuda_array_interface__ = {}

    def __init__(self, shape, dtype=np.float32):
        self.shape, self.dtype, self.ndim = shape, np.dtype(dtype), len(shape)
        self.size = int(np.prod(shape))


@pytest.fixture
def fake_gpu(monkeypatch):
    import types
    from tinyconv import backend
    module = types.SimpleNamespace(ndarray=_FakeDeviceArray, asarray=lambda a, dtype=None: a)
    monkeypatch.setattr(backend, "_cupy", lambda: module)

    def on_device(*shape, dtype=np.float32):
        t = Tensor(np.zeros(shape, dtype))
        t.data = _FakeDeviceArray(shape, dtype)
        return t
    return on_device


@pytest.mark.parametrize("call", [
    lambda gpu: floats(2, 3) + gpu(2, 3),
    lambda gpu: floats(2, 3) @ gpu(3, 2),
    lambda gpu: F.conv2d(X, gpu(4, 3, 3, 3)),
    lambda gpu: F.linear(floats(2, 3), gpu(4, 3)),
    lambda gpu: F.softmax_cross_entropy(floats(2, 3), gpu(2, dtype=np.int64)),
    lambda gpu: F.concat([floats(2, 3), gpu(2, 3)]),
    lambda gpu: (_leaf(2) * 2).backward(gpu(2)),
], ids=["add", "matmul", "conv2d", "linear", "cross-entropy", "concat", "backward"])
def test_mixed_devices_raise_runtime_error(fake_gpu, call):
    with pytest.raises(RuntimeError, match=r"arrays on different devices: expected all on 'cpu' or all on 'cuda', "
                                           r"got 1 NumPy and 1 CuPy arrays"):
        call(fake_gpu)
