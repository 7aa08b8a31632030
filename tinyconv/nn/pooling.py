"""MaxPool2d, AvgPool2d and StochasticPool2d layers (see tinyconv.functional.pooling and
tinyconv.functional.stochastic_pooling)."""
from .. import functional as F
from ..functional.validation import pair
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        kernel = pair("kernel_size", kernel_size, 1)  # checked here, so a bad layer fails where it is built
        if stride is not None:
            pair("stride", stride, 1)
        padding_pair = pair("padding", padding, 0)
        for axis, name in ((0, "height"), (1, "width")):
            if 2 * padding_pair[axis] > kernel[axis]:
                raise ValueError(f"padding: expected at most half the kernel {name} ({kernel[axis] // 2}), "
                                 f"got {padding_pair[axis]}")
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Max pooling (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size."""

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Average pooling (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size."""

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)


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
