"""The kernel contract: every kernel module gives the results of the reference kernels.

Parametrised over the kernel modules of ``tinyconv.kernels``: ``reference`` (NumPy, the oracle),
``cpu`` (Numba ``@njit``) and ``cuda`` (numba.cuda). Tests over ``FAST`` compare a fast module
with the reference kernels on hypothesis-drawn geometry: exact equality where both do the same
arithmetic (im2col copies, max pooling, the locations that stochastic pooling samples), float
tolerance where the summation order differs (col2im, average pooling, probabilistic weighting
and their gradients). Tests over ``ALL`` state properties that every module has, the oracle
included. Adding a kernel adds its test here, once, for all modules.

The cuda module runs under Numba's CUDA simulator, which must be switched on before numba is
imported, so in a second pytest process, which runs only the cuda cases:

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/test_kernel_contract.py

The simulator runs every CUDA thread as a Python thread on NumPy arrays: shapes and example
counts stay small. On a machine with a GPU and CuPy the cuda cases run in the main process, on
the GPU (arrays moved there and back); elsewhere they are skipped. CUDA launches are drawn with
deliberately few blocks and threads, so that the grid-stride loops must cover many work items
per thread.
"""
import importlib
import inspect
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from numba import config

from tinyconv import Tensor, backend, functional as F, gradcheck
from tinyconv.kernels import reference as ref
from strategies import conv_args, conv_geometry, distinct, pool_args, pool_geometry, seeds, sparse_non_negative, uniform

SIMULATOR = bool(config.ENABLE_CUDASIM)
CUDA = SIMULATOR or backend.cuda_available()
DTYPES = [np.float32, np.float64]
# The public kernels: the functions that kernels/reference.py defines, by name.
KERNELS = sorted(name for name, f in vars(ref).items()
                 if inspect.isfunction(f) and f.__module__ == ref.__name__ and not name.startswith("_"))


@dataclass(frozen=True)
class KernelModule:
    """A kernel module under test and how to draw its cases: the hypothesis examples per test,
    the conv and pool geometry strategies, and the (blocks, threads) launch configurations
    (CUDA only: None is the launcher's default)."""
    name: str
    examples: int = 0
    conv: st.SearchStrategy = None
    pool: st.SearchStrategy = None
    launches: tuple = ((None, None),)

    @property
    def module(self):
        return importlib.import_module(f"tinyconv.kernels.{self.name}")

    def __call__(self, kernel, *args, launch=(None, None)):
        """Run ``kernel`` of this module on host arrays and return host arrays (moved to the GPU
        and back for cuda on a GPU; ``launch`` is passed to cuda's launchers only)."""
        on_gpu = self.name == "cuda" and not SIMULATOR
        args = [backend.to_device(a, "cuda") if on_gpu and isinstance(a, np.ndarray) else a for a in args]
        blocks, threads = launch
        options = {"blocks": blocks, "threads": threads} if self.name == "cuda" else {}
        out = getattr(self.module, kernel)(*args, **options)
        return tuple(map(backend.to_numpy, out)) if isinstance(out, tuple) else backend.to_numpy(out)

    def given(self, geometry):
        """Decorate ``check(data, g, launch)`` to run on this module's ``geometry`` ("conv" or
        "pool") and launches, for its number of examples."""
        strategies = {"data": st.data(), "g": getattr(self, geometry), "launch": st.sampled_from(self.launches)}
        return lambda check: settings(max_examples=self.examples)(given(**strategies)(check))


MODULES = {
    "reference": KernelModule("reference"),  # the oracle: never drawn against itself
    "cpu": KernelModule("cpu", 60, conv_geometry(max_channels=4, max_kernel=4),
                        pool_geometry(max_channels=3, max_kernel=4)),
    "cuda": KernelModule("cuda", 20, conv_geometry(max_channels=3), pool_geometry(),
                         ((None, None), (1, 1), (1, 7), (2, 5), (3, 32))),  # far fewer threads than items
}
NO_CUDA = ("CUDA kernels: run under Numba's CUDA simulator "
           "(NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/test_kernel_contract.py) or on a GPU")


