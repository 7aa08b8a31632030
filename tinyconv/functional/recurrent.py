"""Recurrent networks: one fused Function per time step of an Elman RNN, an LSTM or a GRU, the
single-step wrappers (``rnn_cell``, ``lstm_cell``, ``gru_cell``) and the multi-layer sequence
functions (``rnn``, ``lstm``, ``gru``), all with PyTorch's parameterisation and gate order.

Equations, for an input x_t (N, H_in) and the previous hidden state h (N, H), with
W_ih (G*H, H_in), W_hh (G*H, H), b_ih and b_hh (G*H,) holding G blocks of H rows each:

- Elman RNN (Elman 1990, "Finding structure in time"), G = 1:
  h' = act(x_t W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or ReLU.
- LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers, Schmidhuber & Cummins
  2000; no peepholes), G = 4, blocks in the order i, f, g, o:
  i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.) of the blocks of
  x_t W_ih^T + b_ih + h W_hh^T + b_hh;  c' = f * c + i * g;  h' = o * tanh(c').
- GRU (Cho et al. 2014, "Learning phrase representations using RNN encoder-decoder", eq. 5-8),
  in the variant of cuDNN and PyTorch, where the reset gate multiplies the hidden state's
  projection after the matrix product: G = 3, blocks in the order r, z, n:
  r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r * h_n),
  h' = (1 - z) * n + z * h, where x_* = blocks of x_t W_ih^T + b_ih and h_* = blocks of
  h W_hh^T + b_hh. (Cho et al. apply r to h before the product: r * h then W_hn.)

Speed: a layer computes the input projection of every time step in one GEMM
(L*N, H_in) @ (H_in, G*H), then runs all its steps inside one Function (one graph node per
layer and direction): per step one GEMM h @ W_hh^T for all gates at once and the cell's
arithmetic; its backward runs backpropagation through time in closed form, one GEMM per step for
the gradient of h. The LSTM evaluates its three sigmoids as (1 + tanh(x / 2)) / 2 in one NumPy
tanh over all four gates (absolute error about one unit in the last place of 1, where
``stable_sigmoid`` keeps the relative precision of tiny values); the arithmetic around that tanh
and the cell's backward are compiled kernels (``lstm_cell_forward``, ``lstm_cell_backward``).
"""
import functools
from typing import Callable, NamedTuple

from .. import backend
from ..autograd import Function
from ..backend import blas_scope, get_array_module
from .activation import stable_sigmoid
from .dropout import dropout as _dropout, probability_arg
from .linear import linear
from .shape import cat, getitem, reshape, stack, transpose, unbind
from ..tensor import tensor_arg
from ..validation import require_float, require_ndim, require_same_dtype


class _Step(Function):
    """One time step: ``forward(gx, *states, weight_hh[, bias_hh])`` with ``gx`` the step's
    input projection x_t W_ih^T + b_ih (N, G*H), states (N, H) each. Subclasses implement
    ``cell(gx, gh, *states)`` (gh = h W_hh^T + b_hh) and ``cell_backward(*grad_outputs)``
    returning (d gx, d gh, direct gradients of the states, or None each)."""

    n_states = 1

    @blas_scope
    def forward(self, gx, *args):
        states, (self.weight, *bias) = args[:self.n_states], args[self.n_states:]
        return self.advance(gx, states, self.weight.T, *bias)

    def advance(self, gx, states, weight_t, *bias):
        """The step on arrays, given W_hh^T (H, G*H): gh = h W_hh^T (+ b_hh), then the cell."""
        self.h = states[0]
        gh = states[0] @ weight_t
        if bias:
            gh += bias[0]
        return self.cell(gx, gh, *states)

    @blas_scope
    def backward(self, *grads):
        dgx, dgh, direct = self.cell_backward(*grads)
        needs = self.needs_input_grad
        dh = dgh @ self.weight if needs[1] else None
        if dh is not None and direct[0] is not None:
            dh += direct[0]
        dweight = dgh.T @ self.h if needs[1 + self.n_states] else None
        dbias = (dgh.sum(axis=0),) if len(needs) > 2 + self.n_states else ()
        return (dgx, dh) + tuple(direct[1:]) + (dweight,) + dbias


