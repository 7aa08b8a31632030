"""Recurrent layers: forward against a hand-written NumPy reference of the equations and
against PyTorch, gradients of the layers unrolled over a few steps, a 1,000-step sequence,
parameters, shapes and error messages. (Each step Function's own gradient check is in
test_gradcheck.py.)"""
import inspect
import sys

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, functional as F, nn

LAYERS = {"rnn_tanh": (nn.RNN, {}), "rnn_relu": (nn.RNN, {"nonlinearity": "relu"}), "lstm": (nn.LSTM, {}),
          "gru": (nn.GRU, {})}


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def reference_step(mode, x, state, w_ih, w_hh, b_ih, b_hh):
    """One step of the equations in tinyconv.functional.recurrent, written out with plain NumPy."""
    h = state[0]
    gi, gh = x @ w_ih.T + b_ih, h @ w_hh.T + b_hh
    if mode == "rnn_tanh":
        return (np.tanh(gi + gh),)
    if mode == "rnn_relu":
        return (np.maximum(gi + gh, 0),)
    if mode == "lstm":
        i, f, g, o = np.split(gi + gh, 4, axis=1)
        c = sigmoid(f) * state[1] + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c), c
    (xr, xz, xn), (hr, hz, hn) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return ((1 - z) * n + z * h,)


def reference(mode, x, states, weights):
    """Multi-layer reference over x (L, N, H_in) from states (each (layers, N, H)): returns the
    last layer's outputs (L, N, H) and the final states, each (layers, N, H)."""
    finals = []
    for k, (w_ih, w_hh, b_ih, b_hh) in enumerate(weights):
        state, outputs = tuple(s[k] for s in states), []
        for x_t in x:
            state = reference_step(mode, x_t, state, w_ih, w_hh, b_ih, b_hh)
            outputs.append(state[0])
        x = np.stack(outputs)
        finals.append(state)
    return x, [np.stack([f[i] for f in finals]) for i in range(len(states))]


def make(mode, input_size=3, hidden_size=4, num_layers=2, **kw):
    cls, options = LAYERS[mode]
    return cls(input_size, hidden_size, num_layers=num_layers, dtype=np.float64,
               rng=np.random.default_rng(0), **options, **kw)


def layer_weights(layer):
    return [tuple(w.data for w in ws) for ws in layer.layer_weights()]


def random_states(mode, layers, n, size, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (layers, n, size)) for _ in range(2 if mode == "lstm" else 1)]


def as_hx(mode, states):
    return tuple(states) if mode == "lstm" else states[0]


def final_states(mode, state):
    return list(state) if mode == "lstm" else [state]


# ---------------------------------------------------------------- forward against references