def over(*names):
    """Parametrise a test by ``kernels`` over the modules ``names``: the simulator's process
    runs only cuda, which the main process skips where there is no GPU."""
    return pytest.mark.parametrize("kernels", [
        pytest.param(MODULES[name], id=name, marks=pytest.mark.skipif(name == "cuda" and not CUDA, reason=NO_CUDA))
        for name in names if name == "cuda" or not SIMULATOR])


ALL, FAST, CUDA_ONLY = over("reference", "cpu", "cuda"), over("cpu", "cuda"), over("cuda")
MAIN_PROCESS = pytest.mark.skipif(SIMULATOR, reason="not about the CUDA kernels: runs in the main pytest process")


# ------------------------------------------------------------------ the modules against the oracle

@FAST
@pytest.mark.parametrize("name", KERNELS)
def test_module_has_the_reference_kernel(kernels, name):
    """The same name and parameters (cuda's launchers add ``blocks`` and ``threads``)."""
    expected = list(inspect.signature(getattr(ref, name)).parameters.values())
    got = list(inspect.signature(getattr(kernels.module, name)).parameters.values())
    assert got[:len(expected)] == expected
    assert [p.name for p in got[len(expected):]] == (["blocks", "threads"] if kernels.name == "cuda" else [])


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pad_value", [0.0, -np.inf])
def test_im2col(kernels, dtype, pad_value):
    @kernels.given("conv")
    def check(data, g, launch):
        x = data.draw(uniform(g.x_shape, dtype=dtype))
        got = kernels("im2col", x, *conv_args(g), pad_value, launch=launch)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, ref.im2col(x, *conv_args(g), pad_value))
    check()


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
def test_col2im(kernels, dtype):
    @kernels.given("conv")
    def check(data, g, launch):
        (kh, kw), (oh, ow) = g.kernel, g.out_size
        col = data.draw(uniform((g.c * kh * kw, g.n * oh * ow), dtype=dtype))
        got = kernels("col2im", col, g.x_shape, *conv_args(g), launch=launch)
        assert got.dtype == dtype and got.shape == g.x_shape
        np.testing.assert_allclose(got, ref.col2im(col, g.x_shape, *conv_args(g)), rtol=1e-5, atol=1e-6)
    check()


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool(kernels, dtype):
    @kernels.given("pool")
    def check(data, g, launch):
        x = data.draw(distinct(g.x_shape)).astype(dtype) - 5  # negative values too: padding is -inf
        y, argmax = kernels("max_pool_forward", x, *pool_args(g), launch=launch)
        y_ref, argmax_ref = ref.max_pool_forward(x, *pool_args(g))
        np.testing.assert_array_equal(y, y_ref)
        np.testing.assert_array_equal(argmax, argmax_ref)
        assert y.dtype == dtype and argmax.dtype == np.int64
        grad = data.draw(uniform(y.shape, dtype=dtype))
        np.testing.assert_allclose(kernels("max_pool_backward", grad, argmax, x.shape, *pool_args(g), launch=launch),
                                   ref.max_pool_backward(grad, argmax, x.shape, *pool_args(g)), rtol=1e-5, atol=1e-6)
    check()


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 6, 8), (2, 3, 7, 5), (1, 1, 2, 3)])
def test_max_pool_2x2_stride_2(kernels, dtype, shape):
    # the cpu module has its own kernel for these windows; odd sizes leave a row or column out
    rng = np.random.default_rng(0)
    x = rng.permutation(np.prod(shape)).reshape(shape).astype(dtype)
    x.flat[::5] = x.flat[0]  # ties: the first maximum wins
    geometry = ((2, 2), (2, 2), (0, 0))
    y, argmax = kernels("max_pool_forward", x, *geometry)
    y_ref, argmax_ref = ref.max_pool_forward(x, *geometry)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(argmax, argmax_ref)
    grad = rng.standard_normal(y.shape).astype(dtype)
    np.testing.assert_array_equal(kernels("max_pool_backward", grad, argmax, shape, *geometry),
                                  ref.max_pool_backward(grad, argmax, shape, *geometry))


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_one_channel(kernels, dtype):
    tolerance = {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}

    def pairs(low, high):
        return st.tuples(st.integers(low, high), st.integers(low, high))

    @settings(max_examples=kernels.examples)
    @given(data=st.data(), n=st.integers(0, 3), o=st.integers(1, 4), size=pairs(1, 9), kernel=pairs(1, 7),
           padding=pairs(0, 3), launch=st.sampled_from(kernels.launches))
    def check(data, n, o, size, kernel, padding, launch):  # kernels wider than 5: two passes of taps
        assume(all(s + 2 * p >= k for s, k, p in zip(size, kernel, padding)))
        x, weight = data.draw(uniform((n, 1) + size, dtype=dtype)), data.draw(uniform((o, 1) + kernel, dtype=dtype))
        y = kernels("conv2d_one_channel", x, weight, padding, launch=launch)
        want = ref.conv2d_one_channel(x, weight, padding)
        assert y.dtype == dtype and y.shape == want.shape
        np.testing.assert_allclose(y, want, **tolerance)
        grad = data.draw(uniform(want.shape, dtype=dtype))
        dw = kernels("conv2d_one_channel_weight_grad", x, grad, kernel, padding, launch=launch)
        want = ref.conv2d_one_channel_weight_grad(x, grad, kernel, padding)
        assert dw.dtype == dtype and dw.shape == weight.shape
        np.testing.assert_allclose(dw, want, **tolerance)
    check()


