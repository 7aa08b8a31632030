"""The checks of the RBM estimator's arguments and data, run at ``fit`` as scikit-learn does.

Arguments that scikit-learn's ``BernoulliRBM`` also has raise :class:`InvalidParameterError`,
a ValueError and a TypeError as scikit-learn's own, so that code written for BernoulliRBM
catches them either way; tinyconv's further arguments raise what ``tinyconv.validation``
raises: TypeError for a wrong type, ValueError for a value out of range.
"""
import numbers

import numpy as np

from ..backend import get_array_module
from ..validation import float_dtype, integer, number, positive_int, positive_real, require_finite
from ..random import resolve_rng
from .sampling import VISIBLE_UNITS


class InvalidParameterError(ValueError, TypeError):
    """A bad argument of scikit-learn's BernoulliRBM (a ValueError and a TypeError, as
    scikit-learn's ``InvalidParameterError``)."""


def check_params(rbm):
    """Raise unless the constructor's arguments stored on ``rbm`` are valid (naming the
    argument, the expected and the actual value)."""
    try:
        positive_int("n_components", rbm.n_components)
        positive_real("learning_rate", rbm.learning_rate)
        positive_int("batch_size", rbm.batch_size)
        integer("n_iter", rbm.n_iter, low=0)
        if not isinstance(rbm.verbose, (bool, np.bool_)):
            integer("verbose", rbm.verbose, low=0)
        generator(rbm.random_state)
    except (TypeError, ValueError) as error:
        raise InvalidParameterError(str(error)) from None
    if rbm.visible not in VISIBLE_UNITS:
        raise ValueError(f"visible: expected one of {VISIBLE_UNITS}, got {rbm.visible!r}")
    positive_int("k", rbm.k)
    momentum_pair(rbm.momentum)
    integer("momentum_switch", rbm.momentum_switch, low=0)
    number("weight_cost", rbm.weight_cost, low=0, finite=True)
    number("sparsity_cost", rbm.sparsity_cost, low=0, finite=True)
    probability_or_none("sparsity_target", rbm.sparsity_target)
    if rbm.dtype is not None:
        float_dtype("dtype", rbm.dtype)


def generator(random_state):
    """A ``numpy.random.Generator`` from ``random_state``: a new one for an int seed, else the
    one given (None: the framework's default, through ``resolve_rng``).

    Raises:
        TypeError: another type (NumPy's legacy ``RandomState`` included). ValueError: a seed < 0.
    """
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return np.random.default_rng(integer("random_state", random_state, low=0))
    if random_state is not None and not isinstance(random_state, np.random.Generator):
        raise TypeError("random_state: expected None, a non-negative int or a numpy.random.Generator, got "
                        f"{type(random_state).__name__} (tinyconv draws from numpy Generators: use "
                        "np.random.default_rng(seed))")
    return resolve_rng(random_state, name="random_state")


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def momentum_pair(value):
    """``momentum`` as (initial, final): a float in [0, 1) or a pair of them.

    Raises:
        TypeError: not a number or a pair of numbers. ValueError: outside [0, 1).
    """
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    message = f"momentum: expected a float in [0, 1) or a pair of them, got {value!r}"
    if len(pair) != 2 or not all(_is_real(m) for m in pair):
        raise TypeError(message)
    if not all(0 <= m < 1 for m in pair):
        raise ValueError(message)
    return pair


def probability_or_none(name, value):
    """Raise TypeError unless ``value`` is None or a real number, ValueError unless it is in (0, 1)."""
    message = f"{name}: expected None or a probability in (0, 1), got {value!r}"
    if value is not None and not _is_real(value):
        raise TypeError(message)
    if value is not None and not 0 < value < 1:
        raise ValueError(message)


def check_data(X, name, visible, dtype, n_features=None, estimator="RBM"):
    """``X`` as a checked (N, n_features) array (NumPy or CuPy, as given) of ``dtype``, or, for
    ``dtype`` None, of scikit-learn's choice: float32 data stay float32, others become float64.
    ``n_features`` None accepts any number of columns; ``estimator`` names the model in errors.

    Raises:
        TypeError: a sparse matrix, or a ``dtype`` other than float32 and float64.
        ValueError: another rank, no rows or columns, complex, NaN or Inf, another number of
            features, or values outside [0, 1] for Bernoulli units.
    """
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
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but {estimator} is expecting {n_features} features "
                         "as input")
    if dtype is None:
        dtype = np.float32 if X.dtype == np.float32 else np.float64
    X = X.astype(float_dtype("dtype", dtype), copy=False)
    require_finite(name, X)
    if visible == "bernoulli" and (float(X.min()) < 0 or float(X.max()) > 1):
        raise ValueError(f"{name}: expected values in [0, 1] for Bernoulli visible units, "
                         f"got values in [{float(X.min())}, {float(X.max())}]")
    return X
