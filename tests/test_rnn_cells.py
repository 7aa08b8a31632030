"""nn.RNNCell, nn.LSTMCell and nn.GRUCell: PyTorch's constructor, parameter names, shapes,
initialisation and call ``cell(input, hx=None)``."""
import math

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import nn
from tinyconv import functional as F

CELLS = [(nn.RNNCell, 1), (nn.LSTMCell, 4), (nn.GRUCell, 3)]


@pytest.mark.parametrize("cls, gates", CELLS)
def test_parameters_have_pytorch_names_shapes_and_init(cls, gates):
    cell = cls(3, 5, rng=np.random.default_rng(0))
    shapes = {name: p.shape for name, p in cell.named_parameters()}
    assert shapes == {"weight_ih": (gates * 5, 3), "weight_hh": (gates * 5, 5),
                      "bias_ih": (gates * 5,), "bias_hh": (gates * 5,)}
    bound = 1 / math.sqrt(5)
    for p in cell.parameters():
        assert p.dtype == np.float32 and np.all(np.abs(p.data) <= bound)
    assert [n for n, _ in cls(3, 5, bias=False).named_parameters()] == ["weight_ih", "weight_hh"]
    assert cls(3, 5, dtype=np.float64).weight_ih.dtype == np.float64


def test_cells_compute_the_functional_cells():
    rng = np.random.default_rng(1)
    x, h, c = (tc.tensor(rng.normal(size=s).astype(np.float32)) for s in ((2, 3), (2, 4), (2, 4)))
    rnn = nn.RNNCell(3, 4, nonlinearity="relu")
    w = (rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh)
    np.testing.assert_array_equal(rnn(x, h).data, F.rnn_cell(x, h, *w, nonlinearity="relu").data)
    lstm = nn.LSTMCell(3, 4)
    w = (lstm.weight_ih, lstm.weight_hh, lstm.bias_ih, lstm.bias_hh)
    for got, expected in zip(lstm(x, (h, c)), F.lstm_cell(x, (h, c), *w)):
        np.testing.assert_array_equal(got.data, expected.data)
    gru = nn.GRUCell(3, 4, bias=False)
    np.testing.assert_array_equal(gru(x, h).data, F.gru_cell(x, h, gru.weight_ih, gru.weight_hh).data)


def test_hx_none_means_zeros_and_unbatched_input_gives_unbatched_state():
    x = tc.tensor(np.random.default_rng(2).normal(size=3).astype(np.float32))
    gru = nn.GRUCell(3, 4)
    h = gru(x)
    assert h.shape == (4,)
    np.testing.assert_allclose(h.data, gru(x.unsqueeze(0), tc.zeros(1, 4)).data[0])
    lstm = nn.LSTMCell(3, 4)
    h, c = lstm(x, (tc.zeros(4), tc.zeros(4)))
    assert h.shape == c.shape == (4,)
    h0, c0 = lstm(x)
    np.testing.assert_array_equal(h0.data, h.data)


def test_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="nonlinearity: expected 'tanh' or 'relu', got 'gelu'"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="hidden_size"):
        nn.GRUCell(3, 0)
    with pytest.raises(ValueError, match=r"input: expected 3 features"):
        nn.LSTMCell(3, 4)(tc.zeros(2, 5))
    with pytest.raises(ValueError, match=r"input: expected a 1-D \(H_in\) or 2-D \(N, H_in\) tensor, got shape \(1, 2, 3\)"):
        nn.RNNCell(3, 4)(tc.zeros(1, 2, 3))
    with pytest.raises(TypeError, match="hx: expected a pair"):
        nn.LSTMCell(3, 4)(tc.zeros(2, 3), tc.zeros(2, 4))


def test_repr_is_pytorch_s():
    assert repr(nn.RNNCell(3, 4)) == "RNNCell(3, 4)"
    assert repr(nn.RNNCell(3, 4, bias=False, nonlinearity="relu")) == "RNNCell(3, 4, bias=False, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4)) == "LSTMCell(3, 4)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity=relu)"  # as the cell, as PyTorch


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_pytorch_values_and_gradients(name, batched):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(3, 4).double()
    cell = getattr(nn, name)(3, 4, dtype=np.float64)
    cell.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    rng = np.random.default_rng(3)
    shape = (2,) if batched else ()
    x, h, c = (rng.normal(size=shape + (n,)) for n in (3, 4, 4))
    hx = (h, c) if name == "LSTMCell" else h
    pack = (lambda f: tuple(f(a) for a in hx)) if name == "LSTMCell" else (lambda f: f(hx))
    tx, thx = torch.tensor(x, requires_grad=True), pack(lambda a: torch.tensor(a, requires_grad=True))
    ox, ohx = tc.tensor(x, requires_grad=True), pack(lambda a: tc.tensor(a, requires_grad=True))
    expected, got = reference(tx, thx), cell(ox, ohx)
    expected, got = (expected if isinstance(expected, tuple) else (expected,)), (got if isinstance(got, tuple) else (got,))
    sum(e.sum() * (k + 1) for k, e in enumerate(expected)).backward()
    sum(g.sum() * (k + 1) for k, g in enumerate(got)).backward()
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g.data, e.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ox.grad, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    for (n, p), q in zip(cell.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-12, err_msg=n)
