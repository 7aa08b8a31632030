"""Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay."""
import numbers

from .optimizer import Optimizer


class SGD(Optimizer):
    """v <- momentum * v + g (g includes weight_decay * w); w <- w - lr * v, or with Nesterov
    w <- w - lr * (g + momentum * v) (Sutskever et al. 2013; PyTorch's formulation).
    Per-parameter state (with momentum): ``velocity``, shaped like the parameter.

    Raises:
        ValueError: negative momentum or weight_decay, or Nesterov without momentum.
        TypeError: momentum or weight_decay is not a number.
    """

    hyperparameters = ("lr", "momentum", "nesterov", "weight_decay")
    state_arrays = ("velocity",)

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr, momentum=momentum, nesterov=nesterov, weight_decay=weight_decay)

    def check_hyperparameters(self, lr, momentum, nesterov, weight_decay):
        settings = super().check_hyperparameters(lr)
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in (momentum, weight_decay)):
            raise TypeError(f"momentum, weight_decay: expected numbers, got {momentum!r}, {weight_decay!r}")
        if not momentum >= 0 or not weight_decay >= 0:
            raise ValueError(f"momentum, weight_decay: expected >= 0, got {momentum}, {weight_decay}")
        if nesterov and momentum == 0:
            raise ValueError("nesterov: expected momentum > 0 with nesterov=True, got momentum 0")
        return dict(settings, momentum=momentum, nesterov=bool(nesterov), weight_decay=weight_decay)

    def update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            v = state.get("velocity")
            v = state["velocity"] = grad.copy() if v is None else self.momentum * v + grad
            grad = grad + self.momentum * v if self.nesterov else v
        param -= (self.lr * grad).astype(param.dtype, copy=False)
