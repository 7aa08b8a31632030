"""The Numba CPU kernels against the NumPy reference kernels on hypothesis-drawn geometry.

Exact equality where both do the same arithmetic (im2col copies, max pooling, the locations that
stochastic pooling samples); float tolerance where the summation order differs (col2im, average
pooling, probabilistic weighting and their gradients).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinyconv import backend
from tinyconv.kernels import cpu, reference as ref
from strategies import conv_args, conv_geometry, distinct, pool_args, pool_geometry, seeds, sparse_non_negative, uniform

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pad_value", [0.0, -np.inf])
@settings(max_examples=60)
@given(data=st.data(), g=conv_geometry(max_channels=4, max_kernel=4))
def test_im2col(dtype, pad_value, data, g):
    x = data.draw(uniform(g.x_shape, dtype=dtype))
    expected = ref.im2col(x, *conv_args(g), pad_value)
    got = cpu.im2col(x, *conv_args(g), pad_value)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=60)
@given(data=st.data(), g=conv_geometry(max_channels=4, max_kernel=4))
def test_col2im(dtype, data, g):
    (kh, kw), (oh, ow) = g.kernel, g.out_size
    col = data.draw(uniform((g.c * kh * kw, g.n * oh * ow), dtype=dtype))
    got = cpu.col2im(col, g.x_shape, *conv_args(g))
    assert got.dtype == dtype and got.shape == g.x_shape
    np.testing.assert_allclose(got, ref.col2im(col, g.x_shape, *conv_args(g)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=60)
@given(data=st.data(), g=pool_geometry(max_channels=3, max_kernel=4))
def test_max_pool(dtype, data, g):
    x = data.draw(distinct(g.x_shape)).astype(dtype) - 5  # negative values too: padding is -inf
    y, argmax = cpu.max_pool_forward(x, *pool_args(g))
    y_ref, argmax_ref = ref.max_pool_forward(x, *pool_args(g))
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    assert argmax.dtype == np.int64
    grad = data.draw(uniform(y.shape, dtype=dtype))
    np.testing.assert_allclose(cpu.max_pool_backward(grad, argmax, x.shape, *pool_args(g)),
                               ref.max_pool_backward(grad, argmax, x.shape, *pool_args(g)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=60)
@given(data=st.data(), g=pool_geometry(max_channels=3, max_kernel=4))
def test_avg_pool(dtype, data, g):
    x = data.draw(uniform(g.x_shape, dtype=dtype))
    y = cpu.avg_pool_forward(x, *pool_args(g))
    assert y.dtype == dtype
    np.testing.assert_allclose(y, ref.avg_pool_forward(x, *pool_args(g)), rtol=1e-5, atol=1e-6)
    grad = data.draw(uniform(y.shape, dtype=dtype))
    np.testing.assert_allclose(cpu.avg_pool_backward(grad, x.shape, *pool_args(g)),
                               ref.avg_pool_backward(grad, x.shape, *pool_args(g)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=60)
@given(data=st.data(), g=pool_geometry(max_channels=3, max_kernel=4), seed=seeds)
def test_stochastic_pool(dtype, data, g, seed):
    x = data.draw(sparse_non_negative(g.x_shape)).astype(dtype)
    y_shape = (g.n, g.c) + g.out_size
    u = np.random.default_rng(seed).random(y_shape)
    u.flat[0], u.flat[-1] = 0.0, np.nextafter(1.0, 0.0)  # both ends of [0, 1)
    y, index = cpu.stochastic_pool_forward(x, *pool_args(g), u)
    y_ref, index_ref = ref.stochastic_pool_forward(x, *pool_args(g), u)
    assert y.dtype == dtype and index.dtype == np.int64
    np.testing.assert_array_equal(index, index_ref)  # the same locations from the same draws
    np.testing.assert_array_equal(y, y_ref)
    # y is the activation at the sampled location, positive unless the window sums to 0.
    col = ref.im2col(x.reshape(-1, 1, g.h, g.w), *pool_args(g), (1, 1))  # (KH*KW, N*C*OH*OW)
    np.testing.assert_array_equal(col[index.ravel(), np.arange(col.shape[1])], y.ravel())
    np.testing.assert_array_equal(y.ravel() > 0, col.sum(axis=0) > 0)
    weighted = cpu.stochastic_pool_weighted_forward(x, *pool_args(g))
    assert weighted.dtype == dtype
    np.testing.assert_allclose(weighted, ref.stochastic_pool_weighted_forward(x, *pool_args(g)), rtol=1e-5, atol=1e-6)
    grad = data.draw(uniform(y_shape, dtype=dtype))
    np.testing.assert_allclose(cpu.stochastic_pool_weighted_backward(grad, x, *pool_args(g)),
                               ref.stochastic_pool_weighted_backward(grad, x, *pool_args(g)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("k", [cpu, ref], ids=["numba", "reference"])
def test_stochastic_pool_samples_a_positive_location_even_when_rounding_misses(k):
    # One subnormal activation: u * total rounds to total, so no cumulative sum exceeds the
    # target; the last positive location is taken, never the zeros after it.
    x = np.array([[[[0.0, 5e-324], [0.0, 0.0]]]])
    y, index = k.stochastic_pool_forward(x, (2, 2), (2, 2), (0, 0), np.full((1, 1, 1, 1), 0.9))
    assert index[0, 0, 0, 0] == 1 and y[0, 0, 0, 0] == 5e-324
    y, index = k.stochastic_pool_forward(np.zeros((1, 1, 2, 2)), (2, 2), (2, 2), (0, 0), np.full((1, 1, 1, 1), 0.5))
    assert index[0, 0, 0, 0] == 0 and y[0, 0, 0, 0] == 0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (2, 3, 7, 5), (1, 1, 2, 3)])
def test_max_pool_2x2_kernel_matches_the_reference(dtype, shape):
    # 2x2 windows, stride 2, no padding take their own kernel; odd sizes leave a row or column out
    rng = np.random.default_rng(0)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(dtype)
    x.flat[::5] = x.flat[0]  # ties: the first maximum wins
    geometry = ((2, 2), (2, 2), (0, 0))
    y, argmax = cpu.max_pool_forward(x, *geometry)
    y_ref, argmax_ref = ref.max_pool_forward(x, *geometry)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    grad = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_array_equal(cpu.max_pool_backward(grad, argmax, shape, *geometry),
                                  ref.max_pool_backward(grad, argmax, shape, *geometry))


def test_max_pool_window_of_padding_only_gets_no_gradient():
    # kernel 3, padding 1, stride 3 on a 1x1 image: one window, its first entry is padding.
    x = np.full((1, 1, 1, 1), -np.inf)
    for k in (cpu, ref):
        y, argmax = k.max_pool_forward(x, (3, 3), (3, 3), (1, 1))
        assert argmax[0, 0, 0, 0] == 0 and y[0, 0, 0, 0] == -np.inf
        np.testing.assert_array_equal(k.max_pool_backward(np.ones_like(y), argmax, x.shape, (3, 3), (3, 3), (1, 1)), [[[[0.0]]]])


def test_dispatch_follows_the_selection():
    x = np.zeros((1, 1, 2, 2))
    with backend.use_kernels("reference"):
        assert backend.kernels(x) is ref
    with backend.use_kernels("numba"):
        assert backend.kernels(x) is cpu
    with pytest.raises(ValueError, match=r"name: expected one of \('numba', 'reference'\), got 'fast'"):
        backend.set_kernels("fast")


@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=20)
@given(data=st.data(), g=conv_geometry(max_batch=5), limit=st.integers(1, 400))
def test_conv2d_in_batch_chunks_equals_whole_batch(kernels, data, g, limit):
    from tinyconv import Tensor, functional as F
    x, w = data.draw(uniform(g.x_shape)), data.draw(uniform(g.weight_shape))
    grad = data.draw(uniform((g.n, g.o) + g.out_size))

    def run():
        xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt, stride=g.stride, padding=g.padding, dilation=g.dilation)
        y.backward(grad)
        return y.data, xt.grad, wt.grad

    with backend.use_kernels(kernels):
        whole = run()
        previous = backend.set_column_buffer_limit(limit)  # a few bytes: one image per chunk
        try:
            chunked = run()
        finally:
            backend.set_column_buffer_limit(previous)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_batch_chunks_cover_the_batch_within_the_limit():
    from tinyconv.functional.conv import batch_chunks
    assert batch_chunks(10, 100, 1000) == [slice(0, 10)]
    assert batch_chunks(10, 100, 300) == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]
    assert batch_chunks(3, 100, 1) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # one image at least


def test_column_buffer_limit_rejects_bad_values():
    with pytest.raises(ValueError, match="nbytes: expected a positive int, got 0"):
        backend.set_column_buffer_limit(0)


def test_kernels_give_the_same_bits_on_one_and_two_threads():
    # each thread owns whole rows or planes: no sum is split across threads
    import numba
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba runs one thread here")
    x = np.random.default_rng(0).standard_normal((4, 3, 9, 9)).astype(np.float32)
    conv, pool = ((3, 3), (1, 1), (1, 1), (1, 1)), ((3, 3), (2, 2), (1, 1))

    def run():
        col = cpu.im2col(x, *conv)
        y, argmax = cpu.max_pool_forward(x, *pool)
        y2, argmax2 = cpu.max_pool_forward(x, (2, 2), (2, 2), (0, 0))
        return [col, cpu.col2im(col, x.shape, *conv), y, cpu.max_pool_backward(y, argmax, x.shape, *pool),
                y2, cpu.max_pool_backward(y2, argmax2, x.shape, (2, 2), (2, 2), (0, 0))]

    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
        numba.set_num_threads(2)
        two = run()
    finally:
        numba.set_num_threads(previous)
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)
