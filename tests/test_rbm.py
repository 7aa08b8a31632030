"""RBMs against exact computations by enumeration on tiny models, their training, and their
scikit-learn estimator API (BernoulliRBM's names and semantics)."""
import inspect
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinyconv.rbm import RBM, InvalidParameterError, NotFittedError, softplus


def states(n):
    """All 2^n binary vectors, (2^n, n) float64."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def tiny_rbm(n_visible=4, n_hidden=3, visible="bernoulli", scale=1.0, seed=0, **options):
    """An RBM with given random parameters (float64), without fitting."""
    rng = np.random.default_rng(seed)
    rbm = RBM(n_hidden, visible=visible, dtype=np.float64, random_state=seed + 1, **options)
    rbm._initialise(np.full((1, n_visible), 0.5))
    rbm.components_[...] = rng.normal(0, scale, (n_visible, n_hidden)).T  # the draws of W (n_visible, n_hidden)
    rbm.intercept_visible_[...] = rng.normal(0, scale, n_visible)
    rbm.intercept_hidden_[...] = rng.normal(0, scale, n_hidden)
    return rbm


def energy(rbm, v, h):
    """E(v, h) for single vectors."""
    b = rbm.intercept_visible_
    visible_term = 0.5 * ((v - b) ** 2).sum() if rbm.visible == "gaussian" else -v @ b
    return visible_term - h @ rbm.intercept_hidden_ - h @ rbm.components_ @ v


def log_partition(rbm):
    """log Z of a Bernoulli RBM: logsumexp over all visible states of -F(v)."""
    minus_f = -rbm.free_energy(states(rbm.n_features_in_))
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
    rbm.components_ *= 1e4
    assert np.all(np.isfinite(rbm.free_energy(states(4))))
    assert softplus(np.array([-1e4, 0.0, 1e4])).tolist() == [0.0, np.log(2), 1e4]


def exact_gradient(rbm, data):
    """d mean log p(data) / dW by enumeration: <v p(h|v)>_data - sum_v p(v) v p(h|v)."""
    v = states(rbm.n_features_in_)
    p = np.exp(-rbm.free_energy(v) - log_partition(rbm))
    model = rbm.hidden_probabilities(v).T @ (v * p[:, None])
    return rbm.hidden_probabilities(data).T @ data / len(data) - model


def test_cd_k_approaches_the_exact_gradient_as_k_grows():
    data = np.repeat(np.array([[1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 0, 0]], dtype=np.float64), 4000, axis=0)
    errors = {}
    for k in (1, 100):
        rbm = tiny_rbm(scale=1.5, k=k, seed=3, persistent=False)
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
    (np.tile(bars_and_stripes(), (20, 1)), dict(persistent=False, learning_rate=0.1, momentum=(0.5, 0.9))),
    # PCD's chains must keep up with the model: a smaller lr / (1 - momentum) than CD's.
    (noisy_prototypes(), dict(persistent=True, learning_rate=0.05, momentum=0.5, k=5)),
], ids=["CD-1, bars and stripes", "PCD-5, noisy prototypes"])
def test_training_raises_the_exact_log_likelihood(data, options):
    rbm = RBM(16, batch_size=20, n_iter=30, dtype=np.float64, random_state=0, **options)
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
    rbm = RBM(200, random_state=1)
    rbm._initialise(X)
    p = X.mean(axis=0)
    np.testing.assert_allclose(rbm.intercept_visible_, np.log(p / (1 - p)), rtol=1e-5)
    assert np.all(rbm.intercept_hidden_ == 0)
    assert rbm.components_.shape == (200, 50)
    assert abs(rbm.components_.std() - 0.01) < 0.001 and abs(rbm.components_.mean()) < 0.001
    assert rbm.components_.dtype == np.float32


def test_pcd_chains_keep_their_size_on_ragged_batches():
    X = (np.random.default_rng(0).random((250, 6)) < 0.5).astype(np.float32)
    rbm = RBM(4, persistent=True, batch_size=100, random_state=0).fit(X)
    assert rbm._chains.shape == (100, 6)


def test_momentum_switches_after_the_given_epoch():
    X = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(np.float64)
    rbm = RBM(4, learning_rate=0.1, momentum=(0.5, 0.9), momentum_switch=1, weight_cost=1e-4, batch_size=40,
              n_iter=1, dtype=np.float64, random_state=0).fit(X)
    velocity = rbm._velocity[0].copy()
    W = rbm.components_.copy()
    rbm.random_state_ = np.random.default_rng(7)
    (grad_w, _, _), _ = rbm._statistics(X)
    rbm.random_state_ = np.random.default_rng(7)
    rbm.partial_fit(X)  # epoch 1 >= momentum_switch: momentum 0.9
    np.testing.assert_allclose(rbm.components_, W + 0.9 * velocity + 0.1 * (grad_w - 1e-4 * W), rtol=1e-10)


def test_same_seed_same_model_and_samples():
    X = (np.random.default_rng(0).random((100, 8)) < 0.3).astype(np.float32)
    runs = [RBM(5, n_iter=3, batch_size=10, random_state=np.random.default_rng(42)).fit(X) for _ in range(2)]
    np.testing.assert_array_equal(runs[0].components_, runs[1].components_)
    np.testing.assert_array_equal(runs[0].sample(5, steps=10), runs[1].sample(5, steps=10))


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_api_shapes_and_monitoring(visible):
    rng = np.random.default_rng(0)
    X = (rng.random((120, 10)) < 0.4).astype(np.float32) if visible == "bernoulli" else rng.normal(size=(120, 10)).astype(np.float32)
    rbm = RBM(6, visible=visible, n_iter=2, batch_size=32, learning_rate=0.01, random_state=rng).fit(X)
    assert rbm.transform(X).shape == (120, 6) and rbm.transform(X).dtype == np.float32
    assert rbm.reconstruct(X).shape == X.shape and rbm.gibbs(X).shape == X.shape
    assert rbm.sample(3, steps=5).shape == (3, 10)
    assert rbm.free_energy(X).shape == (120,)
    assert [h["epoch"] for h in rbm.history_] == [1, 2]
    assert ("pseudo_log_likelihood" in rbm.history_[0]) == (visible == "bernoulli")
    assert rbm.reconstruction_error(X) >= 0


def test_gaussian_rbm_learns_a_shifted_mean():
    X = np.random.default_rng(0).normal(3.0, 1.0, (400, 5))
    rbm = RBM(4, visible="gaussian", learning_rate=0.01, n_iter=5, batch_size=50, random_state=0).fit(X)
    np.testing.assert_allclose(rbm.reconstruct(X).mean(axis=0), 3.0, atol=0.3)


def test_bad_input_raises_clear_errors():
    rbm = RBM(3)
    with pytest.raises(NotFittedError, match="not fitted"):
        rbm.transform(np.zeros((2, 4)))
    rbm.fit(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="X has 5 features, but RBM is expecting 4 features as input"):
        rbm.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"X: expected a 2-D array \(n_samples, n_features\), got shape \(4,\)"):
        RBM(3).fit(np.zeros(4))
    with pytest.raises(ValueError, match=r"X: expected at least 1 sample, got shape \(0, 4\)"):
        RBM(3).fit(np.zeros((0, 4)))
    with pytest.raises(ValueError, match=r"X: expected values in \[0, 1\] for Bernoulli visible units"):
        RBM(3).fit(np.full((2, 4), 2.0))
    with pytest.raises(ValueError, match="X: expected finite values"):
        RBM(3).fit(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match=r"X: 0 feature\(s\) \(shape=\(2, 0\)\) while a minimum of 1 is required"):
        RBM(3).fit(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=r"X: expected real values \(Complex data not supported\)"):
        RBM(3).fit(np.zeros((2, 4), dtype=complex))
    with pytest.raises(NotImplementedError, match="Bernoulli visible units only"):
        tiny_rbm(visible="gaussian").score_samples(np.zeros((1, 4)))


@pytest.mark.parametrize("options, error, message", [
    (dict(n_components=0), ValueError, "n_components: expected a positive int, got 0"),
    (dict(batch_size=1.5), TypeError, "batch_size: expected a positive int, got float 1.5"),
    (dict(n_iter=-1), ValueError, "n_iter: expected a non-negative int, got -1"),
    (dict(learning_rate=0), ValueError, "learning_rate: expected a finite number > 0, got 0"),
    (dict(visible="poisson"), ValueError, "visible: expected one of"),
    (dict(momentum=1.0), ValueError, r"momentum: expected a float in \[0, 1\) or a pair of them, got 1.0"),
    (dict(sparsity_target=2), ValueError, r"sparsity_target: expected None or a probability in \(0, 1\)"),
    (dict(dtype=np.int32), TypeError, "dtype: expected float32 or float64"),
    (dict(random_state=np.random.RandomState(0)), TypeError,
     "random_state: expected None, a non-negative int or a numpy.random.Generator, got RandomState"),
])
def test_bad_parameters_raise_at_fit_as_in_scikit_learn(options, error, message):
    rbm = RBM(**options)  # scikit-learn's rule: __init__ stores, fit validates
    with pytest.raises(error, match=message):
        rbm.fit(np.zeros((2, 4)))


@pytest.mark.parametrize("options, message", [
    (dict(n_components=1.5), "n_components: expected a positive int, got float 1.5"),
    (dict(batch_size=0), "batch_size: expected a positive int, got 0"),
    (dict(n_iter="3"), "n_iter: expected a non-negative int, got str '3'"),
    (dict(learning_rate="0.1"), "learning_rate: expected a finite number > 0, got str '0.1'"),
    (dict(random_state=-1), "random_state: expected a non-negative int, got -1"),
    (dict(verbose="yes"), "verbose: expected a non-negative int, got str 'yes'"),
])
def test_scikit_learn_arguments_raise_an_error_that_is_a_value_and_a_type_error(options, message):
    # scikit-learn's InvalidParameterError subclasses both: code catching either keeps working
    with pytest.raises(InvalidParameterError, match=message) as raised:
        RBM(**options).fit(np.zeros((2, 4)))
    assert isinstance(raised.value, ValueError) and isinstance(raised.value, TypeError)


@pytest.mark.parametrize("options, error, message", [
    (dict(momentum="0.5"), TypeError, r"momentum: expected a float in \[0, 1\) or a pair of them, got '0.5'"),
    (dict(momentum=(0.5, 0.9, 0.99)), TypeError, r"momentum: expected a float in \[0, 1\) or a pair of them"),
    (dict(momentum=(0.5, -0.1)), ValueError, r"momentum: expected a float in \[0, 1\) or a pair of them"),
    (dict(sparsity_target="0.1"), TypeError, r"sparsity_target: expected None or a probability in \(0, 1\), got '0.1'"),
    (dict(k=2.0), TypeError, "k: expected a positive int, got float 2.0"),
    (dict(momentum_switch=1.5), TypeError, "momentum_switch: expected a non-negative int, got float 1.5"),
    (dict(weight_cost=-1e-4), ValueError, "weight_cost: expected a finite number >= 0, got -0.0001"),
])
def test_tinyconv_arguments_raise_type_errors_for_wrong_types_as_the_checks_module(options, error, message):
    with pytest.raises(error, match=message) as raised:
        RBM(**options).fit(np.zeros((2, 4)))
    assert not isinstance(raised.value, InvalidParameterError)


def test_sparse_input_is_refused_clearly():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match=r"X: expected a dense array, got a sparse matrix: use X.toarray\(\)"):
        RBM(3).fit(sparse.csr_matrix(np.zeros((2, 4))))


def test_pcd_chains_at_equilibrium_give_the_exact_gradient():
    data = np.repeat(np.array([[1, 0, 1, 0], [0, 1, 1, 1], [1, 1, 0, 0]], dtype=np.float64), 4000, axis=0)
    rbm = tiny_rbm(scale=1.5, k=1, seed=3, persistent=True, batch_size=12000)
    for _ in range(30):  # no update in between: the chains mix towards the model
        estimate = rbm.cd_gradient(data)[0]
    assert np.abs(estimate - exact_gradient(rbm, data)).max() < 0.03


def test_state_dict_round_trip_through_a_checkpoint(tmp_path):
    import tinyconv as tc
    X = (np.random.default_rng(0).random((60, 6)) < 0.4).astype(np.float32)
    options = dict(persistent=True, sparsity_target=0.1, sparsity_cost=0.1, momentum=(0.5, 0.9), n_iter=2, batch_size=20)
    rbm = RBM(4, random_state=0, **options).fit(X)
    tc.save({"rbm": rbm}, tmp_path / "rbm.npz")
    restored = RBM(4, **options)
    tc.load(tmp_path / "rbm.npz", into={"rbm": restored})
    for key, value in rbm.state_dict().items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(restored.state_dict()[key], value)
    assert restored.history_ == rbm.history_ and restored._epoch == 2 and restored.n_features_in_ == 6
    # both continue identically from the same generator state
    rbm.random_state_, restored.random_state_ = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(rbm.partial_fit(X).components_, restored.partial_fit(X).components_)
    with pytest.raises(ValueError, match=r"components: expected shape \(5, n_features\), got \(4, 6\)"):
        RBM(5).load_state_dict(rbm.state_dict())


# ---------------------------------------------------------------------- the scikit-learn API

BERNOULLI_RBM_SIGNATURE = "(n_components=256, *, learning_rate=0.1, batch_size=10, n_iter=10, verbose=0, random_state=None"


def test_constructor_starts_with_bernoulli_rbms_signature():
    assert str(inspect.signature(RBM)).startswith(BERNOULLI_RBM_SIGNATURE + ", ")


def binary_data(n=100, features=8, seed=0, dtype=np.float64):
    return (np.random.default_rng(seed).random((n, features)) < 0.4).astype(dtype)


def test_fitted_attributes_have_scikit_learns_names_and_shapes():
    X = binary_data()
    rbm = RBM(5, n_iter=2, random_state=0).fit(X)
    assert rbm.components_.shape == (5, 8)
    assert rbm.intercept_hidden_.shape == (5,) and rbm.intercept_visible_.shape == (8,)
    assert rbm.n_features_in_ == 8
    np.testing.assert_allclose(rbm.transform(X), 1 / (1 + np.exp(-(X @ rbm.components_.T + rbm.intercept_hidden_))))
    assert list(rbm.get_feature_names_out()) == [f"rbm{i}" for i in range(5)]


def test_fit_starts_afresh_and_an_int_random_state_repeats_it():
    X = binary_data()
    rbm = RBM(5, n_iter=2, random_state=3)
    first = rbm.fit(X).components_.copy()
    np.testing.assert_array_equal(rbm.fit(X).components_, first)  # refit: not a continuation
    np.testing.assert_array_equal(RBM(5, n_iter=2, random_state=3).fit_transform(X), rbm.transform(X))
    np.testing.assert_array_equal(rbm.score_samples(X), rbm.score_samples(X))


def test_partial_fit_is_one_update_on_the_whole_batch():
    X = binary_data(n=250)
    rbm = RBM(4, learning_rate=0.1, batch_size=10, persistent=False, random_state=0).partial_fit(X[:10])
    params = [p.copy() for p in (rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_)]
    rbm.random_state_ = np.random.default_rng(7)
    grads, _ = rbm._statistics(X)
    rbm.random_state_ = np.random.default_rng(7)
    rbm.partial_fit(X)  # one update from the mean over 250 rows, not 25 updates of 10
    for param, before, grad in zip((rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_), params, grads):
        np.testing.assert_allclose(param, before + 0.1 * grad, rtol=1e-12)


@pytest.mark.parametrize("dtype, expected", [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)])
def test_dtype_follows_the_data_as_in_scikit_learn(dtype, expected):
    X = binary_data(dtype=dtype)
    rbm = RBM(3, n_iter=1, random_state=0).fit(X)
    assert rbm.components_.dtype == expected and rbm.transform(X).dtype == expected
    assert RBM(3, n_iter=1, dtype=np.float32).fit(X).components_.dtype == np.float32
    assert RBM(3, n_iter=1).fit(X.tolist()).components_.shape == (3, 8)  # array-likes


def test_score_samples_is_scikit_learns_pseudo_likelihood_on_the_values_given():
    rbm = tiny_rbm(seed=2)
    v = np.random.default_rng(0).random((6, 4))  # grey values: used as they are, not thresholded
    units = np.random.default_rng(rbm.random_state).integers(0, 4, 6)
    flipped = v.copy()
    flipped[np.arange(6), units] = 1 - flipped[np.arange(6), units]
    expected = -4 * np.logaddexp(0, -(rbm.free_energy(flipped) - rbm.free_energy(v)))
    np.testing.assert_allclose(rbm.score_samples(v), expected, rtol=1e-12)


def test_get_params_set_params_and_repr():
    rbm = RBM(64, learning_rate=0.06, momentum=(0.5, 0.9))
    params = rbm.get_params()
    assert params["n_components"] == 64 and params["learning_rate"] == 0.06 and params["random_state"] is None
    assert list(params) == list(inspect.signature(RBM).parameters)
    assert RBM(**params).get_params() == params
    assert repr(rbm) == "RBM(n_components=64, learning_rate=0.06, momentum=(0.5, 0.9))"
    assert repr(RBM()) == "RBM()"
    assert rbm.set_params(n_iter=3, verbose=1) is rbm and rbm.n_iter == 3 and rbm.verbose == 1
    with pytest.raises(ValueError, match=r"Invalid parameter 'lr' for estimator RBM\(.*\). Valid parameters are: \["):
        rbm.set_params(lr=0.1)


def test_not_fitted_error_is_what_scikit_learn_expects():
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)
    for method in ("transform", "score_samples", "gibbs", "get_feature_names_out"):
        with pytest.raises(NotFittedError, match="This RBM instance is not fitted yet"):
            getattr(RBM(), method)(*([np.zeros((1, 4))] if method != "get_feature_names_out" else []))


# ---------------------------------------------------------------------- with scikit-learn installed

def test_signature_is_bernoulli_rbms_where_it_has_the_name():
    neural_network = pytest.importorskip("sklearn.neural_network")
    theirs = inspect.signature(neural_network.BernoulliRBM).parameters
    ours = inspect.signature(RBM).parameters
    assert list(ours)[:len(theirs)] == list(theirs)
    assert [(p.kind, p.default) for p in ours.values()][:len(theirs)] == [(p.kind, p.default) for p in theirs.values()]


class AdaptedRBM(RBM):
    """The RBM as ``check_estimator`` needs it: scikit-learn asks for ``__sklearn_tags__``,
    which tinyconv leaves out so as not to import scikit-learn, and the checks feed real data
    outside [0, 1], which the Bernoulli RBM refuses on purpose: this adapter maps it into (0, 1)
    first (x / (1 + |x|) / 2 + 1/2 keeps the dtype, NaN and Inf)."""

    def __sklearn_tags__(self):
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags
        return Tags(estimator_type=None, target_tags=TargetTags(required=False), input_tags=InputTags(),
                    transformer_tags=TransformerTags(preserves_dtype=["float64", "float32"]))

    def _validate_data(self, X, reset=False, name="X"):
        if not hasattr(X, "toarray"):
            X = np.asarray(X)
            if X.dtype.kind in "iuf":
                X = X / (1 + np.abs(X)) * 0.5 + 0.5
        return super()._validate_data(X, reset, name)


def test_scikit_learns_estimator_checks_pass():
    """All of ``check_estimator`` on :class:`AdaptedRBM`; the two checks expected to fail are
    BernoulliRBM's own: score_samples flips a random unit per row, so it depends on the order
    and subset of the rows."""
    pytest.importorskip("sklearn")
    from sklearn.utils.estimator_checks import check_estimator
    expected = {"check_methods_subset_invariance": "score_samples is random per row, as BernoulliRBM's",
                "check_methods_sample_order_invariance": "score_samples is random per row, as BernoulliRBM's"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(AdaptedRBM(n_components=4, n_iter=5), expected_failed_checks=expected,
                                  on_fail=None, on_skip=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert not failed, failed
    assert sum(r["status"] == "passed" for r in results) > 40


def digits_split():
    """scikit-learn's "RBM features for digit classification" data: the 8x8 digits scaled to
    [0, 1], 80% to train (without the example's nudged copies, to keep the test short)."""
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import minmax_scale
    X, y = datasets.load_digits(return_X_y=True)
    return train_test_split(minmax_scale(X), y, test_size=0.2, random_state=0)


def test_clone_pipeline_and_grid_search_work():
    pytest.importorskip("sklearn")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    rbm = RBM(16, n_iter=5, random_state=0)
    copy = clone(rbm)
    assert copy is not rbm and copy.get_params() == rbm.get_params() and not hasattr(copy, "components_")
    X_train, X_test, y_train, y_test = digits_split()
    pipeline = Pipeline([("rbm", rbm), ("logistic", LogisticRegression(C=100, max_iter=500))])
    search = GridSearchCV(pipeline, {"rbm__n_components": [8, 16]}, cv=2).fit(X_train[:400], y_train[:400])
    assert search.best_params_["rbm__n_components"] in (8, 16)
    assert search.best_estimator_.named_steps["rbm"].components_.shape[1] == 64
    assert search.score(X_test, y_test) > 0.5


def test_digit_features_classify_as_well_as_bernoulli_rbms():
    """scikit-learn's example: RBM(n_components=100, learning_rate=0.06, n_iter=10) features
    into LogisticRegression(C=6000, solver="newton-cg"); tinyconv's RBM with its defaults
    (BernoulliRBM's algorithm: PCD-1, no momentum) beside BernoulliRBM, in the same run. The
    example's tol=1 is left out: scikit-learn 1.9's newton-cg then stops before any step (7.5%
    accuracy on the raw pixels too)."""
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import BernoulliRBM
    from sklearn.pipeline import Pipeline
    X_train, X_test, y_train, y_test = digits_split()
    accuracy = {}
    for name, rbm in (("tinyconv", RBM(100, learning_rate=0.06, n_iter=10, random_state=0)),
                      ("scikit-learn", BernoulliRBM(100, learning_rate=0.06, n_iter=10, random_state=0))):
        pipeline = Pipeline([("rbm", rbm), ("logistic", LogisticRegression(C=6000, solver="newton-cg"))])
        accuracy[name] = pipeline.fit(X_train, y_train).score(X_test, y_test)
    print(f"digits test accuracy: {accuracy}")
    assert accuracy["tinyconv"] > accuracy["scikit-learn"] - 0.03, accuracy


# ---------------------------------------------------------------------- pinned results

# Seeded fits computed by the RBM before it was split into the sampling mathematics and the
# estimator: a refactoring must reproduce them (within 1e-12; float32 runs to the bit).
PINNED_DATA = np.random.default_rng(11)
PINNED_BERNOULLI = (PINNED_DATA.random((30, 4)) < 0.4).astype(np.float64)
PINNED_GAUSSIAN = PINNED_DATA.normal(1.0, 1.0, (30, 4))
PINNED_CASES = {
    "cd2_momentum_sparsity_f64": (PINNED_BERNOULLI, dict(
        persistent=False, k=2, momentum=(0.5, 0.9), momentum_switch=1, weight_cost=1e-3, sparsity_target=0.1,
        sparsity_cost=0.05, dtype=np.float64)),
    "pcd1_defaults_f32": (PINNED_BERNOULLI.astype(np.float32), dict()),
    "gaussian_cd1_f64": (PINNED_GAUSSIAN, dict(visible="gaussian", persistent=False, momentum=0.5, learning_rate=0.01)),
}
PINNED = {
    "cd2_momentum_sparsity_f64": {
        "components": [[-0.05314372878738847, -0.02724628571730592, -0.0807825162945908, 0.0250124843981749], [-0.06112193330461163, -0.01686258582944776, -0.08201465192238444, 0.00667374415139061], [-0.04430683665275804, -0.03382273118170456, -0.06066677990177746, -0.01709522753734737]],
        "visible": [-0.09931920894688548, -0.06924345054803174, -0.13991099456999073, 0.27330082427063146],
        "hidden": [-0.12795748681543062, -0.12763681498624735, -0.12808835950139213],
        "sample": [[0.4468058484286455, 0.47169222294753355, 0.4248955841306684, 0.5756611883683221], [0.4489910794285474, 0.4700536924278502, 0.42981832311593615, 0.5653439653752647]],
        "gibbs": [[0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]],
        "score": [-2.321649058886491, -2.2523001584589593, -2.44791204431841],
        "history": [{'reconstruction_error': 0.9958199272752827, 'pseudo_log_likelihood': -2.711921749136655}, {'reconstruction_error': 0.9993655847358377, 'pseudo_log_likelihood': -2.6699790219371593}, {'reconstruction_error': 0.9969329896023766, 'pseudo_log_likelihood': -2.6886960090092176}],
    },
    "pcd1_defaults_f32": {
        "components": [[-0.04140803962945938, 0.00618807412683964, -0.04307646676898002, 0.02851099148392678], [-0.04678681492805481, 0.0133596882224083, -0.0447266660630703, 0.01499344501644373], [-0.03579338267445564, 0.00270875915884972, -0.0292205773293972, -0.00091265700757504]],
        "visible": [-0.1978170275688171, -0.12638846039772034, -0.204959899187088, 0.16210295259952545],
        "hidden": [-0.0030298950150609, -0.00297590787522495, -0.00354801421053708],
        "sample": [[0.43035638332366943, 0.47244793176651, 0.43072172999382013, 0.5439323782920837], [0.42898052930831915, 0.47331520915031433, 0.4273275434970856, 0.551221489906311]],
        "gibbs": [[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 0.0]],
        "score": [-2.282762050628662, -2.4240975379943848, -2.2900657653808594],
        "history": [{'reconstruction_error': 0.9981971979141235, 'pseudo_log_likelihood': -2.7275736331939697}, {'reconstruction_error': 0.9962111711502075, 'pseudo_log_likelihood': -2.7035021781921387}, {'reconstruction_error': 0.9973430633544922, 'pseudo_log_likelihood': -2.7059731483459473}],
    },
    "gaussian_cd1_f64": {
        "components": [[-0.00915056510474738, 0.00691720718207759, -0.00584818114904326, 0.01810362734059143], [-0.01507633996604264, 0.01422254024661619, -0.00854965279113042, 0.00357389595130345], [-0.00323940284386967, 0.00347781540394538, 0.00762662145908392, -0.012206539036998]],
        "visible": [0.9457044861711346, 1.0829510309524664, 1.0568284368561294, 0.7862648149192105],
        "hidden": [-6.235742089995e-05, -5.878105477101e-05, -8.073540892063e-05],
        "sample": [[0.930628146205092, 1.0971735711990827, 1.048278784064999, 0.789838710870514], [0.9424650833272648, 1.0864288463564118, 1.0644550583152133, 0.7740582758822127]],
        "gibbs": [[0.33296790569349444, 1.5923526927179124, 1.25102190114515, 1.076465463018503], [1.814152796643917, 0.6142246664024795, 0.6551954212964051, -0.0479191351408278]],
        "history": [{'reconstruction_error': 3.14962242357683}, {'reconstruction_error': 3.1497322468663884}, {'reconstruction_error': 3.149802936062519}],
    },
}


@pytest.mark.parametrize("case", PINNED_CASES)
def test_seeded_fit_reproduces_the_pinned_results(case):
    X, options = PINNED_CASES[case]
    rbm = RBM(3, n_iter=3, batch_size=7, random_state=5, **options).fit(X)
    results = dict(components=rbm.components_, visible=rbm.intercept_visible_, hidden=rbm.intercept_hidden_,
                   sample=rbm.sample(2, steps=3), gibbs=rbm.gibbs(X[:2]))
    if rbm.visible == "bernoulli":
        results["score"] = rbm.score_samples(X[:3])
    expected = PINNED[case]
    for key, value in results.items():
        np.testing.assert_allclose(value, expected[key], rtol=0, atol=1e-12, err_msg=key)
    for record, pinned in zip(rbm.history_, expected["history"], strict=True):
        assert {key: value for key, value in record.items() if key != "epoch"} == pytest.approx(pinned, rel=0, abs=1e-12)
