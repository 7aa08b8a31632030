"""What makes an RBM a scikit-learn estimator without importing scikit-learn: parameters
read from the constructor's signature (``get_params``, ``set_params``, ``repr``) and the
not-fitted error."""
import inspect


class NotFittedError(ValueError, AttributeError):
    """A fitted attribute or method of an estimator used before ``fit``; a ValueError and an
    AttributeError, as scikit-learn's ``NotFittedError``."""


class Estimator:
    """scikit-learn's estimator protocol: the constructor's arguments are stored as attributes
    of the same names, and ``fit`` sets ``components_``."""

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

    def _require_fitted(self):
        if not hasattr(self, "components_"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: call fit or partial_fit first")
