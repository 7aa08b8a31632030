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
"""
import inspect
import numbers

import numpy as np
from tqdm.auto import tqdm

from .backend import get_array_module, to_numpy
from .validation import float_dtype, positive_int, require_finite
from .random import resolve_rng

VISIBLE_UNITS = ("bernoulli", "gaussian")


class NotFittedError(ValueError, AttributeError):
    """A fitted attribute or method of an estimator used before ``fit``; a ValueError and an
    AttributeError, as scikit-learn's ``NotFittedError``."""


def sigmoid(x):
    """Logistic function, without overflow for any magnitude."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


def softplus(x):
    """log(1 + exp(x)), stable: max(x, 0) + log1p(exp(-|x|))."""
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _number(name, value, low, high=np.inf, low_closed=True, kind="a float"):
    """Raise unless ``value`` is a real number (not a bool) in the interval from low to high."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected {kind}, got {type(value).__name__} {value!r}")
    if not ((value >= low) if low_closed else (value > low)) or not value < high:
        bounds = f">= {low}" if high == np.inf and low_closed else f"> {low}" if high == np.inf else \
            f"in [{low}, {high})"
        raise ValueError(f"{name}: expected {kind} {bounds}, got {value!r}")


def _integer(name, value, low):
    """Raise unless ``value`` is an int (not a bool) >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int >= {low}, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value}")


def _momentum_pair(value):
    """``momentum`` as (initial, final): a float in [0, 1) or a pair of them."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    try:
        if len(pair) != 2:
            raise ValueError
        for m in pair:
            _number("momentum", m, 0, 1)
    except (TypeError, ValueError):
        raise ValueError(f"momentum: expected a float in [0, 1) or a pair of them, got {value!r}") from None
    return pair