class RNNCell(_Step):
    """h' = act(gx + h W_hh^T + b_hh), act = tanh or ReLU (see the module docstring)."""

    def __init__(self, nonlinearity):
        self.nonlinearity = nonlinearity

    def cell(self, gx, gh, h):
        pre = gx + gh
        xp = get_array_module(pre)
        self.y = xp.tanh(pre) if self.nonlinearity == "tanh" else xp.maximum(pre, 0)
        return self.y

    def cell_backward(self, g):
        d = g * (1 - self.y * self.y) if self.nonlinearity == "tanh" else g * (self.y > 0)
        return d, d, (None,)


class LSTMCell(_Step):
    """(h', c') from gates i, f, g, o (see the module docstring); inputs gx, h, c, weight_hh[, bias_hh]."""

    n_states = 2

    def cell(self, gx, gh, h, c):
        xp = get_array_module(gx)
        size = c.shape[1]
        scale = xp.full(4 * size, 0.5, dtype=gh.dtype)  # sigmoid(x) = (1 + tanh(x / 2)) / 2 ...
        scale[2 * size:3 * size] = 1  # ... for i, f, o; tanh for g: one tanh over all four gates
        t = gh  # this step's own array
        t += gx
        t *= scale
        xp.tanh(t, out=t)
        self.gates, c_next = backend.kernels(t).lstm_cell_forward(t, c)
        self.c, self.tanh_c = c, xp.tanh(c_next)
        return self.gates[:, 3 * size:] * self.tanh_c, c_next

    def cell_backward(self, dh, dc):
        xp = get_array_module(self.gates)
        dh, dc = (xp.zeros_like(self.c) if d is None else d for d in (dh, dc))
        dgates, dc_prev = backend.kernels(self.gates).lstm_cell_backward(self.gates, self.c, self.tanh_c, dh, dc)
        return dgates, dgates, (None, dc_prev)


class GRUCell(_Step):
    """h' = (1 - z) * n + z * h from gates r, z, n (cuDNN/PyTorch variant, see the module
    docstring); inputs gx, h, weight_hh[, bias_hh]."""

    def cell(self, gx, gh, h):
        xp = get_array_module(gx)
        size = h.shape[1]
        rz = stable_sigmoid(gx[:, :2 * size] + gh[:, :2 * size])
        r, z = rz[:, :size], rz[:, size:]
        self.hn = gh[:, 2 * size:]
        n = xp.tanh(gx[:, 2 * size:] + r * self.hn)
        self.r, self.z, self.n = r, z, n
        return n + z * (h - n)

    def cell_backward(self, g):
        xp = get_array_module(g)
        size = g.shape[1]
        r, z, n = self.r, self.z, self.n
        dgx = xp.empty((g.shape[0], 3 * size), dtype=g.dtype)
        dn = g * (1 - z) * (1 - n * n)
        dgx[:, :size] = dn * self.hn * r * (1 - r)
        dgx[:, size:2 * size] = g * (self.h - n) * z * (1 - z)
        dgx[:, 2 * size:] = dn
        dgh = dgx.copy()
        dgh[:, 2 * size:] = dn * r
        return dgx, dgh, (g * z,)


class Mode(NamedTuple):
    """What a kind of recurrent cell is made of: ``gates``, the number G of H-row blocks in
    W_ih and W_hh; ``step``, a callable making its step Function; ``states``, the names of its
    states (``hx``, and ``cx`` for an LSTM's cell state)."""
    gates: int
    step: Callable
    states: tuple


#: The kinds of recurrent cells, by mode name: the one place that tells them apart.
MODES = {
    "rnn_tanh": Mode(1, functools.partial(RNNCell, "tanh"), ("hx",)),
    "rnn_relu": Mode(1, functools.partial(RNNCell, "relu"), ("hx",)),
    "lstm": Mode(4, LSTMCell, ("hx", "cx")),
    "gru": Mode(3, GRUCell, ("hx",)),
}

#: The mode of an Elman RNN, by nonlinearity.
_ELMAN = {"tanh": "rnn_tanh", "relu": "rnn_relu"}


