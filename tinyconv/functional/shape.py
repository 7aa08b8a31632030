"""Shape operations: reshape, transpose, flatten, indexing, concatenation, stacking and unbinding."""
import numbers

import numpy as np

from ..autograd import Function
from ..backend import get_array_module
from ..tensor import tensor_arg
from ..validation import axis_arg, dim_alias


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
        return g.transpose(tuple(int(i) for i in np.argsort(self.axes)))  # ints: CuPy takes no NumPy axes


class TakeAlongDim(Function):
    """``take_along_axis(a, indices, axis)`` for ``indices`` of length 1 along ``axis`` (one
    element per slice, as max(dim) picks); the gradient goes to the elements taken."""

    def __init__(self, indices, axis):
        self.indices, self.axis = indices, axis

    def forward(self, a):
        self.shape = a.shape
        return get_array_module(a).take_along_axis(a, self.indices, self.axis)

    def backward(self, g):
        xp = get_array_module(g)
        positions = xp.arange(self.shape[self.axis]).reshape([-1 if i == self.axis else 1 for i in range(g.ndim)])
        return xp.where(positions == self.indices, g, g.dtype.type(0))


class GetItem(Function):
    """``a[index]`` for basic and advanced NumPy indices; repeated indices accumulate."""

    def __init__(self, index):
        self.index = index

    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        try:
            return a[self.index]
        except IndexError as e:
            raise IndexError(f"index: {e} (a tensor of shape {a.shape})") from None

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
        self.bounds = np.cumsum([a.shape[self.axis] for a in arrays])[:-1].tolist()  # host ints for CuPy too
        return get_array_module(*arrays).concatenate(arrays, axis=self.axis)

    def backward(self, g):
        return tuple(get_array_module(g).split(g, self.bounds, axis=self.axis))


class Stack(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, *arrays):
        return get_array_module(*arrays).stack(arrays, axis=self.axis)

    def backward(self, g):
        return tuple(get_array_module(g).moveaxis(g, self.axis, 0))


class Unbind(Function):
    """Split along ``axis`` into its slices, as many outputs (one graph node for all of them:
    a recurrent layer takes every time step of its input projection from one Unbind)."""

    def __init__(self, axis):
        self.axis = axis

    def forward(self, a):
        self.shape = a.shape
        return tuple(get_array_module(a).moveaxis(a, self.axis, 0))  # views, not copies

    def backward(self, *grads):
        xp = get_array_module(*(g for g in grads if g is not None))
        grad = xp.empty(self.shape, dtype=next(g for g in grads if g is not None).dtype)
        slices = xp.moveaxis(grad, self.axis, 0)
        for i, g in enumerate(grads):
            slices[i] = 0 if g is None else g
        return grad


def reshape(a, shape):
    """Return ``a`` with a new ``shape`` (a tuple of ints >= 0; one entry may be -1).

    Raises:
        TypeError: an entry is not an int.
        ValueError: a negative entry other than one -1, or the element count does not match.
    """
    a = tensor_arg("a", a)
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or \
            not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise TypeError(f"shape: expected a tuple of ints, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    size = a.numel()
    message = f"reshape: cannot reshape a tensor of shape {tuple(a.shape)} ({size} elements) into {shape}"
    if any(n < -1 for n in shape) or shape.count(-1) > 1:
        raise ValueError(message + ": expected sizes >= 0 and at most one -1")
    known = int(np.prod([n for n in shape if n != -1]))
    if (-1 not in shape and known != size) or (-1 in shape and (known == 0 or size % known)):
        raise ValueError(message)
    return Reshape(shape)(a)


def view(a, shape):
    """``a`` with a new ``shape`` sharing its data, as ``Tensor.view`` (see :func:`reshape` for
    ``shape``). Where that cannot share the data (a NumPy tensor whose layout is not
    contiguous, e.g. after a transpose), it raises as PyTorch does, instead of copying.

    Raises:
        RuntimeError: the data cannot be viewed with that shape: use reshape().
        TypeError, ValueError: as :func:`reshape`.
    """
    result = reshape(a, shape)
    data = result.data
    if isinstance(data, np.ndarray) and data.size and not np.may_share_memory(data, tensor_arg("a", a).data):
        raise RuntimeError(f"view: the tensor's data (shape {tuple(a.shape)}, not contiguous) cannot be viewed "
                           f"as {tuple(shape)} without a copy; use reshape(...) instead")
    return result


def permute(a, dims):
    """Reorder the dimensions: ``dims`` is a permutation of range(ndim) (negative dims count
    from the end), as ``torch.permute``.

    Raises:
        TypeError: a dim is not an int. ValueError: ``dims`` is not a permutation.
    """
    a = tensor_arg("a", a)
    if not isinstance(dims, (tuple, list)) or \
            not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in dims):
        raise TypeError(f"dims: expected a tuple of ints, got {dims!r}")
    ndim = a.ndim
    normal = tuple(int(n) % ndim if ndim and -ndim <= n < ndim else n for n in dims)
    if sorted(normal) != list(range(ndim)):
        raise ValueError(f"dims: expected a permutation of range({ndim}), got {tuple(dims)}")
    return Transpose(normal)(a)


