"""MaxPool2d, AvgPool2d and StochasticPool2d layers (see tinyconv.functional.pooling and
tinyconv.functional.stochastic_pooling)."""
from .. import functional as F
from ..validation import pair
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        kernel = pair("kernel_size", kernel_size, 1)  # checked here, so a bad layer fails where it is built
        if stride is not None:
            pair("stride", stride, 1)
        padding_pair, dilation_pair = pair("padding", padding, 0), pair("dilation", dilation, 1)
        for axis, name in ((0, "height"), (1, "width")):
            effective = dilation_pair[axis] * (kernel[axis] - 1) + 1
            if 2 * padding_pair[axis] > effective:
                raise ValueError(f"padding: expected at most half the kernel {name} ({effective // 2}), "
                                 f"got {padding_pair[axis]}")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max pooling (N, C, H, W) -> (N, C, OH, OW) with PyTorch's arguments (see
    :func:`tinyconv.functional.max_pool2d`); stride defaults to kernel_size;
    ``return_indices=True`` raises NotImplementedError."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, dilation)
        if return_indices:
            raise NotImplementedError("MaxPool2d(return_indices=True): tinyconv has no pooling indices "
                                      "(nor MaxUnpool2d); use return_indices=False")
        self.dilation, self.ceil_mode = dilation, bool(ceil_mode)

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)


class AvgPool2d(_Pool2d):
    """Average pooling (N, C, H, W) -> (N, C, OH, OW) with PyTorch's arguments (see
    :func:`tinyconv.functional.avg_pool2d`); stride defaults to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding)
        self.ceil_mode, self.count_include_pad = bool(ceil_mode), bool(count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                            self.divisor_override)


class StochasticPool2d(_Pool2d):
    """Stochastic pooling (Zeiler & Fergus 2013) of non-negative inputs (N, C, H, W) ->
    (N, C, OH, OW): in training mode one location per window is sampled with probability
    proportional to its activation; in evaluation mode the output is the probability-weighted
    mean sum_i p_i a_i. ``rng`` defaults to the framework's seeded generator; stride defaults
    to kernel_size."""

    def __init__(self, kernel_size, stride=None, padding=0, rng=None):
        super().__init__(kernel_size, stride, padding)
        self.rng = rng

    def forward(self, x):
        return F.stochastic_pool2d(x, self.kernel_size, self.stride, self.padding, self.training, self.rng)


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed ``output_size`` (an int or a pair, None keeping the input's
    size), see :func:`tinyconv.functional.adaptive_avg_pool2d`."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"
