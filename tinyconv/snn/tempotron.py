"""The tempotron (Guetig & Sompolinsky 2006, "The tempotron: a neuron that learns spike
timing-based decisions", Nature Neuroscience 9:420): a leaky integrate-and-fire neuron whose
potential is a weighted sum of post-synaptic potential (PSP) kernels of its input spikes,

    V(t) = sum_i w_i sum_{t_i} K(t - t_i) + V_rest,                           (eq. 1)
    K(t) = V0 (exp(-t / tau) - exp(-t / tau_s)) for t >= 0, 0 for t < 0,

V0 normalising the kernel's peak to 1 (the peak is at t* = tau tau_s ln(tau / tau_s) /
(tau - tau_s)). It fires when V crosses the threshold. Learning (eq. 2): after an error (no
spike for a pattern it should fire on, or a spike for one it should not), each weight moves by

    dw_i = +-lambda sum_{t_i < t_max} K(t_max - t_i),

t_max the time of the peak potential, + when it should have fired, - otherwise.

Times are in the unit of ``tau`` (ms in the paper: tau = 15, tau_s = tau / 4), on a grid of T
steps of ``dt``: t_k = k dt, k = 0..T-1. Layout: spikes and PSP traces (T, N, I) time first,
potentials (T, N, O), peaks (N, O), weights (O, I), for N patterns, I inputs, O output neurons.
The PSP traces P[k, n, i] = sum_{t_i} K(t_k - t_i) carry everything V needs:
V[k] = P[k] @ W^T + V_rest.
"""
import math

import numpy as np

from ..autograd import Function, no_grad
from ..backend import blas_scope, get_array_module, to_numpy
from ..validation import (float_dtype, number, positive_int, positive_real, require_float, require_ndim,
                          require_same_dtype)
from ..nn import init
from ..nn.module import Module
from ..random import resolve_rng
from ..tensor import Parameter, Tensor, tensor_arg


def kernel_args(tau, tau_s, dt):
    """Check the PSP constants: tau > tau_s > 0 and dt > 0, finite; return them as floats.

    Raises:
        TypeError: not real numbers. ValueError: not finite and > 0, or tau <= tau_s.
    """
    tau, tau_s, dt = positive_real("tau", tau), positive_real("tau_s", tau_s), positive_real("dt", dt)
    if tau <= tau_s:
        raise ValueError(f"tau_s: expected a value < tau = {tau}, got {tau_s}")
    return tau, tau_s, dt


def kernel_norm(tau, tau_s):
    """V0 = 1 / max_t (exp(-t/tau) - exp(-t/tau_s)), so that K peaks at 1."""
    peak = tau * tau_s * math.log(tau / tau_s) / (tau - tau_s)
    return 1.0 / (math.exp(-peak / tau) - math.exp(-peak / tau_s))


def psp_kernel(t, tau=15.0, tau_s=3.75):
    """K(t) of the module docstring for an array of times ``t`` (0 for t < 0); same shape.

    Raises: as :func:`kernel_args`.
    """
    tau, tau_s, _ = kernel_args(tau, tau_s, 1.0)
    xp = get_array_module(t)
    s = xp.maximum(t, 0)
    return xp.where(t >= 0, kernel_norm(tau, tau_s) * (xp.exp(-s / tau) - xp.exp(-s / tau_s)), 0)


def psp_traces(spikes, tau=15.0, tau_s=3.75, dt=1.0):
    """PSP traces P[k] = sum_{j <= k} K((k - j) dt) S[j] of spikes S (T, N, I) on the time grid
    (a spike count per step may exceed 1), by two first-order recursive filters
    a[k] = exp(-dt/tau) a[k-1] + S[k] (and b likewise with tau_s), P = V0 (a - b), exact since
    K(0) = 0. Returns a float Tensor (T, N, I) of the spikes' dtype; not differentiable (spikes
    are data).

    Raises:
        TypeError: non-float spikes. ValueError: spikes not 3-D; constants as :func:`kernel_args`.
    """
    tau, tau_s, dt = kernel_args(tau, tau_s, dt)
    spikes = tensor_arg("spikes", spikes)
    require_float("spikes", spikes)
    require_ndim("spikes", spikes, 3, "(T, N, I)")
    s = spikes.data
    xp = get_array_module(s)
    traces = xp.empty_like(s)
    a, b = xp.zeros_like(s[0]), xp.zeros_like(s[0])
    decay_a, decay_b, v0 = math.exp(-dt / tau), math.exp(-dt / tau_s), kernel_norm(tau, tau_s)
    for k in range(s.shape[0]):
        a = decay_a * a + s[k]
        b = decay_b * b + s[k]
        traces[k] = v0 * (a - b)
    return Tensor(traces)


