"""2-D convolution (cross-correlation, as in every framework) by im2col + GEMM.

Forward: ``col = im2col(x)`` reshaped to (N, C*KH*KW, OH*OW); ``y[n] = W2 @ col[n]`` with
``W2 = weight.reshape(O, C*KH*KW)``, which yields NCHW directly. Backward:
``dW = sum_n dy[n] @ col[n].T``, ``dx = col2im(W2.T @ dy[n])``, ``db = sum dy over N, OH, OW``
(Chellapilla, Puri & Simard 2006, "High Performance Convolutional Neural Networks for Document
Processing"; the Caffe im2col design).
"""
from .. import backend
from ..autograd import Function
from ..kernels.reference import output_size
from .validation import pair, require_finite, require_float, require_ndim, require_same_dtype


class Conv2d(Function):
    def __init__(self, stride, padding, dilation):
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def forward(self, x, weight, bias=None):
        k = backend.kernels(x)
        o, c, kh, kw = weight.shape
        col = k.im2col(x, (kh, kw), self.stride, self.padding, self.dilation)
        n, oh, ow = x.shape[0], col.shape[4], col.shape[5]
        self.col = col.reshape(n, c * kh * kw, oh * ow)
        self.x_shape, self.weight = x.shape, weight
        y = weight.reshape(o, -1) @ self.col
        if bias is not None:
            y += bias[:, None]
        return y.reshape(n, o, oh, ow)

    def backward(self, g):
        k = backend.kernels(g)
        n, o, oh, ow = g.shape
        w2 = self.weight.reshape(o, -1)
        g3 = g.reshape(n, o, oh * ow)
        gw = (g3 @ self.col.transpose(0, 2, 1)).sum(axis=0).reshape(self.weight.shape) if self.needs_input_grad[1] else None
        gx = None
        if self.needs_input_grad[0]:
            gcol = (w2.T @ g3).reshape(n, *self.weight.shape[1:], oh, ow)
            gx = k.col2im(gcol, self.x_shape[2:], self.stride, self.padding, self.dilation)
        if len(self.needs_input_grad) == 2:
            return gx, gw
        return gx, gw, g.sum(axis=(0, 2, 3))


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution over an NCHW batch.

    Args:
        x: input (N, C, H, W), float32 or float64.
        weight: filters (O, C, KH, KW), same dtype.
        bias: optional (O,).
        stride, padding, dilation: int or (height, width) pair; stride, dilation >= 1, padding >= 0
            (zeros).

    Returns:
        (N, O, OH, OW) with OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1 (likewise OW).

    Raises:
        ValueError: wrong ranks, channel mismatch, bias size, a (dilated) kernel larger than the
            padded input, or non-finite input.
        TypeError: non-float input, weight or bias of another dtype than x, or a bad
            stride/padding/dilation type.
    """
    stride, padding, dilation = pair("stride", stride, 1), pair("padding", padding, 0), pair("dilation", dilation, 1)
    require_ndim("x", x, 4, "(N, C, H, W)")
    require_ndim("weight", weight, 4, "(O, C, KH, KW)")
    require_float("x", x)
    require_same_dtype("weight", weight, "x", x)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(f"weight: expected {x.shape[1]} input channels to match x of shape {tuple(x.shape)}, "
                         f"got weight of shape {tuple(weight.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"bias: expected shape ({weight.shape[0]},), got {tuple(bias.shape)}")
    if bias is not None:
        require_same_dtype("bias", bias, "x", x)
    for axis, name in ((0, "height"), (1, "width")):
        k, size = weight.shape[2 + axis], x.shape[2 + axis]
        if output_size(size, k, stride[axis], padding[axis], dilation[axis]) < 1:
            raise ValueError(f"weight: kernel {name} {k} (dilation {dilation[axis]}) is larger than the "
                             f"padded input {name} {size + 2 * padding[axis]}")
    require_finite("x", x)
    args = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d(stride, padding, dilation)(*args)
