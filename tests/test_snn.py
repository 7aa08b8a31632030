"""tinyconv.snn: spike encoders, the surrogate spike, LIF neurons, the tempotron and the losses
on spikes, each against a plain NumPy evaluation of its equations; gradient checks of every
differentiable path (hypothesis)."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinyconv as tc
from tinyconv import Tensor, snn
from strategies import seeds, uniform


def check(fn, *inputs):
    assert tc.gradcheck(fn, list(inputs))


# ---------------------------------------------------------------- surrogate spike

def test_spike_forward_is_the_heaviside_step_with_h0_zero():
    u = np.array([-1.0, -1e-9, 0.0, 1e-9, 3.0], dtype=np.float32)
    s = snn.spike(u)
    assert s.dtype == np.float32
    np.testing.assert_array_equal(s.numpy(), [0, 0, 0, 1, 1])


@pytest.mark.parametrize("surrogate, scale", [("arctan", None), ("arctan", 5.0), ("fast_sigmoid", None),
                                              ("fast_sigmoid", 2.0)])
def test_spike_backward_is_the_surrogate_formula(surrogate, scale):
    u = np.linspace(-2, 2, 41)
    x = Tensor(u, requires_grad=True)
    g = np.random.default_rng(0).standard_normal(u.shape)
    (snn.spike(x, surrogate, scale) * Tensor(g)).sum().backward()
    if surrogate == "arctan":
        alpha = 2.0 if scale is None else scale
        expected = (alpha / 2) / (1 + (math.pi * u * alpha / 2) ** 2)
    else:
        slope = 25.0 if scale is None else scale
        expected = 1 / (1 + slope * np.abs(u)) ** 2
    np.testing.assert_allclose(x.grad, g * expected, rtol=1e-12)


def test_arctan_surrogate_is_the_derivative_of_its_stand_in():
    # S ~ arctan(pi u alpha / 2) / pi: its central difference is the backward's factor
    u, alpha, eps = np.linspace(-1, 1, 21), 2.0, 1e-6
    stand_in = lambda v: np.arctan(np.pi * v * alpha / 2) / np.pi  # noqa: E731
    x = Tensor(u, requires_grad=True)
    snn.spike(x, "arctan", alpha).sum().backward()
    np.testing.assert_allclose(x.grad, (stand_in(u + eps) - stand_in(u - eps)) / (2 * eps), rtol=1e-6)
    assert x.grad[10].item() == pytest.approx(1.0)  # alpha / 2 at u = 0


def test_spike_refuses_bad_arguments():
    with pytest.raises(ValueError, match="surrogate: expected one of .*got 'sigmoid'"):
        snn.spike([0.5], "sigmoid")
    with pytest.raises(ValueError, match="scale: expected a finite number > 0, got 0"):
        snn.spike([0.5], "arctan", 0)
    with pytest.raises(TypeError, match="u: expected a floating-point tensor"):
        snn.spike(np.array([1, 2]))


# ---------------------------------------------------------------- LIF

def lif_reference(current, beta, threshold, reset, mem=None):
    """Plain loop of the LIF equations: S[t] = H(U[t] - theta), U[t+1] = beta U[t] + I[t+1] - S[t] theta
    (subtract) or beta U[t] (1 - S[t]) + I[t+1] (zero)."""
    u = np.zeros_like(current[0]) if mem is None else mem.copy()
    s = np.zeros_like(u)
    spikes, potentials = [], []
    for t in range(len(current)):
        if reset == "subtract":
            u = beta * u + current[t] - s * threshold
        else:
            u = beta * u * (1 - s) + current[t]
        s = (u > threshold).astype(current.dtype)
        spikes.append(s)
        potentials.append(u)
    return np.array(spikes), np.array(potentials)


def test_lif_spike_times_by_hand():
    # constant current 0.625, beta 1, theta 1 (exact in binary): a spike where U > 1; U = 1 exactly does not fire
    current = np.full((8, 1, 1), 0.625)
    s, u = snn.lif(current, beta=1.0, threshold=1.0, reset="subtract")
    np.testing.assert_array_equal(u.numpy().ravel(), [0.625, 1.25, 0.875, 1.5, 1.125, 0.75, 1.375, 1.0])
    assert np.flatnonzero(s.numpy().ravel()).tolist() == [1, 3, 4, 6]
    s, u = snn.lif(current, beta=0.5, threshold=1.0, reset="zero")
    np.testing.assert_array_equal(u.numpy().ravel(), [0.625, 0.9375, 1.09375, 0.625, 0.9375, 1.09375, 0.625, 0.9375])
    assert np.flatnonzero(s.numpy().ravel()).tolist() == [2, 5]


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@given(seed=seeds, steps=st.integers(1, 12), beta=st.floats(0, 1), with_mem=st.booleans())
def test_lif_matches_the_numpy_loop(reset, seed, steps, beta, with_mem):
    rng = np.random.default_rng(seed)
    current = rng.uniform(-0.5, 1.5, (steps, 3, 2, 2))
    mem = rng.uniform(-1, 1, (3, 2, 2)) if with_mem else None
    s, u = snn.LIF(beta, threshold=0.8, reset=reset)(current, None if mem is None else Tensor(mem))
    expected_s, expected_u = lif_reference(current, beta, 0.8, reset, mem)
    np.testing.assert_allclose(u.numpy(), expected_u, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(s.numpy(), expected_s)


@pytest.mark.parametrize("reset", ["subtract", "zero"])
@given(data=st.data(), steps=st.integers(1, 5), beta=st.floats(0.1, 1))
def test_lif_membrane_gradcheck(reset, data, steps, beta):
    # resets are not differentiated, so the potentials are piecewise linear in the input and the
    # initial potential: central differences see the same slopes wherever no spike flips
    current, mem = data.draw(uniform((steps, 2, 3), -1, 2)), data.draw(uniform((2, 3), -1, 1))
    check(lambda i, m: snn.lif(i, beta, 0.7, reset, mem=m)[1], current, mem)


def test_lif_spike_gradient_is_the_surrogate_chain():
    # one step: S = H(I - theta), dS/dI = surrogate(I - theta)
    i = Tensor(np.array([[0.2, 1.0, 1.5]]).reshape(1, 1, 3), requires_grad=True)
    snn.lif(i, 0.9, threshold=1.0, surrogate="fast_sigmoid", scale=4.0)[0].sum().backward()
    np.testing.assert_allclose(i.grad.numpy().ravel(), 1 / (1 + 4 * np.abs(np.array([-0.8, 0.0, 0.5]))) ** 2)


def test_lif_refuses_bad_arguments():
    with pytest.raises(ValueError, match=r"beta: expected a number in \[0, 1\], got 1.5"):
        snn.LIF(beta=1.5)
    with pytest.raises(ValueError, match=r"threshold: expected a finite number > 0, got 0"):
        snn.LIF(threshold=0)
    with pytest.raises(ValueError, match="reset: expected one of .*got 'none'"):
        snn.LIF(reset="none")
    with pytest.raises(ValueError, match=r"input: expected a tensor \(T, N, \*\) with T >= 1 time steps, got shape \(3,\)"):
        snn.lif(np.zeros(3), 0.9)
    with pytest.raises(ValueError, match=r"mem: expected shape \(2,\) \(N, \*\), got \(3,\)"):
        snn.lif(np.zeros((4, 2)), 0.9, mem=np.zeros(3))


# ---------------------------------------------------------------- encoders

def test_latency_code_fires_once_and_stronger_earlier():
    x = np.array([[1.0, 0.75, 0.5, 0.26, 0.0]], dtype=np.float32)
    spikes = snn.latency_encode(x, 5).numpy()
    assert spikes.shape == (5, 1, 5) and spikes.dtype == np.float32
    assert spikes.sum(axis=0).tolist() == [[1, 1, 1, 1, 0]]  # x = 0 never fires
    assert spikes[:, 0, :4].argmax(axis=0).tolist() == [0, 1, 2, 3]  # round((1 - x) * 4)


@given(seed=seeds, steps=st.integers(2, 30))
def test_latency_order_follows_intensity(seed, steps):
    x = np.random.default_rng(seed).uniform(0.01, 1, (2, 6))
    first = snn.latency_encode(x, steps).numpy().argmax(axis=0)
    order = np.argsort(-x, axis=1, kind="stable")
    assert (np.diff(np.take_along_axis(first, order, axis=1), axis=1) >= 0).all()


def test_rate_code_mean_rate_approximates_the_intensity():
    x = np.array([[0.0, 0.1, 0.5, 0.9, 1.0]])
    spikes = snn.rate_encode(x, 4000, rng=np.random.default_rng(3)).numpy()
    sigma = np.sqrt(x * (1 - x) / 4000)
    assert (np.abs(spikes.mean(axis=0) - x) <= 4 * sigma + 1e-12).all()
    assert set(np.unique(spikes)) <= {0.0, 1.0}


def test_rate_code_is_reproducible_from_the_seed():
    x = np.random.default_rng(0).random((3, 4))
    a = snn.rate_encode(x, 10, rng=np.random.default_rng(7)).numpy()
    b = snn.rate_encode(x, 10, rng=np.random.default_rng(7)).numpy()
    c = snn.rate_encode(x, 10, rng=np.random.default_rng(8)).numpy()
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


@pytest.mark.parametrize("encode", [snn.latency_encode, snn.rate_encode])
def test_encoders_refuse_intensities_outside_0_1(encode):
    with pytest.raises(ValueError, match=r"x: expected intensities in \[0, 1\].*got 1.5"):
        encode(np.array([0.2, 1.5]), 4)
    with pytest.raises(ValueError, match="num_steps: expected a positive int, got 0"):
        encode(np.array([0.2]), 0)


# ---------------------------------------------------------------- tempotron

TAU, TAU_S = 15.0, 3.75


def kernel(t):
    """K(t) = V0 (exp(-t/tau) - exp(-t/tau_s)), t >= 0, V0 from the maximum on a fine grid."""
    fine = np.linspace(0, 60, 600001)
    v0 = 1 / (np.exp(-fine / TAU) - np.exp(-fine / TAU_S)).max()
    t = np.asarray(t, dtype=np.float64)
    return np.where(t >= 0, v0 * (np.exp(-np.maximum(t, 0) / TAU) - np.exp(-np.maximum(t, 0) / TAU_S)), 0)


def test_psp_kernel_peaks_at_one():
    t = np.linspace(-5, 60, 1301)
    np.testing.assert_allclose(snn.psp_kernel(t, TAU, TAU_S), kernel(t), atol=1e-9)
    assert snn.psp_kernel(np.array([5 * np.log(4)]), TAU, TAU_S)[0] == pytest.approx(1.0)  # tau tau_s ln4 / (tau - tau_s)
    assert snn.psp_kernel(np.array([0.0, -1.0]), TAU, TAU_S).tolist() == [0.0, 0.0]


@given(seed=seeds, steps=st.integers(1, 25), dt=st.sampled_from([0.5, 1.0, 2.0]), v_rest=st.floats(-1, 1))
def test_tempotron_potential_is_the_sum_of_kernels(seed, steps, dt, v_rest):
    rng = np.random.default_rng(seed)
    spikes = (rng.random((steps, 2, 5)) < 0.2) * rng.integers(1, 3, (steps, 2, 5)).astype(np.float64)
    layer = snn.Tempotron(5, 3, TAU, TAU_S, threshold=1.0, v_rest=v_rest, dt=dt, dtype=np.float64,
                          rng=np.random.default_rng(seed))
    w = layer.weight.numpy()
    expected = np.full((steps, 2, 3), v_rest)
    for k in range(steps):
        for j in range(k + 1):  # V(t_k) = sum_i w_i sum_{t_i <= t_k} K(t_k - t_i) + V_rest
            expected[k] += spikes[j] @ w.T * kernel((k - j) * dt)
    traces = layer.traces(spikes)
    np.testing.assert_allclose(layer.potential(traces).numpy(), expected, atol=1e-7)
    np.testing.assert_allclose(layer(traces).numpy(), expected.max(axis=0), atol=1e-7)
    assert layer.predict(traces).tolist() == expected.max(axis=0).argmax(axis=1).tolist()


@given(seed=seeds, steps=st.integers(2, 20))
def test_latency_psp_at_grid_times_equals_the_traces_of_the_latency_code(seed, steps):
    x = 1 - np.random.default_rng(seed).integers(0, steps - 1, (3, 4)) / (steps - 1)  # times on the grid
    np.testing.assert_allclose(snn.latency_psp(x, steps, TAU, TAU_S).numpy(),
                               snn.psp_traces(snn.latency_encode(x, steps), TAU, TAU_S).numpy(), atol=1e-12)


@given(data=st.data(), steps=st.integers(1, 6), n=st.integers(1, 3), i=st.integers(1, 4), o=st.integers(1, 3))
def test_peak_potential_gradcheck(data, steps, n, i, o):
    check(lambda p, w: snn.peak_potential(p, w, 0.5), data.draw(uniform((steps, n, i))), data.draw(uniform((o, i))))


@given(data=st.data(), steps=st.integers(2, 12), dt=st.sampled_from([0.5, 1.0, 3.0]))
def test_latency_psp_gradcheck(data, steps, dt):
    check(lambda x: snn.latency_psp(x, steps, TAU, TAU_S, dt), data.draw(uniform((2, 3), 0.02, 0.98)))


def test_tempotron_rule_by_hand():
    # input 0 fires at t = 0, input 1 at t = 5; neuron 0 (w = 0.5, 0) peaks at 0.5 K(7) at t_max = 7
    # (K peaks at 5 ln 4 = 6.93) and should fire: misses; neuron 1 (w = 2, 0) fires and should not.
    spikes = np.zeros((12, 1, 2))
    spikes[0, 0, 0] = spikes[5, 0, 1] = 1
    layer = snn.Tempotron(2, 2, TAU, TAU_S, threshold=1.0, dtype=np.float64)
    layer.weight.data[...] = [[0.5, 0.0], [2.0, 0.0]]
    traces = layer.traces(spikes)
    assert layer.partial_fit(traces, np.array([0]), lr=0.1) == 2
    dw = 0.1 * kernel([7.0, 2.0])  # eq. 2: lambda sum_{t_i < t_max} K(t_max - t_i)
    np.testing.assert_allclose(layer.weight.numpy(), [[0.5 + dw[0], dw[1]], [2.0 - dw[0], -dw[1]]], rtol=1e-6)


def test_tempotron_rule_leaves_correct_decisions_alone():
    spikes = np.zeros((12, 2, 2))
    spikes[0, :, 0] = 1
    layer = snn.Tempotron(2, 2, TAU, TAU_S, threshold=1.0, dtype=np.float64)
    layer.weight.data[...] = [[2.0, 0.0], [0.5, 0.0]]  # neuron 0 fires, neuron 1 does not
    assert layer.partial_fit(layer.traces(spikes), np.array([0, 0]), lr=0.1) == 0
    np.testing.assert_array_equal(layer.weight.numpy(), [[2.0, 0.0], [0.5, 0.0]])


def test_tempotron_fit_learns_a_timing_task():
    # class 0: input 0 fires before input 1; class 1: the other order (same spike counts)
    spikes = np.zeros((30, 40, 2))
    labels = np.arange(40) % 2
    for n, label in enumerate(labels):
        spikes[2, n, label], spikes[12, n, 1 - label] = 1, 1
    layer, traces = snn.Tempotron(2, 2, dtype=np.float64), snn.psp_traces(spikes)
    layer.weight.data[...] = 0.5  # positive: a neuron whose potential never rises above V_rest cannot learn (t_max = 0)
    errors = [layer.partial_fit(traces, labels, lr=0.005) for _ in range(20)]
    assert errors[0] == 40 and errors[-1] == 0
    assert layer.predict(traces).tolist() == labels.tolist()


def test_tempotron_fit_starts_afresh():
    traces, labels = snn.psp_traces(np.ones((5, 2, 3))), np.array([0, 1])
    a = snn.Tempotron(3, 2, dtype=np.float64, rng=np.random.default_rng(1)).fit(traces, labels, lr=0.1, epochs=3)
    b = snn.Tempotron(3, 2, dtype=np.float64, rng=np.random.default_rng(1))
    b.weight.data[...] = 9.0
    np.testing.assert_array_equal(b.fit(traces, labels, lr=0.1, epochs=3).weight.numpy(), a.weight.numpy())


def test_tempotron_refuses_bad_arguments():
    with pytest.raises(ValueError, match="tau_s: expected a value < tau = 3.0, got 15.0"):
        snn.Tempotron(4, 2, tau=3.0, tau_s=15.0)
    layer = snn.Tempotron(4, 2, dtype=np.float64)
    with pytest.raises(ValueError, match=r"traces: expected shape \(T >= 1, N, 4\) to match weight \(2, 4\)"):
        layer(np.zeros((3, 1, 5)))
    with pytest.raises(ValueError, match=r"labels: expected values in \[0, 2\), got \[0, 2\]"):
        layer.partial_fit(np.zeros((3, 2, 4)), np.array([0, 2]))
    with pytest.raises(ValueError, match=r"x: expected intensities in \[0, 1\], got -0.5"):
        snn.latency_psp(np.array([[-0.5]]), 4)


# ---------------------------------------------------------------- losses

def softmax_ce(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def test_losses_on_spikes_and_membranes():
    rng = np.random.default_rng(0)
    spikes, membrane, labels = (rng.random((6, 4, 3)) < 0.4).astype(np.float64), rng.normal(size=(6, 4, 3)), \
        np.array([0, 2, 1, 2])
    assert snn.spike_count_cross_entropy(spikes, labels).item() == pytest.approx(softmax_ce(spikes.sum(0), labels))
    assert snn.membrane_cross_entropy(membrane, labels).item() == pytest.approx(softmax_ce(membrane.max(0), labels))
    with pytest.raises(ValueError, match=r"spikes: expected a 3-D tensor \(T, N, C\), got shape \(4, 3\)"):
        snn.spike_count_cross_entropy(spikes[0], labels)
