"""Conv2d and ConvTranspose2d: 2-D convolution layers over NCHW batches."""
import numpy as np

from .. import functional as F
from ..validation import float_dtype, pair, positive_int
from ..tensor import Parameter
from .linear import reset_uniform
from .module import Module


class _Convolution(Module):
    """What Conv2d and ConvTranspose2d share: checked sizes, the weight ((O, C, KH, KW), or
    (C, O, KH, KW) when ``transposed``) and bias, and PyTorch's default initialisation.
    ``kernel_size``, ``stride``, ``padding`` (unless a string), ``dilation`` and
    ``output_padding`` are kept as (height, width) tuples, as in PyTorch."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                 padding_mode, device, dtype, rng, transposed):
        super().__init__()
        in_channels, out_channels = positive_int("in_channels", in_channels), positive_int("out_channels", out_channels)
        self.groups = positive_int("groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"groups: expected a divisor of in_channels ({in_channels}) and out_channels "
                             f"({out_channels}), got {groups}")
        if padding_mode != "zeros":
            raise NotImplementedError(f"padding_mode={padding_mode!r}: tinyconv pads with zeros only; "
                                      "use padding_mode='zeros'")
        dtype = float_dtype("dtype", np.float32 if dtype is None else dtype)
        self.in_channels, self.out_channels, self.padding_mode = in_channels, out_channels, padding_mode
        self.kernel_size = pair("kernel_size", kernel_size, 1)
        # normalised once, to tuples as PyTorch keeps them (a padding string stays a string)
        self.stride, self.dilation = pair("stride", stride, 1), pair("dilation", dilation, 1)
        self.padding = padding if isinstance(padding, str) and not transposed else pair("padding", padding, 0)
        channels = (in_channels, out_channels // groups) if transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(np.empty((*channels, *self.kernel_size), dtype=dtype))
        self.bias = Parameter(np.empty(out_channels, dtype=dtype)) if bias else None
        reset_uniform(self.weight, self.bias, rng)
        if device is not None:
            self.to(device)


class Conv2d(_Convolution):
    """2-D convolution (see :func:`tinyconv.functional.conv2d`): (N, C, H, W) -> (N, O, OH, OW),
    with PyTorch's arguments; the weight is (O, C / groups, KH, KW).

    Args:
        in_channels (C), out_channels (O): positive ints, multiples of ``groups``.
        kernel_size, stride, dilation: int or (height, width) pair.
        padding: int, pair, "valid" or "same" (stride 1 only).
        groups: channel groups (see :func:`tinyconv.functional.conv2d`).
        bias: learn a per-channel bias. padding_mode: "zeros" only.
        device: None or "cpu"/"cuda". dtype: None (float32), float32 or float64.
        rng: generator for the initialisation (PyTorch's default uniform bounds).

    Raises:
        TypeError: a size that is not an int (or pair of ints), another dtype, or an rng that
            is not a Generator.
        ValueError: channels or kernel size < 1, channels not divisible by groups, stride or
            dilation < 1, padding < 0 (another padding string fails at the first call).
        NotImplementedError: another padding_mode.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, rng, transposed=False)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}" + (f", groups={self.groups}" if self.groups != 1 else ""))


class ConvTranspose2d(_Convolution):
    """2-D transposed convolution (see :func:`tinyconv.functional.conv_transpose2d`):
    (N, C_in, H, W) -> (N, C_out, OH, OW) with OH = (H - 1)*SH - 2*PH + DH*(KH - 1) +
    output_padding + 1; the weight is (C_in, C_out, KH, KW), as in PyTorch.

    Args:
        in_channels (C_in), out_channels (C_out): positive ints.
        kernel_size, stride, padding, output_padding, dilation: int or (height, width) pair;
            output_padding smaller than the stride or the dilation.
        groups: 1 only (NotImplementedError otherwise). padding_mode: "zeros" only.
        bias: learn a per-channel bias. device: None or "cpu"/"cuda".
        dtype: None (float32), float32 or float64.
        rng: generator for the initialisation (PyTorch's default uniform bounds, fan-in
            C_out*KH*KW).

    Raises:
        TypeError: a size that is not an int (or pair of ints), another dtype, or an rng that
            is not a Generator.
        ValueError: channels or kernel size < 1, stride or dilation < 1, padding or
            output_padding < 0 (an output_padding too large for the stride and dilation fails
            at the first call).
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None, rng=None):
        output_padding = pair("output_padding", output_padding, 0)  # fail here, not at the first call
        if groups != 1:
            raise NotImplementedError(f"ConvTranspose2d(groups={groups!r}): tinyconv has no grouped transposed "
                                      "convolution; use groups=1")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device, dtype, rng, transposed=True)
        self.output_padding = output_padding

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  dilation=self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, output_padding={self.output_padding}")
