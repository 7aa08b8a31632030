"""Adam (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1)."""
import math
import numbers

from .optimizer import Optimizer


def _real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Adam(Optimizer):
    """m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
    w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    ``weight_decay`` adds weight_decay * w to g (L2, as PyTorch's Adam); with
    ``decoupled_weight_decay`` (see :class:`AdamW`) it instead shrinks w <- w - lr * weight_decay * w
    before the Adam step, leaving g alone.
    Per-parameter state: ``step`` (t), ``m`` and ``v`` (shaped like the parameter).

    Raises:
        ValueError: betas not two numbers in [0, 1), eps <= 0 or negative weight_decay.
        TypeError: a setting that is not a number.
    """

    hyperparameters = ("lr", "betas", "eps", "weight_decay")
    state_arrays = ("m", "v")
    state_counters = ("step",)
    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def check_hyperparameters(self, lr, betas, eps, weight_decay):
        settings = super().check_hyperparameters(lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2 or not all(_real(b) for b in betas):
            raise ValueError(f"betas: expected a pair of numbers in [0, 1), got {betas!r}")
        if not _real(eps) or not _real(weight_decay):
            raise TypeError(f"eps, weight_decay: expected numbers, got {eps!r}, {weight_decay!r}")
        if not all(0 <= b < 1 for b in betas) or not eps > 0 or not weight_decay >= 0:
            raise ValueError(f"betas, eps, weight_decay: expected betas in [0, 1), eps > 0, weight_decay >= 0, "
                             f"got {betas}, {eps}, {weight_decay}")
        return dict(settings, betas=tuple(betas), eps=eps, weight_decay=weight_decay)

    def update(self, param, grad, state):
        b1, b2 = self.betas
        if self.weight_decay and self.decoupled_weight_decay:
            param -= (self.lr * self.weight_decay * param).astype(param.dtype, copy=False)
        elif self.weight_decay:
            grad = grad + self.weight_decay * param
        if not state:
            state.update(step=0, m=grad * 0, v=grad * 0)
        state["step"] += 1
        m, v, t = state["m"], state["v"], state["step"]
        m *= b1
        m += (1 - b1) * grad
        v *= b2
        v += (1 - b2) * grad * grad
        step_size = self.lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        eps = self.eps * math.sqrt(1 - b2 ** t)
        param -= (step_size * m / (param.dtype.type(eps) + v ** 0.5)).astype(param.dtype, copy=False)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019, arXiv:1711.05101, Algorithm 2,
    taking its schedule multiplier eta_t as lr and alpha as 1, as PyTorch's AdamW does):
    w <- w - lr * weight_decay * w, then the Adam step on the undecayed gradient.
    Same settings and state as :class:`Adam`; ``weight_decay`` defaults to 0.01.
    """

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
