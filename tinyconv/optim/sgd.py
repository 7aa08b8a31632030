"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay."""
from ..validation import number
from .optimizer import Optimizer, _unsupported


class SGD(Optimizer):
    """PyTorch's SGD: g <- g + weight_decay * w; with momentum b <- g at the first step, then
    b <- momentum * b + (1 - dampening) * g, and g <- b, or with Nesterov g <- g + momentum * b
    (Sutskever et al. 2013); w <- w - lr * g. ``maximize`` ascends (g <- -g first).
    Per-parameter state (with momentum): ``momentum_buffer`` (b), shaped like the parameter.

    Args: as ``torch.optim.SGD``; ``foreach`` and ``fused`` are accepted and change nothing.

    Raises:
        ValueError: negative lr, momentum, dampening or weight_decay, or Nesterov without
            momentum or with dampening.
        TypeError: a setting that is not a number.
        NotImplementedError: ``differentiable=True``.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _unsupported(differentiable=differentiable)
        super().__init__(params, self.check_hyperparameters(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
            maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused))

    def check_hyperparameters(self, lr, momentum, dampening, weight_decay, nesterov, **flags):
        settings = super().check_hyperparameters(lr)
        for name, value in (("momentum", momentum), ("dampening", dampening), ("weight_decay", weight_decay)):
            number(name, value, 0)
        if nesterov and (momentum == 0 or dampening != 0):
            raise ValueError(f"nesterov: expected momentum > 0 and dampening 0 with nesterov=True, got momentum "
                             f"{momentum}, dampening {dampening}")
        return dict(settings, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                    nesterov=bool(nesterov), **flags)

    def state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] else (), ()

    def update(self, param, grad, state, group):
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            b = state.get("momentum_buffer")
            if b is None:
                b = state["momentum_buffer"] = grad.copy()
            else:
                b *= momentum
                b += (1 - group["dampening"]) * grad
            grad = grad + momentum * b if group["nesterov"] else b
        param -= (group["lr"] * grad).astype(param.dtype, copy=False)
