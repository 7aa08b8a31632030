"""Adam (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1)."""
import math

from .optimizer import Optimizer


class Adam(Optimizer):
    """m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
    w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).
    ``weight_decay`` adds weight_decay * w to g (L2, as PyTorch's Adam).

    Raises:
        ValueError: betas outside [0, 1), eps <= 0 or negative weight_decay.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not all(0 <= b < 1 for b in betas) or eps <= 0 or weight_decay < 0:
            raise ValueError(f"betas, eps, weight_decay: expected betas in [0, 1), eps > 0, weight_decay >= 0, "
                             f"got {betas}, {eps}, {weight_decay}")
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def update(self, param, grad, state):
        b1, b2 = self.betas
        if self.weight_decay:
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
