"""The RBM estimator: scikit-learn's ``BernoulliRBM`` API (constructor, ``fit``, ``partial_fit``,
``transform``, ``score_samples``, ``gibbs``, parameters and fitted attributes) over the sampling
mathematics of :mod:`.sampling` and the contrastive divergence of :mod:`.learning`."""
import numpy as np
from tqdm.auto import tqdm

from ..backend import get_array_module
from . import learning, sampling, state
from .base import Estimator
from .checks import check_data, check_params, generator, momentum_pair


class RBM(Estimator):
    """A restricted Boltzmann machine with scikit-learn's ``BernoulliRBM`` API: the same
    arguments (first six), defaults, methods (``fit``, ``partial_fit``, ``transform``,
    ``fit_transform``, ``score_samples``, ``gibbs``, ``get_params``, ``set_params``) and fitted
    attributes, plus tinyconv's extras as further keywords. With its defaults it trains as
    BernoulliRBM does: persistent CD-1 (PCD), plain SGD, no weight cost.

    Args:
        n_components: number of hidden units (positive int).
        learning_rate: step size (float > 0) on the gradient of the mean log-likelihood of a batch.
        batch_size: rows per update in ``fit``; also the number of PCD chains.
        n_iter: epochs of ``fit`` (int >= 0).
        verbose: a progress bar with reconstruction error and pseudo-log-likelihood per epoch.
        random_state: None (the framework's seeded default generator), an int seed (a new
            ``numpy.random.Generator`` at each ``fit``, so that refitting repeats it) or a
            ``numpy.random.Generator`` (used as it is). NumPy's legacy ``RandomState`` is refused.
        visible: "bernoulli" (data in [0, 1]) or "gaussian" (real data, best standardised; unit
            variance).
        k: Gibbs steps per update (CD-k / PCD-k), >= 1.
        persistent: True: PCD, the negative phase continues ``batch_size`` persistent chains (they
            must keep up with the model: PCD wants a smaller ``learning_rate / (1 - momentum)``
            than CD). False: CD-k, chains start at the data.
        momentum: a float in [0, 1), or (initial, final): the final value applies from epoch
            ``momentum_switch`` of ``fit`` on (0-based). Hinton's guide: (0.5, 0.9).
        weight_cost: L2 penalty on the weights (Hinton's guide: 1e-4).
        sparsity_target, sparsity_cost: pull the running mean hidden probability towards the
            target (no sparsity when the target is None).
        dtype: None (float32 data stays float32, any other becomes float64, as scikit-learn
            does), or float32 / float64 for every fit.

    As in scikit-learn, ``__init__`` only stores the arguments; ``fit`` and ``partial_fit``
    check them. Fitted attributes: ``components_`` (n_components, n_features),
    ``intercept_hidden_`` (n_components,), ``intercept_visible_`` (n_features,),
    ``n_features_in_``, ``random_state_`` (the generator in use), ``history_`` (a dict per
    epoch of ``fit``). Initialisation follows Hinton's guide: weights N(0, 0.01^2), visible bias
    log(p / (1 - p)) of the data's mean p (Gaussian: the mean), hidden bias 0 (BernoulliRBM
    starts its visible bias at 0). ``fit`` shuffles the rows each epoch (BernoulliRBM does not).

    Raises:
        InvalidParameterError: a bad argument of the six that BernoulliRBM has (at ``fit``): a
            ValueError and a TypeError, as scikit-learn's.
        ValueError, TypeError: a bad value or type of tinyconv's further arguments (at ``fit``),
            or data of the wrong shape, range or values (naming the argument, the expected and
            the actual value).
        NotFittedError: a method that needs a fitted model, before ``fit``.
    """

    def __init__(self, n_components=256, *, learning_rate=0.1, batch_size=10, n_iter=10, verbose=0,
                 random_state=None, visible="bernoulli", k=1, persistent=True, momentum=0.0, momentum_switch=5,
                 weight_cost=0.0, sparsity_target=None, sparsity_cost=0.0, dtype=None):
        self.n_components, self.learning_rate, self.batch_size = n_components, learning_rate, batch_size
        self.n_iter, self.verbose, self.random_state = n_iter, verbose, random_state
        self.visible, self.k, self.persistent = visible, k, persistent
        self.momentum, self.momentum_switch, self.weight_cost = momentum, momentum_switch, weight_cost
        self.sparsity_target, self.sparsity_cost, self.dtype = sparsity_target, sparsity_cost, dtype

    def get_feature_names_out(self, input_features=None):
        """Output feature names, as scikit-learn's: ["rbm0", "rbm1", ...] (an object array)."""
        self._require_fitted()
        return np.asarray([f"rbm{i}" for i in range(self.n_components)], dtype=object)

    # ------------------------------------------------------------------ set-up and state
    def _validate_data(self, X, reset=False, name="X"):
        """``X`` as a (N, n_features) array of the model's dtype, checked; ``reset`` (fit) takes
        n_features and the dtype from it."""
        if reset:
            X = check_data(X, name, self.visible, self.dtype)
            self._dtype = X.dtype
            return X
        return check_data(X, name, self.visible, self._dtype, self.n_features_in_, type(self).__name__)

    def _initialise(self, X):
        """Check the arguments and start from Hinton's guide (section 8): W ~ N(0, 0.01^2);
        visible bias log(p / (1 - p)) (Bernoulli) or the data mean (Gaussian); hidden bias 0."""
        check_params(self)
        self.random_state_ = generator(self.random_state)
        X = self._validate_data(X, reset=True)
        xp = get_array_module(X)
        self.n_features_in_ = X.shape[1]
        # drawn as W (n_features, n_components), the layout of v @ W: F-ordered, as scikit-learn's
        self.components_ = xp.asarray(self.random_state_.normal(0, 0.01, (X.shape[1], self.n_components)),
                                      dtype=self._dtype).T
        mean = X.mean(axis=0)
        if self.visible == "bernoulli":
            p = xp.clip(mean, 1e-3, 1 - 1e-3)
            self.intercept_visible_ = xp.log(p / (1 - p)).astype(self._dtype)
        else:
            self.intercept_visible_ = mean.astype(self._dtype)
        self.intercept_hidden_ = xp.zeros(self.n_components, dtype=self._dtype)
        self._velocity = [xp.zeros_like(p) for p in self._parameters()]
        self._chains = None
        self._mean_hidden = None
        self._epoch = 0
        self.history_ = []
        return X

    def _parameters(self):
        return self.components_, self.intercept_visible_, self.intercept_hidden_

    @property
    def _machine(self):
        return sampling.Machine(*self._parameters(), self.visible)

    def state_dict(self):
        """The learned state as plain data (NumPy copies), for :func:`tinyconv.save`:
        ``components``, ``intercept_visible``, ``intercept_hidden``, ``velocity`` (three arrays),
        ``chains`` (PCD, or None), ``mean_hidden`` (sparsity, or None), ``epoch`` and
        ``history``. The options are the constructor's: build the RBM with the same ones before
        loading. An unfitted RBM gives None arrays."""
        return state.state_dict(self)

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict` (on the CPU, in its dtype unless ``dtype`` is set);
        n_features comes from the state.

        Raises:
            ValueError: listing every missing key and every array whose shape differs from
                this RBM's ``n_components`` or from the state's n_features; nothing is changed
                in that case.
        """
        state.load_state_dict(self, state_dict)
        if hasattr(self, "components_") and not hasattr(self, "random_state_"):
            self.random_state_ = generator(self.random_state)

    # ------------------------------------------------------------------ conditionals and sampling
    def hidden_probabilities(self, v):
        """p(h = 1 | v): (N, n_components)."""
        return sampling.hidden_probabilities(self._machine, v)

    def visible_mean(self, h):
        """E[v | h]: (N, n_features); probabilities for Bernoulli units, means for Gaussian ones."""
        return sampling.visible_mean(self._machine, h)

    def sample_hidden(self, v):
        """Draw h ~ p(h | v) (0/1 values, the visible dtype)."""
        return sampling.sample_hidden(self._machine, v, self.random_state_)

    def sample_visible(self, h):
        """Draw v ~ p(v | h): Bernoulli draws, or the mean plus unit Gaussian noise."""
        return sampling.sample_visible(self._machine, h, self.random_state_)

    def gibbs(self, v):
        """One step of block Gibbs sampling, as scikit-learn's: v -> h ~ p(h | v) -> v' ~ p(v | h).

        Args:
            v: (N, n_features) visible states.
        Returns:
            v' (N, n_features): 0/1 draws (Bernoulli), or real draws (Gaussian).
        """
        self._require_fitted()
        return sampling.gibbs_step(self._machine, self._validate_data(v, name="v"), self.random_state_)

    def sample(self, n_samples, steps=1000, v=None):
        """Run ``n_samples`` Gibbs chains for ``steps`` steps, from ``v`` or from random
        visible states, and return the last visible means (N, n_features)."""
        self._require_fitted()
        rng, shape = self.random_state_, (n_samples, self.n_features_in_)
        if v is None and self.visible == "bernoulli":
            v = sampling.uniform(rng, self.components_, shape, self._dtype).round()
        elif v is None:
            noise = rng.standard_normal(shape, dtype=self._dtype)
            v = get_array_module(self.components_).asarray(noise) + self.intercept_visible_
        v = self._validate_data(v, name="v")
        for _ in range(steps - 1):
            v = sampling.gibbs_step(self._machine, v, rng)
        return self.visible_mean(self.sample_hidden(v))

    # ------------------------------------------------------------------ scores
    def free_energy(self, v):
        """F(v) for a batch (N, n_features) -> (N,), with a stable softplus."""
        self._require_fitted()
        return sampling.free_energy(self._machine, self._validate_data(v, name="v"))

    def score_samples(self, X):
        """Pseudo-log-likelihood of each row of ``X`` (N,), as scikit-learn's: n_features *
        log sigmoid(F(X') - F(X)), X' being X with one randomly chosen unit i per row set to
        1 - X_i. For binary rows this is an unbiased stochastic estimate of
        sum_i log p(v_i | v_-i) (Besag 1975); other values in [0, 1] are used as they are. An int
        ``random_state`` chooses the same units at every call.

        Raises:
            NotImplementedError: for Gaussian visible units (no binary flip to compare with).
        """
        self._require_fitted()
        if self.visible != "bernoulli":
            raise NotImplementedError("score_samples: the pseudo-log-likelihood is defined here for "
                                      "Bernoulli visible units only; use reconstruction_error")
        v = self._validate_data(X)
        units = get_array_module(v).asarray(generator(self.random_state).integers(0, self.n_features_in_, len(v)))
        return sampling.pseudo_log_likelihood(self._machine, v, units)

    def reconstruct(self, v):
        """Visible means after one deterministic up-down pass: E[v | p(h | v)]."""
        self._require_fitted()
        return self.visible_mean(self.hidden_probabilities(self._validate_data(v, name="v")))

    def reconstruction_error(self, v):
        """Mean over rows of the squared error sum_i (v_i - reconstruct(v)_i)^2."""
        self._require_fitted()
        v = self._validate_data(v, name="v")
        return float(((v - self.reconstruct(v)) ** 2).sum(axis=1).mean())

    def transform(self, X):
        """Hidden probabilities p(h = 1 | X) (N, n_components), of the model's dtype: the
        features a DBN passes up."""
        self._require_fitted()
        return self.hidden_probabilities(self._validate_data(X))

    def fit_transform(self, X, y=None):
        """``fit(X).transform(X)``; ``y`` is ignored."""
        return self.fit(X).transform(X)

    # ------------------------------------------------------------------ learning
    def cd_gradient(self, v0):
        """The CD-k (or PCD-k) estimate of the gradient of the mean log-likelihood of the batch
        ``v0`` (N, n_features): (d components_, d intercept_visible_, d intercept_hidden_), as
        <h v>_data - <h v>_model with hidden probabilities (no weight cost or sparsity)."""
        self._require_fitted()
        return self._statistics(self._validate_data(v0, name="v0"))[0]

    def _statistics(self, v0):
        """((d W, d b, d c), p(h | v0)); PCD advances its chains, which keep ``batch_size`` rows
        whatever the data batch."""
        m, rng = self._machine, self.random_state_
        h0 = sampling.hidden_probabilities(m, v0)
        if self.persistent:
            if self._chains is None:
                self._chains = learning.start_chains(v0, self.batch_size, rng)
            vk, hk = learning.pcd_negative_phase(m, self._chains, self.k, rng)
            self._chains = vk
        else:
            vk, hk = learning.cd_negative_phase(m, h0, self.k, rng)
        return learning.statistics(v0, h0, vk, hk), h0

    def _update(self, v0):
        (grad_w, grad_b, grad_c), h0 = self._statistics(v0)
        grad_w = grad_w - self.weight_cost * self.components_
        if self.sparsity_target is not None:
            self._mean_hidden, pull = learning.sparsity_pull(self._mean_hidden, h0, self.sparsity_target,
                                                             self.sparsity_cost)
            grad_c = grad_c + pull
            grad_w = grad_w + pull[:, None] * v0.mean(axis=0)
        momentum = momentum_pair(self.momentum)[self._epoch >= self.momentum_switch]
        learning.momentum_step(self._parameters(), self._velocity, (grad_w, grad_b, grad_c), self.learning_rate,
                               momentum)

    def partial_fit(self, X, y=None):
        """One update on ``X`` (N, n_features) taken as a single mini-batch, as scikit-learn's
        (PCD chains keep ``batch_size`` rows); the first call initialises the model. ``y`` is
        ignored. Returns self."""
        X = self._initialise(X) if not hasattr(self, "components_") else self._validate_data(X)
        self._update(X)
        return self

    def fit(self, X, y=None):
        """Train from a new initialisation for ``n_iter`` epochs on ``X`` (N, n_features), in
        batches of ``batch_size`` rows shuffled each epoch; records reconstruction error and
        (Bernoulli) pseudo-log-likelihood of the first 1000 rows per epoch in ``history_``.
        ``y`` is ignored. Returns self."""
        X = self._initialise(X)
        xp = get_array_module(X)
        monitor = X[:1000]
        epochs = tqdm(range(self.n_iter), desc=f"RBM {self.n_features_in_}-{self.n_components}", disable=not self.verbose)
        for _ in epochs:
            shuffled = X[xp.asarray(self.random_state_.permutation(len(X)))]
            for start in range(0, len(X), self.batch_size):
                self._update(shuffled[start:start + self.batch_size])
            self._epoch += 1
            record = {"epoch": self._epoch, "reconstruction_error": self.reconstruction_error(monitor)}
            if self.visible == "bernoulli":
                record["pseudo_log_likelihood"] = float(self.score_samples(monitor).mean())
            self.history_.append(record)
            epochs.set_postfix({key: f"{value:.4g}" for key, value in record.items() if key != "epoch"})
        return self
