"""Dropout layers: active in training mode, the identity in evaluation mode."""
from .. import functional as F
from ..functional.dropout import probability_arg
from ..random import resolve_rng
from .module import Module


class _DropoutNd(Module):
    """Arguments as PyTorch's (``p``, ``inplace``) plus ``rng``, the generator (default: the
    framework's). ``inplace=True`` raises NotImplementedError: tinyconv's dropout is out of place."""

    def __init__(self, p=0.5, inplace=False, rng=None):
        super().__init__()
        if inplace:
            raise NotImplementedError(f"{type(self).__name__}(inplace=True): tinyconv has no in-place dropout; "
                                      "use inplace=False")
        self.p, self.rng = probability_arg(p), resolve_rng(rng) if rng is not None else None

    def extra_repr(self):
        return f"p={self.p}"


class Dropout(_DropoutNd):
    """Inverted dropout of single elements with probability ``p`` (see :func:`tinyconv.functional.dropout`)."""

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.rng)


class Dropout2d(_DropoutNd):
    """Dropout of whole channels with probability ``p`` (see :func:`tinyconv.functional.dropout2d`)."""

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, rng=self.rng)
