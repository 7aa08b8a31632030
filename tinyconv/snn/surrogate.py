"""The spike nonlinearity S = H(U) (Heaviside step, H(0) = 0) with a surrogate gradient.

The step's true derivative is 0 almost everywhere, so backpropagation through time replaces it
in the backward pass only by the derivative of a smooth stand-in (Neftci, Mostafa & Zenke 2019,
"Surrogate gradient learning in spiking neural networks"):

- ``"fast_sigmoid"`` (Zenke & Ganguli 2018, "SuperSpike", Neural Computation 30:1514, eq. 5):
  dS/dU ~ 1 / (1 + slope * |U|)^2, slope 25 by default (snnTorch's ``surrogate.fast_sigmoid``).
- ``"arctan"`` (snnTorch's default, ``snntorch.surrogate.atan``; SpikingJelly's
  ``surrogate.ATan``; Fang et al. 2021, "Incorporating learnable membrane time constant"):
  the stand-in is S ~ 1/pi * arctan(pi * U * alpha / 2) + 1/2, whose derivative is
  dS/dU ~ (alpha / 2) / (1 + (pi * U * alpha / 2)^2), alpha 2 by default (1 at U = 0).
"""
import math

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import tensor_arg
from ..validation import positive_real, require_float

#: Default sharpness of each surrogate, as in snnTorch.
SURROGATES = {"fast_sigmoid": 25.0, "arctan": 2.0}


def surrogate_grad(u, surrogate, scale):
    """The surrogate derivative dS/dU at ``u`` (an array), by the formulas of the module docstring."""
    xp = get_array_module(u)
    if surrogate == "fast_sigmoid":
        return 1 / (1 + scale * xp.abs(u)) ** 2
    return (scale / 2) / (1 + (math.pi / 2 * scale * u) ** 2)


class Spike(Function):
    """S = H(U) forward (1 where U > 0, else 0, in U's dtype); surrogate derivative backward."""

    def __init__(self, surrogate, scale):
        self.surrogate, self.scale = surrogate, scale

    def forward(self, u):
        self.u = u
        return (u > 0).astype(u.dtype)

    def backward(self, g):
        return g * surrogate_grad(self.u, self.surrogate, self.scale).astype(g.dtype, copy=False)


def surrogate_arg(surrogate, scale):
    """Check a surrogate name and its sharpness (None: the default); return (name, scale).

    Raises:
        ValueError: an unknown name, or a scale that is not > 0. TypeError: a scale that is not a real number.
    """
    if surrogate not in SURROGATES:
        raise ValueError(f"surrogate: expected one of {sorted(SURROGATES)}, got {surrogate!r}")
    if scale is None:
        return surrogate, SURROGATES[surrogate]
    return surrogate, positive_real("scale", scale)


def spike(u, surrogate="arctan", scale=None):
    """Heaviside step S = H(u) of a float tensor (1.0 where u > 0, else 0.0; same shape and
    dtype), differentiable through the surrogate derivative named by ``surrogate``:
    "arctan" (``scale`` = alpha, default 2) or "fast_sigmoid" (``scale`` = slope, default 25);
    formulas and sources in the module docstring.

    Raises:
        TypeError: non-float u, or a scale that is not a number.
        ValueError: an unknown surrogate, or a scale <= 0.
    """
    u = tensor_arg("u", u)
    require_float("u", u)
    return Spike(*surrogate_arg(surrogate, scale))(u)