# the LSTM cell kernels: the shapes of their arguments for N rows and H hidden units
LSTM_ARGS = {"lstm_cell_forward": lambda n, h: [(n, 4 * h), (n, h)],
             "lstm_cell_backward": lambda n, h: [(n, 4 * h)] + [(n, h)] * 4}


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(LSTM_ARGS))
def test_lstm_cell(kernels, dtype, name):
    @settings(max_examples=kernels.examples)
    @given(data=st.data(), rows=st.integers(0, 4), size=st.integers(1, 5), launch=st.sampled_from(kernels.launches))
    def check(data, rows, size, launch):
        args = [data.draw(uniform(shape, dtype=dtype)) for shape in LSTM_ARGS[name](rows, size)]
        got = kernels(name, *(a.copy() for a in args), launch=launch)  # the forward overwrites its t
        for g, want in zip(got, getattr(ref, name)(*args)):
            assert g.dtype == dtype and g.shape == want.shape
            if kernels.name == "cpu":  # the same operations in the same order
                np.testing.assert_array_equal(g, want)
            else:  # the GPU may fuse a multiply and an add
                np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)
    check()


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_pool(kernels, dtype):
    @kernels.given("pool")
    def check(data, g, launch):
        x = data.draw(uniform(g.x_shape, dtype=dtype))
        y = kernels("avg_pool_forward", x, *pool_args(g), launch=launch)
        assert y.dtype == dtype
        np.testing.assert_allclose(y, ref.avg_pool_forward(x, *pool_args(g)), rtol=1e-5, atol=1e-6)
        grad = data.draw(uniform(y.shape, dtype=dtype))
        np.testing.assert_allclose(kernels("avg_pool_backward", grad, x.shape, *pool_args(g), launch=launch),
                                   ref.avg_pool_backward(grad, x.shape, *pool_args(g)), rtol=1e-5, atol=1e-6)
    check()


