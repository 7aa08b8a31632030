"""Recurrent layers: RNN (Elman, tanh or ReLU), LSTM and GRU, multi-layer, with PyTorch's
parameter names, shapes, gate order and initialisation (equations and sources in
:mod:`tinyconv.functional.recurrent`)."""
import math

import numpy as np

from .. import functional as F
from ..functional.dropout import probability_arg
from ..functional.recurrent import MODES, mode_arg
from ..validation import float_dtype, positive_int
from ..random import resolve_rng
from ..tensor import Parameter, tensor_arg
from . import init
from .module import Module


def add_weights(module, suffix, gates, input_size, dtype, rng):
    """Register ``weight_ih{suffix}`` (G*H, input_size), ``weight_hh{suffix}`` (G*H, H) and,
    if ``module.bias``, ``bias_ih{suffix}`` and ``bias_hh{suffix}`` (G*H,) on ``module``
    (H = ``module.hidden_size``, G = ``gates``), drawn from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch does."""
    size = module.hidden_size
    rows, bound = gates * size, 1.0 / math.sqrt(size)
    shapes = {f"weight_ih{suffix}": (rows, input_size), f"weight_hh{suffix}": (rows, size)}
    if module.bias:
        shapes.update({f"bias_ih{suffix}": (rows,), f"bias_hh{suffix}": (rows,)})
    for name, shape in shapes.items():
        setattr(module, name, init.uniform_(Parameter(np.empty(shape, dtype=dtype)), -bound, bound, rng))



def _nonlinearity_repr(nonlinearity):
    """The ``extra_repr`` part of a non-default nonlinearity, written as PyTorch's ("relu")."""
    return "" if nonlinearity == "tanh" else f", nonlinearity={nonlinearity}"


class RNNBase(Module):
    """Parameters and arguments shared by :class:`RNN`, :class:`LSTM` and :class:`GRU`.

    For each layer k: ``weight_ih_l{k}`` (G*H, H_in) (H_in = input_size for layer 0, else
    hidden_size), ``weight_hh_l{k}`` (G*H, H), and with ``bias`` ``bias_ih_l{k}`` and
    ``bias_hh_l{k}`` (G*H,), G = 1 (RNN), 4 (LSTM) or 3 (GRU); all drawn from U(-1/sqrt(H),
    1/sqrt(H)), as PyTorch does.

    Raises:
        TypeError: a size that is not an int, another dtype, or an rng that is not a Generator.
        ValueError: a size < 1, or a dropout probability outside [0, 1).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32, rng=None):
        super().__init__()
        self.mode = mode
        self.input_size, self.hidden_size = positive_int("input_size", input_size), positive_int("hidden_size", hidden_size)
        self.num_layers = positive_int("num_layers", num_layers)
        self.bias, self.batch_first, self.dropout = bool(bias), bool(batch_first), probability_arg(dropout)
        self.bidirectional = bool(bidirectional)
        self.rng = resolve_rng(rng) if rng is not None else None
        dtype = float_dtype("dtype", dtype)
        directions = self._suffixes()
        for k in range(self.num_layers):
            for suffix in directions:
                add_weights(self, f"_l{k}{suffix}", MODES[mode].gates,
                            input_size if k == 0 else len(directions) * hidden_size, dtype, rng)

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    def layer_weights(self):
        """The per-layer (and per-direction) weight tuples, as :func:`tinyconv.functional.lstm` takes them."""
        names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if self.bias else ())
        return [tuple(getattr(self, f"{n}_l{k}{suffix}") for n in names)
                for k in range(self.num_layers) for suffix in self._suffixes()]

    def run(self, fn, input, hx, **options):
        return fn(input, hx, self.layer_weights(), batch_first=self.batch_first, dropout=self.dropout,
                  training=self.training, rng=self.rng, bidirectional=self.bidirectional, **options)

    def extra_repr(self):
        options = [f"num_layers={self.num_layers}"] * (self.num_layers != 1) + ["bias=False"] * (not self.bias)
        options += ["batch_first=True"] * self.batch_first + [f"dropout={self.dropout}"] * bool(self.dropout)
        options += ["bidirectional=True"] * self.bidirectional
        return ", ".join([f"{self.input_size}, {self.hidden_size}"] + options)


class RNN(RNNBase):
    """Elman RNN, h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act = tanh or ReLU
    (Elman 1990), stacked ``num_layers`` deep.

    ``forward(input, hx=None) -> (output, h_n)``: input (L, N, H_in) ((N, L, H_in) with
    ``batch_first``; unbatched (L, H_in)), hx (num_layers, N, H) or None for zeros; output
    (L, N, H) (likewise) the last layer's hidden states, h_n (num_layers, N, H) every layer's
    last. Errors as :func:`tinyconv.functional.rnn`.

    Args:
        input_size, hidden_size, num_layers: positive ints. nonlinearity: "tanh" or "relu".
        bias: learn the biases. batch_first: batch-major input and output.
        dropout: dropout probability on the outputs of every layer but the last, in training.
        dtype: float32 (default) or float64. rng: generator for the initialisation and dropout.

    Raises:
        ValueError: an unknown nonlinearity; see :class:`RNNBase` for the others.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32, rng=None):
        super().__init__(mode_arg(nonlinearity), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype, rng)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self.run(F.rnn, input, hx, nonlinearity=self.nonlinearity)

    def extra_repr(self):
        return super().extra_repr() + _nonlinearity_repr(self.nonlinearity)


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et
    al. 2000), gates i, f, g, o, stacked ``num_layers`` deep.

    ``forward(input, hx=None) -> (output, (h_n, c_n))``: hx a pair (h_0, c_0), each
    (num_layers, N, H), or None for zeros; c_n the final cell states; otherwise as
    :class:`RNN`. Arguments and errors as :class:`RNNBase`.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=np.float32, rng=None):
        super().__init__("lstm", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype, rng)

    def forward(self, input, hx=None):
        return self.run(F.lstm, input, hx)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014) in the cuDNN/PyTorch variant
    (n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))), gates r, z, n, stacked ``num_layers``
    deep. ``forward(input, hx=None) -> (output, h_n)`` as :class:`RNN`. Arguments and errors
    as :class:`RNNBase`.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=np.float32, rng=None):
        super().__init__("gru", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         dtype, rng)

    def forward(self, input, hx=None):
        return self.run(F.gru, input, hx)


