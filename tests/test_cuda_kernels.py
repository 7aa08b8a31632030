"""The numba.cuda kernels (tinyconv.kernels.cuda) against the NumPy reference kernels.

Runs under Numba's CUDA simulator, which must be switched on before numba is imported, so in
its own pytest process:

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/test_cuda_kernels.py

The simulator runs every CUDA thread as a Python thread on NumPy arrays: shapes and launch
grids stay small. On a machine with a GPU and CuPy the same tests run on the GPU (arrays moved
there and back). Elsewhere the module is skipped. Launches are drawn with deliberately few
blocks and threads, so that the grid-stride loops must cover many work items per thread.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from numba import config

from tinyconv import backend

SIMULATOR = bool(config.ENABLE_CUDASIM)
if not (SIMULATOR or backend.cuda_available()):
    pytest.skip("CUDA kernels: run under Numba's CUDA simulator "
                "(NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/test_cuda_kernels.py) or on a GPU",
                allow_module_level=True)

from tinyconv.kernels import cuda as ck, reference as ref  # noqa: E402
from strategies import conv_args, conv_geometry, distinct, pool_args, pool_geometry, seeds, sparse_non_negative, uniform  # noqa: E402

DTYPES = [np.float32, np.float64]
# (blocks, threads): None is the launcher's default (one thread per work item, 256 per block);
# the others give far fewer threads than work items.
launches = st.sampled_from([(None, None), (1, 1), (1, 7), (2, 5), (3, 32)])


def dev(a):
    return a if SIMULATOR else backend.to_device(a, "cuda")


def host(a):
    return backend.to_numpy(a)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pad_value", [0.0, -np.inf])
@settings(max_examples=20)
@given(data=st.data(), g=conv_geometry(max_channels=3), launch=launches)
def test_im2col(dtype, pad_value, data, g, launch):
    x = data.draw(uniform(g.x_shape, dtype=dtype))
    got = host(ck.im2col(dev(x), *conv_args(g), pad_value, *launch))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, ref.im2col(x, *conv_args(g), pad_value))


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20)
@given(data=st.data(), g=conv_geometry(max_channels=3), launch=launches)
def test_col2im(dtype, data, g, launch):
    (kh, kw), (oh, ow) = g.kernel, g.out_size
    col = data.draw(uniform((g.c * kh * kw, g.n * oh * ow), dtype=dtype))
    got = host(ck.col2im(dev(col), g.x_shape, *conv_args(g), *launch))
    assert got.dtype == dtype and got.shape == g.x_shape
    np.testing.assert_allclose(got, ref.col2im(col, g.x_shape, *conv_args(g)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20)
@given(data=st.data(), g=pool_geometry(), launch=launches)
def test_max_pool(dtype, data, g, launch):
    x = data.draw(distinct(g.x_shape)).astype(dtype) - 5  # negative values too: padding is -inf
    y, argmax = map(host, ck.max_pool_forward(dev(x), *pool_args(g), *launch))
    y_ref, argmax_ref = ref.max_pool_forward(x, *pool_args(g))
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    assert y.dtype == dtype and argmax.dtype == np.int64
    grad = data.draw(uniform(y.shape, dtype=dtype))
    got = host(ck.max_pool_backward(dev(grad), dev(argmax), x.shape, *pool_args(g), *launch))
    np.testing.assert_allclose(got, ref.max_pool_backward(grad, argmax, x.shape, *pool_args(g)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20)
@given(data=st.data(), g=pool_geometry(), launch=launches)
def test_avg_pool(dtype, data, g, launch):
    x = data.draw(uniform(g.x_shape, dtype=dtype))
    y = host(ck.avg_pool_forward(dev(x), *pool_args(g), *launch))
    assert y.dtype == dtype
    np.testing.assert_allclose(y, ref.avg_pool_forward(x, *pool_args(g)), rtol=1e-5, atol=1e-6)
    grad = data.draw(uniform(y.shape, dtype=dtype))
    got = host(ck.avg_pool_backward(dev(grad), x.shape, *pool_args(g), *launch))
    np.testing.assert_allclose(got, ref.avg_pool_backward(grad, x.shape, *pool_args(g)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20)
@given(data=st.data(), g=pool_geometry(), seed=seeds, launch=launches)
def test_stochastic_pool(dtype, data, g, seed, launch):
    x = data.draw(sparse_non_negative(g.x_shape)).astype(dtype)
    y_shape = (g.n, g.c) + g.out_size
    u = np.random.default_rng(seed).random(y_shape)
    u.flat[0], u.flat[-1] = 0.0, np.nextafter(1.0, 0.0)  # both ends of [0, 1)
    y, index = map(host, ck.stochastic_pool_forward(dev(x), *pool_args(g), dev(u), *launch))
    y_ref, index_ref = ref.stochastic_pool_forward(x, *pool_args(g), u)
    assert y.dtype == dtype and index.dtype == np.int64
    np.testing.assert_array_equal(index, index_ref)  # the same locations from the same draws
    np.testing.assert_array_equal(y, y_ref)
    weighted = host(ck.stochastic_pool_weighted_forward(dev(x), *pool_args(g), *launch))
    assert weighted.dtype == dtype
    np.testing.assert_allclose(weighted, ref.stochastic_pool_weighted_forward(x, *pool_args(g)), rtol=1e-5, atol=1e-6)
    grad = data.draw(uniform(y_shape, dtype=dtype))
    got = host(ck.stochastic_pool_weighted_backward(dev(grad), dev(x), *pool_args(g), *launch))
    assert got.dtype == dtype
    np.testing.assert_allclose(got, ref.stochastic_pool_weighted_backward(grad, x, *pool_args(g)), rtol=1e-4, atol=1e-5)


def test_one_thread_covers_a_whole_array():
    # One block of one thread: the grid-stride loops walk every column entry, pixel and window.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    args = ((3, 3), (2, 1), (1, 1), (1, 2))
    np.testing.assert_array_equal(host(ck.im2col(dev(x), *args, 0.0, blocks=1, threads=1)), ref.im2col(x, *args))
    col = rng.standard_normal(ref.im2col(x, *args).shape)
    np.testing.assert_allclose(host(ck.col2im(dev(col), x.shape, *args, blocks=1, threads=1)),
                               ref.col2im(col, x.shape, *args), rtol=1e-12)
    y, argmax = ck.max_pool_forward(dev(x), (2, 3), (2, 2), (1, 1), blocks=1, threads=1)
    np.testing.assert_array_equal(host(argmax), ref.max_pool_forward(x, (2, 3), (2, 2), (1, 1))[1])


def test_empty_batch_launches_nothing():
    x = np.zeros((0, 2, 4, 4), np.float32)
    assert host(ck.im2col(dev(x), (3, 3), (1, 1), (0, 0), (1, 1))).shape == (18, 0)
    assert host(ck.col2im(dev(np.zeros((18, 0), np.float32)), x.shape, (3, 3), (1, 1), (0, 0), (1, 1))).shape == x.shape
    assert host(ck.max_pool_forward(dev(x), (2, 2), (2, 2), (0, 0))[0]).shape == (0, 2, 2, 2)


def test_max_pool_window_of_padding_only_gets_no_gradient():
    x = np.full((1, 1, 1, 1), -np.inf)
    y, argmax = ck.max_pool_forward(dev(x), (3, 3), (3, 3), (1, 1))
    assert host(argmax)[0, 0, 0, 0] == 0 and host(y)[0, 0, 0, 0] == -np.inf
    np.testing.assert_array_equal(host(ck.max_pool_backward(dev(np.ones((1, 1, 1, 1))), argmax, x.shape,
                                                            (3, 3), (3, 3), (1, 1))), [[[[0.0]]]])


def test_launch_config():
    assert ck.launch_config(1000) == (4, 256)
    assert ck.launch_config(0) == (1, 256)
    assert ck.launch_config(10**12) == (ck.MAX_BLOCKS, 256)
    assert ck.launch_config(1000, blocks=2, threads=8) == (2, 8)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads: expected a positive int or None"):
            ck.launch_config(10, threads=bad)
        with pytest.raises(ValueError, match="blocks: expected a positive int or None"):
            ck.launch_config(10, blocks=bad)


@pytest.mark.skipif(SIMULATOR, reason="under the simulator the kernels take NumPy arrays")
def test_numpy_arrays_are_refused_on_the_gpu():
    with pytest.raises(TypeError, match="CUDA kernels take device"):
        ck.im2col(np.zeros((1, 1, 3, 3), np.float32), (2, 2), (1, 1), (0, 0), (1, 1))


# ------------------------------------------------------------------ Functions on these kernels

@pytest.fixture
def cuda_kernels(monkeypatch):
    """Every Function takes its kernels from tinyconv.kernels.cuda, on NumPy arrays (simulator),
    with blocks of 16 threads (each a Python thread in the simulator)."""
    if not SIMULATOR:
        pytest.skip("on a GPU the device-parametrised Function tests cover this")
    monkeypatch.setattr(backend, "kernels", lambda array: ck)
    monkeypatch.setattr(ck, "THREADS", 16)


@pytest.mark.parametrize("chunks", [False, True])
def test_conv2d_forward_backward_on_cuda_kernels(cuda_kernels, chunks, monkeypatch):
    from tinyconv import Tensor, functional as F
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((3, 2, 6, 5)), rng.standard_normal((4, 2, 3, 2)), rng.standard_normal(4)
    grad = rng.standard_normal((3, 4, 3, 5))

    def run():
        xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.conv2d(xt, wt, bt, stride=(2, 1), padding=(1, 1), dilation=(1, 2))
        y.backward(grad)
        return y.data, xt.grad, wt.grad, bt.grad

    if chunks:
        monkeypatch.setitem(backend._column_buffer_limits, "cpu", 1)  # one image per chunk
    got = run()
    monkeypatch.setattr(backend, "kernels", lambda array: ref)
    for a, e in zip(got, run()):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


def test_gradients_through_cuda_kernels(cuda_kernels):
    import tinyconv
    from tinyconv import functional as F
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((2, 2, 2, 2))
    assert tinyconv.gradcheck(lambda x, w: F.conv2d(x, w, padding=1), [x, w])
    pooled = (rng.permutation(2 * 4 * 4).reshape(1, 2, 4, 4) - 16) * 0.1  # distinct values: no ties
    assert tinyconv.gradcheck(lambda x: F.max_pool2d(x, 2, stride=1, padding=1), [pooled])
    assert tinyconv.gradcheck(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [pooled])
    assert tinyconv.gradcheck(lambda x: F.stochastic_pool2d(x, 2, training=False), [np.abs(pooled) + 0.1])