@FAST
@pytest.mark.parametrize("dtype", DTYPES)
def test_stochastic_pool(kernels, dtype):
    @kernels.given("pool")
    def check(data, g, launch):
        x = data.draw(sparse_non_negative(g.x_shape)).astype(dtype)
        y_shape = (g.n, g.c) + g.out_size
        u = np.random.default_rng(data.draw(seeds)).random(y_shape)
        u.flat[0], u.flat[-1] = 0.0, np.nextafter(1.0, 0.0)  # both ends of [0, 1)
        y, index = kernels("stochastic_pool_forward", x, *pool_args(g), u, launch=launch)
        y_ref, index_ref = ref.stochastic_pool_forward(x, *pool_args(g), u)
        assert y.dtype == dtype and index.dtype == np.int64
        np.testing.assert_array_equal(index, index_ref)  # the same locations from the same draws
        np.testing.assert_array_equal(y, y_ref)
        # y is the activation at the sampled location, positive unless the window sums to 0.
        col = ref.im2col(x.reshape(-1, 1, g.h, g.w), *pool_args(g), (1, 1))  # (KH*KW, N*C*OH*OW)
        np.testing.assert_array_equal(col[index.ravel(), np.arange(col.shape[1])], y.ravel())
        np.testing.assert_array_equal(y.ravel() > 0, col.sum(axis=0) > 0)
        weighted = kernels("stochastic_pool_weighted_forward", x, *pool_args(g), launch=launch)
        assert weighted.dtype == dtype
        np.testing.assert_allclose(weighted, ref.stochastic_pool_weighted_forward(x, *pool_args(g)),
                                   rtol=1e-5, atol=1e-6)
        grad = data.draw(uniform(y_shape, dtype=dtype))
        got = kernels("stochastic_pool_weighted_backward", grad, x, *pool_args(g), launch=launch)
        assert got.dtype == dtype
        np.testing.assert_allclose(got, ref.stochastic_pool_weighted_backward(grad, x, *pool_args(g)),
                                   rtol=1e-4, atol=1e-5)
    check()


@FAST
def test_one_thread_covers_a_whole_array(kernels):
    # For cuda, one block of one thread: the grid-stride loops walk every column entry, pixel and window.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    args, one = ((3, 3), (2, 1), (1, 1), (1, 2)), (1, 1)
    np.testing.assert_array_equal(kernels("im2col", x, *args, 0.0, launch=one), ref.im2col(x, *args))
    col = rng.standard_normal(ref.im2col(x, *args).shape)
    np.testing.assert_allclose(kernels("col2im", col, x.shape, *args, launch=one), ref.col2im(col, x.shape, *args),
                               rtol=1e-12)
    _, argmax = kernels("max_pool_forward", x, (2, 3), (2, 2), (1, 1), launch=one)
    np.testing.assert_array_equal(argmax, ref.max_pool_forward(x, (2, 3), (2, 2), (1, 1))[1])


# ------------------------------------------------------------------ properties of every module

@ALL
def test_stochastic_pool_samples_a_positive_location_even_when_rounding_misses(kernels):
    # One subnormal activation: u * total rounds to total, so no cumulative sum exceeds the
    # target; the last positive location is taken, never the zeros after it.
    x = np.array([[[[0.0, 5e-324], [0.0, 0.0]]]])
    y, index = kernels("stochastic_pool_forward", x, (2, 2), (2, 2), (0, 0), np.full((1, 1, 1, 1), 0.9))
    assert index[0, 0, 0, 0] == 1 and y[0, 0, 0, 0] == 5e-324
    y, index = kernels("stochastic_pool_forward", np.zeros((1, 1, 2, 2)), (2, 2), (2, 2), (0, 0),
                       np.full((1, 1, 1, 1), 0.5))
    assert index[0, 0, 0, 0] == 0 and y[0, 0, 0, 0] == 0


@ALL
def test_max_pool_window_of_padding_only_gets_no_gradient(kernels):
    # kernel 3, padding 1, stride 3 on a 1x1 image: one window, its first entry is padding.
    x = np.full((1, 1, 1, 1), -np.inf)
    y, argmax = kernels("max_pool_forward", x, (3, 3), (3, 3), (1, 1))
    assert argmax[0, 0, 0, 0] == 0 and y[0, 0, 0, 0] == -np.inf
    dx = kernels("max_pool_backward", np.ones_like(y), argmax, x.shape, (3, 3), (3, 3), (1, 1))
    np.testing.assert_array_equal(dx, [[[[0.0]]]])


@ALL
def test_empty_batch_gives_empty_results(kernels):
    x = np.zeros((0, 2, 4, 4), np.float32)
    assert kernels("im2col", x, (3, 3), (1, 1), (0, 0), (1, 1)).shape == (18, 0)
    assert kernels("col2im", np.zeros((18, 0), np.float32), x.shape, (3, 3), (1, 1), (0, 0), (1, 1)).shape == x.shape
    assert kernels("max_pool_forward", x, (2, 2), (2, 2), (0, 0))[0].shape == (0, 2, 2, 2)


