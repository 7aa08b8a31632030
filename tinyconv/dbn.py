"""Deep belief networks: a stack of RBMs pre-trained greedily, layer by layer, then turned into
autograd networks for fine-tuning by backpropagation.

Greedy pre-training (Hinton, Osindero & Teh 2006, "A fast learning algorithm for deep belief
nets"): the first RBM models the data; each next RBM models the hidden probabilities of the one
below. The stack then initialises

- a classifier (``to_classifier``): Linear + Sigmoid per RBM, plus a new Linear output layer of
  logits, fine-tuned with softmax cross-entropy;
- a deep autoencoder (``to_autoencoder``, Hinton & Salakhutdinov 2006, "Reducing the
  dimensionality of data with neural networks"): the encoder is the stack, the decoder the same
  layers transposed in reverse order, fine-tuned on reconstruction error.
"""
import numpy as np

from . import nn
from .backend import to_numpy
from .validation import positive_int
from .rbm import RBM
from .tensor import Parameter


RBM_DEFAULTS = dict(persistent=False, momentum=(0.5, 0.9), weight_cost=1e-4, batch_size=100)


class DBN:
    """A stack of RBMs over ``layer_sizes`` = (n_visible, n_hidden_1, ..., n_hidden_L).

    Args:
        layer_sizes: at least two positive ints.
        visible: "bernoulli" or "gaussian" units for the first RBM (the upper ones model hidden
            probabilities in [0, 1] and are Bernoulli).
        rng: numpy Generator shared by the RBMs (their ``random_state``; default: the
            framework's seeded generator).
        **rbm_options: passed to every :class:`RBM` (learning_rate, n_iter, batch_size, k,
            persistent, ...), over the DBN's defaults: Hinton's recipe (CD-1, momentum 0.5 then
            0.9, weight cost 1e-4, batch 100, 10 epochs), not BernoulliRBM's.

    Raises:
        ValueError: fewer than two layer sizes, or a size < 1 (and whatever RBM raises for its
            options, at ``fit``). TypeError: a size that is not an int.
    """

    def __init__(self, layer_sizes, visible="bernoulli", rng=None, **rbm_options):
        if len(layer_sizes) < 2:
            raise ValueError(f"layer_sizes: expected at least 2 sizes (visible, hidden...), got {tuple(layer_sizes)}")
        self.layer_sizes = tuple(positive_int("layer_sizes", size) for size in layer_sizes)
        options = {**RBM_DEFAULTS, **rbm_options}
        self.rbms = [RBM(n_out, visible=visible if i == 0 else "bernoulli", random_state=rng, **options)
                     for i, n_out in enumerate(layer_sizes[1:])]

    def fit(self, X):
        """Pre-train the RBMs greedily on ``X`` (N, layer_sizes[0]); returns self.

        Raises:
            ValueError: ``X`` of another shape.
        """
        if len(np.shape(X)) != 2 or np.shape(X)[1] != self.layer_sizes[0]:
            raise ValueError(f"X: expected an array (N, {self.layer_sizes[0]}), got shape {np.shape(X)}")
        for rbm in self.rbms:
            X = rbm.fit(X).transform(X)
        return self

    def state_dict(self):
        """``{"rbms": [state_dict of each RBM]}``, for :func:`tinyconv.save`."""
        return {"rbms": [rbm.state_dict() for rbm in self.rbms]}

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` into RBMs built with the same sizes and options.

        Raises:
            ValueError: another number of RBMs, or an RBM's state that does not match.
        """
        if len(state.get("rbms", ())) != len(self.rbms):
            raise ValueError(f"state: expected {len(self.rbms)} RBM states, got {len(state.get('rbms', ()))}")
        for rbm, rbm_state in zip(self.rbms, state["rbms"]):
            rbm.load_state_dict(rbm_state)

    def transform(self, X):
        """Top-layer hidden probabilities (N, layer_sizes[-1]): a deterministic up pass."""
        for rbm in self.rbms:
            X = rbm.transform(X)
        return X

    def _layer(self, weight, bias):
        """A Linear layer holding copies of ``weight`` (out, in) and ``bias``, on the CPU."""
        layer = nn.Linear(weight.shape[1], weight.shape[0], dtype=weight.dtype)
        layer.weight = Parameter(np.array(to_numpy(weight), copy=True))
        layer.bias = Parameter(np.array(to_numpy(bias), copy=True))
        return layer

    def encoder_layers(self):
        """[Linear, Sigmoid] per RBM, initialised with its W.T and hidden bias."""
        layers = []
        for rbm in self.rbms:
            rbm._require_fitted()
            layers += [self._layer(rbm.components_, rbm.intercept_hidden_), nn.Sigmoid()]
        return layers

    def to_classifier(self, n_classes, rng=None):
        """``nn.Sequential`` of the encoder and a new Linear(layer_sizes[-1], n_classes) output
        layer (logits, PyTorch's default initialisation), for softmax cross-entropy fine-tuning."""
        encoder = self.encoder_layers()
        dtype = self.rbms[0].components_.dtype
        return nn.Sequential(*encoder, nn.Linear(self.layer_sizes[-1], n_classes, dtype=dtype, rng=rng))

    def to_autoencoder(self):
        """``nn.Sequential(encoder, decoder)`` mapping (N, n_visible) to (N, n_visible); the
        encoder (``autoencoder[0]``) gives the (N, layer_sizes[-1]) codes. The decoder uses each
        RBM's W and visible bias, top RBM first, each followed by a Sigmoid, except after the last
        layer for Gaussian visible units (a linear reconstruction)."""
        decoder = []
        for rbm in reversed(self.rbms):
            rbm._require_fitted()
            decoder += [self._layer(rbm.components_.T, rbm.intercept_visible_), nn.Sigmoid()]
        if self.rbms[0].visible == "gaussian":
            decoder.pop()
        return nn.Sequential(nn.Sequential(*self.encoder_layers()), nn.Sequential(*decoder))

    def __repr__(self):
        return f"DBN({'-'.join(map(str, self.layer_sizes))})"