class LatencyPSP(Function):
    """Traces of single spikes at continuous latencies t_i = (1 - x_i) (T - 1) dt:
    P[k, n, i] = K(t_k - t_i); dP/dx_i = K'(t_k - t_i) (T - 1) dt (0 where t_k < t_i)."""

    def __init__(self, num_steps, tau, tau_s, dt):
        self.num_steps, self.tau, self.tau_s, self.dt = num_steps, tau, tau_s, dt

    def _lags(self, x):
        xp = get_array_module(x)
        window = (self.num_steps - 1) * self.dt
        grid = xp.arange(self.num_steps, dtype=x.dtype).reshape((-1,) + (1,) * x.ndim) * x.dtype.type(self.dt)
        return grid - (1 - x) * x.dtype.type(window), window

    def forward(self, x):
        self.x = x
        return psp_kernel(self._lags(x)[0], self.tau, self.tau_s).astype(x.dtype, copy=False)

    def backward(self, g):
        xp = get_array_module(g)
        lags, window = self._lags(self.x)
        s = xp.maximum(lags, 0)
        slope = kernel_norm(self.tau, self.tau_s) * (xp.exp(-s / self.tau_s) / self.tau_s - xp.exp(-s / self.tau) / self.tau)
        return (g * xp.where(lags >= 0, slope, 0) * window).sum(axis=0).astype(g.dtype, copy=False)


def latency_psp(x, num_steps, tau=15.0, tau_s=3.75, dt=1.0):
    """PSP traces (T, N, *) of a latency code of intensities ``x`` (N, *) in [0, 1] with exact
    (continuous) spike times: input i fires once at t_i = (1 - x_i) (T - 1) dt (x = 1 at 0,
    x -> 0 at the end of the window, where its PSP is still 0), and P[k] = K(k dt - t_i).
    Differentiable in x through the spike times, so that a network before it trains end to end.
    (:func:`tinyconv.snn.latency_encode` rounds the same times to the grid.)

    Raises:
        TypeError: non-float x, a num_steps that is not an int. ValueError: values outside
        [0, 1], num_steps < 1; constants as :func:`kernel_args`.
    """
    tau, tau_s, dt = kernel_args(tau, tau_s, dt)
    num_steps = positive_int("num_steps", num_steps)
    x = tensor_arg("x", x)
    require_float("x", x)
    inside = (x.data >= 0) & (x.data <= 1)
    if not bool(inside.all()):
        raise ValueError(f"x: expected intensities in [0, 1], got {float(x.data[~inside].ravel()[0])!r}")
    return LatencyPSP(num_steps, tau, tau_s, dt)(x)


class PeakPotential(Function):
    """max_k (P[k] @ W^T) (N, O) of traces P (T, N, I) and weights W (O, I); the gradient goes
    to the first step reaching the maximum, t_max[n, o] (kept in ``self.t_max``)."""

    @blas_scope
    def forward(self, traces, weight):
        self.traces, self.weight = traces, weight
        potential = traces @ weight.T
        self.t_max = potential.argmax(axis=0)
        return potential.max(axis=0)

    @blas_scope
    def backward(self, g):
        xp = get_array_module(g)
        T, N, I = self.traces.shape
        onehot = (xp.arange(T).reshape(T, 1, 1) == self.t_max).astype(g.dtype) * g  # (T, N, O)
        flat = onehot.reshape(T * N, -1)
        dtraces = (flat @ self.weight).reshape(T, N, I) if self.needs_input_grad[0] else None
        dweight = flat.T @ self.traces.reshape(T * N, I) if self.needs_input_grad[1] else None
        return dtraces, dweight


def _traces_and_weight(traces, weight):
    traces, weight = tensor_arg("traces", traces), tensor_arg("weight", weight)
    require_ndim("traces", traces, 3, "(T, N, I)")
    require_ndim("weight", weight, 2, "(O, I)")
    require_float("traces", traces)
    require_same_dtype("weight", weight, "traces", traces)
    if traces.shape[0] == 0 or traces.shape[2] != weight.shape[1]:
        raise ValueError(f"traces: expected shape (T >= 1, N, {weight.shape[1]}) to match weight "
                         f"{tuple(weight.shape)} (O, I), got {tuple(traces.shape)}")
    return traces, weight


def peak_potential(traces, weight, v_rest=0.0):
    """The tempotron's peak potential max_t V(t) = max_k P[k] @ W^T + V_rest, (N, O), of PSP
    traces (T, N, I) and weights (O, I) of one float dtype; differentiable in both.

    Raises:
        TypeError: non-float traces, weight of another dtype. ValueError: wrong ranks, T = 0,
        or I that differ.
    """
    traces, weight = _traces_and_weight(traces, weight)
    return PeakPotential()(traces, weight) + float(v_rest)


