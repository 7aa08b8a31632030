"""Contrastive divergence on raw arrays: the negative phase of CD-k (Hinton 2002) and of
persistent CD (Tieleman 2008), the statistics <v h>_data - <v h>_model with hidden
probabilities, weight cost, sparsity and the momentum step of Hinton's guide (UTML TR 2010-003).

This is not the gradient of a loss the autograd engine computes, so it does not go through
``tinyconv.optim``: its momentum step keeps the learning rate inside the velocity
(velocity <- momentum * velocity + lr * grad; param += velocity), as the guide writes it, where
PyTorch's SGD keeps it outside (buffer <- momentum * buffer + grad; param -= lr * buffer).
"""
from ..backend import blas_scope, get_array_module
from .sampling import bernoulli, gibbs_step, hidden_probabilities, visible_mean


def cd_negative_phase(m, h0, k, rng):
    """CD-k's model sample (v_k, p(h | v_k)): k steps from hidden draws of the data's hidden
    probabilities ``h0``, with visible means (Hinton's guide, section 3)."""
    h = bernoulli(h0, rng)
    for step in range(k):
        v = visible_mean(m, h)
        h_prob = hidden_probabilities(m, v)
        if step < k - 1:
            h = bernoulli(h_prob, rng)
    return v, h_prob


def pcd_negative_phase(m, chains, k, rng):
    """PCD-k's model sample (v_k, p(h | v_k)): k full Gibbs steps of the persistent ``chains``
    (batch_size, n_visible); v_k is the chains' next state."""
    v = chains
    for _ in range(k):
        v = gibbs_step(m, v, rng)
    return v, hidden_probabilities(m, v)


def start_chains(v0, n_chains, rng):
    """``n_chains`` rows of the data batch ``v0``, drawn with replacement: PCD's first chains."""
    return v0[get_array_module(v0).asarray(rng.integers(0, len(v0), n_chains))]


@blas_scope
def statistics(v0, h0, vk, hk):
    """(d W, d b, d c): the CD estimate of the gradient of the mean log-likelihood, from the
    data (v0, p(h | v0)) and the model sample (vk, p(h | vk)); rows may differ in number."""
    return ((v0.T @ h0 / len(v0) - vk.T @ hk / len(vk)).T,
            v0.mean(axis=0) - vk.mean(axis=0), h0.mean(axis=0) - hk.mean(axis=0))


def sparsity_pull(mean_hidden, h0, target, cost):
    """The running mean hidden probability (0.9 old + 0.1 new; the batch's own at the start)
    and the pull cost * (target - mean) on the hidden biases (Hinton's guide, section 11)."""
    q = h0.mean(axis=0)
    mean_hidden = q if mean_hidden is None else 0.9 * mean_hidden + 0.1 * q
    return mean_hidden, cost * (target - mean_hidden)


def momentum_step(params, velocities, grads, learning_rate, momentum):
    """In place, per parameter: velocity <- momentum * velocity + learning_rate * grad (cast to
    the velocity's dtype); param += velocity (an ascent step)."""
    for param, velocity, grad in zip(params, velocities, grads):
        velocity *= momentum
        velocity += (learning_rate * grad).astype(velocity.dtype, copy=False)
        param += velocity