def _batched(hx):
    """An unbatched state (H,), or a pair of them, as a batch of one."""
    if hx is None:
        return None
    if isinstance(hx, (tuple, list)):
        return tuple(_batched(s) for s in hx)
    return tensor_arg("hx", hx).unsqueeze(0)


class RNNCellBase(Module):
    """Parameters and call shared by :class:`RNNCell`, :class:`LSTMCell` and :class:`GRUCell`:
    ``weight_ih`` (G*H, input_size), ``weight_hh`` (G*H, H) and with ``bias`` ``bias_ih`` and
    ``bias_hh`` (G*H,), drawn from U(-1/sqrt(H), 1/sqrt(H)) as PyTorch does.

    ``forward(input, hx=None)``: input (N, input_size), or (input_size,) unbatched; the states
    in hx have shape (N, H) (unbatched (H,)) and are zeros when hx is None.

    Raises:
        TypeError: a size that is not an int, another dtype, or an rng that is not a Generator.
        ValueError: a size < 1; at the call, an input that is not 1-D or 2-D, wrong shapes
            (see :func:`tinyconv.functional.rnn_cell`).
    """

    def __init__(self, mode, input_size, hidden_size, bias, dtype, rng):
        super().__init__()
        self.input_size, self.hidden_size = positive_int("input_size", input_size), positive_int("hidden_size", hidden_size)
        self.bias = bool(bias)
        add_weights(self, "", MODES[mode].gates, self.input_size, float_dtype("dtype", dtype), rng)

    def run(self, fn, input, hx, **options):
        """Apply ``fn`` (a functional cell) to ``input`` and ``hx``, unbatched when the input is."""
        x = tensor_arg("input", input)
        if x.ndim not in (1, 2):
            raise ValueError(f"input: expected a 1-D (H_in) or 2-D (N, H_in) tensor, got shape {tuple(x.shape)}")
        weights = (self.weight_ih, self.weight_hh) + ((self.bias_ih, self.bias_hh) if self.bias else ())
        if x.ndim == 2:
            return fn(x, hx, *weights, **options)
        out = fn(x.unsqueeze(0), _batched(hx), *weights, **options)
        return tuple(s.squeeze(0) for s in out) if isinstance(out, tuple) else out.squeeze(0)

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ", bias=False" * (not self.bias)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN, h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or
    ReLU. ``forward(input, hx=None) -> h'`` (N, H) (unbatched (H,)). Arguments and errors as
    :class:`RNNCellBase`; ``nonlinearity`` is "tanh" or "relu" (ValueError otherwise)."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float32, rng=None):
        super().__init__(mode_arg(nonlinearity), input_size, hidden_size, bias, dtype, rng)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        return self.run(F.rnn_cell, input, hx, nonlinearity=self.nonlinearity)

    def extra_repr(self):
        return super().extra_repr() + _nonlinearity_repr(self.nonlinearity)


class LSTMCell(RNNCellBase):
    """One LSTM step, gates i, f, g, o (see :class:`LSTM`). ``forward(input, hx=None) ->
    (h', c')``, hx a pair (h, c) or None. Arguments and errors as :class:`RNNCellBase`; an
    hx that is not a pair raises TypeError."""

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32, rng=None):
        super().__init__("lstm", input_size, hidden_size, bias, dtype, rng)

    def forward(self, input, hx=None):
        return self.run(F.lstm_cell, input, hx)


class GRUCell(RNNCellBase):
    """One GRU step, gates r, z, n (see :class:`GRU`). ``forward(input, hx=None) -> h'``.
    Arguments and errors as :class:`RNNCellBase`."""

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32, rng=None):
        super().__init__("gru", input_size, hidden_size, bias, dtype, rng)

    def forward(self, input, hx=None):
        return self.run(F.gru_cell, input, hx)
