"""Gradient clipping by the global norm."""
import math

from ..backend import get_array_module
from ..tensor import Tensor
from ..validation import number


def clip_grad_norm_(parameters, max_norm):
    """Scale the gradients of ``parameters`` together, in place, so that their global L2 norm
    (over all gradients as one vector) is at most ``max_norm``; gradients are left alone when
    the norm is already within it. Parameters without a gradient are skipped.

    Args:
        parameters: a Parameter or an iterable of Parameters (e.g. ``model.parameters()``).
        max_norm: the largest norm allowed (> 0).

    Returns:
        The global norm before clipping, a Python float (inf or nan if a gradient holds them;
        the gradients are then left unscaled).

    Raises:
        TypeError: ``max_norm`` is not a number, or ``parameters`` holds something other than a
            Tensor.
        ValueError: ``max_norm`` <= 0.
    """
    number("max_norm", max_norm, 0, low_open=True)
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"parameters[{i}]: expected a Parameter (a Tensor), got {type(p).__name__}")
    grads = [p for p in params if p.grad is not None]
    total = 0.0
    for p in grads:
        g = p.grad.data
        xp = get_array_module(g)
        total += float(xp.sum(xp.square(g.astype(xp.float64, copy=False))))
    total = math.sqrt(total)
    scale = max_norm / (total + 1e-6)
    if scale < 1:  # False for a nan or inf norm
        for p in grads:
            p.grad.mul_(scale)
    return total
