"""Optimizer base with PyTorch's interface: parameter groups, per-parameter state keyed by the
Parameter, ``zero_grad(set_to_none=True)``, ``step(closure=None)`` and a ``state_dict`` laid out
like PyTorch's."""
import numbers
from collections import defaultdict

import numpy as np

from ..autograd import enable_grad, no_grad
from ..backend import get_array_module, to_device, to_numpy
from ..tensor import Tensor
from ..validation import number

OLD_FORMAT = ("format of tinyconv 0.1 optimizers ('hyperparameters' and a list 'state'); optimizers now "
              "take PyTorch's ('state' and 'param_groups'): resume such a run with tinyconv 0.1")


def _describe(value):
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"{value.dtype} {tuple(value.shape)}"
    return f"{type(value).__name__} {value!r}"


def _unsupported(**flags):
    for name, value in flags.items():
        if value:
            raise NotImplementedError(f"{name}=True: tinyconv's optimizers have no {name} mode; leave it False")


class Optimizer:
    """Base of optimizers, as PyTorch's ``torch.optim.Optimizer``.

    Subclasses pass their validated ``defaults`` (a dict of settings) and implement
    ``update(param, grad, state, group)`` on raw arrays (``grad`` already negated under
    ``maximize``); they check settings in ``check_hyperparameters`` (used for every group, by
    the constructor, :meth:`add_param_group` and :meth:`load_state_dict`) and name the arrays
    and counters of a parameter's state in ``state_keys(group)``.

    Args:
        params: an iterable of Parameters (e.g. ``model.parameters()``), or of dicts, each a
            parameter group ``{"params": [...], "lr": ..., ...}`` whose missing settings are
            taken from ``defaults``.
        defaults: the optimizer's settings (``lr`` included).

    Attributes:
        param_groups: list of dicts, one per group: ``"params"`` (a list of Parameters) and
            every setting; schedules and users change e.g. ``param_groups[i]["lr"]``.
        state: dict from Parameter to its state (a dict; ``{}`` before its first update).
        defaults: the settings given to the constructor.

    Raises:
        TypeError: ``params`` is a Module or a set, or holds something other than a Tensor; a
            setting of the wrong type.
        ValueError: no parameters, a parameter given twice, or a setting out of range.
    """

    def __init__(self, params, defaults):
        if hasattr(params, "named_parameters"):
            raise TypeError(f"params: expected an iterable of Parameters (e.g. model.parameters()), "
                            f"got the {type(params).__name__} module itself")
        if isinstance(params, (set, frozenset)):
            raise TypeError("params: expected an ordered iterable of Parameters or dicts, got a set (its order "
                            "changes between runs)")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"params: expected an iterable of Parameters, got {type(params).__name__}") from None
        if not groups:
            raise ValueError("params: expected at least one parameter, got an empty list")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        for group in groups if isinstance(groups[0], dict) else [{"params": groups}]:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a parameter group (a dict with ``"params"`` and any settings; missing settings
        come from ``defaults``), e.g. to train layers unfrozen later.

        Raises:
            TypeError: ``param_group`` is not a dict, or its params are a set or hold
                something other than a Tensor.
            ValueError: a parameter already in a group (or given twice), or a bad setting.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group: expected a dict, got {type(param_group).__name__}")
        params = param_group.get("params", [])
        if isinstance(params, (set, frozenset)):
            raise TypeError("param_group['params']: expected an ordered iterable of Parameters, got a set")
        params = [params] if isinstance(params, Tensor) else list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"params[{i}]: expected a Parameter (a Tensor), got {type(p).__name__}")
        taken = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params} | taken) != len(params) + len(taken):
            raise ValueError("params: some parameters appear more than once or in more than one parameter group")
        group = dict(self.defaults, **{k: v for k, v in param_group.items() if k != "params"})
        group.update(self.check_hyperparameters(**{k: group[k] for k in self.defaults}))
        group["params"] = params
        self.param_groups.append(group)

    def check_hyperparameters(self, lr, **others):
        """Return the settings of a group as the optimizer keeps them (e.g. betas as a tuple),
        after checking them.

        Raises:
            TypeError: lr is not a real number.
            ValueError: lr < 0 or NaN.
        """
        return dict(lr=number("lr", lr, 0), **others)

    def state_keys(self, group):
        """The names of a parameter's state under ``group``: (arrays shaped like the parameter,
        int counters)."""
        raise NotImplementedError

    @property
    def params(self):
        """All parameters, group after group (tinyconv's shorthand)."""
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def lr(self):
        """The learning rate of every group (tinyconv's shorthand for ``param_groups[i]["lr"]``);
        setting it sets every group's. AttributeError when the groups' rates differ."""
        rates = {group["lr"] for group in self.param_groups}
        if len(rates) > 1:
            raise AttributeError("lr: the parameter groups have different learning rates; read "
                                 "optimizer.param_groups[i]['lr']")
        return rates.pop()

    @lr.setter
    def lr(self, value):
        for group in self.param_groups:
            group["lr"] = value

    def __getattr__(self, name):  # other settings, e.g. ``betas``, when every group agrees
        defaults = self.__dict__.get("defaults", {})
        values = [group[name] for group in self.__dict__.get("param_groups", [])] if name in defaults else []
        if not values or any(v != values[0] for v in values):
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}"
                                 + (f"; read optimizer.param_groups[i][{name!r}]" if values else ""))
        return values[0]

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to None (the default, as PyTorch 2.x), or with
        ``set_to_none=False`` fill them with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    p._grad.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient, in place (a gradient of another float
        dtype is cast to the parameter's, so the state keeps the parameter's dtype), and bump
        its ``_version``: a graph recorded before the step raises on backward instead of giving
        wrong gradients. State arrays follow their parameter: after ``model.to(device)`` they
        move at the next step.

        Args:
            closure: optional callable that recomputes the loss (zero_grad, forward, backward)
                and returns it; called with gradients enabled before the update.

        Returns:
            The closure's loss, or None without a closure.

        Raises:
            ValueError: a gradient whose shape differs from its parameter's.
            RuntimeError: a gradient on another device than its parameter.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p._grad is not None:
                        self._update_one(p, group)
        return loss

    def _update_one(self, p, group):
        grad, data = p._grad._data, p._data  # the array itself: writable even while a graph saved it
        get_array_module(data, grad)  # same device
        if grad.shape != data.shape:
            raise ValueError(f"{self._name(p)}.grad: expected shape {tuple(p.shape)} like the parameter, "
                             f"got {tuple(grad.shape)}")
        state = self.state[p]
        for k, v in state.items():
            if type(v) is not type(data) and hasattr(v, "shape"):
                state[k] = to_device(v, p.device)
        grad = grad.astype(data.dtype, copy=False)
        self.update(data, -grad if group.get("maximize") else grad, state, group)
        p._bump_version()

    def _name(self, p):
        return f"params[{next(i for i, q in enumerate(self.params) if q is p)}]"

    def update(self, param, grad, state, group):
        raise NotImplementedError

    def state_dict(self):
        """Return the optimizer's state laid out as PyTorch's (copies; NumPy arrays even on the
        GPU)::

            {"state": {0: {"step": 3, "exp_avg": array, ...}, ...},  # by parameter index,
                                                                     # only those updated
             "param_groups": [{"lr": 0.001, ..., "params": [0, 1]}, ...]}

        Parameters are numbered in order through the groups. Arrays have the shape and dtype
        of their parameter; counters are ints.
        """
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [{**{k: (v.item() if isinstance(v, np.generic) else v) for k, v in g.items() if k != "params"},
                   "params": [index[id(p)] for p in g["params"]]} for g in self.param_groups]
        state = {index[id(p)]: {k: (np.array(to_numpy(v), copy=True) if hasattr(v, "shape") else v)
                                for k, v in s.items()}
                 for p, s in self.state.items() if s and id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict` (settings such as ``lr`` included), copying the arrays
        onto each parameter's device.

        Raises:
            TypeError: ``state_dict`` is not a dict.
            ValueError: listing every problem at once (unknown or missing keys, groups that
                differ in number or size from this optimizer's, a setting the constructor would
                refuse, a state entry for no parameter, an array whose shape or dtype differs
                from its parameter's, a bad counter such as ``step``; also the format of
                tinyconv 0.1); nothing is changed in that case.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict: expected a dict, got {type(state_dict).__name__}")
        if "hyperparameters" in state_dict:
            raise ValueError(f"state_dict: got the {OLD_FORMAT}")
        problems = [f"unexpected: {k}" for k in state_dict if k not in ("state", "param_groups")]
        problems += [f"missing: {k}" for k in ("state", "param_groups") if k not in state_dict]
        groups = self._check_groups(state_dict.get("param_groups"), problems)
        state = state_dict.get("state", {})
        params = self.params
        if not isinstance(state, dict):
            problems.append(f"state: expected a dict from parameter index to state, got {type(state).__name__}")
            state = {}
        group_of = [g for g in groups or self.param_groups for _ in g["params"]]  # settings naming the state
        for i, entry in state.items():
            if isinstance(i, bool) or not isinstance(i, numbers.Integral) or not 0 <= i < len(params):
                problems.append(f"state: expected parameter indices 0..{len(params) - 1}, got {i!r}")
            else:
                problems += self._check_entry(f"state[{i}]", params[i], entry, group_of[i])
        if problems:
            raise ValueError(f"{type(self).__name__} state_dict does not match the optimizer:\n  "
                             + "\n  ".join(problems))
        self.param_groups = [dict(g, params=mine["params"]) for g, mine in zip(groups, self.param_groups)]
        self.state = defaultdict(dict)
        for i, entry in state.items():
            xp = get_array_module(params[i]._data)
            arrays, _ = self.state_keys(group_of[i])
            self.state[params[i]] = {k: (xp.array(v, copy=True) if k in arrays else int(v)) for k, v in entry.items()}

    def _check_groups(self, groups, problems):
        """The stored groups with checked settings (``[]`` and ``problems`` extended if wrong)."""
        if not isinstance(groups, list) or len(groups) != len(self.param_groups):
            got = f"{len(groups)}" if isinstance(groups, list) else type(groups).__name__
            problems.append(f"param_groups: expected {len(self.param_groups)} groups, got {got}")
            return []
        checked = []
        for i, (saved, mine) in enumerate(zip(groups, self.param_groups)):
            if not isinstance(saved, dict) or len(saved.get("params", ())) != len(mine["params"]):
                problems.append(f"param_groups[{i}]: expected a dict with {len(mine['params'])} params, got "
                                f"{_describe(saved) if not isinstance(saved, dict) else len(saved.get('params', ()))}")
                continue
            missing = [k for k in self.defaults if k not in saved]
            problems += [f"param_groups[{i}]: missing: {k}" for k in missing]
            try:
                settings = self.check_hyperparameters(**{k: saved.get(k, mine[k]) for k in self.defaults})
            except (TypeError, ValueError) as e:
                problems.append(f"param_groups[{i}]: {e}")
                continue
            checked.append(dict(saved, **settings))
        return checked if len(checked) == len(groups) else []

    def _check_entry(self, where, param, entry, group):
        if not isinstance(entry, dict):
            return [f"{where}: expected a dict, got {type(entry).__name__}"]
        arrays, counters = self.state_keys(group)
        problems = [f"{where}: unexpected: {k}" for k in entry if k not in arrays + counters]
        problems += [f"{where}: missing: {k}" for k in arrays + counters if k not in entry]
        for k in arrays:
            v = entry.get(k)
            if k in entry and (not hasattr(v, "shape") or tuple(v.shape) != tuple(param.shape)
                               or v.dtype != param.dtype):
                problems.append(f"{where}.{k}: expected {param.dtype} {tuple(param.shape)} like its "
                                f"parameter, got {_describe(v)}")
        for k in counters:
            count = entry.get(k, 0)
            if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
                problems.append(f"{where}.{k}: expected a non-negative int, got {count!r}")
        return problems
