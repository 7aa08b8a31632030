"""Learning-rate schedules with PyTorch's interface: build one on an optimizer, call ``step()``
once per epoch (``ReduceLROnPlateau.step(metric)`` with the monitored value), read
``get_last_lr()``. Each sets the optimizer's ``lr`` and checkpoints through ``state_dict()``."""
import math
import numbers

from .optimizer import Optimizer


def _number(name, value, low=None, high=None, low_open=False, high_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {value!r}")
    bad = (value != value or (low is not None and (value <= low if low_open else value < low))
           or (high is not None and (value >= high if high_open else value > high)))
    if bad:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high}"
        raise ValueError(f"{name}: expected a number {' and '.join(x for x in (lo, hi) if x)}, got {value}")
    return value


def _integer(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {value!r}")
    if value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value}")
    return int(value)


class LRScheduler:
    """Base of the schedules: ``last_epoch`` counts the calls to ``step()`` (0 after
    construction) and ``base_lr`` is the optimizer's lr at construction. Subclasses name their
    settings and counters in ``state_keys`` (all plain numbers or strs)."""

    state_keys = ("base_lr", "last_epoch")

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer: expected a tinyconv.optim Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._last_lr = [optimizer.lr]

    def get_last_lr(self):
        """The learning rate set by the last ``step()`` (the initial one before any), as a list
        with one entry (one parameter group), like PyTorch's."""
        return list(self._last_lr)

    def _set_lr(self, lr):
        self.optimizer.lr = lr
        self._last_lr = [lr]

    def state_dict(self):
        """The schedule's settings and counters as a dict of plain numbers and strs (the
        optimizer's own state, lr included, is saved by the optimizer)."""
        state = {k: getattr(self, k) for k in self.state_keys}
        state["last_lr"] = self._last_lr[0]
        return state

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict`.

        Raises:
            TypeError: ``state_dict`` is not a dict.
            ValueError: unknown or missing keys, or a value that is not a number or str; every
                problem is listed at once and nothing is changed.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict: expected a dict, got {type(state_dict).__name__}")
        expected = self.state_keys + ("last_lr",)
        problems = [f"unexpected: {k}" for k in state_dict if k not in expected]
        problems += [f"missing: {k}" for k in expected if k not in state_dict]
        problems += [f"{k}: expected a number or str, got {type(v).__name__}" for k, v in state_dict.items()
                     if k in expected and (isinstance(v, bool) or not isinstance(v, (numbers.Real, str)))]
        if problems:
            raise ValueError(f"{type(self).__name__} state_dict does not match the schedule:\n  "
                             + "\n  ".join(problems))
        for k in self.state_keys:
            v = state_dict[k]
            setattr(self, k, v.item() if hasattr(v, "item") else v)
        last = state_dict["last_lr"]
        self._last_lr = [last.item() if hasattr(last, "item") else last]

    def step(self):
        """Advance one epoch and set the optimizer's lr to the schedule's value there."""
        self.last_epoch += 1
        self._set_lr(self.lr_at(self.last_epoch))

    def lr_at(self, epoch):
        raise NotImplementedError


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** floor(epoch / step_size).

    Raises:
        TypeError: step_size not an int, gamma not a number.
        ValueError: step_size < 1 or gamma <= 0.
    """

    state_keys = LRScheduler.state_keys + ("step_size", "gamma")

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = _integer("step_size", step_size, 1)
        self.gamma = _number("gamma", gamma, 0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch.

    Raises:
        TypeError: gamma not a number.
        ValueError: gamma <= 0.
    """

    state_keys = LRScheduler.state_keys + ("gamma",)

    def __init__(self, optimizer, gamma):
        self.gamma = _number("gamma", gamma, 0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2 (Loshchilov &
    Hutter 2017, SGDR, without restarts): from base_lr down to eta_min at epoch T_max, and back
    up over the next T_max epochs (the closed form PyTorch's recursion follows).

    Raises:
        TypeError: T_max not an int, eta_min not a number.
        ValueError: T_max < 1 or eta_min < 0.
    """

    state_keys = LRScheduler.state_keys + ("T_max", "eta_min")

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = _integer("T_max", T_max, 1)
        self.eta_min = _number("eta_min", eta_min, 0)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class ReduceLROnPlateau(LRScheduler):
    """Multiply lr by ``factor`` once the monitored metric has not improved for more than
    ``patience`` epochs, then wait ``cooldown`` epochs before counting bad epochs again; never
    below ``min_lr``. Improvement is relative (PyTorch's default ``threshold_mode="rel"``): in
    mode "min" a metric < best * (1 - threshold), in mode "max" > best * (1 + threshold).

    Raises:
        ValueError: mode not "min" or "max", factor outside (0, 1), threshold, patience,
            cooldown or min_lr negative.
        TypeError: a setting of the wrong type.
    """

    state_keys = LRScheduler.state_keys + ("mode", "factor", "patience", "threshold", "cooldown", "min_lr",
                                           "best", "num_bad_epochs", "cooldown_counter")

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0.0):
        if mode not in ("min", "max"):
            raise ValueError(f"mode: expected 'min' or 'max', got {mode!r}")
        self.mode = mode
        self.factor = _number("factor", factor, 0, 1, low_open=True, high_open=True)
        self.patience = _integer("patience", patience, 0)
        self.threshold = _number("threshold", threshold, 0)
        self.cooldown = _integer("cooldown", cooldown, 0)
        self.min_lr = _number("min_lr", min_lr, 0)
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        super().__init__(optimizer)

    def _better(self, value):
        if self.mode == "min":
            return value < self.best * (1 - self.threshold)
        return value > self.best * (1 + self.threshold)

    def step(self, metric):
        """Record one epoch's ``metric`` (a number, or a one-element Tensor/array) and reduce lr
        if it has plateaued.

        Raises:
            TypeError: ``metric`` is not a number.
            ValueError: ``metric`` is NaN.
        """
        value = metric.item() if hasattr(metric, "item") else metric
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"metric: expected a number, got {type(metric).__name__}")
        if value != value:
            raise ValueError("metric: expected a number, got nan")
        value = float(value)
        self.last_epoch += 1
        if self._better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old = self.optimizer.lr
            new = max(old * self.factor, self.min_lr)
            if old - new > 1e-12:
                self.optimizer.lr = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [self.optimizer.lr]
