"""Shape operations: reshape, transpose, flatten, indexing and concatenation."""
import numpy as np

from ..autograd import Function
from ..backend import get_array_module


class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, a):
        self.in_shape = a.shape
        return a.reshape(self.shape)

    def backward(self, g):
        return g.reshape(self.in_shape)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, a):
        self.axes = tuple(reversed(range(a.ndim))) if self.axes is None else self.axes
        return a.transpose(self.axes)

    def backward(self, g):
        return g.transpose(np.argsort(self.axes))


class GetItem(Function):
    """``a[index]`` for basic and advanced NumPy indices; repeated indices accumulate."""

    def __init__(self, index):
        self.index = index

    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        return a[self.index]

    def backward(self, g):
        xp = get_array_module(g)
        grad = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic(self.index):
            grad[self.index] = g
        else:
            xp.add.at(grad, self.index, g)
        return grad


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice, type(None), type(Ellipsis))) for i in items)


class Concat(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *arrays):
        self.bounds = np.cumsum([a.shape[self.axis] for a in arrays])[:-1]
        return get_array_module(*arrays).concatenate(arrays, axis=self.axis)

    def backward(self, g):
        return tuple(get_array_module(g).split(g, self.bounds, axis=self.axis))


def reshape(a, shape):
    """Return ``a`` with a new ``shape`` (one entry may be -1).

    Raises:
        ValueError: the element count does not match.
    """
    shape = tuple(shape)
    known = int(np.prod([n for n in shape if n != -1]))
    size = int(np.prod(a.shape))
    if shape.count(-1) > 1 or (-1 not in shape and known != size) or (-1 in shape and (known == 0 or size % known)):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {tuple(a.shape)} ({size} elements) into {shape}")
    return Reshape(shape)(a)


def transpose(a, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    if axes is not None and sorted(axes) != list(range(len(a.shape))):
        raise ValueError(f"axes: expected a permutation of range({len(a.shape)}), got {tuple(axes)}")
    return Transpose(tuple(axes) if axes is not None else None)(a)


def flatten(a, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` .. ``end_dim`` (inclusive) into one, as ``torch.flatten``."""
    shape = tuple(a.shape)
    start, end = start_dim % max(len(shape), 1), end_dim % max(len(shape), 1)
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    return reshape(a, shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])


def getitem(a, index):
    """Index ``a`` like a NumPy array (ints, slices, None, Ellipsis, integer or boolean arrays)."""
    if hasattr(index, "data") and not hasattr(index, "__array_interface__"):
        index = index.data
    return GetItem(index)(a)


def concat(tensors, axis=0):
    """Join ``tensors`` along ``axis``; other dimensions must match.

    Raises:
        ValueError: the list is empty or the shapes differ off ``axis``.
    """
    if not tensors:
        raise ValueError("tensors: expected at least one tensor, got none")
    shapes = [tuple(t.shape) for t in tensors]
    ndim = len(shapes[0])
    axis = axis % max(ndim, 1)
    if any(len(s) != ndim or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:] for s in shapes):
        raise ValueError(f"concat: shapes must match except along axis {axis}, got {shapes}")
    return Concat(axis)(*tensors)
