"""2-D convolution (cross-correlation, as in every framework) by im2col + GEMM, and its adjoint,
the transposed convolution.

Forward: ``col = im2col(x)`` (C*KH*KW, N*OH*OW); ``y = W2 @ col`` with
``W2 = weight.reshape(O, C*KH*KW)``, giving (O, N*OH*OW), then NCHW. Backward, with ``g2`` the
output gradient as (O, N*OH*OW): ``dW = g2 @ col.T``, ``dx = col2im(W2.T @ g2)``,
``db = g2.sum(1)`` (Chellapilla, Puri & Simard 2006, "High Performance Convolutional Neural
Networks for Document Processing"; the Caffe im2col design). When the column buffer of the
whole batch would exceed :func:`tinyconv.backend.column_buffer_limit` bytes (one limit per
device), the batch is processed in chunks and the columns are recomputed in backward instead
of being kept.

The transposed convolution is the adjoint of that linear map in x: its forward is conv2d's
input gradient (GEMM, then col2im), its input gradient is conv2d's forward (im2col, then GEMM),
and both share conv2d's weight gradient, with the roles of input and output swapped (Dumoulin &
Visin 2016, "A guide to convolution arithmetic for deep learning", section 4).
"""
from .. import backend
from ..autograd import Function
from ..kernels.geometry import output_size
from .shape import concat
from ..anomaly import finite_under_anomaly
from ..tensor import tensor_arg
from ..validation import pair, positive_int, require_ndim
from .linear import layer_args


