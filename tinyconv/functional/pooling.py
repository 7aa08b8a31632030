"""Max, average and adaptive average pooling over NCHW batches."""
import numpy as np

from .. import backend
from ..autograd import Function
from ..backend import get_array_module
from ..tensor import tensor_arg
from ..validation import pair, positive_int, require_float, require_ndim


class MaxPool2d(Function):
    def __init__(self, kernel_size, stride, padding):
        self.kernel, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        self.shape = x.shape
        y, self.argmax = backend.kernels(x).max_pool_forward(x, self.kernel, self.stride, self.padding)
        return y

    def backward(self, g):
        return backend.kernels(g).max_pool_backward(g, self.argmax, self.shape, self.kernel, self.stride, self.padding)


class AvgPool2d(Function):
    def __init__(self, kernel_size, stride, padding):
        self.kernel, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        self.shape = x.shape
        return backend.kernels(x).avg_pool_forward(x, self.kernel, self.stride, self.padding)

    def backward(self, g):
        return backend.kernels(g).avg_pool_backward(g, self.shape, self.kernel, self.stride, self.padding)


class WindowPool2d(Function):
    """Max or average pooling by slicing: one strided view of the padded input per kernel
    offset. Serves what the kernels do not: ``ceil_mode``, a dilation, ``count_include_pad=False``
    and ``divisor_override`` (PyTorch's rules; ``divisor`` is None for max, else the (OH, OW)
    or scalar divisor of each window sum)."""

    def __init__(self, kernel_size, stride, padding, dilation, out, divisor):
        self.kernel, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.out, self.divisor = out, divisor

    def _views(self, padded):
        (kh, kw), (sh, sw), (dh, dw), (oh, ow) = self.kernel, self.stride, self.dilation, self.out
        return [(slice(None), slice(None), slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                 slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)) for i in range(kh) for j in range(kw)]

    def forward(self, x):
        xp, self.shape = get_array_module(x), x.shape
        extra = [max(0, (o - 1) * s + d * (k - 1) + 1 - n - p) for o, s, d, k, n, p in
                 zip(self.out, self.stride, self.dilation, self.kernel, x.shape[2:], self.padding)]
        pads = ((0, 0), (0, 0)) + tuple((p, p + e) for p, e in zip(self.padding, extra))
        padded = xp.pad(x, pads, constant_values=-xp.inf if self.divisor is None else 0)
        self.padded_shape = padded.shape
        windows = [padded[view] for view in self._views(padded)]
        if self.divisor is not None:
            return (sum(windows) / self.divisor).astype(x.dtype)
        stacked = xp.stack(windows)
        self.argmax = stacked.argmax(axis=0)  # the first maximum, in row-major window order
        return xp.take_along_axis(stacked, self.argmax[None], axis=0)[0]

    def backward(self, g):
        xp = get_array_module(g)
        grad = xp.zeros(self.padded_shape, dtype=g.dtype)
        scaled = None if self.divisor is None else (g / self.divisor).astype(g.dtype)  # the same for every view
        for index, view in enumerate(self._views(grad)):
            grad[view] += scaled if scaled is not None else g * (self.argmax == index)
        ph, pw = self.padding
        return xp.ascontiguousarray(grad[:, :, ph:ph + self.shape[2], pw:pw + self.shape[3]])


def _pool_out(size, kernel, stride, padding, dilation, ceil_mode):
    """PyTorch's output length of a pooling window; with ``ceil_mode`` a last partial window
    counts when it starts inside the input or the left padding."""
    out = (size + 2 * padding - dilation * (kernel - 1) - 1 + (stride - 1 if ceil_mode else 0)) // stride + 1
    return out - 1 if ceil_mode and (out - 1) * stride >= size + padding else out


