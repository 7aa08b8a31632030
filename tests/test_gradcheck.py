"""Gradient checks: every Function in tinyconv.functional against central differences, over
hypothesis-drawn shapes and options; and gradcheck itself must reject wrong gradients."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinyconv
from tinyconv import Function, Tensor, backend, functional as F
from strategies import (away_from_zero, axes, broadcast_shapes, conv_geometry, distinct, pool_geometry,
                        positive, seeds, shapes, uniform)


def check(fn, *inputs):
    assert tinyconv.gradcheck(fn, list(inputs))


# ---------------------------------------------------------------- elementwise arithmetic

BINARY = {"add": F.add, "sub": F.sub, "mul": F.mul}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_broadcast(name, data):
    sa, sb = data.draw(broadcast_shapes())
    check(BINARY[name], data.draw(uniform(sa)), data.draw(uniform(sb)))


@given(data=st.data())
def test_div_broadcast(data):
    sa, sb = data.draw(broadcast_shapes())
    check(F.div, data.draw(uniform(sa)), data.draw(away_from_zero(sb, margin=0.5)))


@pytest.mark.parametrize("op", [lambda t: t * 2, lambda t: 3 - t, lambda t: 1.5 / t, lambda t: t / 4 + 0.5])
@given(data=st.data())
def test_arithmetic_with_python_scalars(op, data):
    check(op, data.draw(away_from_zero(data.draw(shapes()), margin=0.5)))


@given(data=st.data())
def test_neg(data):
    check(F.neg, data.draw(uniform(data.draw(shapes(min_dims=0)))))


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5, 1.5, -2.5])
@given(data=st.data())
def test_pow(exponent, data):
    shape = data.draw(shapes(min_dims=0))
    x = data.draw(positive(shape) if isinstance(exponent, float) else away_from_zero(shape, margin=0.5))
    check(lambda a: F.pow(a, exponent), x)


@given(data=st.data())
def test_exp(data):
    check(F.exp, data.draw(uniform(data.draw(shapes()), -2, 2)))


@given(data=st.data())
def test_log(data):
    check(F.log, data.draw(positive(data.draw(shapes()), 0.2, 3.0)))


# ---------------------------------------------------------------- matmul

@given(data=st.data(), n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4))
def test_matmul_2d(data, n, k, m):
    check(F.matmul, data.draw(uniform((n, k))), data.draw(uniform((k, m))))


@given(data=st.data(), n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3))
def test_matmul_batched_broadcast(data, n, k, m):
    batch_a, batch_b = data.draw(broadcast_shapes(max_dims=2))
    check(F.matmul, data.draw(uniform(batch_a + (n, k))), data.draw(uniform(batch_b + (k, m))))


@pytest.mark.parametrize("layout", ["vec@vec", "vec@mat", "mat@vec", "vec@batch", "batch@vec"])
@given(data=st.data(), n=st.integers(1, 3), k=st.integers(1, 4), m=st.integers(1, 3), b=st.integers(1, 3))
def test_matmul_1d_operands(layout, data, n, k, m, b):
    left, right = layout.split("@")
    sa = {"vec": (k,), "mat": (n, k), "batch": (b, n, k)}[left]
    sb = {"vec": (k,), "mat": (k, m), "batch": (b, k, m)}[right]
    check(F.matmul, data.draw(uniform(sa)), data.draw(uniform(sb)))


# ---------------------------------------------------------------- reductions

@pytest.mark.parametrize("reduce", [F.sum, F.mean])
@given(data=st.data(), keepdims=st.booleans())
def test_sum_mean(reduce, data, keepdims):
    shape = data.draw(shapes(min_dims=0))
    axis = data.draw(axes(len(shape)))
    check(lambda a: reduce(a, axis=axis, keepdims=keepdims), data.draw(uniform(shape)))


@given(data=st.data(), keepdims=st.booleans())
def test_max(data, keepdims):
    shape = data.draw(shapes(min_dims=1))
    axis = data.draw(axes(len(shape)))
    check(lambda a: F.amax(a, dim=axis, keepdim=keepdims), data.draw(distinct(shape)))


def test_max_shares_gradient_among_ties():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]]), requires_grad=True)
    F.amax(x, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0, 0.5, 0.5], [0.5, 0, 0.5]])


# ---------------------------------------------------------------- shape operations

@given(data=st.data())
def test_reshape(data):
    shape = data.draw(shapes(max_dims=4))
    size = int(np.prod(shape))
    target = data.draw(st.sampled_from([(size,), (-1,), (1, size), (size, -1), shape[::-1], (-1,) + shape[1:]]))
    check(lambda a: F.reshape(a, target), data.draw(uniform(shape)))


@given(data=st.data())
def test_transpose(data):
    shape = data.draw(shapes(max_dims=4))
    order = data.draw(st.permutations(range(len(shape))))
    dim0, dim1 = data.draw(st.integers(-len(shape), len(shape) - 1)), data.draw(st.integers(-len(shape), len(shape) - 1))
    check(lambda a: F.permute(a, order), data.draw(uniform(shape)))
    check(lambda a: F.transpose(a, dim0, dim1), data.draw(uniform(shape)))


@given(data=st.data())
def test_flatten(data):
    shape = data.draw(shapes(max_dims=4))
    start = data.draw(st.integers(0, len(shape) - 1))
    end = data.draw(st.integers(start, len(shape) - 1)) - data.draw(st.sampled_from([0, len(shape)]))
    check(lambda a: F.flatten(a, start, end), data.draw(uniform(shape)))


@given(data=st.data())
def test_getitem_basic(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True))
    check(lambda a: F.getitem(a, index), data.draw(uniform(shape)))


@given(data=st.data())
def test_getitem_integer_arrays_with_repeats(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    n = shape[0]
    idx = data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6))
    idx = np.array(idx + idx[:1])  # at least one repeated index: gradients must add up
    mode = data.draw(st.sampled_from(["array", "list"] + (["with_slice", "two_arrays"] if len(shape) > 1 else [])))
    if mode == "array":
        index = idx
    elif mode == "list":
        index = idx.tolist()
    elif mode == "with_slice":
        index = (idx, slice(None, None, -1))
    else:
        index = (idx, idx % shape[1])
    check(lambda a: F.getitem(a, index), data.draw(uniform(shape)))


def test_getitem_repeated_indices_accumulate():
    x = Tensor(np.arange(3.0), requires_grad=True)
    F.getitem(x, np.array([2, 0, 2, 2])).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 0, 3])


@given(data=st.data())
def test_concat(data):
    shape = data.draw(shapes(max_dims=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    parts = [data.draw(uniform(shape[:axis % len(shape)] + (s,) + shape[axis % len(shape) + 1:])) for s in sizes]
    check(lambda *ts: F.concat(list(ts), axis=axis), *parts)


@given(data=st.data())
def test_stack(data):
    shape = data.draw(shapes(min_dims=0, max_dims=3))
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    parts = [data.draw(uniform(shape)) for _ in range(data.draw(st.integers(1, 3)))]
    check(lambda *ts: F.stack(list(ts), axis=axis), *parts)


@given(data=st.data())
def test_unbind(data):
    shape = data.draw(shapes(max_dims=3))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    # a subset of the slices, so that some outputs receive no gradient
    keep = data.draw(st.lists(st.integers(0, shape[axis] - 1), min_size=1, unique=True))
    check(lambda a: F.stack([F.unbind(a, axis)[i] for i in keep], axis=0), data.draw(uniform(shape)))


# ---------------------------------------------------------------- recurrent steps

@pytest.mark.parametrize("cell", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@given(data=st.data(), n=st.integers(1, 3), i=st.integers(1, 3), h=st.integers(1, 3), bias=st.booleans(),
       outputs=st.sampled_from(["h", "c", "both"]))
def test_recurrent_cells(cell, data, n, i, h, bias, outputs):
    gates = {"lstm": 4, "gru": 3}.get(cell, 1)
    draw = (lambda s: data.draw(positive(s, 0.1, 1.0))) if cell == "rnn_relu" else (lambda s: data.draw(uniform(s)))
    inputs = [draw((n, i)), draw((n, h)), draw((gates * h, i)), draw((gates * h, h))]
    inputs += [draw((gates * h,)), draw((gates * h,))] if bias else []  # relu: positive, away from its kink

    def fn(x, hx, *weights):
        if cell == "lstm":
            h_next, c_next = F.lstm_cell(x, (hx, hx * 0.5), *weights)
            return {"h": h_next, "c": c_next, "both": F.concat([h_next, c_next])}[outputs]
        if cell == "gru":
            return F.gru_cell(x, hx, *weights)
        return F.rnn_cell(x, hx, *weights, nonlinearity=cell[4:])
    check(fn, *inputs)



@pytest.mark.parametrize("mode", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@settings(max_examples=20)
@given(data=st.data(), steps=st.integers(1, 4), n=st.integers(1, 3), i=st.integers(1, 3), h=st.integers(1, 3),
       bias=st.booleans(), read=st.sampled_from(["output", "h_n", "c_n", "all"]))
def test_recurrent_layers(mode, data, steps, n, i, h, bias, read):
    # a layer's time steps run inside one Function (backpropagation through time in its backward);
    # a loss may read any of its results alone (a GRU's or RNN's "c_n" is its h_n)
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    draw = (lambda s: data.draw(positive(s, 0.1, 1.0))) if mode == "rnn_relu" else (lambda s: data.draw(uniform(s)))
    inputs = [draw((steps, n, i)), draw((1, n, h)), draw((gates * h, i)), draw((gates * h, h))]
    inputs += [draw((gates * h,)), draw((gates * h,))] if bias else []

    def fn(x, h0, *weights):
        if mode == "lstm":
            output, (h_n, c_n) = F.lstm(x, (h0, h0 * 0.5), [weights])
        else:
            output, h_n = F.gru(x, h0, [weights]) if mode == "gru" else F.rnn(x, h0, [weights], nonlinearity=mode[4:])
            c_n = h_n
        every = F.concat([output.reshape(-1), h_n.reshape(-1), c_n.reshape(-1)])
        return {"output": output, "h_n": h_n, "c_n": c_n, "all": every}[read]
    check(fn, *inputs)

# ---------------------------------------------------------------- activations

@pytest.mark.parametrize("act", [F.sigmoid, F.tanh])
@given(data=st.data())
def test_smooth_activations(act, data):
    check(act, data.draw(uniform(data.draw(shapes()), -3, 3)))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@given(data=st.data())
def test_gelu(approximate, data):
    check(lambda a: F.gelu(a, approximate), data.draw(uniform(data.draw(shapes()), -3, 3)))


@given(data=st.data())
def test_relu(data):
    check(F.relu, data.draw(away_from_zero(data.draw(shapes()))))


@given(data=st.data(), slope=st.sampled_from([0.0, 0.01, 0.2, -0.5, 1.5]))
def test_leaky_relu(data, slope):
    check(lambda a: F.leaky_relu(a, slope), data.draw(away_from_zero(data.draw(shapes()))))


@pytest.mark.parametrize("act", [F.softmax, F.log_softmax])
@given(data=st.data())
def test_softmax_family(act, data):
    shape = data.draw(shapes())
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    check(lambda a: act(a, axis=axis), data.draw(uniform(shape, -3, 3)))


# ---------------------------------------------------------------- losses and linear

@given(data=st.data(), n=st.integers(1, 4), k=st.integers(1, 5), reduction=st.sampled_from(["mean", "sum", "none"]),
       smoothing=st.sampled_from([0.0, 0.3]), weighted=st.booleans())
def test_cross_entropy(data, n, k, reduction, smoothing, weighted):
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    labels[0] = -100  # ignored
    labels[-1] = max(labels[-1], 0)  # at least one kept
    weight = data.draw(uniform((k,), 0.5, 2)) if weighted else None
    check(lambda x: F.cross_entropy(x, labels, weight, reduction=reduction, label_smoothing=smoothing),
          data.draw(uniform((n, k), -3, 3)))


@given(data=st.data(), k=st.integers(1, 4), smoothing=st.sampled_from([0.0, 0.2]))
def test_cross_entropy_probabilities_k_dimensional(data, k, smoothing):
    shape, weight = (2, k, 3), data.draw(uniform((k,), 0.5, 2))
    check(lambda x, t: F.cross_entropy(x, t, weight, label_smoothing=smoothing),
          data.draw(uniform(shape, -3, 3)), data.draw(uniform(shape, 0, 1)))


@given(data=st.data(), n=st.integers(1, 4), k=st.integers(1, 5))
def test_nll_loss(data, n, k):
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    weight = data.draw(uniform((k,), 0.5, 2))
    check(lambda x: F.nll_loss(x, labels, weight), data.draw(uniform((n, k), -3, 3)))


@given(data=st.data(), n=st.integers(1, 4), k=st.integers(2, 5), steps=st.integers(0, 10))
def test_crammer_singer_loss(data, n, k, steps):
    # distinct scores differ by multiples of 0.1, so with a margin of 0.05 + 0.1 * steps the hinge
    # argument margin + s_j - s_y stays at least 0.05 from its kink at 0, and the best wrong
    # class never ties: finite differences see one smooth piece
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    margin = 0.05 + 0.1 * steps
    check(lambda s: F.crammer_singer_loss(s, labels, margin=margin), data.draw(distinct((n, k), spacing=0.1)))


@given(data=st.data(), n=st.integers(1, 4), k=st.integers(2, 5), steps=st.integers(0, 10), p=st.sampled_from([1, 2]))
def test_multi_margin_loss(data, n, k, steps, p):
    # as above: every hinge argument margin - s_y + s_i stays at least 0.05 from its kink
    labels = np.array(data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)))
    margin = 0.05 + 0.1 * steps
    weight = data.draw(uniform((k,), 0.5, 2))
    check(lambda s: F.multi_margin_loss(s, labels, p, margin, weight), data.draw(distinct((n, k), spacing=0.1)))


@given(data=st.data(), weighted=st.booleans())
def test_binary_cross_entropy_with_logits(data, weighted):
    shape = data.draw(shapes())
    weight = data.draw(uniform(shape[-1:], 0.5, 2)) if weighted else None
    pos_weight = data.draw(uniform(shape[-1:], 0.5, 2)) if weighted else None
    check(lambda x, t: F.binary_cross_entropy_with_logits(x, t, weight, pos_weight=pos_weight),
          data.draw(uniform(shape, -4, 4)), data.draw(uniform(shape, 0, 1)))


@given(data=st.data())
def test_binary_cross_entropy(data):
    shape = data.draw(shapes())
    check(F.binary_cross_entropy, data.draw(uniform(shape, 0.05, 0.95)), data.draw(uniform(shape, 0, 1)))


@given(data=st.data(), reduction=st.sampled_from(["mean", "sum"]))
def test_mse_loss(data, reduction):
    shape = data.draw(shapes())
    check(lambda x, t: F.mse_loss(x, t, reduction=reduction), data.draw(uniform(shape)), data.draw(uniform(shape)))


@given(data=st.data())
def test_l1_loss(data):
    shape = data.draw(shapes())
    x = data.draw(away_from_zero(shape))  # |x - 0| stays away from its kink
    check(lambda x, t: F.l1_loss(x, t, weight=np.ones(shape)), x, np.zeros(shape))


@given(data=st.data(), n=st.integers(1, 4), i=st.integers(1, 4), o=st.integers(1, 4), bias=st.booleans())
def test_linear(data, n, i, o, bias):
    inputs = [data.draw(uniform((n, i))), data.draw(uniform((o, i)))] + ([data.draw(uniform((o,)))] if bias else [])
    check(lambda x, w, *b: F.linear(x, w, *b), *inputs)


# ---------------------------------------------------------------- convolution and pooling

@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=conv_geometry(), bias=st.booleans())
def test_conv2d(kernels, data, g, bias):
    inputs = [data.draw(uniform(g.x_shape)), data.draw(uniform(g.weight_shape))]
    if bias:
        inputs.append(data.draw(uniform((g.o,))))

    def fn(x, w, *b):
        y = F.conv2d(x, w, *b, stride=g.stride, padding=g.padding, dilation=g.dilation)
        assert y.shape == (g.n, g.o) + g.out_size
        return y
    with backend.use_kernels(kernels):
        check(fn, *inputs)


@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=30)
@given(data=st.data(), n=st.integers(1, 3), o=st.integers(1, 3), size=st.tuples(st.integers(1, 6), st.integers(1, 6)),
       kernel=st.tuples(st.integers(1, 6), st.integers(1, 6)), padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
       bias=st.booleans())
def test_conv2d_of_one_channel_input(kernels, data, n, o, size, kernel, padding, bias):
    # an input with one channel that needs no gradient takes the kernels' conv2d_one_channel
    assume(all(s + 2 * p >= k for s, k, p in zip(size, kernel, padding)))
    x = Tensor(data.draw(uniform((n, 1) + size)))
    inputs = [data.draw(uniform((o, 1) + kernel))] + ([data.draw(uniform((o,)))] if bias else [])
    with backend.use_kernels(kernels):
        check(lambda w, *b: F.conv2d(x, w, *b, padding=padding), *inputs)

@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=conv_geometry(), bias=st.booleans())
def test_conv_transpose2d(kernels, data, g, bias):
    # the adjoint of the conv2d of geometry g: from its output shape back to its input shape
    inputs = [data.draw(uniform((g.n, g.o) + g.out_size)), data.draw(uniform(g.weight_shape))]
    if bias:
        inputs.append(data.draw(uniform((g.c,))))

    def fn(x, w, *b):
        y = F.conv_transpose2d(x, w, *b, stride=g.stride, padding=g.padding, output_padding=g.output_padding,
                               dilation=g.dilation)
        assert y.shape == g.x_shape
        return y
    with backend.use_kernels(kernels):
        check(fn, *inputs)


@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=pool_geometry())
def test_max_pool2d(kernels, data, g):
    with backend.use_kernels(kernels):
        check(lambda x: F.max_pool2d(x, g.kernel, g.stride, g.padding), data.draw(distinct(g.x_shape)))


@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=pool_geometry())
def test_avg_pool2d(kernels, data, g):
    with backend.use_kernels(kernels):
        check(lambda x: F.avg_pool2d(x, g.kernel, g.stride, g.padding), data.draw(uniform(g.x_shape)))


@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=pool_geometry())
def test_stochastic_pool2d_eval(kernels, data, g):
    # Probabilistic weighting is smooth where the windows sum to more than 0.
    with backend.use_kernels(kernels):
        check(lambda x: F.stochastic_pool2d(x, g.kernel, g.stride, g.padding, training=False),
              data.draw(positive(g.x_shape)))


@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=pool_geometry(), seed=seeds)
def test_stochastic_pool2d_train(kernels, data, g, seed):
    # Distinct positive values 0.5, 0.6, ...; a fresh generator per call: every perturbed
    # forward samples the same locations (a step of 1e-6 moves the cumulative sums far less
    # than the gaps between them and the targets, bar a chance of about 1e-6 per window).
    x = data.draw(distinct(g.x_shape))
    x = x - x.min() + 0.5
    with backend.use_kernels(kernels):
        check(lambda t: F.stochastic_pool2d(t, g.kernel, g.stride, g.padding, rng=np.random.default_rng(seed)), x)


@given(data=st.data(), training=st.booleans(), affine=st.integers(0, 2))
def test_batch_norm(data, training, affine):
    # distinct values: every channel's batch variance stays well above 0; affine counts the
    # optional inputs given (weight, then bias)
    shape = (data.draw(st.integers(2, 3)),) + data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    c = shape[1]
    inputs = [data.draw(distinct(shape))] + [data.draw(uniform((c,))) for _ in range(affine)]
    mean, var = data.draw(uniform((c,))), data.draw(positive((c,)))

    def fn(x, *params):
        return F.batch_norm(x, None if training else mean, None if training else var, *params, training=training)
    check(fn, *inputs)


@given(data=st.data(), groups=st.integers(1, 2), affine=st.booleans())
def test_layer_and_group_norm(data, groups, affine):
    # distinct values: every normalised group has a variance well above 0
    shape = (data.draw(st.integers(1, 3)), 2 * groups) + data.draw(shapes(min_dims=0, max_dims=2, max_side=3))
    x = data.draw(distinct(shape))
    c, trailing = shape[1], shape[1:]
    check(lambda t, w, b: F.group_norm(t, groups, w if affine else None, b if affine else None), x,
          data.draw(uniform((c,))), data.draw(uniform((c,))))
    check(lambda t, w, b: F.layer_norm(t, trailing, w if affine else None, b if affine else None), x,
          data.draw(uniform(trailing)), data.draw(uniform(trailing)))


@given(data=st.data(), p=st.sampled_from([0.2, 0.5, 0.8]), seed=seeds)
def test_dropout(data, p, seed):
    x = data.draw(away_from_zero(data.draw(shapes())))
    # Survivors are scaled by 1 / (1 - p), the others are zero.
    ratio = F.dropout(Tensor(x), p, rng=np.random.default_rng(seed)).data / x
    assert np.all(np.isclose(ratio, 0) | np.isclose(ratio, 1 / (1 - p)))
    # A fresh generator per call: every perturbed forward samples the same mask.
    check(lambda t: F.dropout(t, p, rng=np.random.default_rng(seed)), x)


@settings(max_examples=10)  # one conv2d per group, each checked element by element
@given(data=st.data(), groups=st.integers(1, 2), padding=st.sampled_from(["same", "valid", 1]),
       kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)))
def test_conv2d_groups_and_padding_strings(data, groups, padding, kernel):
    x = data.draw(uniform((1, 2 * groups, 3, 3)))
    w, b = data.draw(uniform((groups, 2) + kernel)), data.draw(uniform((groups,)))
    check(lambda t, u, v: F.conv2d(t, u, v, padding=padding, groups=groups), x, w, b)


@given(data=st.data(), kernel=st.integers(2, 3), stride=st.integers(1, 2), padding=st.integers(0, 1),
       dilation=st.integers(1, 2), ceil_mode=st.booleans(), count_include_pad=st.booleans())
def test_pool2d_options(data, kernel, stride, padding, dilation, ceil_mode, count_include_pad):
    # distinct values: the maximum of a window is never tied
    x = data.draw(distinct((1, 2, 5, 6)))
    check(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation, ceil_mode), x)
    check(lambda t: F.avg_pool2d(t, kernel, stride, padding, ceil_mode, count_include_pad), x)


@given(data=st.data(), out=st.tuples(st.integers(1, 4), st.integers(1, 4)))
def test_adaptive_avg_pool2d(data, out):
    check(lambda t: F.adaptive_avg_pool2d(t, out), data.draw(uniform(data.draw(shapes(min_dims=4, max_dims=4)))))


@given(data=st.data())
def test_embedding(data):
    # without padding_idx: its row deliberately gets no gradient (tested against PyTorch)
    n = data.draw(st.integers(1, 5))
    indices = data.draw(hnp.arrays(np.int64, data.draw(shapes(min_dims=0, max_dims=2)), elements=st.integers(0, n - 1)))
    check(lambda w: F.embedding(indices, w), data.draw(uniform((n, data.draw(st.integers(1, 3))))))


@given(data=st.data(), p=st.sampled_from([0.2, 0.5]), seed=seeds)
def test_dropout2d(data, p, seed):
    x = data.draw(away_from_zero((data.draw(st.integers(1, 3)),) + data.draw(shapes(min_dims=3, max_dims=3))))
    check(lambda t: F.dropout2d(t, p, rng=np.random.default_rng(seed)), x)


# Every Function class of tinyconv.functional, and the test above that checks its gradient.
COVERED = {
    "Add": "test_binary_broadcast", "Sub": "test_binary_broadcast", "Mul": "test_binary_broadcast",
    "Div": "test_div_broadcast", "Neg": "test_neg", "Pow": "test_pow", "MatMul": "test_matmul_*",
    "Exp": "test_exp", "Log": "test_log", "Sum": "test_sum_mean", "Mean": "test_sum_mean", "Max": "test_max",
    "Reshape": "test_reshape", "Transpose": "test_transpose", "GetItem": "test_getitem_*",
    "Concat": "test_concat", "Stack": "test_stack", "Unbind": "test_unbind", "Sigmoid": "test_smooth_activations", "Tanh": "test_smooth_activations", "GELU": "test_gelu",
    "ReLU": "test_relu", "LeakyReLU": "test_leaky_relu", "Softmax": "test_softmax_family",
    "LogSoftmax": "test_softmax_family", "SoftmaxCrossEntropy": "test_cross_entropy", "LogSigmoid": "test_binary_cross_entropy_with_logits",
    "BinaryCrossEntropy": "test_binary_cross_entropy", "CrammerSingerLoss": "test_crammer_singer_loss",
    "Linear": "test_linear", "Conv2d": "test_conv2d",
    "ConvTranspose2d": "test_conv_transpose2d",
    "MaxPool2d": "test_max_pool2d", "AvgPool2d": "test_avg_pool2d", "AdaptiveAvgPool2d": "test_adaptive_avg_pool2d",
    "WindowPool2d": "test_pool2d_options", "Dropout": "test_dropout", "Embedding": "test_embedding",
    "BatchNorm": "test_batch_norm", "Normalize": "test_layer_and_group_norm",
    "StochasticPool2d": "test_stochastic_pool2d_train", "WeightedPool2d": "test_stochastic_pool2d_eval",
    "RNNCell": "test_recurrent_cells", "LSTMCell": "test_recurrent_cells", "GRUCell": "test_recurrent_cells",
    "Abs": "test_pytorch_tensor.py::test_elementwise_gradcheck", "Sqrt": "test_pytorch_tensor.py::test_elementwise_gradcheck",
    "Clamp": "test_pytorch_tensor.py::test_elementwise_gradcheck", "Cast": "test_pytorch_tensor.py::test_elementwise_gradcheck",
    "Where": "test_pytorch_tensor.py::test_where_gradcheck", "TakeAlongDim": "test_pytorch_tensor.py::test_max_min_with_dim_gradcheck",
}


def test_every_function_has_a_gradient_check():
    import inspect
    import pkgutil
    import importlib
    found = set()
    for info in pkgutil.iter_modules(F.__path__):
        module = importlib.import_module(f"{F.__name__}.{info.name}")
        found |= {name for name, obj in vars(module).items()
                  if inspect.isclass(obj) and issubclass(obj, Function) and obj.__module__ == module.__name__
                  and not name.startswith("_")}
    assert found - set(COVERED) == set(), "Functions without a gradient check"
    assert set(COVERED) - found == set(), "gradient checks listed for Functions that no longer exist"


# ---------------------------------------------------------------- gradcheck must fail on wrong gradients

class Square(Function):
    """x ** 2 with a backward that is wrong by ``scale`` (or NaN)."""

    def __init__(self, scale):
        self.scale = scale

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, g):
        return g * self.scale * self.x


class ScaledProduct(Function):
    """a * b with a wrong gradient for the second input only."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        return g * self.b, g * self.a * 1.01


X = np.array([[0.3, -1.2, 0.7], [2.0, -0.5, 1.1]])


def test_gradcheck_accepts_correct_backward():
    assert tinyconv.gradcheck(lambda x: Square(2.0)(x), [X])


@pytest.mark.parametrize("scale", [1.0, -2.0, 2.01, np.nan])
def test_gradcheck_rejects_wrong_backward(scale):
    with pytest.raises(AssertionError, match="gradcheck: input 0"):
        tinyconv.gradcheck(lambda x: Square(scale)(x), [X])


def test_gradcheck_rejects_wrong_second_input():
    with pytest.raises(AssertionError, match="gradcheck: input 1"):
        tinyconv.gradcheck(lambda a, b: ScaledProduct()(a, b), [X, X[::-1]])


def test_gradcheck_rejects_missing_gradient():
    class Detached(Function):
        def forward(self, x):
            return 3 * x

        def backward(self, g):
            return None
    with pytest.raises(AssertionError):
        tinyconv.gradcheck(lambda x: Detached()(x), [X])
