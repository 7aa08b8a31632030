"""Adam (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1), its AMSGrad variant (Reddi et al.
2018) and AdamW."""
import math
import numbers

from ..backend import get_array_module
from ..validation import number
from .optimizer import Optimizer, _unsupported


class Adam(Optimizer):
    """PyTorch's Adam: m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2; with ``amsgrad``
    v_max <- max(v_max, v) replaces v below;
    w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    ``weight_decay`` adds weight_decay * w to g (L2); with ``decoupled_weight_decay`` (see
    :class:`AdamW`) it instead shrinks w <- w - lr * weight_decay * w before the step.
    ``maximize`` ascends (g <- -g first).
    Per-parameter state: ``step`` (t), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with amsgrad,
    ``max_exp_avg_sq`` (v_max), shaped like the parameter.

    Args: as ``torch.optim.Adam``; ``foreach`` and ``fused`` are accepted and change nothing.

    Raises:
        ValueError: negative lr, betas not two numbers in [0, 1), eps or weight_decay negative.
        TypeError: a setting that is not a number.
        NotImplementedError: ``capturable=True`` or ``differentiable=True``.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _unsupported(capturable=capturable, differentiable=differentiable)
        super().__init__(params, self.check_hyperparameters(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
            foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
            decoupled_weight_decay=decoupled_weight_decay))

    def check_hyperparameters(self, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay, **flags):
        settings = super().check_hyperparameters(lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2 or not all(
                isinstance(b, numbers.Real) and not isinstance(b, bool) and 0 <= b < 1 for b in betas):
            raise ValueError(f"betas: expected a pair of numbers in [0, 1), got {betas!r}")
        number("eps", eps, 0)
        number("weight_decay", weight_decay, 0)
        return dict(settings, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=bool(amsgrad),
                    decoupled_weight_decay=bool(decoupled_weight_decay), **flags)

    def state_keys(self, group):
        arrays = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ())
        return arrays, ("step",)

    def update(self, param, grad, state, group):
        (b1, b2), lr, weight_decay = group["betas"], group["lr"], group["weight_decay"]
        if weight_decay and group["decoupled_weight_decay"]:
            param -= (lr * weight_decay * param).astype(param.dtype, copy=False)
        elif weight_decay:
            grad = grad + weight_decay * param
        if not state:
            state.update(step=0, **{k: grad * 0 for k in self.state_keys(group)[0]})
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        xp = get_array_module(param)
        scratch = xp.multiply(grad, 1 - b1)  # one temporary array for the whole step
        m *= b1
        m += scratch
        xp.multiply(grad, 1 - b2, out=scratch)
        scratch *= grad
        v *= b2
        v += scratch
        if group["amsgrad"]:
            v = xp.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denominator = xp.sqrt(v)
        denominator /= math.sqrt(1 - b2 ** t)
        denominator += param.dtype.type(group["eps"])
        xp.multiply(m, lr / (1 - b1 ** t), out=scratch)
        scratch /= denominator
        param -= scratch


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019, arXiv:1711.05101, Algorithm 2,
    taking its schedule multiplier eta_t as lr and alpha as 1, as PyTorch's AdamW does):
    w <- w - lr * weight_decay * w, then the Adam step on the undecayed gradient.
    Same settings and state as :class:`Adam`; ``weight_decay`` defaults to 0.01.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         foreach=foreach, maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused, decoupled_weight_decay=True)
