"""RBMs against exact computations by enumeration on tiny models, and their training."""
import itertools

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinyconv.rbm import RBM, softplus


def states(n):
    """All 2^n binary vectors, (2^n, n) float64."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def tiny_rbm(n_visible=4, n_hidden=3, visible="bernoulli", scale=1.0, seed=0, **options):
    """An RBM with given random parameters (float64), without fitting."""
    rng = np.random.default_rng(seed)
    rbm = RBM(n_visible, n_hidden, visible=visible, dtype=np.float64, rng=np.random.default_rng(seed + 1), **options)
    rbm._initialise(np.full((1, n_visible), 0.5))
    rbm.W[...] = rng.normal(0, scale, (n_visible, n_hidden))
    rbm.visible_bias[...] = rng.normal(0, scale, n_visible)
    rbm.hidden_bias[...] = rng.normal(0, scale, n_hidden)
    return rbm


def energy(rbm, v, h):
    """E(v, h) for single vectors."""
    visible_term = 0.5 * ((v - rbm.visible_bias) ** 2).sum() if rbm.visible == "gaussian" else -v @ rbm.visible_bias
    return visible_term - h @ rbm.hidden_bias - v @ rbm.W @ h


def log_partition(rbm):
    """log Z of a Bernoulli RBM: logsumexp over all visible states of -F(v)."""
    minus_f = -rbm.free_energy(states(rbm.n_visible))
    return minus_f.max() + np.log(np.exp(minus_f - minus_f.max()).sum())


def log_likelihood(rbm, data):
    return float((-rbm.free_energy(data)).mean() - log_partition(rbm))


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
@given(seed=st.integers(0, 10**6), scale=st.sampled_from([0.1, 1.0, 3.0]))
def test_free_energy_marginalises_the_hidden_units(visible, seed, scale):
    rbm = tiny_rbm(visible=visible, scale=scale, seed=seed)
    rng = np.random.default_rng(seed)
    v = states(4) if visible == "bernoulli" else rng.normal(0, 1, (8, 4))
    hidden = states(3)
    brute = np.array([-np.log(sum(np.exp(-energy(rbm, row, h)) for h in hidden)) for row in v])
    np.testing.assert_allclose(rbm.free_energy(v), brute, rtol=1e-10, atol=1e-10)


def test_free_energy_is_stable_for_large_inputs():
    rbm = tiny_rbm(scale=1.0)
    rbm.W *= 1e4
    assert np.all(np.isfinite(rbm.free_energy(states(4))))
    assert softplus(np.array([-1e4, 0.0, 1e4])).tolist() == [0.0, np.log(2), 1e4]


def exact_gradient(rbm, data):
    """d mean log p(data) / dW by enumeration: <v p(h|v)>_data - sum_v p(v) v p(h|v)."""
    v = states(rbm.n_visible)
    p = np.exp(-rbm.free_energy(v) - log_partition(rbm))
    model = (v * p[:, None]).T @ rbm.hidden_probabilities(v)
    return data.T @ rbm.hidden_probabilities(data) / len(data) - model


def test_cd_k_approaches_the_exact_gradient_as_k_grows():
    data = np.repeat(np.array([[1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 0, 0]], dtype=np.float64), 4000, axis=0)
    errors = {}
    for k in (1, 100):
        rbm = tiny_rbm(scale=1.5, k=k, seed=3)
        exact = exact_gradient(rbm, data)
        errors[k] = np.abs(rbm.cd_gradient(data)[0] - exact).max()
    # 12,000 chains: the sampling noise of the estimate is about 0.01; CD-1's bias is far larger.
    assert errors[100] < 0.03, errors
    assert errors[1] > 3 * errors[100], errors


def bars_and_stripes(n=3):
    """The 2^(n+1) - 2 distinct n x n images with full bars or full stripes (MacKay 2003)."""
    rows = states(n)
    images = {tuple(np.repeat(r, n)) for r in rows} | {tuple(np.tile(r, n)) for r in rows}
    return np.array(sorted(images))


def noisy_prototypes(n=600, flip=0.05, seed=0):
    """Four 9-pixel prototypes with 5% of the pixels flipped."""
    rng = np.random.default_rng(seed)
    prototypes = np.array([[1, 1, 1, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 1, 1, 0, 0, 0],
                           [0, 0, 0, 0, 0, 0, 1, 1, 1], [1, 0, 1, 0, 1, 0, 1, 0, 1]], dtype=np.float64)
    data = prototypes[rng.integers(0, 4, n)]
    return np.abs(data - (rng.random(data.shape) < flip))


@pytest.mark.parametrize("data, options", [
    (np.tile(bars_and_stripes(), (20, 1)), dict(persistent=False, lr=0.1)),
    # PCD's chains must keep up with the model: a smaller lr / (1 - momentum) than CD's.
    (noisy_prototypes(), dict(persistent=True, lr=0.05, momentum=(0.5, 0.5), k=5)),
], ids=["CD-1, bars and stripes", "PCD-5, noisy prototypes"])
def test_training_raises_the_exact_log_likelihood(data, options):
    rbm = RBM(9, 16, batch_size=20, epochs=30, weight_cost=0, dtype=np.float64, rng=np.random.default_rng(0), **options)
    rbm._initialise(data)
    before = log_likelihood(rbm, data)
    rbm.fit(data)
    after = log_likelihood(rbm, data)
    assert after > before + 1.5, (before, after)


def test_pseudo_log_likelihood_estimates_the_sum_of_conditionals():
    rbm = tiny_rbm(scale=1.0, seed=5)
    v = np.array([[1.0, 0.0, 1.0, 1.0]])
    exact = 0.0
    for i in range(4):
        flipped = v.copy()
        flipped[0, i] = 1 - flipped[0, i]
        # log p(v_i | v_-i) = -F(v) - log(exp(-F(v)) + exp(-F(flipped)))
        exact += -np.logaddexp(0, rbm.free_energy(v)[0] - rbm.free_energy(flipped)[0])
    estimates = rbm.score_samples(np.repeat(v, 20000, axis=0))
    assert abs(estimates.mean() - exact) < 0.05 * abs(exact) + 0.02


def test_initialisation_follows_the_practical_guide():
    rng = np.random.default_rng(0)
    X = (rng.random((500, 50)) < np.linspace(0.05, 0.95, 50)).astype(np.float32)
    rbm = RBM(50, 200, rng=np.random.default_rng(1))
    rbm._initialise(X)
    p = X.mean(axis=0)
    np.testing.assert_allclose(rbm.visible_bias, np.log(p / (1 - p)), rtol=1e-5)
    assert np.all(rbm.hidden_bias == 0)
    assert abs(rbm.W.std() - 0.01) < 0.001 and abs(rbm.W.mean()) < 0.001
    assert rbm.W.dtype == np.float32


def test_pcd_chains_keep_their_size_on_ragged_batches():
    X = (np.random.default_rng(0).random((250, 6)) < 0.5).astype(np.float32)
    rbm = RBM(6, 4, persistent=True, batch_size=100, rng=np.random.default_rng(0)).partial_fit(X)
    assert rbm._chains.shape == (100, 6)


def test_momentum_switches_after_the_given_epoch():
    X = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(np.float64)
    rbm = RBM(6, 4, lr=0.1, momentum=(0.5, 0.9), momentum_switch=1, batch_size=40, epochs=1,
              dtype=np.float64, rng=np.random.default_rng(0)).fit(X)
    velocity = rbm._velocity[0].copy()
    W = rbm.W.copy()
    rbm.rng = np.random.default_rng(7)
    (grad_w, _, _), _ = rbm._statistics(X)
    rbm.rng = np.random.default_rng(7)
    rbm.partial_fit(X)  # epoch 1 >= momentum_switch: momentum 0.9
    np.testing.assert_allclose(rbm.W, W + 0.9 * velocity + 0.1 * (grad_w - rbm.weight_cost * W), rtol=1e-10)


def test_same_seed_same_model_and_samples():
    X = (np.random.default_rng(0).random((100, 8)) < 0.3).astype(np.float32)
    runs = [RBM(8, 5, epochs=3, batch_size=10, rng=np.random.default_rng(42)).fit(X) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].W, runs[1].W)
    np.testing.assert_array_equal(runs[0].sample(5, steps=10), runs[1].sample(5, steps=10))


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_api_shapes_and_monitoring(visible):
    rng = np.random.default_rng(0)
    X = (rng.random((120, 10)) < 0.4).astype(np.float32) if visible == "bernoulli" else rng.normal(size=(120, 10)).astype(np.float32)
    rbm = RBM(10, 6, visible=visible, epochs=2, batch_size=32, lr=0.01, rng=rng).fit(X)
    assert rbm.transform(X).shape == (120, 6) and rbm.transform(X).dtype == np.float32
    assert rbm.reconstruct(X).shape == X.shape and rbm.gibbs(X).shape == X.shape
    assert rbm.sample(3, steps=5).shape == (3, 10)
    assert rbm.free_energy(X).shape == (120,)
    assert [h["epoch"] for h in rbm.history] == [1, 2]
    assert ("pseudo_log_likelihood" in rbm.history[0]) == (visible == "bernoulli")
    assert rbm.reconstruction_error(X) >= 0


def test_gaussian_rbm_learns_a_shifted_mean():
    X = np.random.default_rng(0).normal(3.0, 1.0, (400, 5))
    rbm = RBM(5, 4, visible="gaussian", lr=0.01, epochs=5, batch_size=50, dtype=np.float64,
              rng=np.random.default_rng(0)).fit(X)
    np.testing.assert_allclose(rbm.reconstruct(X).mean(axis=0), 3.0, atol=0.3)


def test_bad_input_raises_clear_errors():
    rbm = RBM(4, 3)
    with pytest.raises(RuntimeError, match="not fitted"):
        rbm.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"X: expected an array \(N, 4\), got shape \(2, 5\)"):
        rbm.fit(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"X: expected values in \[0, 1\] for Bernoulli visible units"):
        rbm.fit(np.full((2, 4), 2.0))
    with pytest.raises(ValueError, match="X: expected finite values"):
        rbm.fit(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="n_hidden: expected a positive int, got 0"):
        RBM(4, 0)
    with pytest.raises(ValueError, match="visible: expected one of"):
        RBM(4, 3, visible="poisson")
    with pytest.raises(NotImplementedError, match="Bernoulli visible units only"):
        tiny_rbm(visible="gaussian").score_samples(np.zeros((1, 4)))


def test_pcd_chains_at_equilibrium_give_the_exact_gradient():
    data = np.repeat(np.array([[1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 0, 0]], dtype=np.float64), 4000, axis=0)
    rbm = tiny_rbm(scale=1.5, k=1, seed=3, persistent=True, batch_size=12000)
    for _ in range(30):  # no update in between: the chains mix towards the model
        estimate = rbm.cd_gradient(data)[0]
    assert np.abs(estimate - exact_gradient(rbm, data)).max() < 0.03


def test_state_dict_round_trip_through_a_checkpoint(tmp_path):
    import tinyconv as tc
    X = (np.random.default_rng(0).random((60, 6)) < 0.4).astype(np.float32)
    rbm = RBM(6, 4, persistent=True, sparsity_target=0.1, sparsity_cost=0.1, epochs=2, batch_size=20,
              rng=np.random.default_rng(0)).fit(X)
    tc.save({"rbm": rbm}, tmp_path / "rbm.npz")
    restored = RBM(6, 4, persistent=True, sparsity_target=0.1, sparsity_cost=0.1, epochs=2, batch_size=20)
    tc.load(tmp_path / "rbm.npz", into={"rbm": restored})
    for key, value in rbm.state_dict().items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(restored.state_dict()[key], value)
    assert restored.history == rbm.history and restored._epoch == 2
    # both continue identically from the same generator state
    rbm.rng, restored.rng = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(rbm.partial_fit(X).W, restored.partial_fit(X).W)
    with pytest.raises(ValueError, match=r"W: expected shape \(5, 4\), got \(6, 4\)"):
        RBM(5, 4).load_state_dict(rbm.state_dict())
