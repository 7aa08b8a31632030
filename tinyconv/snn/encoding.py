"""Spike encoders: turn intensities (images, feature maps) into spike trains on a grid of T
time steps. Layout: x (N, *) in, spikes (T, N, *) out, time first (as :func:`tinyconv.snn.lif`
and the recurrent layers take it), 1.0 for a spike and 0.0 otherwise, in x's dtype. The
spikes are data, not part of a graph (no gradient flows back to x).

- Latency (time-to-first-spike) code (Thorpe, Delorme & Van Rullen 2001, "Spike-based
  strategies for rapid processing"; the latency code of Guetig & Sompolinsky 2006): each input
  fires once, a stronger one earlier, linearly: at step round((1 - x) * (T - 1)) for x in
  (0, 1]; x = 1 fires at step 0, and x = 0 never fires.
- Rate (Poisson-like) code (Dayan & Abbott 2001, "Theoretical Neuroscience", sec. 1.4: a
  Poisson spike train generated in bins, a spike in each with probability r dt; snnTorch's
  ``spikegen.rate``): at every step an input fires with probability x, independently
  (Bernoulli), so the mean rate over T steps estimates x: P(S[t] = 1) = x.
"""
import numpy as np

from ..backend import get_array_module
from ..validation import positive_int, require_float
from ..random import resolve_rng
from ..tensor import Tensor, tensor_arg


def _intensities(x):
    x = tensor_arg("x", x)
    require_float("x", x)
    data = x.data
    xp = get_array_module(data)
    if data.size and not bool(((data >= 0) & (data <= 1)).all()):
        bad = data[~((data >= 0) & (data <= 1))]
        raise ValueError(f"x: expected intensities in [0, 1] (scale features first, e.g. by their maximum), "
                         f"got {float(xp.asarray(bad).ravel()[0])!r}")
    return data, xp


def latency_encode(x, num_steps):
    """Time-to-first-spike code of intensities ``x`` (N, *) in [0, 1] over ``num_steps`` = T
    steps: (T, N, *) spikes, one at step round((1 - x) * (T - 1)) for each x > 0, none for
    x = 0 (see the module docstring).

    Raises:
        TypeError: non-float x, or a num_steps that is not an int.
        ValueError: values outside [0, 1] (NaN included), or num_steps < 1.
    """
    num_steps = positive_int("num_steps", num_steps)
    data, xp = _intensities(x)
    step = xp.rint((1 - data) * (num_steps - 1))
    grid = xp.arange(num_steps, dtype=data.dtype).reshape((num_steps,) + (1,) * data.ndim)
    return Tensor(((grid == step) & (data > 0)).astype(data.dtype))


def rate_encode(x, num_steps, rng=None):
    """Rate code of intensities ``x`` (N, *) in [0, 1]: (T, N, *) spikes, each step and input
    firing with probability x (Bernoulli), T = ``num_steps``. ``rng``: a
    ``numpy.random.Generator`` (default: the framework's seeded generator); the same seed gives
    the same spikes.

    Raises:
        TypeError: non-float x, a num_steps that is not an int, an rng that is not a Generator.
        ValueError: values outside [0, 1] (NaN included), or num_steps < 1.
    """
    num_steps = positive_int("num_steps", num_steps)
    rng = resolve_rng(rng)
    data, xp = _intensities(x)
    draws = xp.asarray(rng.random((num_steps,) + data.shape, dtype=np.float32))
    return Tensor((draws < data).astype(data.dtype))
