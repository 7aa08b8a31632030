"""Spiking neurons: spike encoders, the spike with surrogate gradients, leaky integrate-and-fire
layers trained by backpropagation through time, the tempotron, and losses on spikes.

Layout: time first, (T, N, *) for T steps of N samples (as the recurrent layers).
"""
from .encoding import latency_encode, rate_encode
from .surrogate import spike
from .lif import lif, LIF
from .tempotron import psp_kernel, psp_traces, latency_psp, peak_potential, Tempotron
from .losses import spike_count_cross_entropy, membrane_cross_entropy
