"""Max and average pooling over NCHW batches (windows unfolded by im2col)."""
from .. import backend
from ..autograd import Function
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
