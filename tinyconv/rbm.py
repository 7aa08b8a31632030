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

Arrays are (N, n_visible) batches of float32 or float64, NumPy or CuPy; the random draws come
from a ``numpy.random.Generator`` (``rng``, default: the framework's seeded generator).
"""
import numpy as np
from tqdm.auto import tqdm

from .backend import get_array_module, to_numpy
from .random import resolve_rng

VISIBLE_UNITS = ("bernoulli", "gaussian")


def sigmoid(x):
    """Logistic function, without overflow for any magnitude."""
    xp = get_array_module(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1, e) / (1 + e)


def softplus(x):
    """log(1 + exp(x)), stable: max(x, 0) + log1p(exp(-|x|))."""
    xp = get_array_module(x)
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


class RBM:
    """A restricted Boltzmann machine with an estimator-style API (``fit``, ``partial_fit``,
    ``transform``, ``gibbs``, ``sample``, ``free_energy``, ``score_samples``, ``reconstruct``).

    Args:
        n_visible, n_hidden: layer sizes (positive ints).
        visible: "bernoulli" (data in [0, 1]) or "gaussian" (real data, best standardised; unit
            variance).
        k: Gibbs steps per update (CD-k / PCD-k), >= 1.
        persistent: PCD: the negative phase continues ``batch_size`` persistent chains. The chains
            must keep up with the model: PCD wants a smaller ``lr / (1 - momentum)`` than CD.
        lr: learning rate. momentum: (initial, final); the final value applies from epoch
            ``momentum_switch`` on (0-based).
        weight_cost: L2 penalty on W.
        sparsity_target, sparsity_cost: pull the running mean hidden probability towards the
            target (no sparsity when the target is None).
        batch_size, epochs: for ``fit``. dtype: float32 or float64. rng: numpy Generator.
        verbose: tqdm progress bar and a line of monitoring per epoch in ``fit``.

    Attributes (after the first fit): ``W`` (n_visible, n_hidden), ``visible_bias``,
    ``hidden_bias``, ``history`` (a dict per epoch: reconstruction error, pseudo-log-likelihood).

    Raises:
        ValueError: bad sizes or options, or data of the wrong shape, range or values.
    """

    def __init__(self, n_visible, n_hidden, visible="bernoulli", k=1, persistent=False, lr=0.1,
                 momentum=(0.5, 0.9), momentum_switch=5, weight_cost=1e-4, sparsity_target=None,
                 sparsity_cost=0.0, batch_size=100, epochs=10, dtype=np.float32, rng=None, verbose=False):
        for name, value in (("n_visible", n_visible), ("n_hidden", n_hidden), ("k", k),
                            ("batch_size", batch_size), ("epochs", epochs)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if visible not in VISIBLE_UNITS:
            raise ValueError(f"visible: expected one of {VISIBLE_UNITS}, got {visible!r}")
        if not lr > 0 or weight_cost < 0 or sparsity_cost < 0:
            raise ValueError(f"lr, weight_cost, sparsity_cost: expected > 0, >= 0, >= 0, got {lr}, {weight_cost}, {sparsity_cost}")
        if sparsity_target is not None and not 0 < sparsity_target < 1:
            raise ValueError(f"sparsity_target: expected a probability in (0, 1), got {sparsity_target}")
        self.n_visible, self.n_hidden, self.visible = n_visible, n_hidden, visible
        self.k, self.persistent, self.lr = k, persistent, lr
        self.momentum, self.momentum_switch, self.weight_cost = momentum, momentum_switch, weight_cost
        self.sparsity_target, self.sparsity_cost = sparsity_target, sparsity_cost
        self.batch_size, self.epochs, self.dtype = batch_size, epochs, np.dtype(dtype)
        self.rng, self.verbose = resolve_rng(rng), verbose
        self.W = None
        self.history = []

    # ------------------------------------------------------------------ set-up and checks
    def _check(self, v, name="X"):
        if getattr(v, "ndim", None) != 2 or v.shape[1] != self.n_visible:
            raise ValueError(f"{name}: expected an array (N, {self.n_visible}), got shape {getattr(v, 'shape', None)}")
        xp = get_array_module(v)
        v = v.astype(self.dtype, copy=False)
        if not bool(xp.isfinite(v).all()):
            raise ValueError(f"{name}: expected finite values, got NaN or Inf")
        if self.visible == "bernoulli" and v.size and (float(v.min()) < 0 or float(v.max()) > 1):
            raise ValueError(f"{name}: expected values in [0, 1] for Bernoulli visible units, "
                             f"got values in [{float(v.min())}, {float(v.max())}]")
        return v

    def _initialise(self, v):
        """W ~ N(0, 0.01^2); visible bias log(p / (1 - p)) (Bernoulli) or the data mean
        (Gaussian); hidden bias 0 (Hinton's guide, section 8)."""
        xp = get_array_module(v)
        self.W = xp.asarray(self.rng.normal(0, 0.01, (self.n_visible, self.n_hidden)), dtype=self.dtype)
        mean = v.mean(axis=0)
        if self.visible == "bernoulli":
            p = xp.clip(mean, 1e-3, 1 - 1e-3)
            self.visible_bias = xp.log(p / (1 - p)).astype(self.dtype)
        else:
            self.visible_bias = mean.astype(self.dtype)
        self.hidden_bias = xp.zeros(self.n_hidden, dtype=self.dtype)
        self._velocity = [xp.zeros_like(p) for p in (self.W, self.visible_bias, self.hidden_bias)]
        self._chains = None
        self._mean_hidden = None
        self._epoch = 0

    def state_dict(self):
        """The learned state as plain data (NumPy copies), for :func:`tinyconv.save`:
        ``W``, ``visible_bias``, ``hidden_bias``, ``velocity`` (three arrays), ``chains`` (PCD,
        or None), ``mean_hidden`` (sparsity, or None), ``epoch`` and ``history``. The options
        are the constructor's: build the RBM with the same ones before loading. An unfitted RBM
        gives None arrays."""
        if self.W is None:
            return dict(W=None, visible_bias=None, hidden_bias=None, velocity=[], chains=None,
                        mean_hidden=None, epoch=0, history=[])
        copy = lambda a: None if a is None else np.array(to_numpy(a), copy=True)  # noqa: E731
        return dict(W=copy(self.W), visible_bias=copy(self.visible_bias), hidden_bias=copy(self.hidden_bias),
                    velocity=[copy(v) for v in self._velocity], chains=copy(self._chains),
                    mean_hidden=copy(self._mean_hidden), epoch=self._epoch, history=list(self.history))

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` (on the CPU; arrays become this RBM's dtype).

        Raises:
            ValueError: listing every missing key and every array whose shape differs from
                this RBM's sizes; nothing is changed in that case.
        """
        shapes = dict(W=(self.n_visible, self.n_hidden), visible_bias=(self.n_visible,), hidden_bias=(self.n_hidden,))
        keys = list(shapes) + ["velocity", "chains", "mean_hidden", "epoch", "history"]
        problems = [f"missing: {key}" for key in keys if key not in state]
        if not problems and state["W"] is None:  # the state of an unfitted RBM
            self.W, self.history = None, []
            return
        problems += [f"{key}: expected shape {shape}, got {np.shape(state[key])}"
                     for key, shape in shapes.items() if key in state and np.shape(state[key]) != shape]
        if "velocity" in state and [np.shape(v) for v in state["velocity"]] != list(shapes.values()):
            problems.append(f"velocity: expected shapes {list(shapes.values())}, got {[np.shape(v) for v in state['velocity']]}")
        if problems:
            raise ValueError("RBM state does not match this RBM:\n  " + "\n  ".join(problems))
        array = lambda a: None if a is None else np.asarray(a, dtype=self.dtype).copy()  # noqa: E731
        self.W, self.visible_bias, self.hidden_bias = (array(state[key]) for key in shapes)
        self._velocity = [array(v) for v in state["velocity"]]
        self._chains, self._mean_hidden = array(state["chains"]), array(state["mean_hidden"])
        self._epoch, self.history = int(state["epoch"]), list(state["history"])

    def _require_fitted(self):
        if self.W is None:
            raise RuntimeError("this RBM is not fitted yet: call fit or partial_fit first")

    def _uniform(self, like, shape):
        return get_array_module(like).asarray(self.rng.random(shape, dtype=self.dtype))

    # ------------------------------------------------------------------ conditionals
    def hidden_probabilities(self, v):
        """p(h = 1 | v): (N, n_hidden)."""
        return sigmoid(v @ self.W + self.hidden_bias)

    def visible_mean(self, h):
        """E[v | h]: (N, n_visible); probabilities for Bernoulli units, means for Gaussian ones."""
        total = h @ self.W.T + self.visible_bias
        return sigmoid(total) if self.visible == "bernoulli" else total

    def sample_hidden(self, v):
        """Draw h ~ p(h | v) (0/1 values, the visible dtype)."""
        p = self.hidden_probabilities(v)
        return (self._uniform(p, p.shape) < p).astype(self.dtype)

    def sample_visible(self, h):
        """Draw v ~ p(v | h): Bernoulli draws, or the mean plus unit Gaussian noise."""
        mean = self.visible_mean(h)
        if self.visible == "bernoulli":
            return (self._uniform(mean, mean.shape) < mean).astype(self.dtype)
        noise = get_array_module(mean).asarray(self.rng.standard_normal(mean.shape, dtype=self.dtype))
        return mean + noise

    def gibbs(self, v):
        """One step of block Gibbs sampling: v -> h ~ p(h | v) -> v' ~ p(v | h). Returns v'."""
        self._require_fitted()
        return self.sample_visible(self.sample_hidden(self._check(v, "v")))

    def sample(self, n_samples, steps=1000, v=None):
        """Run ``n_samples`` Gibbs chains for ``steps`` steps, from ``v`` or from random
        visible states, and return the last visible means (N, n_visible)."""
        self._require_fitted()
        xp = get_array_module(self.W)
        if v is None:
            shape = (n_samples, self.n_visible)
            v = self._uniform(self.W, shape).round() if self.visible == "bernoulli" else \
                xp.asarray(self.rng.standard_normal(shape, dtype=self.dtype)) + self.visible_bias
        v = self._check(v, "v")
        for _ in range(steps - 1):
            v = self.sample_visible(self.sample_hidden(v))
        return self.visible_mean(self.sample_hidden(v))

    # ------------------------------------------------------------------ scores
    def free_energy(self, v):
        """F(v) for a batch (N, n_visible) -> (N,), with a stable softplus."""
        self._require_fitted()
        v = self._check(v, "v")
        hidden = softplus(v @ self.W + self.hidden_bias).sum(axis=1)
        if self.visible == "bernoulli":
            return -(v @ self.visible_bias) - hidden
        return 0.5 * ((v - self.visible_bias) ** 2).sum(axis=1) - hidden

    def score_samples(self, v):
        """Pseudo-log-likelihood of each row of ``v`` (N,): n_visible * log p(v_i | v_-i) for one
        randomly chosen unit i per row (an unbiased stochastic estimate of sum_i log p(v_i | v_-i);
        Besag 1975), for binary ``v`` and Bernoulli visible units.

        Raises:
            NotImplementedError: for Gaussian visible units (no binary flip to compare with).
        """
        if self.visible != "bernoulli":
            raise NotImplementedError("score_samples: the pseudo-log-likelihood is defined here for "
                                      "Bernoulli visible units only; use reconstruction_error")
        v = self._check(v, "v")
        xp = get_array_module(v)
        v = (v > 0.5).astype(self.dtype)
        units = xp.asarray(self.rng.integers(0, self.n_visible, len(v)))
        flipped = v.copy()
        rows = xp.arange(len(v))
        flipped[rows, units] = 1 - flipped[rows, units]
        return -self.n_visible * softplus(self.free_energy(v) - self.free_energy(flipped))

    def reconstruct(self, v):
        """Visible means after one deterministic up-down pass: E[v | p(h | v)]."""
        self._require_fitted()
        return self.visible_mean(self.hidden_probabilities(self._check(v, "v")))

    def reconstruction_error(self, v):
        """Mean over rows of the squared error sum_i (v_i - reconstruct(v)_i)^2."""
        v = self._check(v, "v")
        return float(((v - self.reconstruct(v)) ** 2).sum(axis=1).mean())

    def transform(self, X):
        """Hidden probabilities p(h = 1 | X): the features a DBN passes up, (N, n_hidden)."""
        self._require_fitted()
        return self.hidden_probabilities(self._check(X))

    # ------------------------------------------------------------------ learning
    def _negative_phase(self, v0, h0):
        """The model statistics' (v_k, p(h | v_k)): for CD-k, k steps from the data's hidden
        samples with visible means (Hinton's guide, section 3); for PCD, k full Gibbs steps of
        the persistent chains, which keep ``batch_size`` rows whatever the data batch."""
        if self.persistent:
            if self._chains is None:
                self._chains = v0[get_array_module(v0).asarray(self.rng.integers(0, len(v0), self.batch_size))]
            v = self._chains
            for _ in range(self.k):
                v = self.sample_visible(self.sample_hidden(v))
            self._chains = v
            return v, self.hidden_probabilities(v)
        h = (self._uniform(h0, h0.shape) < h0).astype(self.dtype)
        for step in range(self.k):
            v = self.visible_mean(h)
            h_prob = self.hidden_probabilities(v)
            if step < self.k - 1:
                h = (self._uniform(h_prob, h_prob.shape) < h_prob).astype(self.dtype)
        return v, h_prob

    def cd_gradient(self, v0):
        """The CD-k (or PCD-k) estimate of the gradient of the mean log-likelihood of the batch
        ``v0`` (N, n_visible): (dW, d visible_bias, d hidden_bias), as
        <v h>_data - <v h>_model with hidden probabilities (no weight cost or sparsity)."""
        self._require_fitted()
        return self._statistics(self._check(v0, "v0"))[0]

    def _statistics(self, v0):
        h0 = self.hidden_probabilities(v0)
        vk, hk = self._negative_phase(v0, h0)
        return (v0.T @ h0 / len(v0) - vk.T @ hk / len(vk),
                v0.mean(axis=0) - vk.mean(axis=0), h0.mean(axis=0) - hk.mean(axis=0)), h0

    def _update(self, v0):
        (grad_w, grad_b, grad_c), h0 = self._statistics(v0)
        grad_w = grad_w - self.weight_cost * self.W
        if self.sparsity_target is not None:
            q = h0.mean(axis=0)
            self._mean_hidden = q if self._mean_hidden is None else 0.9 * self._mean_hidden + 0.1 * q
            pull = self.sparsity_cost * (self.sparsity_target - self._mean_hidden)
            grad_c = grad_c + pull
            grad_w = grad_w + v0.mean(axis=0)[:, None] * pull
        momentum = self.momentum[self._epoch >= self.momentum_switch]
        for param, velocity, grad in zip((self.W, self.visible_bias, self.hidden_bias), self._velocity,
                                         (grad_w, grad_b, grad_c)):
            velocity *= momentum
            velocity += (self.lr * grad).astype(self.dtype, copy=False)
            param += velocity

    def partial_fit(self, X):
        """One pass of updates over ``X`` (N, n_visible) in batches of ``batch_size`` (the last
        batch may be smaller; PCD chains keep their size). Initialises on the first call."""
        X = self._check(X)
        if self.W is None:
            self._initialise(X)
        for start in range(0, len(X), self.batch_size):
            self._update(X[start:start + self.batch_size])
        return self

    def fit(self, X):
        """Train for ``epochs`` epochs on ``X`` (N, n_visible), shuffled each epoch with ``rng``;
        records reconstruction error and (Bernoulli) pseudo-log-likelihood per epoch in
        ``history``. Returns self."""
        X = self._check(X)
        if self.W is None:
            self._initialise(X)
        xp = get_array_module(X)
        monitor = X[:1000]
        epochs = tqdm(range(self.epochs), desc=f"RBM {self.n_visible}-{self.n_hidden}", disable=not self.verbose)
        for _ in epochs:
            self.partial_fit(X[xp.asarray(self.rng.permutation(len(X)))])
            self._epoch += 1
            record = {"epoch": self._epoch, "reconstruction_error": self.reconstruction_error(monitor)}
            if self.visible == "bernoulli":
                record["pseudo_log_likelihood"] = float(self.score_samples(monitor).mean())
            self.history.append(record)
            epochs.set_postfix({key: f"{value:.4g}" for key, value in record.items() if key != "epoch"})
        return self