class RBM:
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
        ValueError, TypeError: bad arguments (at ``fit``), or data of the wrong shape, range or
            values (naming the argument, the expected and the actual value).
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

    # ------------------------------------------------------------------ scikit-learn's protocol
    @classmethod
    def _param_names(cls):
        return list(inspect.signature(cls).parameters)

    def get_params(self, deep=True):
        """The constructor's arguments as a dict (``deep`` is accepted for scikit-learn; an RBM
        holds no nested estimators)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set constructor arguments by name and return self.

        Raises:
            ValueError: a name that is not an argument of the constructor.
        """
        for name, value in params.items():
            if name not in self._param_names():
                raise ValueError(f"Invalid parameter {name!r} for estimator {self!r}. "
                                 f"Valid parameters are: {sorted(self._param_names())!r}.")
            setattr(self, name, value)
        return self

    def __repr__(self):
        defaults = {name: p.default for name, p in inspect.signature(type(self)).parameters.items()}
        changed = [f"{name}={value!r}" for name, value in self.get_params().items()
                   if value is not defaults[name] and not (type(value) is type(defaults[name]) and value == defaults[name])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def get_feature_names_out(self, input_features=None):
        """Output feature names, as scikit-learn's: ["rbm0", "rbm1", ...] (an object array)."""
        self._require_fitted()
        return np.asarray([f"rbm{i}" for i in range(self.n_components)], dtype=object)

    # ------------------------------------------------------------------ set-up and checks
    def _validate_params(self):
        positive_int("n_components", self.n_components)
        positive_int("batch_size", self.batch_size)
        positive_int("k", self.k)
        _integer("n_iter", self.n_iter, 0)
        _number("learning_rate", self.learning_rate, 0, low_closed=False)
        if self.visible not in VISIBLE_UNITS:
            raise ValueError(f"visible: expected one of {VISIBLE_UNITS}, got {self.visible!r}")
        _momentum_pair(self.momentum)
        _integer("momentum_switch", self.momentum_switch, 0)
        _number("weight_cost", self.weight_cost, 0)
        _number("sparsity_cost", self.sparsity_cost, 0)
        target = self.sparsity_target
        if target is not None and (isinstance(target, bool) or not isinstance(target, numbers.Real) or not 0 < target < 1):
            raise ValueError(f"sparsity_target: expected None or a probability in (0, 1), got {target!r}")
        if self.dtype is not None:
            float_dtype("dtype", self.dtype)
        self._generator()

    def _generator(self):
        """A generator from ``random_state``: a new one for an int, else the one given (None:
        the framework's default)."""
        seed = self.random_state
        if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
            _integer("random_state", seed, 0)
            return np.random.default_rng(int(seed))
        if seed is not None and not isinstance(seed, np.random.Generator):
            raise TypeError("random_state: expected None, an int >= 0 or a numpy.random.Generator, got "
                            f"{type(seed).__name__} (tinyconv draws from numpy Generators: use np.random.default_rng(seed))")
        return resolve_rng(seed)

    def _validate_data(self, X, reset=False, name="X"):
        """``X`` as a (N, n_features) array of the model's dtype, checked; ``reset`` (fit) takes
        n_features and the dtype from it."""
        if hasattr(X, "toarray"):  # SciPy or CuPy sparse matrices
            raise TypeError(f"{name}: expected a dense array, got a sparse matrix: use {name}.toarray()")
        xp = get_array_module(X)
        X = xp.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"{name}: expected a 2-D array (n_samples, n_features), got shape {X.shape}: Reshape "
                             f"your data with {name}.reshape(-1, 1) for one feature or {name}.reshape(1, -1) for one sample")
        if len(X) == 0:
            raise ValueError(f"{name}: expected at least 1 sample, got shape {X.shape}")
        if X.shape[1] == 0:
            raise ValueError(f"{name}: 0 feature(s) (shape={X.shape}) while a minimum of 1 is required.")
        if xp.iscomplexobj(X):
            raise ValueError(f"{name}: expected real values (Complex data not supported), got dtype {X.dtype}")
        if reset:
            self._dtype = float_dtype("dtype", self.dtype) if self.dtype is not None else \
                np.dtype(np.float32 if X.dtype == np.float32 else np.float64)
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(f"{name} has {X.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        X = X.astype(self._dtype, copy=False)
        require_finite(name, X)
        if self.visible == "bernoulli" and (float(X.min()) < 0 or float(X.max()) > 1):
            raise ValueError(f"{name}: expected values in [0, 1] for Bernoulli visible units, "
                             f"got values in [{float(X.min())}, {float(X.max())}]")
        return X

    def _initialise(self, X):
        """Check the arguments and start from Hinton's guide (section 8): W ~ N(0, 0.01^2);
        visible bias log(p / (1 - p)) (Bernoulli) or the data mean (Gaussian); hidden bias 0."""
        self._validate_params()
        self.random_state_ = self._generator()
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

    def state_dict(self):
        """The learned state as plain data (NumPy copies), for :func:`tinyconv.save`:
        ``components``, ``intercept_visible``, ``intercept_hidden``, ``velocity`` (three arrays),
        ``chains`` (PCD, or None), ``mean_hidden`` (sparsity, or None), ``epoch`` and
        ``history``. The options are the constructor's: build the RBM with the same ones before
        loading. An unfitted RBM gives None arrays."""
        if not hasattr(self, "components_"):
            return dict(components=None, intercept_visible=None, intercept_hidden=None, velocity=[], chains=None,
                        mean_hidden=None, epoch=0, history=[])
        copy = lambda a: None if a is None else np.array(to_numpy(a), copy=True)  # noqa: E731
        return dict(components=copy(self.components_), intercept_visible=copy(self.intercept_visible_),
                    intercept_hidden=copy(self.intercept_hidden_), velocity=[copy(v) for v in self._velocity],
                    chains=copy(self._chains), mean_hidden=copy(self._mean_hidden), epoch=self._epoch,
                    history=list(self.history_))

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` (on the CPU, in its dtype unless ``dtype`` is set);
        n_features comes from the state.

        Raises:
            ValueError: listing every missing key and every array whose shape differs from
                this RBM's ``n_components`` or from the state's n_features; nothing is changed
                in that case.
        """
        keys = ["components", "intercept_visible", "intercept_hidden", "velocity", "chains", "mean_hidden", "epoch",
                "history"]
        problems = [f"missing: {key}" for key in keys if key not in state]
        if not problems and state["components"] is None:  # the state of an unfitted RBM
            for name in ("components_", "intercept_visible_", "intercept_hidden_", "n_features_in_", "history_"):
                self.__dict__.pop(name, None)
            return
        n_features = np.shape(state.get("components"))[-1]
        shapes = dict(components=(self.n_components, n_features), intercept_visible=(n_features,),
                      intercept_hidden=(self.n_components,))
        problems += [f"{key}: expected shape {shape}, got {np.shape(state[key])}".replace(
                         f"({self.n_components}, {n_features})", f"({self.n_components}, n_features)")
                     for key, shape in shapes.items() if key in state and np.shape(state[key]) != shape]
        if "velocity" in state and [np.shape(v) for v in state["velocity"]] != list(shapes.values()):
            problems.append(f"velocity: expected shapes {list(shapes.values())}, got {[np.shape(v) for v in state['velocity']]}")
        if problems:
            raise ValueError("RBM state does not match this RBM:\n  " + "\n  ".join(problems))
        self._dtype = float_dtype("dtype", self.dtype) if self.dtype is not None else np.asarray(state["components"]).dtype
        array = lambda a: None if a is None else np.asarray(a, dtype=self._dtype).copy()  # noqa: E731
        self.components_, self.intercept_visible_, self.intercept_hidden_ = (array(state[key]) for key in shapes)
        self.n_features_in_ = n_features
        self._velocity = [array(v) for v in state["velocity"]]
        self._chains, self._mean_hidden = array(state["chains"]), array(state["mean_hidden"])
        self._epoch, self.history_ = int(state["epoch"]), list(state["history"])
        if not hasattr(self, "random_state_"):
            self.random_state_ = self._generator()

    def _require_fitted(self):
        if not hasattr(self, "components_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: call fit or partial_fit first")

    def _uniform(self, like, shape):
        return get_array_module(like).asarray(self.random_state_.random(shape, dtype=self._dtype))

    # ------------------------------------------------------------------ conditionals
    def hidden_probabilities(self, v):
        """p(h = 1 | v): (N, n_components)."""
        return sigmoid(v @ self.components_.T + self.intercept_hidden_)

    def visible_mean(self, h):
        """E[v | h]: (N, n_features); probabilities for Bernoulli units, means for Gaussian ones."""
        total = h @ self.components_ + self.intercept_visible_
        return sigmoid(total) if self.visible == "bernoulli" else total

    def sample_hidden(self, v):
        """Draw h ~ p(h | v) (0/1 values, the visible dtype)."""
        p = self.hidden_probabilities(v)
        return (self._uniform(p, p.shape) < p).astype(self._dtype)

    def sample_visible(self, h):
        """Draw v ~ p(v | h): Bernoulli draws, or the mean plus unit Gaussian noise."""
        mean = self.visible_mean(h)
        if self.visible == "bernoulli":
            return (self._uniform(mean, mean.shape) < mean).astype(self._dtype)
        noise = get_array_module(mean).asarray(self.random_state_.standard_normal(mean.shape, dtype=self._dtype))
        return mean + noise

    def gibbs(self, v):
        """One step of block Gibbs sampling, as scikit-learn's: v -> h ~ p(h | v) -> v' ~ p(v | h).

        Args:
            v: (N, n_features) visible states.
        Returns:
            v' (N, n_features): 0/1 draws (Bernoulli), or real draws (Gaussian).
        """
        self._require_fitted()
        return self.sample_visible(self.sample_hidden(self._validate_data(v, name="v")))

    def sample(self, n_samples, steps=1000, v=None):
        """Run ``n_samples`` Gibbs chains for ``steps`` steps, from ``v`` or from random
        visible states, and return the last visible means (N, n_features)."""
        self._require_fitted()
        xp = get_array_module(self.components_)
        if v is None:
            shape = (n_samples, self.n_features_in_)
            v = self._uniform(self.components_, shape).round() if self.visible == "bernoulli" else \
                xp.asarray(self.random_state_.standard_normal(shape, dtype=self._dtype)) + self.intercept_visible_
        v = self._validate_data(v, name="v")
        for _ in range(steps - 1):
            v = self.sample_visible(self.sample_hidden(v))
        return self.visible_mean(self.sample_hidden(v))

    # ------------------------------------------------------------------ scores
    def free_energy(self, v):
        """F(v) for a batch (N, n_features) -> (N,), with a stable softplus."""
        self._require_fitted()
        v = self._validate_data(v, name="v")
        hidden = softplus(v @ self.components_.T + self.intercept_hidden_).sum(axis=1)
        if self.visible == "bernoulli":
            return -(v @ self.intercept_visible_) - hidden
        return 0.5 * ((v - self.intercept_visible_) ** 2).sum(axis=1) - hidden

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
        xp = get_array_module(v)
        units = xp.asarray(self._generator().integers(0, self.n_features_in_, len(v)))
        flipped = v.copy()
        rows = xp.arange(len(v))
        flipped[rows, units] = 1 - flipped[rows, units]
        return -self.n_features_in_ * softplus(self.free_energy(v) - self.free_energy(flipped))

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
    def _negative_phase(self, v0, h0):
        """The model statistics' (v_k, p(h | v_k)): for CD-k, k steps from the data's hidden
        samples with visible means (Hinton's guide, section 3); for PCD, k full Gibbs steps of
        the persistent chains, which keep ``batch_size`` rows whatever the data batch."""
        if self.persistent:
            if self._chains is None:
                self._chains = v0[get_array_module(v0).asarray(self.random_state_.integers(0, len(v0), self.batch_size))]
            v = self._chains
            for _ in range(self.k):
                v = self.sample_visible(self.sample_hidden(v))
            self._chains = v
            return v, self.hidden_probabilities(v)
        h = (self._uniform(h0, h0.shape) < h0).astype(self._dtype)
        for step in range(self.k):
            v = self.visible_mean(h)
            h_prob = self.hidden_probabilities(v)
            if step < self.k - 1:
                h = (self._uniform(h_prob, h_prob.shape) < h_prob).astype(self._dtype)
        return v, h_prob

    def cd_gradient(self, v0):
        """The CD-k (or PCD-k) estimate of the gradient of the mean log-likelihood of the batch
        ``v0`` (N, n_features): (d components_, d intercept_visible_, d intercept_hidden_), as
        <h v>_data - <h v>_model with hidden probabilities (no weight cost or sparsity)."""
        self._require_fitted()
        return self._statistics(self._validate_data(v0, name="v0"))[0]

    def _statistics(self, v0):
        h0 = self.hidden_probabilities(v0)
        vk, hk = self._negative_phase(v0, h0)
        return ((v0.T @ h0 / len(v0) - vk.T @ hk / len(vk)).T,
                v0.mean(axis=0) - vk.mean(axis=0), h0.mean(axis=0) - hk.mean(axis=0)), h0

    def _update(self, v0):
        (grad_w, grad_b, grad_c), h0 = self._statistics(v0)
        grad_w = grad_w - self.weight_cost * self.components_
        if self.sparsity_target is not None:
            q = h0.mean(axis=0)
            self._mean_hidden = q if self._mean_hidden is None else 0.9 * self._mean_hidden + 0.1 * q
            pull = self.sparsity_cost * (self.sparsity_target - self._mean_hidden)
            grad_c = grad_c + pull
            grad_w = grad_w + pull[:, None] * v0.mean(axis=0)
        momentum = _momentum_pair(self.momentum)[self._epoch >= self.momentum_switch]
        for param, velocity, grad in zip(self._parameters(), self._velocity, (grad_w, grad_b, grad_c)):
            velocity *= momentum
            velocity += (self.learning_rate * grad).astype(self._dtype, copy=False)
            param += velocity

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
