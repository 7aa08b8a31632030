"""RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5), in PyTorch's formulation."""
import numbers

from .optimizer import Optimizer


class RMSprop(Optimizer):
    """v <- alpha v + (1 - alpha) g^2 (g includes weight_decay * w, L2 as PyTorch's);
    without momentum w <- w - lr g / (sqrt(v) + eps); with momentum
    b <- momentum b + g / (sqrt(v) + eps) and w <- w - lr b.
    Per-parameter state: ``square_avg`` (v) and, with momentum, ``momentum_buffer`` (b), both
    shaped like the parameter.

    Raises:
        ValueError: alpha outside [0, 1), eps <= 0, negative momentum or weight_decay.
        TypeError: a setting that is not a number.
    """

    hyperparameters = ("lr", "alpha", "eps", "momentum", "weight_decay")
    state_arrays = ("square_avg",)

    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr, alpha=alpha, eps=eps, momentum=momentum, weight_decay=weight_decay)
        if momentum:
            self.state_arrays = ("square_avg", "momentum_buffer")

    def check_hyperparameters(self, lr, alpha, eps, momentum, weight_decay):
        settings = super().check_hyperparameters(lr)
        values = {"alpha": alpha, "eps": eps, "momentum": momentum, "weight_decay": weight_decay}
        for name, v in values.items():
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"{name}: expected a number, got {v!r}")
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha: expected a number in [0, 1), got {alpha}")
        if not eps > 0:
            raise ValueError(f"eps: expected eps > 0, got {eps}")
        if not momentum >= 0 or not weight_decay >= 0:
            raise ValueError(f"momentum, weight_decay: expected >= 0, got {momentum}, {weight_decay}")
        return dict(settings, **values)

    def update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if not state:
            state["square_avg"] = grad * 0
            if self.momentum:
                state["momentum_buffer"] = grad * 0
        v = state["square_avg"]
        v *= self.alpha
        v += (1 - self.alpha) * grad * grad
        direction = grad / (v ** 0.5 + param.dtype.type(self.eps))
        if self.momentum:
            b = state["momentum_buffer"]
            b *= self.momentum
            b += direction
            direction = b
        param -= (self.lr * direction).astype(param.dtype, copy=False)