# ------------------------------------------------------------------ Functions on these kernels

@contextmanager
def functions_on(kernels):
    """Every Function takes its kernels from ``kernels``, on NumPy arrays. For cuda: under the
    simulator (on a GPU the device-parametrised Function tests cover this), with blocks of 16
    threads (each a Python thread in the simulator)."""
    if kernels.name == "cuda" and not SIMULATOR:
        pytest.skip("on a GPU the device-parametrised Function tests cover this")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(backend, "kernels", lambda array: kernels.module)
        if kernels.name == "cuda":
            patch.setattr(kernels.module, "THREADS", 16)
        yield


@MAIN_PROCESS
def test_one_channel_convolution_keeps_within_the_column_buffer_limit():
    # the reference (and CUDA) kernels compute it with a column buffer: 10 MB for this batch
    import tracemalloc
    x, w = Tensor(np.ones((64, 1, 28, 28))), Tensor(np.ones((6, 1, 5, 5)), requires_grad=True)
    with functions_on(MODULES["reference"]), backend.use_column_buffer_limit(2**18):
        tracemalloc.start()
        try:
            F.conv2d(x, w, padding=2).sum().backward()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 * 2**20  # the output (2.4 MB) and its gradient, not a whole-batch buffer besides


@ALL
@settings(max_examples=20)
@given(data=st.data(), g=conv_geometry(max_batch=5), limit=st.integers(1, 400))
def test_conv2d_in_batch_chunks_equals_whole_batch(kernels, data, g, limit):
    x, w = data.draw(uniform(g.x_shape)), data.draw(uniform(g.weight_shape))
    grad = data.draw(uniform((g.n, g.o) + g.out_size))

    def run():
        xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
        y = F.conv2d(xt, wt, stride=g.stride, padding=g.padding, dilation=g.dilation)
        y.backward(grad)
        return y.data, xt.grad, wt.grad

    with functions_on(kernels):
        whole = run()
        with backend.use_column_buffer_limit(limit):  # a few bytes: one image per chunk
            chunked = run()
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# input, weight and output gradient shapes and F.conv2d's options
CONV_CASES = {"strided and dilated": ((3, 2, 6, 5), (4, 2, 3, 2), (3, 4, 3, 5),
                                      {"stride": (2, 1), "padding": (1, 1), "dilation": (1, 2)}),
              "one channel": ((3, 1, 7, 6), (4, 1, 5, 3), (3, 4, 7, 6), {"padding": (2, 1)})}


@FAST
@pytest.mark.parametrize("chunks", [False, True])
@pytest.mark.parametrize("x_needs_grad", [True, False])  # one channel, no gradient: conv2d_one_channel
@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv2d_forward_backward_equals_reference(kernels, chunks, x_needs_grad, case):
    # against the reference kernels through the column buffer (an input that needs a gradient)
    x_shape, w_shape, grad_shape, options = CONV_CASES[case]
    rng = np.random.default_rng(1)
    x, w, b, grad = (rng.standard_normal(shape) for shape in (x_shape, w_shape, w_shape[:1], grad_shape))

    def run(x_needs_grad):
        xt, wt, bt = Tensor(x, requires_grad=x_needs_grad), Tensor(w, requires_grad=True), Tensor(b, requires_grad=True)
        y = F.conv2d(xt, wt, bt, **options)
        y.backward(grad)
        return [y.data, wt.grad, bt.grad] + ([xt.grad] if x_needs_grad else [])

    limit = backend.use_column_buffer_limit(1) if chunks else nullcontext()  # one image per chunk
    with functions_on(kernels), limit:
        got = run(x_needs_grad)
    with functions_on(MODULES["reference"]):
        expected = run(True)
    for a, e in zip(got, expected):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@ALL