class _Layer(Function):
    """A whole layer over time as one graph node: ``forward(gx, *states, weight_hh[, bias_hh])``
    with ``gx`` the input projections of all L steps (L, N, G*H) and the initial states (N, H)
    each; returns (output (L, N, H), *final states). Each step is a step Function of ``mode``
    run on arrays (its ``advance`` and ``cell_backward``); backward is backpropagation through
    time inside this node (the weight gradients: :meth:`_hidden_weight_grads`)."""

    def __init__(self, mode):
        self.make_step, self.n_states = MODES[mode].step, len(MODES[mode].states)

    @blas_scope
    def forward(self, gx, *args):
        xp = get_array_module(gx)
        states, params = args[:self.n_states], args[self.n_states:]
        self.steps, self.h0, self.weight, self.gx_shape = [], states[0], params[0], gx.shape
        self.output = xp.empty(gx.shape[:2] + states[0].shape[1:], dtype=gx.dtype)
        weight_t = xp.ascontiguousarray(self.weight.T)  # 20% faster GEMMs than the transposed view
        for t in range(gx.shape[0]):
            step = self.make_step()
            new = step.advance(gx[t], states, weight_t, *params[1:])
            states = new if isinstance(new, tuple) else (new,)
            self.output[t] = states[0]
            self.steps.append(step)
        return (self.output,) + states

    @blas_scope
    def backward(self, doutput, *dstates):
        needs = self.needs_input_grad
        dgx = get_array_module(self.output).empty(self.gx_shape, dtype=self.output.dtype)
        dgh = []  # (d gh, h) of the steps whose d gh is not their d gx (a GRU's)
        carry = list(dstates)  # the gradients of the states after step t; None: none
        for t in reversed(range(len(self.steps))):
            step = self.steps[t]
            grad_gx, grad_gh, direct = step.cell_backward(_plus(None if doutput is None else doutput[t], carry[0]),
                                                          *carry[1:])
            dgx[t] = grad_gx
            if grad_gh is not grad_gx:
                dgh.append((grad_gh, step.h))
            carry = [_plus(grad_gh @ self.weight if t or needs[1] else None, direct[0]), *direct[1:]]
        return (dgx if needs[0] else None, *carry) + self._hidden_weight_grads(dgx, dgh)

    def _hidden_weight_grads(self, dgx, dgh):
        """The gradients of W_hh and b_hh (if any): one GEMM and one sum over all steps where
        d gh is d gx (Elman RNN, LSTM: it reads d gx in place); step by step from ``dgh``
        otherwise, which spares a GRU an (L, N, 3H) buffer (``benchmarks/lstm_step.py --cell
        gru``: 7.5-8.8 ms per step against 9.5-9.7 ms through such a buffer and one GEMM)."""
        needs, n = self.needs_input_grad, self.n_states
        if not dgh:
            rows = dgx.reshape(-1, dgx.shape[2])
            previous = get_array_module(dgx).concatenate((self.h0[None], self.output[:-1]))  # h before each step
            dgh = [(rows, previous.reshape(rows.shape[0], -1))]
        dweight = sum(g.T @ h for g, h in dgh) if needs[1 + n] else None
        return (dweight,) + ((sum(g.sum(axis=0) for g, _ in dgh),) if len(needs) > 2 + n else ())


def _plus(a, b):
    """a + b, where None stands for a gradient of zeros."""
    return b if a is None else a if b is None else a + b


# ---------------------------------------------------------------- argument checks

def _weights_args(mode, layer, weights, input_size, dtype):
    """Check one layer's (weight_ih, weight_hh[, bias_ih, bias_hh]) and return them as Tensors
    (biases None when absent) and the hidden size."""
    prefix = f"weights[{layer}]" if layer is not None else ""
    if not isinstance(weights, (tuple, list)) or len(weights) not in (2, 4):
        raise TypeError(f"{prefix or 'weights'}: expected (weight_ih, weight_hh) or "
                        f"(weight_ih, weight_hh, bias_ih, bias_hh), got {weights!r:.80}")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    names = [f"{prefix}.{n}" if prefix else n for n in names]
    w_ih, w_hh = (tensor_arg(n, w) for n, w in zip(names, weights[:2]))
    gates = MODES[mode].gates
    require_ndim(names[1], w_hh, 2, "(G*H, H)")
    size = w_hh.shape[1]
    if w_hh.shape != (gates * size, size):
        raise ValueError(f"{names[1]}: expected shape ({gates} * hidden_size, hidden_size) = "
                         f"{(gates * size, size)} for {mode}, got {tuple(w_hh.shape)}")
    require_ndim(names[0], w_ih, 2, "(G*H, H_in)")
    if layer in (None, 0) and w_ih.shape[0] == gates * size and w_ih.shape[1] != input_size:
        raise ValueError(f"input: expected {w_ih.shape[1]} features (H_in) to match {names[0]} "
                         f"{tuple(w_ih.shape)}, got {input_size}")
    if w_ih.shape != (gates * size, input_size):
        raise ValueError(f"{names[0]}: expected shape {(gates * size, input_size)} "
                         f"({gates} * hidden_size, input_size), got {tuple(w_ih.shape)}")
    biases = [None, None]
    if len(weights) == 4:
        biases = [tensor_arg(n, b) for n, b in zip(names[2:], weights[2:])]
        for n, b in zip(names[2:], biases):
            if tuple(b.shape) != (gates * size,):
                raise ValueError(f"{n}: expected shape ({gates * size},), got {tuple(b.shape)}")
    for n, w in zip(names, (w_ih, w_hh, *biases)):
        if w is not None and w.dtype != dtype:
            raise TypeError(f"{n}: expected dtype {dtype} like the input, got {w.dtype}")
    return (w_ih, w_hh, *biases), size


