"""conv2d and conv_transpose2d refuse a weight with zero input channels or a zero kernel size
(the sum over it is empty, so the result was the bias alone); zero output channels still give
an empty result, as in PyTorch."""
import re

import numpy as np
import pytest

from tinyconv import functional as F


def refusal(layout, shape):
    return re.escape(f"weight: expected input channels and kernel sizes >= 1 in {layout}, got shape {shape}")


@pytest.mark.parametrize("shape", [(4, 3, 0, 3), (4, 3, 3, 0), (4, 0, 3, 3)])
def test_conv2d_refuses_zero_input_channels_or_kernel_size(shape):
    x = np.ones((2, shape[1], 5, 5), np.float32)
    with pytest.raises(ValueError, match=refusal("(O, C, KH, KW)", shape)):
        F.conv2d(x, np.ones(shape, np.float32), np.ones(4, np.float32))


@pytest.mark.parametrize("shape", [(3, 4, 0, 3), (3, 4, 3, 0), (0, 4, 3, 3)])
def test_conv_transpose2d_refuses_zero_input_channels_or_kernel_size(shape):
    x = np.ones((2, shape[0], 5, 5), np.float32)
    with pytest.raises(ValueError, match=refusal("(C_in, C_out, KH, KW)", shape)):
        F.conv_transpose2d(x, np.ones(shape, np.float32), np.ones(4, np.float32))


def test_zero_output_channels_give_an_empty_result():
    x = np.ones((2, 3, 5, 5), np.float32)
    assert F.conv2d(x, np.ones((0, 3, 3, 3), np.float32)).shape == (2, 0, 3, 3)
    assert F.conv_transpose2d(x, np.ones((3, 0, 3, 3), np.float32)).shape == (2, 0, 7, 7)
