"""RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5), in PyTorch's formulation, with the
centered variant (Graves 2013, arXiv:1308.0850)."""
from ..validation import number
from .optimizer import Optimizer, _unsupported


class RMSprop(Optimizer):
    """PyTorch's RMSprop: g <- g + weight_decay * w (L2); v <- alpha v + (1 - alpha) g^2;
    centered: a <- alpha a + (1 - alpha) g and v' = v - a^2, else v' = v;
    without momentum w <- w - lr g / (sqrt(v') + eps); with momentum
    b <- momentum b + g / (sqrt(v') + eps) and w <- w - lr b. ``maximize`` ascends.
    Per-parameter state: ``step``, ``square_avg`` (v), with momentum ``momentum_buffer`` (b),
    centered ``grad_avg`` (a), the arrays shaped like the parameter.

    Args: as ``torch.optim.RMSprop``; ``foreach`` is accepted and changes nothing.

    Raises:
        ValueError: negative lr, eps, momentum or weight_decay, alpha outside [0, 1].
        TypeError: a setting that is not a number.
        NotImplementedError: ``capturable=True`` or ``differentiable=True``.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _unsupported(capturable=capturable, differentiable=differentiable)
        super().__init__(params, self.check_hyperparameters(
            lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
            capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable))

    def check_hyperparameters(self, lr, momentum, alpha, eps, centered, weight_decay, **flags):
        settings = super().check_hyperparameters(lr)
        number("alpha", alpha, 0, 1)
        for name, value in (("eps", eps), ("momentum", momentum), ("weight_decay", weight_decay)):
            number(name, value, 0)
        return dict(settings, momentum=momentum, alpha=alpha, eps=eps, centered=bool(centered),
                    weight_decay=weight_decay, **flags)

    def state_keys(self, group):
        arrays = ("square_avg",) + (("momentum_buffer",) if group["momentum"] else ()) + \
            (("grad_avg",) if group["centered"] else ())
        return arrays, ("step",)

    def update(self, param, grad, state, group):
        alpha = group["alpha"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        if not state:
            state.update(step=0, **{k: grad * 0 for k in self.state_keys(group)[0]})
        state["step"] += 1
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * grad * grad
        if group["centered"]:
            a = state["grad_avg"]
            a *= alpha
            a += (1 - alpha) * grad
            v = v - a * a
        direction = grad / (v ** 0.5 + param.dtype.type(group["eps"]))
        if group["momentum"]:
            b = state["momentum_buffer"]
            b *= group["momentum"]
            b += direction
            direction = b
        param -= (group["lr"] * direction).astype(param.dtype, copy=False)
