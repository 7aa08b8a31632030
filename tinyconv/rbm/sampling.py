"""The sampling mathematics of an RBM on raw arrays: conditionals, block Gibbs steps, free
energy and pseudo-log-likelihood.

A :class:`Machine` bundles W (n_hidden, n_visible), the visible bias b (n_visible,), the hidden
bias c (n_hidden,) and the kind of visible units; visible states are (N, n_visible) and hidden
states (N, n_hidden) arrays of W's dtype (float32 or float64, NumPy or CuPy). Draws come from
a ``numpy.random.Generator`` (on the host, then moved to the arrays' device).
"""
from typing import Any, NamedTuple

from ..backend import blas_scope, get_array_module
from ..functional.activation import stable_sigmoid

VISIBLE_UNITS = ("bernoulli", "gaussian")


class Machine(NamedTuple):
    """The parameters of an RBM: W (n_hidden, n_visible), b (n_visible,), c (n_hidden,), and
    ``visible``, one of :data:`VISIBLE_UNITS`."""
    W: Any
    b: Any
    c: Any
    visible: str


def softplus(x):
    """log(1 + exp(x)), stable: max(x, 0) + log1p(exp(-|x|))."""
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def uniform(rng, like, shape, dtype):
    """Uniform draws in [0, 1) of ``shape`` and ``dtype``, on the device of array ``like``."""
    return get_array_module(like).asarray(rng.random(shape, dtype=dtype))


def bernoulli(p, rng):
    """0/1 draws (p's dtype) with probabilities ``p``."""
    return (uniform(rng, p, p.shape, p.dtype) < p).astype(p.dtype)


@blas_scope
def hidden_probabilities(m, v):
    """p(h = 1 | v): (N, n_hidden)."""
    return stable_sigmoid(v @ m.W.T + m.c)


@blas_scope
def visible_mean(m, h):
    """E[v | h]: (N, n_visible); probabilities for Bernoulli units, means for Gaussian ones."""
    total = h @ m.W + m.b
    return stable_sigmoid(total) if m.visible == "bernoulli" else total


def sample_hidden(m, v, rng):
    """Draw h ~ p(h | v): 0/1 values of v's dtype."""
    return bernoulli(hidden_probabilities(m, v), rng)


def sample_visible(m, h, rng):
    """Draw v ~ p(v | h): Bernoulli draws, or the mean plus unit Gaussian noise."""
    mean = visible_mean(m, h)
    if m.visible == "bernoulli":
        return bernoulli(mean, rng)
    return mean + get_array_module(mean).asarray(rng.standard_normal(mean.shape, dtype=mean.dtype))


def gibbs_step(m, v, rng):
    """One step of block Gibbs sampling: v -> h ~ p(h | v) -> v' ~ p(v | h)."""
    return sample_visible(m, sample_hidden(m, v, rng), rng)


@blas_scope
def free_energy(m, v):
    """F(v) (N,) with a stable softplus: -v.b (Bernoulli) or ||v - b||^2 / 2 (Gaussian), minus
    sum_j softplus(c_j + v W[j])."""
    hidden = softplus(v @ m.W.T + m.c).sum(axis=1)
    if m.visible == "bernoulli":
        return -(v @ m.b) - hidden
    return 0.5 * ((v - m.b) ** 2).sum(axis=1) - hidden


def pseudo_log_likelihood(m, v, units):
    """n_visible * log sigmoid(F(v') - F(v)) per row (N,), v' being v with unit ``units[n]``
    of row n set to 1 - v (``units``: (N,) ints on v's device)."""
    xp = get_array_module(v)
    flipped = v.copy()
    rows = xp.arange(len(v))
    flipped[rows, units] = 1 - flipped[rows, units]
    return -v.shape[1] * softplus(free_energy(m, v) - free_energy(m, flipped))