def test_gradients_through_kernels(kernels):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((1, 2, 4, 4)), rng.standard_normal((2, 2, 2, 2))
    pooled = (rng.permutation(2 * 4 * 4).reshape(1, 2, 4, 4) - 16) * 0.1  # distinct values: no ties
    with functions_on(kernels):
        assert gradcheck(lambda x, w: F.conv2d(x, w, padding=1), [x, w])
        assert gradcheck(lambda x: F.max_pool2d(x, 2, stride=1, padding=1), [pooled])
        assert gradcheck(lambda x: F.avg_pool2d(x, 3, stride=2, padding=1), [pooled])
        assert gradcheck(lambda x: F.stochastic_pool2d(x, 2, training=False), [np.abs(pooled) + 0.1])


# ------------------------------------------------------------------ launching, choosing, chunking

@CUDA_ONLY
def test_launch_config(kernels):
    ck = kernels.module
    assert ck.launch_config(1000) == (4, 256)
    assert ck.launch_config(0) == (1, 256)
    assert ck.launch_config(10**12) == (ck.MAX_BLOCKS, 256)
    assert ck.launch_config(1000, blocks=2, threads=8) == (2, 8)
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads: expected a positive int or None"):
            ck.launch_config(10, threads=bad)
        with pytest.raises(ValueError, match="blocks: expected a positive int or None"):
            ck.launch_config(10, blocks=bad)


@CUDA_ONLY
@pytest.mark.skipif(SIMULATOR, reason="under the simulator the kernels take NumPy arrays")
def test_numpy_arrays_are_refused_on_the_gpu(kernels):
    with pytest.raises(TypeError, match="CUDA kernels take device"):
        kernels.module.im2col(np.zeros((1, 1, 3, 3), np.float32), (2, 2), (1, 1), (0, 0), (1, 1))


@MAIN_PROCESS
def test_dispatch_follows_the_selection():
    from tinyconv.kernels import cpu
    x = np.zeros((1, 1, 2, 2))
    with backend.use_kernels("reference"):
        assert backend.kernels(x) is ref
    with backend.use_kernels("numba"):  # the compiled kernels, each call on tinyconv's kernel threads
        assert backend.kernels(x).im2col.__wrapped__ is cpu.im2col
    with pytest.raises(ValueError, match=r"name: expected one of \('numba', 'reference'\), got 'fast'"):
        backend.set_kernels("fast")


@MAIN_PROCESS
def test_batch_chunks_cover_the_batch_within_the_limit():
    from tinyconv.functional.conv import batch_chunks
    assert batch_chunks(10, 100, 1000) == [slice(0, 10)]
    assert batch_chunks(10, 100, 300) == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]
    assert batch_chunks(3, 100, 1) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # one image at least


@MAIN_PROCESS
def test_column_buffer_limit_rejects_bad_values():
    with pytest.raises(ValueError, match="nbytes: expected a positive int, got 0"):
        backend.set_column_buffer_limit(0)


@MAIN_PROCESS
def test_cpu_kernels_give_the_same_bits_on_one_and_two_threads():
    # each thread owns whole rows or planes: no sum is split across threads
    import numba
    from tinyconv.kernels import cpu
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba runs one thread here")
    x = np.random.default_rng(0).standard_normal((4, 3, 9, 9)).astype(np.float32)
    conv, pool, pool2 = ((3, 3), (1, 1), (1, 1), (1, 1)), ((3, 3), (2, 2), (1, 1)), ((2, 2), (2, 2), (0, 0))

    grey, weight = x[:, :1], x[:3, :1, :5, :7]  # one-channel input, a 5x7 kernel: two passes of taps

    def run():
        col = cpu.im2col(x, *conv)
        y, argmax = cpu.max_pool_forward(x, *pool)
        y2, argmax2 = cpu.max_pool_forward(x, *pool2)
        y3 = cpu.conv2d_one_channel(grey, weight, (2, 3))
        return [col, cpu.col2im(col, x.shape, *conv), y, cpu.max_pool_backward(y, argmax, x.shape, *pool),
                y2, cpu.max_pool_backward(y2, argmax2, x.shape, *pool2),
                y3, cpu.conv2d_one_channel_weight_grad(grey, y3, (5, 7), (2, 3))]

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