def batch_chunks(n, bytes_per_image, limit):
    """Split range(n) into consecutive slices whose column buffers stay within ``limit`` bytes
    (at least one image per chunk)."""
    step = max(1, min(n, limit // max(bytes_per_image, 1)))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def _rows(t):
    """(N, O, OH, OW) -> (O, N*OH*OW), the layout of a GEMM with the column buffer."""
    xp = backend.get_array_module(t)
    return xp.ascontiguousarray(t.transpose(1, 0, 2, 3)).reshape(t.shape[1], t.shape[0] * t.shape[2] * t.shape[3])


def _unrows(y2, n, oh, ow):
    """(O, N*OH*OW) -> (N, O, OH, OW), the inverse of :func:`_rows`."""
    return y2.reshape(y2.shape[0], n, oh, ow).transpose(1, 0, 2, 3)


def _matrix(weight):
    """(O, C, KH, KW) -> W2 (O, C*KH*KW)."""
    o, c, kh, kw = weight.shape
    return weight.reshape(o, c * kh * kw)


class _Correlation(Function):
    """What Conv2d and ConvTranspose2d share: the correlation of an *image-side* tensor
    (N, C, H, W) with a weight (O, C, KH, KW) gives a *column-side* tensor (N, O, OH, OW).
    Conv2d computes that map, ConvTranspose2d its adjoint; ``self.col`` keeps the column buffer
    of the image side when the batch is one chunk."""

    col = None

    def __init__(self, stride, padding, dilation):
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def _plan(self, image_shape, weight):
        """Set the batch chunks for an image side of ``image_shape``; return its column side's
        (OH, OW)."""
        n, c, h, w = image_shape
        kh, kw = weight.shape[2:]
        oh = output_size(h, kh, self.stride[0], self.padding[0], self.dilation[0])
        ow = output_size(w, kw, self.stride[1], self.padding[1], self.dilation[1])
        self.chunks = batch_chunks(n, c * kh * kw * oh * ow * weight.itemsize,
                                   backend.column_buffer_limit(backend.device_of(weight)))
        return oh, ow

    def _columns(self, image):
        return backend.kernels(image).im2col(image, self.weight.shape[2:], self.stride, self.padding, self.dilation)

    def _fold(self, y2, shape):
        """col2im(W2.T @ y2) into an image side of ``shape``: the adjoint of ``W2 @ im2col``."""
        return backend.kernels(y2).col2im(_matrix(self.weight).T @ y2, shape, self.weight.shape[2:], self.stride,
                                          self.padding, self.dilation)

    def _backward(self, image, column_side, need_w, image_grad=None, column_grad=None):
        """Return the weight gradient ``sum over chunks of column_side2 @ col.T`` (None unless
        ``need_w``), filling on the way ``image_grad`` (col2im(W2.T @ column_side2)) or
        ``column_grad`` (W2 @ col), chunk by chunk."""
        xp = backend.get_array_module(image)
        w2 = _matrix(self.weight)
        gw = xp.zeros_like(w2) if need_w else None
        for chunk in self.chunks:
            c2 = _rows(column_side[chunk])
            if need_w or column_grad is not None:
                col = self._columns(image[chunk]) if self.col is None else self.col
            if need_w:
                gw += (col @ c2.T).T  # measured faster than c2 @ col.T for these skinny shapes
            if image_grad is not None:
                image_grad[chunk] = self._fold(c2, image[chunk].shape)
            if column_grad is not None:
                column_grad[chunk] = _unrows(w2 @ col, chunk.stop - chunk.start, *column_grad.shape[2:])
        return None if gw is None else gw.reshape(self.weight.shape)

    def _gradients(self, gx, gw, g):
        """(gx, gw), and the bias gradient where there is a bias."""
        return (gx, gw) if len(self.needs_input_grad) == 2 else (gx, gw, g.sum(axis=(0, 2, 3)))


class Conv2d(_Correlation):
    one_channel = False  # computed by the kernels for one-channel input (see ``forward``)

    @backend.blas_scope
    def forward(self, x, weight, bias=None):
        xp = backend.get_array_module(x)
        self.weight, self.x = weight, x
        oh, ow = self._plan(x.shape, weight)
        o = weight.shape[0]
        y = xp.empty((x.shape[0], o, oh, ow), dtype=x.dtype)
        # The first layer of a network on grey images (one channel, stride 1, no dilation, an
        # input that needs no gradient): the kernels' direct convolution, over the same batch
        # chunks (the reference and CUDA kernels compute it with a column buffer).
        self.one_channel = x.shape[1] == 1 and self.stride == (1, 1) and self.dilation == (1, 1) \
            and not self.needs_input_grad[0]
        for chunk in self.chunks:
            if self.one_channel:
                y[chunk] = backend.kernels(x).conv2d_one_channel(x[chunk], weight, self.padding)
            else:
                self.col = self._columns(x[chunk])
                y[chunk] = _unrows(_matrix(weight) @ self.col, chunk.stop - chunk.start, oh, ow)
        if len(self.chunks) > 1:
            self.col = None
        if bias is not None:
            y += bias[:, None, None]
        return y

    @backend.blas_scope
    def backward(self, g):
        xp = backend.get_array_module(g)
        need_x, need_w = self.needs_input_grad[:2]
        if self.one_channel:  # the weight's gradient chunk by chunk; the input needs none
            kernels, size = backend.kernels(g), self.weight.shape[2:]
            gw = sum(kernels.conv2d_one_channel_weight_grad(self.x[c], g[c], size, self.padding) for c in self.chunks)
            return self._gradients(None, gw if need_w else None, g)
        gx = xp.empty_like(self.x) if need_x else None
        return self._gradients(gx, self._backward(self.x, g, need_w, image_grad=gx), g)


class ConvTranspose2d(_Correlation):
    def __init__(self, stride, padding, dilation, output_size):
        super().__init__(stride, padding, dilation)
        self.output_size = output_size

    @backend.blas_scope
    def forward(self, x, weight, bias=None):
        xp = backend.get_array_module(x)
        self.weight, self.input_shape = weight, x.shape
        n, c = x.shape[0], weight.shape[1]
        y = xp.empty((n, c) + self.output_size, dtype=x.dtype)
        oh, ow = self._plan(y.shape, weight)
        # An output_padding of at least the stride (allowed below the dilation) gives the
        # correlation of y more positions than x has: they see zeros.
        extra = ((0, 0), (0, 0), (0, oh - x.shape[2]), (0, ow - x.shape[3]))
        self.x = xp.pad(x, extra) if (oh, ow) != x.shape[2:] else x
        for chunk in self.chunks:
            y[chunk] = self._fold(_rows(self.x[chunk]), (chunk.stop - chunk.start,) + y.shape[1:])
        if bias is not None:
            y += bias[:, None, None]
        return y

    @backend.blas_scope
    def backward(self, g):
        xp = backend.get_array_module(g)
        need_x, need_w = self.needs_input_grad[:2]
        gx = xp.empty_like(self.x) if need_x else None
        gw = self._backward(g, self.x, need_w, column_grad=gx)
        if gx is not None:
            gx = xp.ascontiguousarray(gx[:, :, :self.input_shape[2], :self.input_shape[3]])
        return self._gradients(gx, gw, g)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over an NCHW batch, as PyTorch's ``conv2d``.

    Args:
        x: input (N, C, H, W), float32 or float64.
        weight: filters (O, C / groups, KH, KW), same dtype.
        bias: optional (O,).
        stride, dilation: int or (height, width) pair, >= 1.
        padding: int or pair >= 0 (zeros), or "valid" (0) or "same" (the output keeps H and
            W; stride 1 only; an odd total padding puts the extra row and column at the
            bottom and right, as PyTorch does).
        groups: a divisor of C and O: channels in ``groups`` independent groups, group g
            convolving input channels [g*C/groups, (g+1)*C/groups) into output channels
            [g*O/groups, (g+1)*O/groups).

    Returns:
        (N, O, OH, OW) with OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1 (likewise OW).

    Raises:
        ValueError: wrong ranks, a weight with zero input channels or a zero kernel size,
            channel mismatch, C or O not divisible by groups, bias size, a (dilated) kernel
            larger than the padded input, stride or dilation < 1, padding < 0, another padding
            string, "same" with a stride, or non-finite input inside :func:`tinyconv.detect_anomaly`
            (a :class:`tinyconv.NonFiniteError`; outside it, NaN propagates as in PyTorch).
        TypeError: x not float32/float64, weight or bias of another dtype than x, or a bad
            stride/padding/dilation/groups type.
        RuntimeError: arguments on different devices.
    """
    groups = positive_int("groups", groups)
    if groups > 1:
        return _grouped(x, weight, bias, stride, padding, dilation, groups)
    stride, dilation = pair("stride", stride, 1), pair("dilation", dilation, 1)
    x, weight, bias = layer_args(x, weight, bias, "(N, C, H, W)", "(O, C, KH, KW)")
    _check_weight(x, weight, 1, "(O, C, KH, KW)")
    padding, crop = _padding_arg(padding, stride, dilation, weight.shape[2:])
    for axis, name in ((0, "height"), (1, "width")):
        k, size = weight.shape[2 + axis], x.shape[2 + axis]
        if output_size(size, k, stride[axis], padding[axis], dilation[axis]) < 1:
            raise ValueError(f"weight: kernel {name} {k} (dilation {dilation[axis]}) is larger than the "
                             f"padded input {name} {size + 2 * padding[axis]}")
    finite_under_anomaly("x", x)
    args = (x, weight) if bias is None else (x, weight, bias)
    y = Conv2d(stride, padding, dilation)(*args)
    return y[:, :, crop[0]:crop[0] + x.shape[2], crop[1]:crop[1] + x.shape[3]] if any(crop) else y


def _padding_arg(padding, stride, dilation, kernel):
    """Return (symmetric padding pair, (rows, cols) to crop at the top and left of the output)
    for an int, a pair, "valid" or "same". "same" with an odd total padding d*(k-1) pads one
    more on both sides and drops the first output row (column): PyTorch's extra bottom (right)
    padding."""
    if not isinstance(padding, str):
        return pair("padding", padding, 0), (0, 0)
    if padding == "valid":
        return (0, 0), (0, 0)
    if padding != "same":
        raise ValueError(f"padding: expected an int, a pair, 'valid' or 'same', got {padding!r}")
    if stride != (1, 1):
        raise ValueError(f"padding: 'same' is not supported for strided convolutions (stride {stride}), as in PyTorch")
    totals = [d * (k - 1) for d, k in zip(dilation, kernel)]
    return tuple((t + 1) // 2 for t in totals), tuple(t % 2 for t in totals)


def _grouped(x, weight, bias, stride, padding, dilation, groups):
    """conv2d with ``groups`` > 1: one conv2d per group, joined along the channels."""
    x, weight = tensor_arg("x", x), tensor_arg("weight", weight)
    require_ndim("x", x, 4, "(N, C, H, W)")
    require_ndim("weight", weight, 4, "(O, C / groups, KH, KW)")
    c, o = x.shape[1], weight.shape[0]
    if c % groups or o % groups:
        raise ValueError(f"groups: expected a divisor of the input channels ({c}) and of the output channels "
                         f"({o}), got {groups}")
    if weight.shape[1] * groups != c:
        raise ValueError(f"weight: expected {c // groups} input channels per group (axis 1) for x of shape "
                         f"{tuple(x.shape)} and groups={groups}, got weight of shape {tuple(weight.shape)}")
    ci, oi = c // groups, o // groups
    bias = None if bias is None else tensor_arg("bias", bias)
    parts = [conv2d(x[:, g * ci:(g + 1) * ci], weight[g * oi:(g + 1) * oi],
                    None if bias is None else bias[g * oi:(g + 1) * oi], stride, padding, dilation)
             for g in range(groups)]
    return concat(parts, axis=1)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution over an NCHW batch: the adjoint of :func:`conv2d` in its input
    (the gradient of conv2d with respect to x), so that <conv2d(u, W), v> = <u,
    conv_transpose2d(v, W)> for the same stride, padding and dilation. With a stride it
    upsamples: each input pixel spreads a weighted kernel over the output (Dumoulin & Visin
    2016, "A guide to convolution arithmetic for deep learning", section 4).

    Args:
        x: input (N, C_in, H, W), float32 or float64.
        weight: filters (C_in, C_out, KH, KW), same dtype (PyTorch's layout: the weight of the
            conv2d from C_out to C_in channels whose adjoint this is).
        bias: optional (C_out,).
        stride, padding, dilation: int or (height, width) pair, as the conv2d whose adjoint
            this is; stride, dilation >= 1, padding >= 0.
        output_padding: int or pair, >= 0 and smaller than the stride or the dilation (per
            axis): rows and columns added at the bottom and right of the output, to pick one
            of the input sizes that a strided conv2d maps to the same output size.

    Returns:
        (N, C_out, OH, OW) with OH = (H - 1)*SH - 2*PH + DH*(KH - 1) + output_padding + 1
        (likewise OW).

    Raises:
        ValueError: wrong ranks, a weight with zero input channels or a zero kernel size,
            channel mismatch (weight.shape[0] != C_in), bias size, stride
            or dilation < 1, padding or output_padding < 0, output_padding not smaller than
            the stride or the dilation, an output smaller than 1x1, or non-finite input inside
            :func:`tinyconv.detect_anomaly` (a :class:`tinyconv.NonFiniteError`; outside it, NaN
            propagates as in PyTorch).
        TypeError: x not float32/float64, weight or bias of another dtype than x, or a bad
            stride/padding/output_padding/dilation type.
        RuntimeError: arguments on different devices.
        NotImplementedError: ``groups`` other than 1 (tinyconv has no grouped transposed
            convolution).
    """
    if groups != 1:
        raise NotImplementedError(f"conv_transpose2d(groups={groups!r}): tinyconv has no grouped transposed "
                                  "convolution; use groups=1")
    stride, padding, dilation = pair("stride", stride, 1), pair("padding", padding, 0), pair("dilation", dilation, 1)
    output_padding = pair("output_padding", output_padding, 0)
    x, weight, bias = layer_args(x, weight, bias, "(N, C_in, H, W)", "(C_in, C_out, KH, KW)", bias_axis=1)
    _check_weight(x, weight, 0, "(C_in, C_out, KH, KW)")
    size = []
    for axis, name in ((0, "height"), (1, "width")):
        s, p, d, extra = stride[axis], padding[axis], dilation[axis], output_padding[axis]
        if extra >= s and extra >= d:
            raise ValueError(f"output_padding: expected values smaller than the stride or the dilation, got "
                             f"{extra} for the {name} (stride {s}, dilation {d})")
        size.append((x.shape[2 + axis] - 1) * s - 2 * p + d * (weight.shape[2 + axis] - 1) + extra + 1)
        if size[-1] < 1:
            raise ValueError(f"padding: {p} leaves an output {name} of {size[-1]} for input {name} "
                             f"{x.shape[2 + axis]}, kernel {weight.shape[2 + axis]} and stride {s}; expected >= 1")
    finite_under_anomaly("x", x)
    args = (x, weight) if bias is None else (x, weight, bias)
    return ConvTranspose2d(stride, padding, dilation, tuple(size))(*args)


def _check_weight(x, weight, axis, layout):
    """Raise ValueError if ``weight`` (laid out as ``layout``) has zero input channels (at
    ``axis``) or a zero kernel size (the result would be the bias alone; zero output channels
    give an empty result, as in PyTorch), or unless weight.shape[axis] equals the channels of
    x (N, C, H, W)."""
    if 0 in (weight.shape[axis], *weight.shape[2:]):
        raise ValueError(f"weight: expected input channels and kernel sizes >= 1 in {layout}, got shape "
                         f"{tuple(weight.shape)}")
    if weight.shape[axis] != x.shape[1]:
        raise ValueError(f"weight: expected {x.shape[1]} input channels (axis {axis}) to match x of shape "
                         f"{tuple(x.shape)}, got weight of shape {tuple(weight.shape)}")