def _state_arg(name, state, shape, x):
    state = tensor_arg(name, state)
    if tuple(state.shape) != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {tuple(state.shape)}")
    require_same_dtype(name, state, "input", x)
    return state


def _pair_arg(hx):
    """Split an LSTM's ``hx`` (a pair (h, c), or None) into two states."""
    if hx is None:
        return None, None
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"hx: expected a pair (h, c) of tensors or None, got {type(hx).__name__}")
    return tuple(hx)


def mode_arg(nonlinearity):
    """The cell name of an Elman RNN with ``nonlinearity`` ("tanh" or "relu").

    Raises:
        ValueError: another nonlinearity.
    """
    if not isinstance(nonlinearity, str) or nonlinearity not in _ELMAN:
        raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
    return _ELMAN[nonlinearity]


def _zeros(x, rows, size):
    return get_array_module(x.data).zeros((rows, size), dtype=x.dtype)


def _step(mode, gx, states, w_hh, b_hh):
    """Apply one step Function; returns the new states as a tuple."""
    out = MODES[mode].step()(gx, *states, w_hh, *(() if b_hh is None else (b_hh,)))
    return out if isinstance(out, tuple) else (out,)


# ---------------------------------------------------------------- single steps

def _cell(mode, input, states, weight_ih, weight_hh, bias_ih, bias_hh):
    """Check the arguments of one step (states: a tuple, None entries for zeros) and run it."""
    x = tensor_arg("input", input)
    require_float("input", x)
    require_ndim("input", x, 2, "(N, H_in)")
    weights = (weight_ih, weight_hh) + (() if bias_ih is None and bias_hh is None else (bias_ih, bias_hh))
    (w_ih, w_hh, b_ih, b_hh), size = _weights_args(mode, None, weights, x.shape[1], x.dtype)
    shape = (x.shape[0], size)
    states = [_zeros(x, *shape) if s is None else _state_arg(n, s, shape, x) for n, s in zip(("hx", "cx"), states)]
    return _step(mode, linear(x, w_ih, b_ih), states, w_hh, b_hh)


def rnn_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None, nonlinearity="tanh"):
    """One step of an Elman RNN: h' = act(input W_ih^T + b_ih + hx W_hh^T + b_hh) (Elman 1990).

    Args:
        input: (N, H_in) float32 or float64. hx: (N, H), or None for zeros.
        weight_ih: (H, H_in). weight_hh: (H, H). bias_ih, bias_hh: (H,), both or neither.
        nonlinearity: "tanh" or "relu".

    Returns:
        h' (N, H).

    Raises:
        ValueError: wrong ranks or shapes (naming the argument), an unknown nonlinearity.
        TypeError: non-float input, or weights and states of another dtype.
    """
    return _cell(mode_arg(nonlinearity), input, (hx,), weight_ih, weight_hh, bias_ih, bias_hh)[0]


