"""Optimizer base: holds the parameters, their per-parameter state, zero_grad and state_dict."""
import numbers

import numpy as np

from ..autograd import no_grad
from ..backend import get_array_module, to_device, to_numpy
from ..tensor import Tensor


def _describe(value):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{value.dtype} {tuple(value.shape)}"
    return f"{type(value).__name__} {value!r}"


class Optimizer:
    """Base of optimizers. Subclasses implement ``update(param, grad, state)`` on raw arrays and
    name their settings in ``hyperparameters``, the arrays of their per-parameter state in
    ``state_arrays`` (shaped like the parameter) and its int counters in ``state_counters``.
    They check their settings in ``check_hyperparameters`` (extending this class's), which both
    the constructor and :meth:`load_state_dict` use.

    Args:
        params: an iterable of Parameters (e.g. ``model.parameters()``).
        lr: learning rate (> 0); a plain attribute, so schedules may change it between steps.
        **hyperparameters: the subclass's other settings, named in ``hyperparameters``.

    Raises:
        TypeError: ``params`` is a Module or holds something other than a Tensor, or lr is not
            a real number.
        ValueError: no parameters, a parameter given twice, or lr <= 0.
    """

    hyperparameters = ("lr",)
    state_arrays = ()
    state_counters = ()

    def __init__(self, params, lr, **hyperparameters):
        if hasattr(params, "named_parameters"):
            raise TypeError(f"params: expected an iterable of Parameters (e.g. model.parameters()), "
                            f"got the {type(params).__name__} module itself")
        try:
            self.params = list(params)
        except TypeError:
            raise TypeError(f"params: expected an iterable of Parameters, got {type(params).__name__}") from None
        if not self.params:
            raise ValueError("params: expected at least one parameter, got an empty list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor):
                raise TypeError(f"params[{i}]: expected a Parameter (a Tensor), got {type(p).__name__}")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("params: expected each parameter once, got a parameter more than once")
        for name, value in self.check_hyperparameters(lr=lr, **hyperparameters).items():
            setattr(self, name, value)
        self.state = [{} for _ in self.params]

    def check_hyperparameters(self, lr, **others):
        """Return the settings as the optimizer keeps them (e.g. betas as a tuple), after
        checking them; the constructor and :meth:`load_state_dict` both call this.

        Raises:
            TypeError: lr is not a real number.
            ValueError: lr <= 0 or NaN.
        """
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise TypeError(f"lr: expected a positive number, got {type(lr).__name__}")
        if not lr > 0:
            raise ValueError(f"lr: expected a positive learning rate, got {lr}")
        return dict(lr=lr, **others)

    def zero_grad(self):
        """Reset the gradients of all parameters to None."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Update every parameter that has a gradient, in place (a gradient of another float
        dtype is cast to the parameter's, so the state keeps the parameter's dtype), and bump
        its ``_version``: a graph recorded before the step raises on backward instead of giving
        wrong gradients. State arrays follow their parameter: after ``model.to(device)`` they
        move at the next step.

        Raises:
            ValueError: a gradient whose shape differs from its parameter's.
            RuntimeError: a gradient on another device than its parameter.
        """
        with no_grad():
            for i, (p, state) in enumerate(zip(self.params, self.state)):
                grad, data = p.grad, p._data  # the array itself: writable even while a graph saved it
                if grad is None:
                    continue
                get_array_module(data, grad)  # same device
                for k in self.state_arrays:
                    if k in state and type(state[k]) is not type(data):
                        state[k] = to_device(state[k], p.device)
                if grad.shape != data.shape:
                    raise ValueError(f"params[{i}].grad: expected shape {tuple(p.shape)} like the parameter, "
                                     f"got {tuple(grad.shape)}")
                if grad.dtype != data.dtype:
                    grad = grad.astype(data.dtype)
                self.update(data, grad, state)
                p._bump_version()

    def update(self, param, grad, state):
        raise NotImplementedError

    def state_dict(self):
        """Return the optimizer's state as plain data (copies; NumPy arrays even on the GPU)::

            {"hyperparameters": {"lr": 0.001, ...},      # JSON-able numbers, lists, bools
             "state": [{"step": 3, "m": array, ...},     # one dict per parameter, in order;
                       {}, ...]}                         # {} for one never updated

        Arrays have the shape and dtype of their parameter.
        """
        hyper = {name: _plain(getattr(self, name)) for name in self.hyperparameters}
        state = [{k: (np.array(to_numpy(v), copy=True) if hasattr(v, "shape") else v) for k, v in s.items()}
                 for s in self.state]
        return {"hyperparameters": hyper, "state": state}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict` (hyperparameters such as ``lr`` included), copying the arrays
        onto each parameter's device.

        Raises:
            ValueError: listing every problem at once (unknown or missing keys, a state count
                that differs from the number of parameters, an array whose shape or dtype
                differs from its parameter's, a bad counter such as ``step``, a setting that
                the constructor would refuse, such as lr NaN or betas "xx"); nothing is changed
                in that case.
            TypeError: ``state_dict`` is not a dict.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict: expected a dict, got {type(state_dict).__name__}")
        problems = [f"unexpected: {k}" for k in state_dict if k not in ("hyperparameters", "state")]
        hyper = state_dict.get("hyperparameters", {})
        state = state_dict.get("state")
        if not isinstance(hyper, dict):
            problems.append(f"hyperparameters: expected a dict, got {type(hyper).__name__}")
            hyper = {}
        problems += [f"hyperparameters: unexpected: {k}" for k in hyper if k not in self.hyperparameters]
        settings = {name: hyper.get(name, getattr(self, name)) for name in self.hyperparameters}
        try:
            settings = self.check_hyperparameters(**settings)
        except (TypeError, ValueError) as e:
            problems.append(f"hyperparameters: {e}")
        if not isinstance(state, (list, tuple)) or len(state) != len(self.params):
            got = f"{len(state)} entries" if isinstance(state, (list, tuple)) else type(state).__name__
            problems.append(f"state: expected a list of {len(self.params)} entries (one per parameter), got {got}")
            state = ()
        for i, (p, s) in enumerate(zip(self.params, state)):
            problems += self._check_entry(f"state[{i}]", p, s)
        if problems:
            raise ValueError(f"{type(self).__name__} state_dict does not match the optimizer:\n  "
                             + "\n  ".join(problems))
        for name, value in settings.items():
            setattr(self, name, value)
        for i, (p, s) in enumerate(zip(self.params, state)):
            xp = get_array_module(p._data)
            self.state[i] = {k: (xp.array(v, copy=True) if k in self.state_arrays else int(v)) for k, v in s.items()}

    def _check_entry(self, where, param, entry):
        if not isinstance(entry, dict):
            return [f"{where}: expected a dict, got {type(entry).__name__}"]
        if not entry:
            return []
        problems = []
        allowed = self.state_arrays + self.state_counters
        problems += [f"{where}: unexpected: {k}" for k in entry if k not in allowed]
        problems += [f"{where}: missing: {k}" for k in allowed if k not in entry]
        for k in self.state_arrays:
            if k in entry:
                v = entry[k]
                if not hasattr(v, "shape") or tuple(v.shape) != tuple(param.shape) or v.dtype != param.dtype:
                    problems.append(f"{where}.{k}: expected {param.dtype} {tuple(param.shape)} like its "
                                    f"parameter, got {_describe(v)}")
        for k in self.state_counters:
            count = entry.get(k, 0)
            if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
                problems.append(f"{where}.{k}: expected a non-negative int, got {count!r}")
        return problems


def _plain(value):
    """A hyperparameter as JSON-able data (tuples become lists; NumPy scalars Python numbers)."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