def _pool_args(x, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    """Check the arguments; return the input Tensor, kernel, stride, padding, dilation pairs and
    the output size (OH, OW)."""
    kernel = pair("kernel_size", kernel_size, 1)
    stride = kernel if stride is None else pair("stride", stride, 1)
    padding, dilation = pair("padding", padding, 0), pair("dilation", dilation, 1)
    x = tensor_arg("x", x)
    require_ndim("x", x, 4, "(N, C, H, W)")
    require_float("x", x)
    out = []
    for axis, name in ((0, "height"), (1, "width")):
        effective = dilation[axis] * (kernel[axis] - 1) + 1
        if 2 * padding[axis] > effective:
            raise ValueError(f"padding: expected at most half the kernel {name} ({effective // 2}), "
                             f"got {padding[axis]}")
        out.append(_pool_out(x.shape[2 + axis], kernel[axis], stride[axis], padding[axis], dilation[axis], ceil_mode))
        if out[-1] < 1:
            dilated = f" (dilation {dilation[axis]})" if dilation[axis] > 1 else ""
            raise ValueError(f"kernel_size: kernel {name} {kernel[axis]}{dilated} is larger than "
                             f"the padded input {name} {x.shape[2 + axis] + 2 * padding[axis]}")
    return x, kernel, stride, padding, dilation, tuple(out)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max pooling of ``x`` (N, C, H, W) -> (N, C, OH, OW), as PyTorch's; padding counts as -inf.

    ``kernel_size``, ``stride`` (default: ``kernel_size``), ``padding`` (at most half the
    dilated kernel) and ``dilation`` are ints or (height, width) pairs; OH = floor (or, with
    ``ceil_mode``, ceil) of (H + 2*PH - DH*(KH-1) - 1) / SH, plus 1, a last window that would
    start in the right padding dropped. The gradient goes to the first maximum of a window.

    Raises:
        ValueError: wrong rank, padding over half the kernel, or a kernel larger than the padded input.
        TypeError: non-float input or bad size types.
        NotImplementedError: ``return_indices=True`` (tinyconv has no max_unpool2d).
    """
    if return_indices:
        raise NotImplementedError("max_pool2d(return_indices=True): tinyconv has no pooling indices "
                                  "(nor max_unpool2d); use return_indices=False")
    x, kernel, stride, padding, dilation, out = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode)
    if dilation == (1, 1) and not ceil_mode:
        return MaxPool2d(kernel, stride, padding)(x)
    return WindowPool2d(kernel, stride, padding, dilation, out, None)(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Average pooling of ``x`` (N, C, H, W) -> (N, C, OH, OW), as PyTorch's: each window sum
    divided by ``divisor_override`` if given, else by the window's size within the padded input
    (``count_include_pad``, the default) or within the input alone. Sizes and ``ceil_mode`` as
    :func:`max_pool2d` (no dilation); a window's part beyond the padding never counts.

    Raises:
        ValueError: as :func:`max_pool2d`, or a divisor_override that is 0.
        TypeError: as :func:`max_pool2d`, or a divisor_override that is not an int.
    """
    x, kernel, stride, padding, dilation, out = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        divisor_override = positive_int("divisor_override", divisor_override)
    if not ceil_mode and count_include_pad and divisor_override is None:
        return AvgPool2d(kernel, stride, padding)(x)
    return WindowPool2d(kernel, stride, padding, dilation, out,
                        divisor_override or _avg_divisor(x, kernel, stride, padding, out, count_include_pad))(x)


def _avg_divisor(x, kernel, stride, padding, out, count_include_pad):
    """The (OH, OW) window sizes that PyTorch divides by (its avg_pool2d loops, in arrays)."""
    sizes = []
    for n, k, s, p, o in zip(x.shape[2:], kernel, stride, padding, out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        sizes.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    xp = get_array_module(x.data)
    return xp.asarray(np.outer(*sizes), dtype=x.dtype)


def adaptive_bins(size, out):
    """PyTorch's adaptive pooling windows: bin i of ``out`` over ``size`` positions covers
    [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


class AdaptiveAvgPool2d(Function):
    def __init__(self, output_size):
        self.output_size = output_size

    def forward(self, x):
        xp, self.shape = get_array_module(x), x.shape
        self.bins = [adaptive_bins(n, o) for n, o in zip(x.shape[2:], self.output_size)]
        y = xp.empty(x.shape[:2] + self.output_size, dtype=x.dtype)
        for i, (h0, h1) in enumerate(self.bins[0]):
            for j, (w0, w1) in enumerate(self.bins[1]):
                y[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
        return y

    def backward(self, g):
        grad = get_array_module(g).zeros(self.shape, dtype=g.dtype)
        for i, (h0, h1) in enumerate(self.bins[0]):
            for j, (w0, w1) in enumerate(self.bins[1]):
                grad[:, :, h0:h1, w0:w1] += g[:, :, i, j, None, None] / ((h1 - h0) * (w1 - w0))
        return grad


def adaptive_avg_pool2d(input, output_size):
    """Average pooling of ``input`` (N, C, H, W) (or unbatched (C, H, W)) into ``output_size``
    (an int, or a pair whose entries may be None for the input's size) windows, as PyTorch's:
    output (N, C, OH, OW), window i spanning [floor(i*H/OH), ceil((i+1)*H/OH)).

    Raises:
        TypeError: non-float input, a bad output_size. ValueError: another rank, a size < 1.
    """
    x = tensor_arg("input", input)
    require_float("input", x)
    if x.ndim == 3:
        return adaptive_avg_pool2d(x[None], output_size)[0]
    require_ndim("input", x, 4, "(N, C, H, W)")
    sizes = (output_size, output_size) if not isinstance(output_size, (tuple, list)) else tuple(output_size)
    if len(sizes) != 2:
        raise TypeError(f"output_size: expected an int or a pair, got {output_size!r}")
    sizes = tuple(n if s is None else s for s, n in zip(sizes, x.shape[2:]))
    return AdaptiveAvgPool2d(pair("output_size", sizes, 1))(x)
