"""Learning-rate schedules with PyTorch's interface (``tinyconv.optim.lr_scheduler``): build one
on an optimizer (it sets every parameter group's ``lr`` for epoch 0 at once), call ``step()``
once per epoch (once per batch for :class:`OneCycleLR`; ``ReduceLROnPlateau.step(metric)`` with
the monitored value), read ``get_last_lr()`` (one lr per group). Each schedule multiplies or sets
the groups' ``lr`` by PyTorch's own (chainable) formulas and checkpoints through ``state_dict()``."""
import math
import numbers
from collections import Counter

from ..validation import integer, number
from .optimizer import Optimizer


def _per_group(name, value, optimizer, **bounds):
    """``value`` (a number, or a list with one number per group) as a list per group."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{name}: expected {groups} values (one per parameter group), got {len(value)}")
        return [number(f"{name}[{i}]", v, **bounds) for i, v in enumerate(value)]
    return [number(name, value, **bounds)] * groups


def _kind(value):
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return "a number"
    return {list: "a list", tuple: "a list", dict: "a dict", Counter: "a dict"}.get(type(value), type(value).__name__)


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer: expected a tinyconv.optim Optimizer, got {type(optimizer).__name__}")


class LRScheduler:
    """Base of the schedules, as PyTorch's ``torch.optim.lr_scheduler.LRScheduler``.

    ``last_epoch`` counts the calls to ``step()`` (0 after construction); ``base_lrs`` holds
    each group's ``initial_lr`` (set to its lr when ``last_epoch`` is -1). Subclasses compute
    the groups' next lrs in ``get_lr()`` and name their settings in ``settings``.

    Raises:
        TypeError: ``optimizer`` is not a tinyconv optimizer; ``last_epoch`` not an int.
        KeyError: resuming (``last_epoch`` >= 0) with a group without ``initial_lr``.
    """

    settings = ()

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.last_epoch = integer("last_epoch", last_epoch, -1)
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{i}] when resuming an "
                               f"optimizer (last_epoch={last_epoch})")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self._step_count = 0
        self.step()

    def get_last_lr(self):
        """The learning rates set by the last ``step()``: a list, one per parameter group."""
        return list(self._last_lr)

    def get_lr(self):
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance one epoch and set every group's lr to the schedule's value there.

        Raises:
            NotImplementedError: ``epoch`` given (deprecated in PyTorch; not in tinyconv).
        """
        if epoch is not None:
            raise NotImplementedError("step(epoch): tinyconv's schedules have no epoch argument (deprecated in "
                                      "PyTorch); call step() once per epoch, or build with last_epoch=")
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _state_keys(self):
        return self.settings + ("base_lrs", "last_epoch", "_step_count", "_last_lr")

    def state_dict(self):
        """The schedule's settings and counters as plain data (numbers, strs, lists, dicts);
        the optimizer's own state, lrs included, is saved by the optimizer."""
        return {k: _plain(getattr(self, k)) for k in self._state_keys()}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict`.

        Raises:
            TypeError: ``state_dict`` is not a dict.
            ValueError: unknown or missing keys, or a value of another kind (number, str,
                list, dict) than the schedule's; every problem is listed at once and nothing
                is changed.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict: expected a dict, got {type(state_dict).__name__}")
        expected = self._state_keys()
        problems = [f"unexpected: {k}" for k in state_dict if k not in expected]
        problems += [f"missing: {k}" for k in expected if k not in state_dict]
        problems += [f"{k}: expected {_kind(getattr(self, k))}, got {_kind(v)}" for k, v in state_dict.items()
                     if k in expected and _kind(v) != _kind(getattr(self, k))]
        if problems:
            raise ValueError(f"{type(self).__name__} state_dict does not match the schedule:\n  "
                             + "\n  ".join(problems))
        for k in expected:
            setattr(self, k, _restored(getattr(self, k), state_dict[k]))


def _plain(value):
    if isinstance(value, Counter):
        return dict(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value.item() if hasattr(value, "item") else value


def _restored(current, value):
    if isinstance(current, Counter):
        return Counter({int(k): int(v) for k, v in value.items()})
    return _plain(value)


class StepLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` every ``step_size`` epochs
    (lr = base_lr * gamma ** floor(epoch / step_size) when nothing else changes it).

    Raises:
        TypeError: step_size not an int, gamma not a number.
        ValueError: step_size < 1 or gamma <= 0.
    """

    settings = ("step_size", "gamma")

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = integer("step_size", step_size, 1)
        self.gamma = number("gamma", gamma, 0, low_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        cut = self.last_epoch != 0 and self.last_epoch % self.step_size == 0
        return [g["lr"] * (self.gamma if cut else 1) for g in self.optimizer.param_groups]


class MultiStepLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` at each epoch in ``milestones`` (by gamma ** k for
    a milestone listed k times).

    Raises:
        TypeError: milestones not ints, gamma not a number.
        ValueError: a negative milestone or gamma <= 0.
    """

    settings = ("milestones", "gamma")

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = Counter(integer("milestones[]", m, 0) for m in milestones)
        self.gamma = number("gamma", gamma, 0, low_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        factor = self.gamma ** self.milestones.get(self.last_epoch, 0)
        return [g["lr"] * factor for g in self.optimizer.param_groups]


class ExponentialLR(LRScheduler):
    """Multiply each group's lr by ``gamma`` every epoch (lr = base_lr * gamma ** epoch).

    Raises:
        TypeError: gamma not a number.
        ValueError: gamma <= 0.
    """

    settings = ("gamma",)

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = number("gamma", gamma, 0, low_open=True)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [g["lr"] * (self.gamma if self.last_epoch else 1) for g in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (Loshchilov &
    Hutter 2017, SGDR, without restarts): from base_lr down to eta_min at epoch T_max, and back
    up over the next T_max epochs, computed by PyTorch's recursion from the current lr.

    Raises:
        TypeError: T_max not an int, eta_min not a number.
        ValueError: T_max < 1 or eta_min < 0.
    """

    settings = ("T_max", "eta_min")

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max = integer("T_max", T_max, 1)
        self.eta_min = number("eta_min", eta_min, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        pairs = list(zip(self.optimizer.param_groups, self.base_lrs))
        if t == 0:
            return [g["lr"] for g, _ in pairs]
        if self._step_count == 1:  # resuming at last_epoch > 0: the closed form
            return [low + (base - low) * (1 + math.cos(math.pi * t / T)) / 2 for _, base in pairs]
        if (t - 1 - T) % (2 * T) == 0:
            return [g["lr"] + (base - low) * (1 - math.cos(math.pi / T)) / 2 for g, base in pairs]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (g["lr"] - low) + low for g, _ in pairs]


class LinearLR(LRScheduler):
    """Scale each group's lr linearly from ``start_factor`` * lr to ``end_factor`` * lr over
    ``total_iters`` epochs, then keep it (a warm-up).

    Raises:
        TypeError: a factor not a number, total_iters not an int.
        ValueError: start_factor outside (0, 1], end_factor outside [0, 1], total_iters < 0.
    """

    settings = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        self.start_factor = number("start_factor", start_factor, 0, 1, low_open=True)
        self.end_factor = number("end_factor", end_factor, 0, 1)
        self.total_iters = integer("total_iters", total_iters, 0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, a, b = self.last_epoch, self.start_factor, self.end_factor
        if t == 0:
            factor = a
        elif t > self.total_iters:
            factor = 1.0
        else:
            factor = 1.0 + (b - a) / (self.total_iters * a + (t - 1) * (b - a))
        return [g["lr"] * factor for g in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), with one function for all groups or one per group.
    The functions are not part of ``state_dict()`` (saved as None, as PyTorch does for plain
    functions): build the schedule with the same functions before loading.

    Raises:
        TypeError: a lr_lambda that is not callable.
        ValueError: a list of lr_lambda whose length differs from the number of groups.
    """

    settings = ("lr_lambdas",)

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"lr_lambda: expected {groups} functions (one per parameter group), got {len(lambdas)}")
        for f in lambdas:
            if not callable(f):
                raise TypeError(f"lr_lambda: expected a function of the epoch, got {type(f).__name__}")
        self._lambdas = lambdas
        self.lr_lambdas = [None] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self._lambdas)]


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin 2017, arXiv:1708.07120), stepped once per batch: lr rises
    from max_lr / div_factor to ``max_lr`` over the first ``pct_start`` of ``total_steps``, then
    falls to max_lr / (div_factor * final_div_factor) (with ``three_phase``: back to the start,
    then down to the minimum), annealed by cosine or linearly; with ``cycle_momentum`` the
    momentum (or Adam's beta1) moves the other way between ``max_momentum`` and
    ``base_momentum``. Sets the groups' ``initial_lr``, ``max_lr``, ``min_lr`` (and
    ``max_momentum``, ``base_momentum``) as PyTorch does.

    Raises:
        ValueError: neither total_steps nor epochs and steps_per_epoch, a bad pct_start,
            anneal_strategy or max_lr list, cycle_momentum on an optimizer without momentum or
            betas, or stepping past total_steps.
        TypeError: a setting of the wrong type.
    """

    settings = ("total_steps", "anneal_strategy", "cycle_momentum", "use_beta1", "phases")

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        if total_steps is None and (epochs is None or steps_per_epoch is None):
            raise ValueError("total_steps: expected total_steps, or epochs and steps_per_epoch, got none")
        self.total_steps = integer("total_steps", total_steps, 1) if total_steps is not None else \
            integer("epochs", epochs, 1) * integer("steps_per_epoch", steps_per_epoch, 1)
        pct_start = number("pct_start", pct_start, 0, 1)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy: expected 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.phases = self._phases(pct_start * self.total_steps, three_phase)
        max_lrs = _per_group("max_lr", max_lr, optimizer, low=0)
        div_factor = number("div_factor", div_factor, 0, low_open=True)
        final_div_factor = number("final_div_factor", final_div_factor, 0, low_open=True)
        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum and not (self.use_beta1 or "momentum" in optimizer.defaults):
            raise ValueError("cycle_momentum: the optimizer has neither momentum nor betas; pass cycle_momentum=False")
        highs = _per_group("max_momentum", max_momentum, optimizer, low=0)
        lows = _per_group("base_momentum", base_momentum, optimizer, low=0)
        if last_epoch == -1:
            for group, top, high, low in zip(optimizer.param_groups, max_lrs, highs, lows):
                group.update(initial_lr=top / div_factor, max_lr=top, min_lr=top / div_factor / final_div_factor)
                if self.cycle_momentum:
                    group.update(max_momentum=high, base_momentum=low)
                    self._set_momentum(group, high)
        super().__init__(optimizer, last_epoch)

    def _phases(self, rise, three_phase):
        end = self.total_steps - 1
        if three_phase:
            return [[rise - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                    [2 * rise - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"],
                    [end, "initial_lr", "min_lr", "max_momentum", "max_momentum"]]
        return [[rise - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [end, "max_lr", "min_lr", "base_momentum", "max_momentum"]]

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"step: tried to step {t} times; OneCycleLR was built for total_steps={self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            begin = 0.0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self.phases):
                if t <= end or i == len(self.phases) - 1:
                    pct = (t - begin) / (end - begin)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                begin = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply each group's lr by ``factor`` once the monitored metric has not improved for more
    than ``patience`` epochs, then wait ``cooldown`` epochs before counting bad epochs again;
    never below ``min_lr`` (a number, or one per group), and no cut that would change lr by
    ``eps`` or less. Improvement: in mode "min" a metric < best * (1 - threshold)
    (``threshold_mode="rel"``) or < best - threshold ("abs"); in mode "max" > best * (1 +
    threshold) or > best + threshold.

    Raises:
        ValueError: mode not "min" or "max", threshold_mode not "rel" or "abs", factor outside
            (0, 1), threshold, patience, cooldown, min_lr or eps negative, or a min_lr list
            whose length differs from the number of groups.
        TypeError: a setting of the wrong type.
    """

    settings = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lrs", "eps",
                "best", "num_bad_epochs", "cooldown_counter")

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"mode: expected 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode: expected 'rel' or 'abs', got {threshold_mode!r}")
        self.optimizer, self.mode, self.threshold_mode = optimizer, mode, threshold_mode
        self.factor = number("factor", factor, 0, 1, low_open=True, high_open=True)
        self.patience = integer("patience", patience, 0)
        self.threshold = number("threshold", threshold, 0)
        self.cooldown = integer("cooldown", cooldown, 0)
        self.min_lrs = _per_group("min_lr", min_lr, optimizer, low=0)
        self.eps = number("eps", eps, 0)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = self._step_count = 0
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self._last_lr = list(self.base_lrs)

    def _better(self, value):
        if self.threshold_mode == "rel":
            scale = 1 - self.threshold if self.mode == "min" else 1 + self.threshold
            bound = self.best * scale
        else:
            bound = self.best - self.threshold if self.mode == "min" else self.best + self.threshold
        return value < bound if self.mode == "min" else value > bound

    def step(self, metrics):
        """Record one epoch's metric (a number, or a one-element Tensor/array) and reduce the
        groups' lrs if it has plateaued.

        Raises:
            TypeError: ``metrics`` is not a number.
            ValueError: ``metrics`` is NaN.
        """
        value = metrics.item() if hasattr(metrics, "item") else metrics
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"metrics: expected a number, got {type(metrics).__name__}")
        if value != value:
            raise ValueError("metrics: expected a number, got nan")
        value = float(value)
        self._step_count += 1
        self.last_epoch += 1
        if self._better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, low)
                if group["lr"] - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]
