"""conv_transpose2d: the exact adjoint of conv2d, equal to PyTorch's, the same in chunks of the
batch, and clear errors for bad arguments. (Its gradients are checked in test_gradcheck.py.)"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinyconv as tc
from tinyconv import Tensor, backend, functional as F
from strategies import conv_geometry, uniform


def transposed(y, w, g, bias=None):
    return F.conv_transpose2d(y, w, bias, stride=g.stride, padding=g.padding, output_padding=g.output_padding,
                              dilation=g.dilation)


@pytest.mark.parametrize("kernels", backend.KERNELS)
@settings(max_examples=60)  # the geometry space is large; each example is cheap
@given(data=st.data(), g=conv_geometry())
def test_adjoint_of_conv2d(kernels, data, g):
    """<conv2d(x, W), y> = <x, conv_transpose2d(y, W)> for every x and y."""
    x, w = data.draw(uniform(g.x_shape)), data.draw(uniform(g.weight_shape))
    y = data.draw(uniform((g.n, g.o) + g.out_size))
    with backend.use_kernels(kernels):
        forward = F.conv2d(Tensor(x), Tensor(w), stride=g.stride, padding=g.padding, dilation=g.dilation).data
        adjoint = transposed(Tensor(y), Tensor(w), g).data
    assert adjoint.shape == x.shape
    np.testing.assert_allclose(np.vdot(forward, y), np.vdot(x, adjoint), rtol=1e-10, atol=1e-12)


def run_with_torch(x, w, b, g, **options):
    """Forward and the three gradients (for the output gradient ``grad``) of tinyconv and PyTorch."""
    torch = pytest.importorskip("torch")
    grad_seed = np.random.default_rng(7)
    tensors = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    y = F.conv_transpose2d(*tensors, **options)
    grad = grad_seed.standard_normal(y.shape)
    y.backward(grad)
    peers = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    peer = torch.nn.functional.conv_transpose2d(*peers, **options)
    peer.backward(torch.tensor(grad))
    return [y.data] + [t.grad for t in tensors], [peer.detach().numpy()] + [t.grad.numpy() for t in peers]


@settings(max_examples=30)
@given(data=st.data(), g=conv_geometry())
def test_matches_torch(data, g):
    x, w, b = data.draw(uniform((g.n, g.o) + g.out_size)), data.draw(uniform(g.weight_shape)), data.draw(uniform((g.c,)))
    ours, theirs = run_with_torch(x, w, b, g, stride=g.stride, padding=g.padding, output_padding=g.output_padding,
                                  dilation=g.dilation)
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("options", [
    dict(stride=1, dilation=2, output_padding=1),                       # output_padding >= stride, < dilation
    dict(stride=(2, 1), dilation=(1, 3), padding=(1, 2), output_padding=(1, 2)),
    dict(stride=2, padding=1, output_padding=1),                        # the usual 2x upsampling
])
def test_output_padding_matches_torch(options):
    rng = np.random.default_rng(3)
    ours, theirs = run_with_torch(rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((3, 2, 3, 3)),
                                  rng.standard_normal(2), None, **options)
    for a, e in zip(ours, theirs):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernels", backend.KERNELS)
def test_chunks_of_the_batch_give_the_same_result(kernels):
    rng = np.random.default_rng(4)
    x, w, b = rng.standard_normal((3, 2, 4, 4)), rng.standard_normal((2, 3, 3, 3)), rng.standard_normal(3)

    def run():
        tensors = [Tensor(a, requires_grad=True) for a in (x, w, b)]
        y = F.conv_transpose2d(*tensors, stride=2, padding=1, output_padding=1)
        (y * y).sum().backward()
        return [y.data] + [t.grad for t in tensors]

    with backend.use_kernels(kernels):
        whole = run()
        previous = backend.set_column_buffer_limit(1)  # one image per chunk
        try:
            chunked = run()
        finally:
            backend.set_column_buffer_limit(previous)
    for a, e in zip(whole, chunked):
        np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-12)


def test_upsamples_by_the_stride():
    y = F.conv_transpose2d(Tensor(np.ones((1, 1, 7, 7), np.float32)), Tensor(np.ones((1, 4, 4, 4), np.float32)),
                           stride=2, padding=1)
    assert y.shape == (1, 4, 14, 14) and y.dtype == np.float32


@pytest.mark.parametrize("kw, in_hw, out_hw", [
    (dict(kernel_size=4, stride=2, padding=1), (7, 7), (14, 14)),
    (dict(kernel_size=3, stride=2, padding=1, output_padding=1), (7, 7), (14, 14)),
    (dict(kernel_size=(3, 5), stride=(1, 2)), (4, 5), (6, 13)),
    (dict(kernel_size=3, dilation=2), (4, 4), (8, 8)),
])
def test_layer_shapes_and_initialisation(kw, in_hw, out_hw):
    layer = tc.nn.ConvTranspose2d(8, 3, rng=np.random.default_rng(0), **kw)
    y = layer(Tensor(np.ones((2, 8, *in_hw), np.float32)))
    assert y.shape == (2, 3, *out_hw) and y.dtype == np.float32
    assert layer.weight.shape == (8, 3, *layer.kernel_size) and layer.bias.shape == (3,)
    bound = 1 / np.sqrt(3 * np.prod(layer.kernel_size))  # PyTorch's fan-in of a transposed conv: C_out*KH*KW
    assert float(np.abs(layer.weight.data).max()) <= bound
    assert float(np.abs(layer.weight.data).max()) > 0.8 * bound


def test_layer_without_bias_and_float64():
    layer = tc.nn.ConvTranspose2d(2, 4, 3, bias=False, dtype=np.float64)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    assert layer(Tensor(np.ones((1, 2, 5, 5)))).shape == (1, 4, 7, 7)


X = Tensor(np.ones((2, 3, 4, 4)))
W = Tensor(np.ones((3, 5, 3, 3)))


@pytest.mark.parametrize("args, kw, error, match", [
    ((X, Tensor(np.ones((4, 5, 3, 3)))), {}, ValueError, r"weight: expected 3 input channels \(axis 0\)"),
    ((X, W, Tensor(np.ones(3))), {}, ValueError, r"bias: expected shape \(5,\), got \(3,\)"),
    ((X, W), dict(output_padding=2, stride=2), ValueError,
     r"output_padding: expected values smaller than the stride or the dilation, got 2 for the height"),
    ((X, W), dict(output_padding=(0, 1)), ValueError, r"got 1 for the width \(stride 1, dilation 1\)"),
    ((X, W), dict(output_padding=-1), ValueError, r"output_padding: expected values >= 0"),
    ((X, W), dict(padding=4), ValueError, r"padding: 4 leaves an output height of -2"),
    ((X, W), dict(stride=0), ValueError, r"stride: expected values >= 1"),
    ((X, W), dict(output_padding=1.5), TypeError, r"output_padding: expected an int or a pair of ints"),
    ((Tensor(np.ones((3, 4, 4))), W), {}, ValueError, r"x: expected a 4-D tensor \(N, C_in, H, W\)"),
    ((X, Tensor(np.ones((3, 5, 3)))), {}, ValueError, r"weight: expected a 4-D tensor \(C_in, C_out, KH, KW\)"),
    ((X, Tensor(np.ones((3, 5, 3, 3), np.float32))), {}, TypeError, r"weight: expected dtype float64"),
])
def test_errors(args, kw, error, match):
    with pytest.raises(error, match=match):
        F.conv_transpose2d(*args, **kw)


def test_non_finite_input_is_refused_inside_detect_anomaly_only():
    x = Tensor(np.full((2, 3, 4, 4), np.nan))
    with tc.detect_anomaly(), pytest.raises(tc.NonFiniteError, match=r"x: expected finite values"):
        F.conv_transpose2d(x, W)
    assert np.isnan(F.conv_transpose2d(x, W).data).all()  # outside: propagates, as in PyTorch