@pytest.mark.parametrize("mode", sorted(LAYERS))
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("initial", [False, True])
def test_forward_matches_the_numpy_reference(mode, batch_first, initial):
    layer = make(mode, batch_first=batch_first)
    x = np.random.default_rng(2).uniform(-2, 2, (5, 3, 3))  # (L, N, H_in)
    states = random_states(mode, 2, 3, 4) if initial else [np.zeros((2, 3, 4))] * (2 if mode == "lstm" else 1)
    out, state = layer(x.transpose(1, 0, 2) if batch_first else x, as_hx(mode, states) if initial else None)
    want_out, want_states = reference(mode, x, states, layer_weights(layer))
    np.testing.assert_allclose(out.data, want_out.transpose(1, 0, 2) if batch_first else want_out, rtol=1e-12, atol=1e-12)
    for got, want in zip(final_states(mode, state), want_states):
        np.testing.assert_allclose(got.data, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", sorted(LAYERS))
def test_unbatched_input_equals_a_batch_of_one(mode):
    layer = make(mode)
    x = np.random.default_rng(3).standard_normal((4, 3))
    states = random_states(mode, 2, 1, 4)
    out, state = layer(x, as_hx(mode, [s[:, 0] for s in states]))
    batched_out, batched_state = layer(x[:, None], as_hx(mode, states))
    assert out.shape == (4, 4)
    np.testing.assert_allclose(out.data, batched_out.data[:, 0])
    for got, want in zip(final_states(mode, state), final_states(mode, batched_state)):
        assert got.shape == (2, 4)
        np.testing.assert_allclose(got.data, want.data[:, 0])


@pytest.mark.parametrize("mode", sorted(LAYERS))
def test_cells_equal_one_step_of_the_reference(mode):
    rng = np.random.default_rng(4)
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    weights = [rng.standard_normal(s) for s in [(gates * 4, 3), (gates * 4, 4), (gates * 4,), (gates * 4,)]]
    if mode == "lstm":
        got = F.lstm_cell(x, (h, c), *weights)
    elif mode == "gru":
        got = (F.gru_cell(x, h, *weights),)
    else:
        got = (F.rnn_cell(x, h, *weights, nonlinearity=mode[4:]),)
    for g, want in zip(got, reference_step(mode, x, (h, c), *weights)):
        np.testing.assert_allclose(g.data, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", sorted(LAYERS))
def test_forward_and_gradients_match_pytorch(mode):
    torch = pytest.importorskip("torch")
    layer = make(mode, batch_first=True, hidden_size=5)
    cls, options = LAYERS[mode]
    peer = getattr(torch.nn, cls.__name__)(3, 5, num_layers=2, batch_first=True, dtype=torch.float64, **options)
    for name, p in layer.named_parameters():
        getattr(peer, name).data = torch.from_numpy(p.data.copy())
    x = np.random.default_rng(5).standard_normal((4, 6, 3))
    states = random_states(mode, 2, 4, 5)
    xt = Tensor(x, requires_grad=True)
    out, state = layer(xt, as_hx(mode, states))
    x_torch = torch.from_numpy(x).requires_grad_()
    t_states = [torch.from_numpy(s) for s in states]
    t_out, t_state = peer(x_torch, tuple(t_states) if mode == "lstm" else t_states[0])
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    for got, want in zip(final_states(mode, state), final_states(mode, t_state)):
        np.testing.assert_allclose(got.data, want.detach().numpy(), rtol=1e-10, atol=1e-12)
    # a loss reading the outputs and the last cell state (whose gradient then flows in too)
    (out * out).sum().backward() if mode != "lstm" else ((out * out).sum() + state[1].sum()).backward()
    ((t_out * t_out).sum() + (t_state[1].sum() if mode == "lstm" else 0)).backward()
    np.testing.assert_allclose(xt.grad, x_torch.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, getattr(peer, name).grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------- gradients

SEQUENCE = {"rnn_tanh": F.rnn, "rnn_relu": lambda *a, **k: F.rnn(*a, nonlinearity="relu", **k),
            "lstm": F.lstm, "gru": F.gru}


@pytest.mark.parametrize("mode", sorted(LAYERS))
@pytest.mark.parametrize("bias", [True, False])
def test_gradcheck_of_two_layers_unrolled_over_three_steps(mode, bias):
    rng = np.random.default_rng(6)
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    shapes = [(gates * 3, 2), (gates * 3, 3), (gates * 3,), (gates * 3,), (gates * 3, 3), (gates * 3, 3),
              (gates * 3,), (gates * 3,)]
    weights = [rng.uniform(-0.8, 0.8, s) for s in shapes if bias or len(s) == 2]
    per_layer = len(weights) // 2
    x = rng.uniform(-1, 1, (2, 3, 2))  # N = 2, L = 3, H_in = 2 (batch first); H = 3
    states = random_states(mode, 2, 2, 3, seed=7)

    def fn(x, *rest):
        states, ws = rest[:len(rest) - len(weights)], rest[len(rest) - len(weights):]
        layers = [ws[:per_layer], ws[per_layer:]]
        out, state = SEQUENCE[mode](x, as_hx(mode, list(states)), layers, batch_first=True)
        return F.concat([out.reshape(-1)] + [s.reshape(-1) for s in final_states(mode, state)])
    if mode == "rnn_relu":  # keep every pre-activation away from the kink at 0
        x, weights = np.abs(x), [np.abs(w) for w in weights]
        states = [np.abs(s) for s in states]
    assert tc.gradcheck(fn, [x, *states, *weights])


@pytest.mark.parametrize("mode, read", [(mode, read) for mode in sorted(LAYERS) for read in ("output", "h_n", "c_n")
                                        if read != "c_n" or mode == "lstm"])  # only an LSTM has a cell state
def test_gradcheck_of_a_loss_reading_one_result_only(mode, read):
    # the layer's other results get no gradient: the backward through time must start from the
    # one that has one (an LSTM's c_n alone gives its last step no gradient of h)
    rng = np.random.default_rng(9)
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    weights = [rng.uniform(-0.8, 0.8, s) for s in [(gates * 3, 2), (gates * 3, 3), (gates * 3,), (gates * 3,)]]
    x = rng.uniform(-1, 1, (4, 2, 2))
    states = random_states(mode, 1, 2, 3, seed=10)

    def fn(x, *rest):
        out, state = SEQUENCE[mode](x, as_hx(mode, list(rest[:len(states)])), [rest[len(states):]])
        return {"output": out, "h_n": final_states(mode, state)[0], "c_n": final_states(mode, state)[-1]}[read]
    if mode == "rnn_relu":
        x, weights, states = np.abs(x), [np.abs(w) for w in weights], [np.abs(s) for s in states]
    assert tc.gradcheck(fn, [x, *states, *weights])


@pytest.mark.parametrize("mode", sorted(LAYERS))
def test_a_thousand_step_sequence_backpropagates(mode):
    layer = make(mode, input_size=2, hidden_size=2, num_layers=1)
    x = Tensor(np.random.default_rng(8).uniform(-1, 1, (1000, 1, 2)), requires_grad=True)
    out, _ = layer(x)
    depth, limit = len(inspect.stack(0)), sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 100)  # a recursive backward would need 1,000 frames and more
    try:
        (out * out).sum().backward()
    finally:
        sys.setrecursionlimit(limit)
    assert np.isfinite(x.grad).all() and np.all(np.abs(x.grad).sum(axis=2) > 0)  # every step got a gradient
    assert all(np.isfinite(p.grad).all() and np.abs(p.grad).sum() > 0 for p in layer.parameters())


def test_dropout_between_layers_only_in_training():
    layer = make("lstm", dropout=0.5)
    x = np.random.default_rng(9).standard_normal((4, 2, 3))
    layer.eval()
    out_eval, _ = layer(x)
    want, _ = reference("lstm", x, [np.zeros((2, 2, 4))] * 2, layer_weights(layer))
    np.testing.assert_allclose(out_eval.data, want, rtol=1e-12)
    layer.train()
    out_train, _ = layer(x)
    assert not np.allclose(out_train.data, want)


# ---------------------------------------------------------------- parameters and errors

@pytest.mark.parametrize("mode", sorted(LAYERS))
def test_parameters_follow_pytorch_names_shapes_and_initialisation(mode):
    gates = {"lstm": 4, "gru": 3}.get(mode, 1)
    layer = make(mode, input_size=3, hidden_size=16)
    names = [f"{kind}_l{k}" for k in range(2) for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    assert [n for n, _ in layer.named_parameters()] == names
    assert layer.weight_ih_l0.shape == (gates * 16, 3) and layer.weight_ih_l1.shape == (gates * 16, 16)
    assert layer.weight_hh_l1.shape == (gates * 16, 16) and layer.bias_hh_l0.shape == (gates * 16,)
    values = np.concatenate([p.data.ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= 0.25 and np.abs(values).max() > 0.24  # U(-1/sqrt(16), 1/sqrt(16))
    assert [n for n, _ in make(mode, bias=False).named_parameters()] == [n for n in names if "weight" in n]


@pytest.mark.parametrize("mode", sorted(LAYERS))
def test_float32_stays_float32(mode):
    cls, options = LAYERS[mode]
    out, state = cls(3, 4, **options)(np.ones((2, 5, 3), dtype=np.float32))
    assert out.dtype == np.float32 and all(s.dtype == np.float32 for s in final_states(mode, state))


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.LSTM(3, 4)(np.ones((5, 2, 4), np.float32)), ValueError,
     r"input: expected 3 features \(H_in\) to match weights\[0\]\.weight_ih \(16, 3\), got 4"),
    (lambda: F.lstm(np.ones((5, 2, 3)), None, [(np.ones((16, 3)), np.ones((16, 4))), (np.ones((16, 3)), np.ones((16, 4)))]),
     ValueError, r"weights\[1\]\.weight_ih: expected shape \(16, 4\) \(4 \* hidden_size, input_size\), got \(16, 3\)"),
    (lambda: nn.GRU(3, 4)(np.ones((5, 3), np.float32).reshape(5, 1, 3)[None]), ValueError,
     r"input: expected a 3-D tensor \(L, N, H_in\) or a 2-D unbatched \(L, H_in\), got shape \(1, 5, 1, 3\)"),
    (lambda: nn.RNN(3, 4, num_layers=2)(np.ones((5, 2, 3), np.float32), np.zeros((1, 2, 4), np.float32)),
     ValueError, r"hx: expected shape \(2, 2, 4\), got \(1, 2, 4\)"),
    (lambda: nn.LSTM(3, 4)(np.ones((5, 2, 3), np.float32), (np.zeros((1, 2, 4), np.float32),
                                                            np.zeros((1, 3, 4), np.float32))),
     ValueError, r"cx: expected shape \(1, 2, 4\), got \(1, 3, 4\)"),
    (lambda: nn.LSTM(3, 4)(np.ones((5, 2, 3), np.float32), np.zeros((1, 2, 4), np.float32)), TypeError,
     r"hx: expected a pair \(h, c\) of tensors or None, got ndarray"),
    (lambda: nn.GRU(3, 4)(np.ones((5, 2, 3))), TypeError, r"weight_ih: expected dtype float64 like the input, got float32"),
    (lambda: nn.GRU(3, 4)(np.ones((5, 2, 3), np.int64)), TypeError, r"input: expected a floating-point tensor"),
    (lambda: nn.GRU(3, 4, batch_first=True)(np.ones((2, 0, 3), np.float32)), ValueError,
     r"input: expected a sequence of at least one step, got shape \(2, 0, 3\)"),
    (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), ValueError, r"nonlinearity: expected 'tanh' or 'relu', got 'sigmoid'"),
    (lambda: nn.LSTM(3, 0), ValueError, r"hidden_size: expected a positive int, got 0"),
    (lambda: nn.LSTM(3, 4, dropout=1.0), ValueError, r"p: expected a probability in \[0, 1\), got 1.0"),
    (lambda: F.lstm_cell(np.ones((2, 3)), None, np.ones((16, 3)), np.ones((12, 4))), ValueError,
     r"weight_hh: expected shape \(4 \* hidden_size, hidden_size\) = \(16, 4\) for lstm, got \(12, 4\)"),
    (lambda: F.gru_cell(np.ones((2, 3)), np.ones((3, 4)), np.ones((12, 3)), np.ones((12, 4))), ValueError,
     r"hx: expected shape \(2, 4\), got \(3, 4\)"),
    (lambda: F.gru([[[1.0]]], None, []), TypeError, r"weights: expected a non-empty list"),
])
def test_bad_arguments_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
