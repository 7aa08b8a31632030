"""Flatten: (N, d1, d2, ...) -> (N, d1 * d2 * ...), and Unflatten, its inverse."""
import math

from .. import functional as F
from ..tensor import tensor_arg
from ..validation import axis_arg, integer
from .module import Module


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = integer("start_dim", start_dim), integer("end_dim", end_dim)

    def forward(self, x):
        return F.flatten(x, self.start_dim, self.end_dim)


class Unflatten(Module):
    """Split axis ``dim`` of the input into ``unflattened_size`` (a tuple of ints, one of which
    may be -1), as PyTorch's: (N, 12) -> (N, 3, 4) with ``Unflatten(1, (3, 4))``.

    Raises:
        TypeError: ``dim`` not an int, ``unflattened_size`` not a tuple or list of ints.
        ValueError (at the call): ``dim`` out of range, or sizes whose product is not the
            size of axis ``dim``.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = integer("dim", dim)
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError(f"unflattened_size: expected a tuple of ints, got {unflattened_size!r}")
        self.unflattened_size = tuple(integer("unflattened_size", n) for n in unflattened_size)

    def forward(self, input):
        x = tensor_arg("input", input)
        (dim,) = axis_arg("dim", self.dim, x.ndim, allow_none=False, allow_tuple=False)
        sizes, known = self.unflattened_size, math.prod(n for n in self.unflattened_size if n != -1)
        fits = known == x.shape[dim] if -1 not in sizes else (sizes.count(-1) == 1 and known and x.shape[dim] % known == 0)
        if not fits:
            raise ValueError(f"unflattened_size: expected sizes whose product is {x.shape[dim]} (axis {dim} of "
                             f"shape {tuple(x.shape)}), got {sizes}")
        return F.reshape(x, x.shape[:dim] + sizes + x.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
