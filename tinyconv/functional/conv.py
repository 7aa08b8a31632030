"""2-D convolution (cross-correlation, as in every framework) by im2col + GEMM.

Forward: ``col = im2col(x)`` (C*KH*KW, N*OH*OW); ``y = W2 @ col`` with
``W2 = weight.reshape(O, C*KH*KW)``, giving (O, N*OH*OW), then NCHW. Backward, with ``g2`` the
output gradient as (O, N*OH*OW): ``dW = g2 @ col.T``, ``dx = col2im(W2.T @ g2)``,
``db = g2.sum(1)`` (Chellapilla, Puri & Simard 2006, "High Performance Convolutional Neural
Networks for Document Processing"; the Caffe im2col design). When the column buffer of the
whole batch would exceed :func:`tinyconv.backend.column_buffer_limit` bytes (one limit per
device), the batch is processed in chunks and the columns are recomputed in backward instead
of being kept.
"""
from .. import backend
from ..autograd import Function
from ..kernels.reference import output_size
from .validation import layer_args, pair, require_finite


def batch_chunks(n, bytes_per_image, limit):
    """Split range(n) into consecutive slices whose column buffers stay within ``limit`` bytes
    (at least one image per chunk)."""
    step = max(1, min(n, limit // max(bytes_per_image, 1)))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


class Conv2d(Function):
    def __init__(self, stride, padding, dilation):
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def _columns(self, x):
        return backend.kernels(x).im2col(x, self.weight.shape[2:], self.stride, self.padding, self.dilation)

    def forward(self, x, weight, bias=None):
        xp = backend.get_array_module(x)
        o, c, kh, kw = weight.shape
        n, _, h, w = x.shape
        oh = output_size(h, kh, self.stride[0], self.padding[0], self.dilation[0])
        ow = output_size(w, kw, self.stride[1], self.padding[1], self.dilation[1])
        self.weight, self.x = weight, x
        self.chunks = batch_chunks(n, c * kh * kw * oh * ow * x.itemsize,
                                   backend.column_buffer_limit(backend.device_of(x)))
        y = xp.empty((n, o, oh, ow), dtype=x.dtype)
        for chunk in self.chunks:
            self.col = self._columns(x[chunk])
            y_chunk = weight.reshape(o, c * kh * kw) @ self.col
            if bias is not None:
                y_chunk += bias[:, None]
            y[chunk] = y_chunk.reshape(o, chunk.stop - chunk.start, oh, ow).transpose(1, 0, 2, 3)
        if len(self.chunks) > 1:
            self.col = None
        return y

    def backward(self, g):
        xp = backend.get_array_module(g)
        o, c, kh, kw = self.weight.shape
        w2 = self.weight.reshape(o, c * kh * kw)
        need_x, need_w = self.needs_input_grad[:2]
        gw = xp.zeros_like(w2) if need_w else None
        gx = xp.empty_like(self.x) if need_x else None
        for chunk in self.chunks:
            col = self._columns(self.x[chunk]) if self.col is None else self.col
            gc = g[chunk]
            g2 = xp.ascontiguousarray(gc.transpose(1, 0, 2, 3)).reshape(o, gc.shape[0] * gc.shape[2] * gc.shape[3])
            if need_w:
                gw += (col @ g2.T).T  # measured faster than g2 @ col.T for these skinny shapes
            if need_x:
                gx[chunk] = backend.kernels(g).col2im(w2.T @ g2, self.x[chunk].shape, self.weight.shape[2:],
                                                      self.stride, self.padding, self.dilation)
        gw = None if gw is None else gw.reshape(self.weight.shape)
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
            padded input, stride or dilation < 1, padding < 0, or non-finite input (a
            :class:`tinyconv.NonFiniteError`).
        TypeError: x not float32/float64, weight or bias of another dtype than x, or a bad
            stride/padding/dilation type.
        RuntimeError: arguments on different devices.
    """
    stride, padding, dilation = pair("stride", stride, 1), pair("padding", padding, 0), pair("dilation", dilation, 1)
    x, weight, bias = layer_args(x, weight, bias, "(N, C, H, W)", "(O, C, KH, KW)")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(f"weight: expected {x.shape[1]} input channels to match x of shape {tuple(x.shape)}, "
                         f"got weight of shape {tuple(weight.shape)}")
    for axis, name in ((0, "height"), (1, "width")):
        k, size = weight.shape[2 + axis], x.shape[2 + axis]
        if output_size(size, k, stride[axis], padding[axis], dilation[axis]) < 1:
            raise ValueError(f"weight: kernel {name} {k} (dilation {dilation[axis]}) is larger than the "
                             f"padded input {name} {size + 2 * padding[axis]}")
    require_finite("x", x)
    args = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d(stride, padding, dilation)(*args)
