"""Optimizer base: holds the parameters, their per-parameter state, and zero_grad."""
from ..autograd import no_grad


class Optimizer:
    """Base of optimizers. Subclasses implement ``update(param, grad, state)`` on raw arrays.

    Args:
        params: an iterable of Parameters (e.g. ``model.parameters()``).
        lr: learning rate (> 0).

    Raises:
        ValueError: no parameters, a parameter given twice, or lr <= 0.
    """

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError("params: expected at least one parameter, got an empty list")
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("params: expected each parameter once, got a parameter more than once")
        if not lr > 0:
            raise ValueError(f"lr: expected a positive learning rate, got {lr}")
        self.lr = lr
        self.state = [{} for _ in self.params]

    def zero_grad(self):
        """Reset the gradients of all parameters to None."""
        for p in self.params:
            p.grad = None

    def step(self):
        """Update every parameter that has a gradient, in place."""
        with no_grad():
            for p, state in zip(self.params, self.state):
                if p.grad is not None:
                    self.update(p.data, p.grad, state)

    def update(self, param, grad, state):
        raise NotImplementedError
