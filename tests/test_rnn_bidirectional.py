"""bidirectional=True on nn.RNN, nn.LSTM and nn.GRU (and the functional rnn, lstm, gru), as
PyTorch's: a reverse direction per layer (``*_reverse`` parameters), outputs of both
directions concatenated, final states ordered (layer 0 forward, layer 0 reverse, layer 1 ...)."""
import numpy as np
import pytest

import tinyconv as tc
from tinyconv import nn
from tinyconv import functional as F


def unidirectional_twin(model, suffix):
    """A one-direction model holding ``model``'s layer-0 weights of one direction."""
    twin = type(model)(model.input_size, model.hidden_size, dtype=np.float64)
    for name, p in twin.named_parameters():
        p.data = getattr(model, name + suffix).data
    return twin


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU])
def test_reverse_direction_is_the_forward_one_on_the_reversed_sequence(cls):
    model = cls(3, 4, bidirectional=True, dtype=np.float64, rng=np.random.default_rng(0))
    assert [n for n, _ in model.named_parameters()][4:] == ["weight_ih_l0_reverse", "weight_hh_l0_reverse",
                                                            "bias_ih_l0_reverse", "bias_hh_l0_reverse"]
    x = tc.tensor(np.random.default_rng(1).normal(size=(5, 2, 3)))
    output, state = model(x)
    assert output.shape == (5, 2, 8)
    forward, reverse = unidirectional_twin(model, ""), unidirectional_twin(model, "_reverse")
    out_f, state_f = forward(x)
    out_r, state_r = reverse(tc.tensor(x.data[::-1].copy()))
    np.testing.assert_allclose(output.data[..., :4], out_f.data, atol=1e-12)
    np.testing.assert_allclose(output.data[..., 4:], out_r.data[::-1], atol=1e-12)
    h, h_f, h_r = (s[0] if cls is nn.LSTM else s for s in (state, state_f, state_r))
    assert h.shape == (2, 2, 4)
    np.testing.assert_allclose(h.data, np.concatenate([h_f.data, h_r.data]), atol=1e-12)


def test_two_bidirectional_layers_take_both_directions_as_input():
    model = nn.GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True)
    assert model.weight_ih_l1.shape == model.weight_ih_l1_reverse.shape == (12, 8)
    output, h = model(tc.zeros(2, 5, 3))
    assert output.shape == (2, 5, 8) and h.shape == (4, 2, 4)
    output, h = model(tc.zeros(5, 3))  # unbatched
    assert output.shape == (5, 8) and h.shape == (4, 4)
    assert repr(model) == "GRU(3, 4, num_layers=2, batch_first=True, bidirectional=True)"


def test_bidirectional_states_and_weights_are_checked():
    model = nn.LSTM(3, 4, bidirectional=True)
    with pytest.raises(ValueError, match=r"hx: expected shape \(2, 2, 4\), got \(1, 2, 4\)"):
        model(tc.zeros(5, 2, 3), (tc.zeros(1, 2, 4), tc.zeros(1, 2, 4)))
    with pytest.raises(ValueError, match="weights: expected 2 tuples per layer .* got 1"):
        F.lstm(tc.zeros(5, 2, 3), None, model.layer_weights()[:1], bidirectional=True)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_bidirectional_matches_pytorch_values_and_gradients(name, batch_first):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    reference = getattr(torch.nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first).double()
    model = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first, dtype=np.float64)
    model.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(2).normal(size=(2, 5, 3))
    tx, ox = torch.tensor(x, requires_grad=True), tc.tensor(x, requires_grad=True)
    (t_out, t_state), (o_out, o_state) = reference(tx), model(ox)
    t_h, o_h = (t_state[0], o_state[0]) if name == "LSTM" else (t_state, o_state)
    np.testing.assert_allclose(o_out.data, t_out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(o_h.data, t_h.detach().numpy(), atol=1e-12)
    weights = np.random.default_rng(3).normal(size=t_out.shape)
    ((t_out * torch.tensor(weights)).sum() + t_h.sum()).backward()
    ((o_out * tc.tensor(weights)).sum() + o_h.sum()).backward()
    np.testing.assert_allclose(ox.grad, tx.grad.numpy(), atol=1e-10)
    for (n, p), q in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), atol=1e-10, err_msg=n)
