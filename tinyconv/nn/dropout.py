"""Dropout layer: active in training mode, the identity in evaluation mode."""
from .. import functional as F
from .module import Module


class Dropout(Module):
    """Inverted dropout with probability ``p``; ``rng`` defaults to the framework's generator."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"p: expected a probability in [0, 1), got {p}")
        self.p, self.rng = p, rng

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self):
        return f"p={self.p}"