def transpose(a, dim0, dim1):
    """Swap dimensions ``dim0`` and ``dim1``, as ``torch.transpose`` (see :func:`permute` for
    any order).

    Raises:
        TypeError: a dim is not an int. ValueError: a dim out of range.
    """
    a = tensor_arg("a", a)
    (d0,), (d1,) = (axis_arg(name, d, a.ndim, allow_none=False, allow_tuple=False) or (0,)
                    for name, d in (("dim0", dim0), ("dim1", dim1)))
    order = list(range(a.ndim))
    if order:
        order[d0], order[d1] = d1, d0
    return Transpose(tuple(order))(a)


def unsqueeze(a, dim):
    """``a`` with a new dimension of length 1 at ``dim`` (in [-ndim - 1, ndim]), as
    ``torch.unsqueeze``.

    Raises:
        TypeError: ``dim`` is not an int. ValueError: out of range.
    """
    a = tensor_arg("a", a)
    (axis,) = axis_arg("dim", dim, a.ndim + 1, allow_none=False, allow_tuple=False)
    return Reshape(a.shape[:axis] + (1,) + a.shape[axis:])(a)


def squeeze(a, dim=None):
    """``a`` without its dimensions of length 1 (all, or those of ``dim``: an int or a tuple;
    a listed dimension of another length stays, as in PyTorch).

    Raises:
        TypeError: a bad dim type. ValueError: a dim out of range.
    """
    a = tensor_arg("a", a)
    axes = axis_arg("dim", dim, a.ndim)
    return Reshape(tuple(n for i, n in enumerate(a.shape) if not (i in axes and n == 1)))(a)


def flatten(a, start_dim=0, end_dim=-1):
    """Merge dimensions ``start_dim`` .. ``end_dim`` (inclusive) into one, as ``torch.flatten``
    (a 0-d tensor becomes shape (1,)).

    Raises:
        TypeError: a dimension is not an int.
        ValueError: a dimension out of range, or start_dim after end_dim.
    """
    a = tensor_arg("a", a)
    shape = tuple(a.shape)
    start, end = (axis_arg(name, d, len(shape), allow_none=False, allow_tuple=False)
                  for name, d in (("start_dim", start_dim), ("end_dim", end_dim)))
    start, end = (start or (0,))[0], (end or (0,))[0]
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim})")
    return reshape(a, shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:])


def getitem(a, index):
    """Index ``a`` like a NumPy array (ints, slices, None, Ellipsis, integer or boolean arrays).

    Raises:
        TypeError: an index of another type (a float, a string).
        IndexError: an index out of range or too many indices (IndexError, as for any Python
            sequence, so that iterating over a Tensor stops at its end); the message gives the
            tensor's shape.
    """
    return GetItem(index_arg(index))(tensor_arg("a", a))


def index_arg(index):
    """Return ``index`` with Tensors replaced by their arrays, after checking every item
    (the rules and the TypeError of :func:`getitem`)."""
    if isinstance(index, tuple):
        return tuple(_index_item(item) for item in index)
    return _index_item(index)