def lstm_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One LSTM step (Hochreiter & Schmidhuber 1997; forget gate: Gers et al. 2000), gates in
    the order i, f, g, o (equations in the module docstring).

    Args:
        input: (N, H_in) float. hx: a pair (h, c) of (N, H) tensors, or None for zeros.
        weight_ih: (4H, H_in). weight_hh: (4H, H). bias_ih, bias_hh: (4H,), both or neither.

    Returns:
        (h', c'), each (N, H).

    Raises:
        ValueError: wrong ranks or shapes. TypeError: non-float input, other dtypes, or an
        ``hx`` that is not a pair.
    """
    return _cell("lstm", input, _pair_arg(hx), weight_ih, weight_hh, bias_ih, bias_hh)


def gru_cell(input, hx, weight_ih, weight_hh, bias_ih=None, bias_hh=None):
    """One GRU step (Cho et al. 2014, in the cuDNN/PyTorch variant: r * (h W_hn^T + b_hn)),
    gates in the order r, z, n (equations in the module docstring).

    Args:
        input: (N, H_in) float. hx: (N, H), or None for zeros.
        weight_ih: (3H, H_in). weight_hh: (3H, H). bias_ih, bias_hh: (3H,), both or neither.

    Returns:
        h' (N, H).

    Raises:
        ValueError: wrong ranks or shapes. TypeError: non-float input or other dtypes.
    """
    return _cell("gru", input, (hx,), weight_ih, weight_hh, bias_ih, bias_hh)[0]


# ---------------------------------------------------------------- sequences

def _sequence_input(input, batch_first):
    """Return the input as (L, N, H_in) and whether it was batched."""
    x = tensor_arg("input", input)
    require_float("input", x)
    if x.ndim not in (2, 3):
        layout = "(N, L, H_in)" if batch_first else "(L, N, H_in)"
        raise ValueError(f"input: expected a 3-D tensor {layout} or a 2-D unbatched (L, H_in), "
                         f"got shape {tuple(x.shape)}")
    if x.shape[1 if x.ndim == 3 and batch_first else 0] == 0:
        raise ValueError(f"input: expected a sequence of at least one step, got shape {tuple(x.shape)}")
    if x.ndim == 2:
        return reshape(x, (x.shape[0], 1, x.shape[1])), False
    return (transpose(x, 0, 1) if batch_first else x), True


def _initial_states(name, state, layers, size, x, batched):
    """Per-layer (N, H) initial states from ``state`` ((layers, N, H), or (layers, H) unbatched;
    None for zeros)."""
    if state is None:
        return [_zeros(x, x.shape[1], size)] * layers
    state = _state_arg(name, state, (layers, x.shape[1], size) if batched else (layers, size), x)
    return list(unbind(state if batched else reshape(state, (layers, 1, size)), 0))


def _layer(mode, x, states, w_ih, w_hh, b_ih, b_hh):
    """Run one layer over x (L, N, H_in); return its outputs (L, N, H) and final states."""
    steps, batch = x.shape[0], x.shape[1]
    gx = linear(reshape(x, (steps * batch, x.shape[2])), w_ih, b_ih)
    output, *states = _Layer(mode)(reshape(gx, (steps, batch, gx.shape[1])), *states, w_hh,
                                   *(() if b_hh is None else (b_hh,)))
    return output, tuple(states)


def _layers_args(mode, weights, input_size, dtype, directions):
    """Check every layer's weights (``directions`` tuples per layer); return them (biases None
    when absent) and the hidden size."""
    if not isinstance(weights, (tuple, list)) or not weights:
        raise TypeError(f"weights: expected a non-empty list of per-layer weight tuples, got {weights!r:.80}")
    if len(weights) % directions:
        raise ValueError(f"weights: expected 2 tuples per layer (forward, reverse) with bidirectional, "
                         f"got {len(weights)}")
    checked, size = [], None
    for k, layer in enumerate(weights):
        layer, layer_size = _weights_args(mode, k, layer, input_size if k < directions else directions * size, dtype)
        if size is not None and layer_size != size:
            raise ValueError(f"weights[{k}].weight_hh: expected hidden size {size} like layer 0, got {layer_size}")
        checked.append(layer)
        size = layer_size
    return checked, size


def _reversed(x):
    """x (L, ...) in reverse time order."""
    return getitem(x, slice(None, None, -1))


def _recurrent(mode, input, hx, weights, batch_first, dropout, training, rng, bidirectional):
    p, directions = probability_arg(dropout), 2 if bidirectional else 1
    x, batched = _sequence_input(input, batch_first)
    layers, size = _layers_args(mode, weights, x.shape[2], x.dtype, directions)
    names = MODES[mode].states
    given = _pair_arg(hx) if len(names) == 2 else (hx,)
    initial = [_initial_states(n, s, len(layers), size, x, batched) for n, s in zip(names, given)]
    finals = []
    for k in range(0, len(layers), directions):
        outputs = []
        for j in range(k, k + directions):  # forward, then reverse
            reverse = j > k
            out, states = _layer(mode, _reversed(x) if reverse else x, tuple(s[j] for s in initial), *layers[j])
            outputs.append(_reversed(out) if reverse else out)
            finals.append(states)
        x = cat(outputs, 2) if bidirectional else outputs[0]
        if p and training and k < len(layers) - directions:
            x = _dropout(x, p, rng=rng)
    finals = [stack([f[i] for f in finals], 0) for i in range(len(names))]
    if not batched:
        x = reshape(x, (x.shape[0], directions * size))
        finals = [reshape(f, (len(layers), size)) for f in finals]
    elif batch_first:
        x = transpose(x, 0, 1)
    return x, (tuple(finals) if len(names) == 2 else finals[0])


def lstm(input, hx, weights, batch_first=False, dropout=0.0, training=True, rng=None, bidirectional=False):
    """A multi-layer LSTM over a sequence (Hochreiter & Schmidhuber 1997; forget gate: Gers et
    al. 2000), gates i, f, g, o; equations in the module docstring. Each layer's hidden states
    are the next layer's inputs.

    Args:
        input: (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched (L, H_in);
            float32 or float64; L >= 1.
        hx: a pair (h_0, c_0) of initial states, each (num_layers, N, H) ((num_layers, H)
            unbatched), or None for zeros.
        weights: a list with one tuple per layer, (weight_ih, weight_hh, bias_ih, bias_hh) or
            (weight_ih, weight_hh) without biases: weight_ih (4H, H_in) for layer 0 and
            (4H, H) above it, weight_hh (4H, H), biases (4H,).
        batch_first: the input and output have the batch first.
        dropout: probability of dropout on the outputs of every layer but the last, when
            ``training``. rng: its generator (default: the framework's).
        bidirectional: each layer also runs over the reversed sequence (as PyTorch's): D = 2
            weight tuples per layer (forward, reverse; H_in = 2H above layer 0), the outputs of
            both directions concatenated (2H features), and num_layers * 2 states in hx and
            h_n, ordered layer 0 forward, layer 0 reverse, layer 1 forward, ...

    Returns:
        (output, (h_n, c_n)): output (L, N, D*H) (or (N, L, D*H) with ``batch_first``,
        (L, D*H) unbatched), the last layer's hidden state at every step; h_n and c_n
        (num_layers*D, N, H) (or (num_layers*D, H)), every layer's final hidden and cell state.

    Raises:
        ValueError: wrong ranks or shapes (naming the argument, expected and actual shape),
            an empty sequence, or a dropout probability outside [0, 1).
        TypeError: non-float input, weights or states of another dtype, a malformed
            ``weights`` list, or an ``hx`` that is not a pair.
    """
    return _recurrent("lstm", input, hx, weights, batch_first, dropout, training, rng, bidirectional)


def gru(input, hx, weights, batch_first=False, dropout=0.0, training=True, rng=None, bidirectional=False):
    """A multi-layer GRU over a sequence (Cho et al. 2014, cuDNN/PyTorch variant), gates
    r, z, n; equations in the module docstring. Arguments, shapes and errors as :func:`lstm`,
    except: ``hx`` is one tensor (num_layers, N, H) or None; the weights have 3H rows; the
    result is (output, h_n).
    """
    return _recurrent("gru", input, hx, weights, batch_first, dropout, training, rng, bidirectional)


def rnn(input, hx, weights, nonlinearity="tanh", batch_first=False, dropout=0.0, training=True, rng=None,
        bidirectional=False):
    """A multi-layer Elman RNN (Elman 1990) over a sequence, act = tanh or ReLU
    (``nonlinearity``); arguments, shapes and errors as :func:`gru`, with H rows in the weights.
    Raises ValueError for another ``nonlinearity``.
    """
    return _recurrent(mode_arg(nonlinearity), input, hx, weights, batch_first, dropout, training, rng,
                      bidirectional)
