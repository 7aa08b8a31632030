"""Reference im2col / col2im and pooling kernels in NumPy (or CuPy: one ``xp`` code path).

Column layout (Caffe's column buffer, with the batch folded into the columns): ``col`` has
shape (C*KH*KW, N*OH*OW); row ``(c*KH + kh)*KW + kw``, column ``(n*OH + oh)*OW + ow`` holds
the input pixel ``x[n, c, oh*SH - PH + kh*DH, ow*SW - PW + kw*DW]`` (``pad_value`` outside the
image). The convolution is then one GEMM: (O, C*KH*KW) @ col -> (O, N*OH*OW).
Pooling treats every (n, c) plane as an image of one channel: its column buffer has shape
(KH*KW, N*C*OH*OW), and the reduction runs over the rows.
Shape letters: N batch, C channels, H/W input size, KH/KW kernel, SH/SW stride, PH/PW padding,
DH/DW dilation, OH/OW output size.
"""
from .arrays import array_module
from .geometry import output_size
from .products import one_channel_product, one_channel_weight_product


def _window(offset, stride, count):
    return slice(offset, offset + stride * (count - 1) + 1, stride)


def im2col(x, kernel, stride, padding, dilation, pad_value=0.0):
    """Unfold the sliding windows of ``x`` (N, C, H, W) into ``col`` (C*KH*KW, N*OH*OW).

    ``kernel``, ``stride``, ``padding``, ``dilation`` are (height, width) pairs of ints;
    ``pad_value`` fills the padding (0 for convolution, -inf for max pooling).
    """
    xp = array_module(x)
    (n, c, h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = x.shape, kernel, stride, padding, dilation
    oh, ow = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    x = x.transpose(1, 0, 2, 3)
    if ph or pw:
        x = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    col = xp.empty((c, kh, kw, n, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            col[:, i, j] = x[:, :, _window(i * dh, sh, oh), _window(j * dw, sw, ow)]
    return col.reshape(c * kh * kw, n * oh * ow)


def col2im(col, shape, kernel, stride, padding, dilation):
    """Fold ``col`` (C*KH*KW, N*OH*OW) back to an image of ``shape`` (N, C, H, W), summing the
    overlaps: the adjoint of :func:`im2col`."""
    xp = array_module(col)
    (n, c, h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = shape, kernel, stride, padding, dilation
    oh, ow = output_size(h, kh, sh, ph, dh), output_size(w, kw, sw, pw, dw)
    col = col.reshape(c, kh, kw, n, oh, ow)
    x = xp.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=col.dtype)
    for i in range(kh):
        for j in range(kw):
            x[:, :, _window(i * dh, sh, oh), _window(j * dw, sw, ow)] += col[:, i, j]
    return xp.ascontiguousarray(x[:, :, ph:ph + h, pw:pw + w].transpose(1, 0, 2, 3))


def conv2d_one_channel(x, weight, padding):
    """The convolution (cross-correlation, stride 1, no dilation) of a one-channel batch ``x``
    (N, 1, H, W) with ``weight`` (O, 1, KH, KW), zero ``padding`` (PH, PW): returns (N, O, OH,
    OW). A layer that reads the images themselves (LeNet-5's first) has one channel, where
    im2col + GEMM streams a column buffer KH*KW times the input's size for few operations;
    fast modules may compute it directly. Here: im2col + GEMM."""
    return one_channel_product(im2col, x, weight, padding)


def conv2d_one_channel_weight_grad(x, grad, kernel, padding):
    """The gradient of :func:`conv2d_one_channel`'s weight for the output gradient ``grad``
    (N, O, OH, OW), given the input ``x`` (N, 1, H, W) and the (KH, KW) ``kernel``: returns
    (O, 1, KH, KW). Here: im2col + GEMM."""
    return one_channel_weight_product(im2col, x, grad, kernel, padding)


def _planes(shape):
    n, c, h, w = shape
    return (n * c, 1, h, w)


def _pooled(shape, kernel, stride, padding):
    return tuple(output_size(shape[2 + a], kernel[a], stride[a], padding[a], 1) for a in (0, 1))


def max_pool_forward(x, kernel, stride, padding):
    """Max pooling of ``x`` (N, C, H, W), padding with -inf.

    Returns ``(y, argmax)``: ``y`` (N, C, OH, OW) and ``argmax`` (N, C, OH, OW) int64, the
    index ``kh * KW + kw`` of the maximum inside each window (the first one on ties).
    """
    xp = array_module(x)
    out_shape = x.shape[:2] + _pooled(x.shape, kernel, stride, padding)
    col = im2col(x.reshape(_planes(x.shape)), kernel, stride, padding, (1, 1), -float("inf"))
    argmax = col.argmax(axis=0)
    y = col[argmax, xp.arange(col.shape[1])]
    return y.reshape(out_shape), argmax.reshape(out_shape)


def max_pool_backward(grad, argmax, shape, kernel, stride, padding):
    """Gradient of max pooling: ``grad`` (N, C, OH, OW) routed to each window's argmax; returns
    an array of ``shape`` (N, C, H, W)."""
    xp = array_module(grad)
    gcol = xp.zeros((kernel[0] * kernel[1], grad.size), dtype=grad.dtype)
    gcol[argmax.ravel(), xp.arange(grad.size)] = grad.ravel()
    return col2im(gcol, _planes(shape), kernel, stride, padding, (1, 1)).reshape(shape)


def avg_pool_forward(x, kernel, stride, padding):
    """Average pooling of ``x`` (N, C, H, W); padded zeros count in the average. Returns (N, C, OH, OW)."""
    col = im2col(x.reshape(_planes(x.shape)), kernel, stride, padding, (1, 1))
    return col.mean(axis=0).reshape(x.shape[:2] + _pooled(x.shape, kernel, stride, padding))


def avg_pool_backward(grad, shape, kernel, stride, padding):
    """Gradient of average pooling: ``grad`` (N, C, OH, OW) spread evenly over each window;
    returns an array of ``shape`` (N, C, H, W)."""
    xp = array_module(grad)
    share = grad.ravel() / grad.dtype.type(kernel[0] * kernel[1])
    gcol = xp.broadcast_to(share, (kernel[0] * kernel[1], grad.size))
    return col2im(gcol, _planes(shape), kernel, stride, padding, (1, 1)).reshape(shape)


def stochastic_pool_forward(x, kernel, stride, padding, u):
    """Stochastic pooling by sampling (Zeiler & Fergus 2013) of non-negative ``x`` (N, C, H, W);
    padding counts as 0, so it is never sampled.

    In each window, location i has probability p_i = a_i / sum_k a_k. ``u`` (N, C, OH, OW)
    holds uniform draws in [0, 1); each window takes, in row-major window order, the first
    location whose cumulative sum exceeds ``u * total`` (inverse CDF). Sums run in float64, one
    location after the other, so every kernel that follows this order samples the same
    locations from the same ``u``.

    Returns ``(y, index)``: ``y`` (N, C, OH, OW) the sampled activations and ``index``
    (N, C, OH, OW) int64, the sampled position ``kh * KW + kw`` in each window. A window that
    sums to 0 gives ``y = 0`` and ``index = 0``.
    """
    xp = array_module(x)
    out_shape = x.shape[:2] + _pooled(x.shape, kernel, stride, padding)
    col = im2col(x.reshape(_planes(x.shape)), kernel, stride, padding, (1, 1))
    total = xp.zeros(col.shape[1], dtype=xp.float64)
    for row in col:
        total += row
    target = u.ravel() * total
    cumulative = xp.zeros_like(total)
    index = xp.zeros(col.shape[1], dtype=xp.int64)
    # The sample: the last positive location whose preceding cumulative sum is <= target, i.e.
    # the first whose own sum exceeds it (or the last positive one, should rounding leave the
    # target unpassed, as a subnormal total can).
    for k, row in enumerate(col):
        index[(cumulative <= target) & (row > 0)] = k
        cumulative += row
    y = col[index, xp.arange(col.shape[1])]
    return y.reshape(out_shape), index.reshape(out_shape)


def stochastic_pool_weighted_forward(x, kernel, stride, padding):
    """Stochastic pooling at test time (probabilistic weighting) of non-negative ``x``
    (N, C, H, W): each window gives sum_i p_i a_i with p_i = a_i / sum_k a_k, i.e.
    sum a^2 / sum a, and 0 where the window sums to 0. Padding counts as 0.
    Returns (N, C, OH, OW)."""
    xp = array_module(x)
    col = im2col(x.reshape(_planes(x.shape)), kernel, stride, padding, (1, 1))
    total = col.sum(axis=0)
    p = col / xp.where(total > 0, total, 1)
    return (p * col).sum(axis=0).reshape(x.shape[:2] + _pooled(x.shape, kernel, stride, padding))


def stochastic_pool_weighted_backward(grad, x, kernel, stride, padding):
    """Gradient of :func:`stochastic_pool_weighted_forward`: with S = sum a and y = sum a^2 / S,
    dy/da_j = (2 a_j - y) / S (0 where S = 0); overlapping windows add up. Returns an array
    shaped like ``x``."""
    xp = array_module(x)
    col = im2col(x.reshape(_planes(x.shape)), kernel, stride, padding, (1, 1))
    total = col.sum(axis=0)
    safe = xp.where(total > 0, total, 1)
    y = ((col / safe) * col).sum(axis=0)
    gcol = (grad.ravel() / safe) * (2 * col - y)
    return col2im(gcol, _planes(x.shape), kernel, stride, padding, (1, 1)).reshape(x.shape)


def lstm_cell_forward(t, c):
    """The arithmetic of one LSTM step's cell (Hochreiter & Schmidhuber 1997; forget gate:
    Gers, Schmidhuber & Cummins 2000) around its tanh: ``t`` (N, 4H) holds tanh(x / 2) of the
    pre-activations x of the gates i, f, o and tanh(x) of g, so that sigmoid(x) = t / 2 + 1 / 2;
    ``c`` (N, H) is the previous cell state. Overwrites ``t`` with the activated gates i, f, g, o
    (no new (N, 4H) array per step: fresh ones made the allocator return memory to the system
    and fault it back in, 1,800 page faults per LSTM training step) and returns (``t``,
    c' (N, H) = f c + i g). ``t`` C-contiguous; all one dtype."""
    size = c.shape[1]
    for block in (t[:, :2 * size], t[:, 3 * size:]):
        block *= 0.5
        block += 0.5
    i, f, g = (t[:, k * size:(k + 1) * size] for k in range(3))
    return t, f * c + i * g


def lstm_cell_backward(gates, c, tanh_c, dh, dc):
    """Backward of one LSTM step's cell (Hochreiter & Schmidhuber 1997; forget gate: Gers,
    Schmidhuber & Cummins 2000), from what its forward kept: ``gates`` (N, 4H), the activated
    gates i, f, g, o; ``c`` (N, H), the previous cell state; ``tanh_c`` (N, H) = tanh(c') of the
    new one; ``dh`` and ``dc`` (N, H), the gradients of h' = o tanh(c') and of c' = f c + i g.
    With d = dc + dh o (1 - tanh_c^2), the total gradient of c', returns
    (dgates (N, 4H), dc_prev (N, H)): the gradients before the activations,
    d g i (1 - i), d c f (1 - f), d i (1 - g^2), dh tanh_c o (1 - o), and d f. All one dtype."""
    xp = array_module(gates)
    size = c.shape[1]
    i, f, g, o = (gates[:, k * size:(k + 1) * size] for k in range(4))
    d = dc + dh * o * (1 - tanh_c * tanh_c)
    dgates = xp.empty_like(gates)
    dgates[:, :size] = d * g * i * (1 - i)
    dgates[:, size:2 * size] = d * c * f * (1 - f)
    dgates[:, 2 * size:3 * size] = d * i * (1 - g * g)
    dgates[:, 3 * size:] = dh * tanh_c * o * (1 - o)
    return dgates, d * f
