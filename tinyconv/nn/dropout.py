"""Dropout layer: active in training mode, the identity in evaluation mode."""
from .. import functional as F
from ..functional.dropout import probability_arg
from ..random import resolve_rng
from .module import Module


class Dropout(Module):
    """Inverted dropout with probability ``p``; ``rng`` defaults to the framework's generator."""

    def __init__(self, p=0.5, rng=None):
        super().__init__()
        self.p, self.rng = probability_arg(p), resolve_rng(rng) if rng is not None else None

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.rng)

    def extra_repr(self):
        return f"p={self.p}"
