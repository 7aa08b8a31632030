"""Conv2d and ConvTranspose2d: 2-D convolution layers over NCHW batches."""
import numpy as np

from .. import functional as F
from ..functional.validation import float_dtype, pair, positive_int
from ..tensor import Parameter
from .linear import reset_uniform
from .module import Module


class _Convolution(Module):
    """What Conv2d and ConvTranspose2d share: checked sizes, the weight ((O, C, KH, KW), or
    (C, O, KH, KW) when ``transposed``) and bias, and PyTorch's default initialisation."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, bias, dtype, rng, transposed):
        super().__init__()
        in_channels, out_channels = positive_int("in_channels", in_channels), positive_int("out_channels", out_channels)
        dtype = float_dtype("dtype", dtype)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair("kernel_size", kernel_size, 1)
        pair("stride", stride, 1), pair("padding", padding, 0), pair("dilation", dilation, 1)  # fail here, not later
        self.stride, self.padding, self.dilation = stride, padding, dilation
        channels = (in_channels, out_channels) if transposed else (out_channels, in_channels)
        self.weight = Parameter(np.empty((*channels, *self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        reset_uniform(self.weight, self.bias, rng)


class Conv2d(_Convolution):
    """2-D convolution (see :func:`tinyconv.functional.conv2d`): (N, C, H, W) -> (N, O, OH, OW).

    Args:
        in_channels (C), out_channels (O): positive ints.
        kernel_size, stride, padding, dilation: int or (height, width) pair.
        bias: learn a per-channel bias. dtype: float32 (default) or float64.
        rng: generator for the initialisation (PyTorch's default uniform bounds).

    Raises:
        TypeError: a size that is not an int (or pair of ints), another dtype, or an rng that
            is not a Generator.
        ValueError: channels or kernel size < 1, stride or dilation < 1, padding < 0.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, dtype=np.float32, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias, dtype, rng,
                         transposed=False)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}")


class ConvTranspose2d(_Convolution):
    """2-D transposed convolution (see :func:`tinyconv.functional.conv_transpose2d`):
    (N, C_in, H, W) -> (N, C_out, OH, OW) with OH = (H - 1)*SH - 2*PH + DH*(KH - 1) +
    output_padding + 1; the weight is (C_in, C_out, KH, KW), as in PyTorch.

    Args:
        in_channels (C_in), out_channels (C_out): positive ints.
        kernel_size, stride, padding, output_padding, dilation: int or (height, width) pair;
            output_padding smaller than the stride or the dilation.
        bias: learn a per-channel bias. dtype: float32 (default) or float64.
        rng: generator for the initialisation (PyTorch's default uniform bounds, fan-in
            C_out*KH*KW).

    Raises:
        TypeError: a size that is not an int (or pair of ints), another dtype, or an rng that
            is not a Generator.
        ValueError: channels or kernel size < 1, stride or dilation < 1, padding or
            output_padding < 0 (an output_padding too large for the stride and dilation fails
            at the first call).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, dilation=1,
                 bias=True, dtype=np.float32, rng=None):
        pair("output_padding", output_padding, 0)  # fail here, not at the first call
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias, dtype, rng,
                         transposed=True)
        self.output_padding = output_padding

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, output_padding={self.output_padding}")
