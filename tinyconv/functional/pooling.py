"""Max, average and adaptive average pooling over NCHW batches."""
from .. import backend
from ..autograd import Function
from ..backend import get_array_module
from ..kernels.reference import output_size
from .validation import pair, require_float, require_ndim, tensor_arg


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


def _pool_args(x, kernel_size, stride, padding):
    kernel = pair("kernel_size", kernel_size, 1)
    stride = kernel if stride is None else pair("stride", stride, 1)
    padding = pair("padding", padding, 0)
    x = tensor_arg("x", x)
    require_ndim("x", x, 4, "(N, C, H, W)")
    require_float("x", x)
    for axis, name in ((0, "height"), (1, "width")):
        if 2 * padding[axis] > kernel[axis]:
            raise ValueError(f"padding: expected at most half the kernel {name} ({kernel[axis] // 2}), got {padding[axis]}")
        if output_size(x.shape[2 + axis], kernel[axis], stride[axis], padding[axis], 1) < 1:
            raise ValueError(f"kernel_size: kernel {name} {kernel[axis]} is larger than the padded input "
                             f"{name} {x.shape[2 + axis] + 2 * padding[axis]}")
    return kernel, stride, padding


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max pooling of ``x`` (N, C, H, W) -> (N, C, OH, OW); padding counts as -inf.

    ``kernel_size``, ``stride`` (default: ``kernel_size``) and ``padding`` (at most half the
    kernel) are ints or (height, width) pairs. The gradient goes to the first maximum of a window.

    Raises:
        ValueError: wrong rank, padding over half the kernel, or a kernel larger than the padded input.
        TypeError: non-float input or bad size types.
    """
    return MaxPool2d(*_pool_args(x, kernel_size, stride, padding))(x)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Average pooling of ``x`` (N, C, H, W) -> (N, C, OH, OW); padded zeros count in each mean
    (PyTorch's ``count_include_pad=True``). Arguments and errors as :func:`max_pool2d`."""
    return AvgPool2d(*_pool_args(x, kernel_size, stride, padding))(x)


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
