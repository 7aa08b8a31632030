"""Restricted Boltzmann machines trained by contrastive divergence (CD-k) or persistent CD (PCD).

Energy, for visible units v (n_visible,) and binary hidden units h (n_hidden,), weights W
(n_visible, n_hidden), visible bias b, hidden bias c:

- Bernoulli-Bernoulli: E(v, h) = -v.b - h.c - v W h, with v in {0, 1};
- Gaussian-Bernoulli, unit variance: E(v, h) = ||v - b||^2 / 2 - h.c - v W h, with v real.

Conditionals: p(h_j = 1 | v) = sigmoid(c_j + v W[:, j]); p(v_i = 1 | h) = sigmoid(b_i + W[i] h)
(Bernoulli) or v_i | h ~ N(b_i + W[i] h, 1) (Gaussian). Free energy
F(v) = -v.b - sum_j softplus(c_j + v W[:, j]) (Bernoulli; ||v - b||^2 / 2 in place of -v.b for
Gaussian), so p(v) = exp(-F(v)) / Z.

Training follows Hinton, "A Practical Guide to Training Restricted Boltzmann Machines"
(UTML TR 2010-003): the gradient <v h>_data - <v h>_model with the model term from k Gibbs
steps started at the data (CD-k, Hinton 2002) or at persistent chains (PCD, Tieleman 2008);
hidden probabilities rather than samples in the statistics; W ~ N(0, 0.01^2), visible bias
log(p / (1 - p)) of the data's mean p, hidden bias 0; momentum 0.5 then 0.9; L2 weight cost;
an optional sparsity target on the mean hidden activation (section 11).

The API is scikit-learn's ``BernoulliRBM`` (names, arguments, defaults, fitted attributes), so
that ``sklearn.base.clone``, ``Pipeline`` and ``GridSearchCV`` take an :class:`RBM` as they take
a BernoulliRBM; tinyconv does not import scikit-learn. Weights are ``components_``
(n_components, n_features): W above is ``components_.T``, b ``intercept_visible_``, c
``intercept_hidden_``. Arrays are (N, n_features) batches of float32 or float64, NumPy or CuPy;
the random draws come from a ``numpy.random.Generator`` (``random_state``).

Files: ``sampling`` (conditionals, Gibbs steps, free energy, pseudo-likelihood), ``learning``
(CD-k and PCD statistics, the momentum step), ``checks`` (arguments and data), ``state``
(state_dict), ``base`` (scikit-learn's estimator protocol), ``estimator`` (the :class:`RBM` itself).
"""
from .base import NotFittedError
from .checks import InvalidParameterError
from .estimator import RBM
from .sampling import VISIBLE_UNITS, softplus

__all__ = ["RBM", "InvalidParameterError", "NotFittedError", "VISIBLE_UNITS", "softplus"]