class Tempotron(Module):
    """O tempotrons on I inputs (equations in :mod:`tinyconv.snn.tempotron`), one per class:
    neuron o should fire for the patterns of class o only.

    ``forward(traces) -> (N, O)`` peak potentials max_t V(t) (logits for a softmax
    cross-entropy: trains by backpropagation), of PSP traces (T, N, I) from :meth:`traces`
    (spikes on the grid) or :func:`latency_psp` (exact latencies). :meth:`predict` gives the
    class of highest peak; :meth:`partial_fit` and :meth:`fit` apply the tempotron rule.
    The potential is not reset after a crossing (only whether it crosses matters).

    Args:
        n_inputs, n_outputs: I and O. tau, tau_s: PSP time constants, tau > tau_s > 0.
        threshold: firing threshold of V. v_rest: resting potential V_rest.
        dt: grid step, in tau's unit. dtype: float32 or float64. rng: generator of the initial
        weights, W ~ U(-1/sqrt(I), 1/sqrt(I)).

    Raises:
        TypeError, ValueError: as :func:`kernel_args` and for sizes as :class:`tinyconv.nn.Linear`;
            TypeError: threshold or v_rest not a real number; ValueError: either NaN or infinite.
    """

    def __init__(self, n_inputs, n_outputs, tau=15.0, tau_s=3.75, threshold=1.0, v_rest=0.0, dt=1.0,
                 dtype=np.float32, rng=None):
        super().__init__()
        self.n_inputs, self.n_outputs = positive_int("n_inputs", n_inputs), positive_int("n_outputs", n_outputs)
        self.tau, self.tau_s, self.dt = kernel_args(tau, tau_s, dt)
        self.threshold = float(number("threshold", threshold, finite=True))
        self.v_rest = float(number("v_rest", v_rest, finite=True))
        self.rng = resolve_rng(rng)
        self.weight = Parameter(np.empty((n_outputs, n_inputs), dtype=float_dtype("dtype", dtype)))
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weights afresh from U(-1/sqrt(I), 1/sqrt(I))."""
        bound = 1.0 / math.sqrt(self.n_inputs)
        init.uniform_(self.weight, -bound, bound, self.rng)

    def traces(self, spikes):
        """PSP traces (T, N, I) of spikes (T, N, I) on the grid, with this layer's constants."""
        return psp_traces(spikes, self.tau, self.tau_s, self.dt)

    def potential(self, traces):
        """V (T, N, O) = traces @ W^T + V_rest, differentiable."""
        traces, weight = _traces_and_weight(traces, self.weight)
        return traces @ weight.T + self.v_rest

    def forward(self, traces):
        return peak_potential(traces, self.weight, self.v_rest)

    def predict(self, traces):
        """Class indices (N,) int64: the output neuron of highest peak potential."""
        with no_grad():
            return to_numpy(self(traces).data).argmax(axis=1)

    def partial_fit(self, traces, labels, lr=1e-3):
        """One tempotron-rule update (eq. 2) from a batch, summed over its patterns: for each
        pattern n and neuron o that erred (fired, V > threshold, with labels[n] != o, or did not
        with labels[n] == o), W[o] += lr * (+1 or -1) * P[t_max, n], t_max the step of the peak.
        Returns the number of errors (pattern, neuron) in the batch, before the update.
        As in the paper, a neuron whose potential never rises above V_rest peaks before any
        input (t_max = 0, no PSP yet) and is not updated: start from weights that let it rise.

        Raises:
            ValueError: labels not of shape (N,) or outside [0, O); traces as :func:`peak_potential`.
        """
        traces, weight = _traces_and_weight(traces, self.weight)
        labels = _labels_arg(labels, traces.shape[1], self.n_outputs)
        peak_fn = PeakPotential()
        peak = peak_fn.forward(traces.data, weight.data) + self.v_rest
        xp = get_array_module(peak)
        target = xp.asarray(labels).reshape(-1, 1) == xp.arange(self.n_outputs)
        errors = (peak > self.threshold) != target
        peak_fn.needs_input_grad = (False, True)
        _, step = peak_fn.backward((errors * xp.where(target, -lr, lr)).astype(peak.dtype))
        weight.data -= step
        return int(errors.sum())

    def fit(self, traces, labels, lr=1e-3, epochs=10):
        """Start from fresh weights (:meth:`reset_parameters`), then ``epochs`` passes of
        :meth:`partial_fit` over the whole batch; return self."""
        self.reset_parameters()
        for _ in range(positive_int("epochs", epochs)):
            self.partial_fit(traces, labels, lr)
        return self

    def extra_repr(self):
        return (f"{self.n_inputs}, {self.n_outputs}, tau={self.tau}, tau_s={self.tau_s}, "
                f"threshold={self.threshold}, v_rest={self.v_rest}, dt={self.dt}")


def _labels_arg(labels, n, n_classes):
    labels = to_numpy(getattr(labels, "data", labels)) if not isinstance(labels, np.ndarray) else labels
    labels = np.asarray(labels)
    if labels.shape != (n,) or labels.dtype.kind not in "iu":
        raise ValueError(f"labels: expected {n} integers, shape ({n},), got {labels.dtype} {labels.shape}")
    if n and not 0 <= labels.min() <= labels.max() < n_classes:
        raise ValueError(f"labels: expected values in [0, {n_classes}), got [{labels.min()}, {labels.max()}]")
    return labels