def _index_item(item):
    if hasattr(item, "data") and not hasattr(item, "__array_interface__"):
        item = item.data  # a Tensor
    kind = getattr(getattr(item, "dtype", None), "kind", None)
    if kind is not None:
        if kind not in "biu":
            raise TypeError(f"index: expected integer or boolean arrays, got dtype {item.dtype}")
    elif isinstance(item, list):
        if np.asarray(item).dtype.kind not in "biu" and len(item):
            raise TypeError(f"index: expected lists of ints or bools, got {item!r}")
    elif not (item is None or item is Ellipsis or isinstance(item, slice)
              or (isinstance(item, numbers.Integral))):
        raise TypeError(f"index: expected ints, slices, None, Ellipsis or integer/boolean arrays, "
                        f"got {type(item).__name__} {item!r}")
    return item


def _tensor_list(tensors):
    """``tensors`` (a non-empty list or tuple of one dtype) as a list of Tensors, or a clear error."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"tensors: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError("tensors: expected at least one tensor, got none")
    tensors = [tensor_arg(f"tensors[{i}]", t) for i, t in enumerate(tensors)]
    for i, t in enumerate(tensors[1:], start=1):
        if t.dtype != tensors[0].dtype:
            raise TypeError(f"tensors[{i}]: expected dtype {tensors[0].dtype} like tensors[0], got {t.dtype}")
    return tensors


def cat(tensors, dim=0, *, axis=None):
    """Join ``tensors`` (a list or tuple, all of one dtype) along ``dim`` (``axis`` is an alias),
    as ``torch.cat``; other dimensions must match.

    Raises:
        TypeError: not a list or tuple, or mixed dtypes.
        ValueError: the list is empty, a tensor is 0-d, the dim is out of range, or the shapes
            differ off ``dim``.
    """
    dim, _ = dim_alias(dim, False, axis, default=0)
    tensors = _tensor_list(tensors)
    shapes = [tuple(t.shape) for t in tensors]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ValueError("tensors: expected tensors with at least 1 dimension, got 0-d ones")
    (axis,) = axis_arg("dim", dim, ndim, allow_none=False, allow_tuple=False)
    if any(len(s) != ndim or s[:axis] + s[axis + 1:] != shapes[0][:axis] + shapes[0][axis + 1:] for s in shapes):
        raise ValueError(f"cat: shapes must match except along dim {axis}, got {shapes}")
    return Concat(axis)(*tensors)


concat = cat  # torch.concat is an alias too


def stack(tensors, dim=0, *, axis=None):
    """Join ``tensors`` (a list or tuple of equal shapes and one dtype) along a new ``dim``
    (in [-ndim - 1, ndim]; ``axis`` is an alias), as ``torch.stack``.

    Raises:
        TypeError: not a list or tuple, or mixed dtypes.
        ValueError: the list is empty, the shapes differ, or the dim is out of range.
    """
    dim, _ = dim_alias(dim, False, axis, default=0)
    tensors = _tensor_list(tensors)
    shapes = [tuple(t.shape) for t in tensors]
    if any(s != shapes[0] for s in shapes):
        raise ValueError(f"stack: expected tensors of one shape, got {shapes}")
    (axis,) = axis_arg("dim", dim, len(shapes[0]) + 1, allow_none=False, allow_tuple=False)
    return Stack(axis)(*tensors)


def unbind(a, dim=0, *, axis=None):
    """Return the slices of ``a`` along ``dim`` (``axis`` is an alias) as a tuple of tensors
    with that dimension removed, as ``torch.unbind``.

    Raises:
        TypeError: a non-int dim.
        ValueError: a 0-d ``a`` or a dim out of range.
    """
    dim, _ = dim_alias(dim, False, axis, default=0)
    a = tensor_arg("a", a)
    if a.ndim == 0:
        raise ValueError("a: expected a tensor with at least 1 dimension, got shape ()")
    (axis,) = axis_arg("dim", dim, a.ndim, allow_none=False, allow_tuple=False)
    return Unbind(axis)(a)


def take_along_dim(a, indices, dim):
    """The elements of ``a`` at ``indices`` (an int array or tensor of length 1 along ``dim``,
    as max(dim, keepdim=True) returns) along ``dim``; differentiable in ``a``."""
    a = tensor_arg("a", a)
    indices = tensor_arg("indices", indices).data
    return TakeAlongDim(indices, dim)(a)
