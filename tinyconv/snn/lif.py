"""Leaky integrate-and-fire (LIF) neurons in discrete time, trained by backpropagation through
time with a surrogate gradient for the spike (see :mod:`tinyconv.snn.surrogate`).

Equations (Gerstner et al. 2014, "Neuronal Dynamics", ch. 1, discretised with decay
beta = exp(-dt / tau_mem); the form of snnTorch's ``Leaky`` neuron, Eshraghian et al. 2023,
"Training spiking neural networks using lessons from deep learning", eq. 3-4), for an input
current I[t] and the membrane potential U:

    S[t] = H(U[t] - theta)                                  (spike when U crosses theta)
    U[t+1] = beta * U[t] + I[t+1] - S[t] * theta            (reset by subtraction)
    U[t+1] = beta * U[t] * (1 - S[t]) + I[t+1]              (reset to zero)

with U[0] = beta * U_init + I[0] (U_init = 0 by default). The reset term is not differentiated
(snnTorch detaches it too): gradients flow through the leak, the input and the surrogate of H.

Layout: time first, as the recurrent layers without ``batch_first``: input (T, N, *) for T
steps of any feature shape (N, F) or (N, C, H, W); spikes and potentials the same shape.
"""
from .. import functional as F
from ..tensor import tensor_arg
from ..validation import number, positive_real, require_float
from ..nn.module import Module
from .surrogate import spike, surrogate_arg

RESETS = ("subtract", "zero")


def lif_args(beta, threshold, reset, surrogate, scale):
    """Check the LIF constants; return (beta, threshold, reset, surrogate, scale).

    Raises:
        TypeError: beta or threshold not a real number. ValueError: beta outside [0, 1] (or
        NaN), threshold not finite and > 0, an unknown reset or surrogate (see :func:`spike`).
    """
    beta, threshold = float(number("beta", beta, 0, 1)), positive_real("threshold", threshold)
    if reset not in RESETS:
        raise ValueError(f"reset: expected one of {RESETS}, got {reset!r}")
    return (beta, threshold, reset) + surrogate_arg(surrogate, scale)


def lif(input, beta, threshold=1.0, reset="subtract", surrogate="arctan", scale=None, mem=None):
    """Run LIF neurons over a sequence of input currents (equations in the module docstring).

    Args:
        input: float tensor (T, N, *) of input currents, T >= 1 time steps.
        beta: membrane decay per step in [0, 1]. threshold: theta > 0.
        reset: "subtract" (U -= theta after a spike) or "zero" (U = 0 after a spike).
        surrogate, scale: the spike's surrogate gradient (see :func:`tinyconv.snn.spike`).
        mem: initial potential U_init (N, *) or None for zeros.

    Returns:
        (spikes, membrane): float tensors (T, N, *) of input's dtype: S[t] (0 or 1) and U[t].

    Raises:
        TypeError: non-float input, or a mem of another dtype. ValueError: input with fewer
        than 2 dimensions or no time step, a mem of another shape, bad constants (see
        :func:`lif_args`).
    """
    beta, threshold, reset, surrogate, scale = lif_args(beta, threshold, reset, surrogate, scale)
    input = tensor_arg("input", input)
    require_float("input", input)
    if input.ndim < 2 or input.shape[0] == 0:
        raise ValueError(f"input: expected a tensor (T, N, *) with T >= 1 time steps, got shape {tuple(input.shape)}")
    if mem is not None:
        mem = tensor_arg("mem", mem)
        if tuple(mem.shape) != tuple(input.shape[1:]):
            raise ValueError(f"mem: expected shape {tuple(input.shape[1:])} (N, *), got {tuple(mem.shape)}")
        if mem.dtype != input.dtype:
            raise TypeError(f"mem: expected dtype {input.dtype} like input, got {mem.dtype}")
    spikes, potentials, s = [], [], None
    for current in F.unbind(input, 0):
        mem = current if mem is None else _leak(mem, s, beta, threshold, reset) + current
        s = spike(mem - threshold, surrogate, scale)
        spikes.append(s)
        potentials.append(mem)
    return F.stack(spikes), F.stack(potentials)


def _leak(mem, s, beta, threshold, reset):
    """beta * U[t] after the reset by the spikes S[t] (None before the first step); the reset
    is not differentiated."""
    if s is None:
        return beta * mem
    s = s.detach()
    return beta * mem - s * threshold if reset == "subtract" else beta * mem * (1 - s)


class LIF(Module):
    """A layer of leaky integrate-and-fire neurons (equations in :mod:`tinyconv.snn.lif`),
    stateless between calls: ``forward(input, mem=None) -> (spikes, membrane)``, each
    (T, N, *) like input; see :func:`lif` for the arguments and errors."""

    def __init__(self, beta=0.9, threshold=1.0, reset="subtract", surrogate="arctan", scale=None):
        super().__init__()
        self.beta, self.threshold, self.reset, self.surrogate, self.scale = \
            lif_args(beta, threshold, reset, surrogate, scale)

    def forward(self, input, mem=None):
        return lif(input, self.beta, self.threshold, self.reset, self.surrogate, self.scale, mem)

    def extra_repr(self):
        return (f"beta={self.beta}, threshold={self.threshold}, reset={self.reset!r}, "
                f"surrogate={self.surrogate!r}, scale={self.scale}")
