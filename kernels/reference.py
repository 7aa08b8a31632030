"""Reference im2col / col2im and pooling kernels in NumPy (or CuPy: one ``xp`` code path).

Column layout (Caffe's per-image column buffer, batched): ``col[n, c, kh, kw, oh, ow]`` is the
input pixel ``x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]`` (``pad_value`` outside the
image). Reshaped to (N, C*KH*KW, OH*OW) it is the right operand of the convolution GEMM.
Shape letters: N batch, C channels, H/W input size, KH/KW kernel, SH/SW stride, PH/PW padding,
DH/DW dilation, OH/OW output size.
"""
from tinyconv.backend import get_array_module


def output_size(size, kernel, stride, padding, dilation):
    """Output length of a sliding window: floor((size + 2P - D*(K-1) - 1) / S) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _window(offset, stride, count):
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def im2col(x, kernel, stride, padding, dilation, pad_value=0.0):
    """Unfold sliding windows of ``x`` (N, C, H, W) into ``col`` (N, C, KH, KW, OH, OW).

    ``kernel``, ``stride``, ``padding``, ``dilation`` are (height, width) pairs of ints;
    ``pad_value`` fills the padding (0 for convolution, -inf for max pooling).
    """
    xp = get_array_module(x)
    (n, c, h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = x.shape, kernel, stride, padding, dilation
    oh, ow = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    if ph or pw:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    col = xp.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, :, i, j] = x[:, :, _window(i * dh, sh, oh), _window(j * dw, sw, ow)]
    return col


def col2im(col, size, stride, padding, dilation):
    """Fold ``col`` (N, C, KH, KW, OH, OW) back to an image (N, C, H, W), summing overlaps.

    The adjoint of :func:`im2col`: ``size`` is (H, W); other arguments as there.
    """
    xp = get_array_module(col)
    (n, c, kh, kw, oh, ow), (h, w), (sh, sw), (ph, pw), (dh, dw) = col.shape, size, stride, padding, dilation
    x = xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            x[:, :, _window(i * dh, sh, oh), _window(j * dw, sw, ow)] += col[:, :, i, j]
    return x[:, :, ph:ph + h, pw:pw + w]


def _pool_columns(x, kernel, stride, padding, pad_value):
    col = im2col(x, kernel, stride, padding, (1, 1), pad_value)
    n, c, kh, kw, oh, ow = col.shape
    return col.reshape(n, c, kh * kw, oh, ow)


def max_pool_forward(x, kernel, stride, padding):
    """Max pooling of ``x`` (N, C, H, W), padding with -inf.

    Returns ``(y, argmax)``: ``y`` (N, C, OH, OW) and ``argmax`` (N, C, OH, OW) int64, the
    index ``kh * KW + kw`` of the maximum inside each window (the first one on ties).
    """
    col = _pool_columns(x, kernel, stride, padding, -float("inf"))
    argmax = col.argmax(axis=2)
    y = get_array_module(x).take_along_axis(col, argmax[:, :, None], axis=2)[:, :, 0]
    return y, argmax


def max_pool_backward(grad, argmax, size, kernel, stride, padding):
    """Gradient of max pooling: ``grad`` (N, C, OH, OW) routed to each window's argmax; returns (N, C, H, W)."""
    xp = get_array_module(grad)
    n, c, oh, ow = grad.shape
    gcol = xp.zeros((n, c, kernel[0] * kernel[1], oh, ow), dtype=grad.dtype)
    xp.put_along_axis(gcol, argmax[:, :, None], grad[:, :, None], axis=2)
    return col2im(gcol.reshape(n, c, *kernel, oh, ow), size, stride, padding, (1, 1))


def avg_pool_forward(x, kernel, stride, padding):
    """Average pooling of ``x`` (N, C, H, W); padded zeros count in the average. Returns (N, C, OH, OW)."""
    return _pool_columns(x, kernel, stride, padding, 0.0).mean(axis=2)


def avg_pool_backward(grad, size, kernel, stride, padding):
    """Gradient of average pooling: ``grad`` (N, C, OH, OW) spread evenly over each window; returns (N, C, H, W)."""
    xp = get_array_module(grad)
    n, c, oh, ow = grad.shape
    share = grad / grad.dtype.type(kernel[0] * kernel[1])
    gcol = xp.broadcast_to(share[:, :, None, None], (n, c, *kernel, oh, ow))
    return col2im(gcol, size, stride, padding, (1, 1))
