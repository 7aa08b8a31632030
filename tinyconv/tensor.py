"""Tensor: an array with a gradient, and Parameter: a Tensor a Module trains."""
import numpy as np

from . import autograd
from .backend import device_arg, get_array_module, to_device, to_numpy


class Tensor:
    """A NumPy or CuPy array that records the operations applied to it.

    Args:
        data: array-like. Python scalars and lists of floats become float32 (the default
            dtype); arrays keep their dtype unless ``dtype`` is given.
        requires_grad: accumulate the gradient of a backward pass into ``.grad``.
        dtype: optional dtype to convert to.
        device: optional "cpu" or "cuda": the data are copied there unless already there
            (default: where ``data`` lives; lists and numbers live on the CPU).

    Raises:
        TypeError: ``requires_grad`` on a non-floating dtype, or data that are not numbers
            (None, strings, objects).
        ValueError: ragged nested lists, or an unknown device.
        tinyconv.cuda.DeviceUnavailableError: ``device="cuda"`` without CuPy or a GPU.
    """

    __array_priority__ = 1000  # numpy_scalar * tensor goes to Tensor.__rmul__

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        if device is not None:
            device_arg(device)  # a bad name fails before any work
        array = to_array(data, dtype)
        if device is not None:
            array = to_device(array, device)
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(f"requires_grad: expected a floating-point tensor, got dtype {array.dtype}")
        self._data = array
        self._versions = [0]  # one counter, shared with detach(): [version]
        self._saver = None  # weak reference to the last Function that saved this tensor
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.creator = None
        self.generation = 0

    @property
    def data(self):
        """The raw array (NumPy or CuPy) of shape ``self.shape``; untracked, as in PyTorch.

        While a recorded graph that saved this tensor can still backpropagate (no backward
        yet, or one with ``retain_graph=True``), a NumPy tensor's ``.data`` is a read-only
        view, so that a write through it (``x.data[...] = v``) raises ValueError ("assignment
        destination is read-only") instead of making that backward silently wrong. Change
        values with :meth:`copy_` (tracked), or after the backward. Assigning ``x.data = array``
        replaces the array and counts as an in-place change (see ``_version``). Not checked:
        writes through ``.data`` on the GPU, and while only an older graph than the last one
        that saved the tensor is still live.
        """
        saver = self._saver
        if saver is not None and isinstance(self._data, np.ndarray) and autograd.is_live(saver):
            view = self._data.view()
            view.flags.writeable = False
            return view
        return self._data

    @data.setter
    def data(self, array):
        self._data = array
        self._versions[0] += 1

    @property
    def _version(self):
        """How many in-place changes this tensor's data has had (optimizer steps, :meth:`copy_`,
        assignments to ``.data``), as PyTorch's ``tensor._version``: a Function records the
        versions of its inputs, and backward raises RuntimeError if one has changed since."""
        return self._versions[0]

    def _bump_version(self):
        """Record an in-place change of the data (the caller has made it)."""
        self._versions[0] += 1

    shape = property(lambda self: self._data.shape)
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    size = property(lambda self: self._data.size)
    device = property(lambda self: "cpu" if isinstance(self._data, np.ndarray) else "cuda")
    T = property(lambda self: self.transpose())

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({self._data!r}{grad})"

    def numpy(self):
        """Return the data as a NumPy array (a copy only when it lives on the GPU; read-only,
        as ``.data``, while a live graph has saved this tensor)."""
        return to_numpy(self.data)

    def item(self):
        """Return the value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def detach(self):
        """Return a Tensor sharing the data (and, as in PyTorch, the version counter), cut from
        the graph."""
        detached = Tensor(self._data)
        detached._versions, detached._saver = self._versions, self._saver
        return detached

    def copy_(self, src):
        """Copy ``src`` (a Tensor, array or number that broadcasts to ``self.shape``; cast to
        ``self.dtype``) into this tensor's data in place, bump ``_version`` and return self.

        Unlike PyTorch the copy is not recorded in the graph, so on a tensor that requires
        grad it is allowed only inside :func:`tinyconv.no_grad` (PyTorch's rule for a leaf).
        A graph that saved this tensor before the copy raises on backward.

        Raises:
            RuntimeError: the tensor requires grad and grad mode is on.
            ValueError: ``src`` does not broadcast to ``self.shape``.
            TypeError: ``src`` is not numbers.
        """
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError("copy_(): this tensor requires grad, and tinyconv does not record in-place "
                               "changes; call it inside tinyconv.no_grad()")
        values = to_array(src, name="src")
        get_array_module(self._data, values)  # same device
        try:
            shaped = get_array_module(self._data).broadcast_to(values, self.shape)
        except ValueError:
            raise ValueError(f"src: expected shape {self.shape} or one that broadcasts to it, "
                             f"got {values.shape}") from None
        self._data[...] = shaped
        self._bump_version()
        return self

    def to(self, device):
        """Return this tensor on ``device`` ("cpu" or "cuda").

        A tensor already there is returned itself. Otherwise the result is a new *leaf*
        tensor holding a copy of the data, with the same ``requires_grad`` (and a copy of
        ``.grad``, if any): it is not connected to this tensor's graph, so gradients never flow
        back across devices. Move inputs and parameters first, then compute.

        Raises:
            TypeError, ValueError: a bad ``device``.
            tinyconv.cuda.DeviceUnavailableError: "cuda" without CuPy or a GPU.
        """
        if device_arg(device) == self.device:
            return self
        moved = type(self).__new__(type(self))
        Tensor.__init__(moved, to_device(self._data, device), requires_grad=self.requires_grad)
        if self.grad is not None:
            moved.grad = to_device(self.grad, device)
        return moved

    def backward(self, grad=None, retain_graph=False):
        """Backpropagate from this tensor, accumulating into the ``.grad`` of leaf tensors.

        Args:
            grad: gradient of the final objective w.r.t. this tensor, same shape; may be omitted
                only for a tensor with one element (then 1).
            retain_graph: keep the graph so that backward can run through it again.

        Raises:
            RuntimeError: the tensor does not require grad, or ``grad`` is omitted for a
                non-scalar tensor, or the graph was already freed.
            ValueError: ``grad`` has the wrong shape.
        """
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no graph")
        xp = get_array_module(self._data)
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(f"backward(): grad can be omitted only for a tensor with one "
                                   f"element, got shape {self.shape}")
            grad = xp.ones_like(self._data)
        if grad is None or isinstance(grad, (str, bytes)):
            raise TypeError(f"grad: expected an array of numbers shaped {self.shape}, got {type(grad).__name__}")
        grad = to_array(grad, name="grad")
        get_array_module(self._data, grad)  # same device
        if grad.shape != self.shape:
            raise ValueError(f"backward(): grad must have shape {self.shape}, got {grad.shape}")
        if grad.dtype != self.dtype:
            grad = grad.astype(self.dtype)
        autograd.run_backward(self, grad, retain_graph)

    # Operators and methods: thin wrappers over tinyconv.functional.
    def __add__(self, other): return F.add(self, other)
    def __radd__(self, other): return F.add(other, self)
    def __sub__(self, other): return F.sub(self, other)
    def __rsub__(self, other): return F.sub(other, self)
    def __mul__(self, other): return F.mul(self, other)
    def __rmul__(self, other): return F.mul(other, self)
    def __truediv__(self, other): return F.div(self, other)
    def __rtruediv__(self, other): return F.div(other, self)
    def __matmul__(self, other): return F.matmul(self, other)
    def __rmatmul__(self, other): return F.matmul(other, self)
    def __pow__(self, exponent): return F.pow(self, exponent)
    def __neg__(self): return F.neg(self)
    def __getitem__(self, index): return F.getitem(self, index)

    def reshape(self, *shape): return F.reshape(self, _shape_args(shape))
    def transpose(self, *axes): return F.transpose(self, _shape_args(axes) or None)
    def flatten(self, start_dim=0, end_dim=-1): return F.flatten(self, start_dim, end_dim)
    def sum(self, axis=None, keepdims=False): return F.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return F.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return F.max(self, axis, keepdims)
    def exp(self): return F.exp(self)
    def log(self): return F.log(self)


def _shape_args(args):
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else tuple(args)


class Parameter(Tensor):
    """A Tensor that a Module registers and an optimizer updates (``requires_grad`` by default)."""

    def __init__(self, data, requires_grad=True, dtype=None, device=None):
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, device=device)

    def __repr__(self):
        return f"Parameter({self._data!r})"


def to_array(data, dtype=None, name="data"):
    """Return ``data`` (a Tensor, a NumPy or CuPy array, a number or nested lists) as an array:
    Python floats become float32, arrays keep their dtype unless ``dtype`` is given.

    Raises:
        TypeError: not numbers (None, strings, objects; bool, int, float and complex are).
        ValueError: ragged nested lists.
    """
    if isinstance(data, Tensor):
        data = data.data
    original = data
    xp = get_array_module(data) if hasattr(data, "__array__") or hasattr(data, "__cuda_array_interface__") else np
    try:
        if not hasattr(data, "dtype") and dtype is None:
            data = xp.asarray(data)
            if data.dtype == np.float64:
                data = data.astype(np.float32)
        array = xp.asarray(data, dtype=dtype)
    except ValueError as e:
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ValueError(f"{name}: expected nested lists of equal lengths (a rectangular array), "
                             f"got ragged ones") from None
        raise ValueError(f"{name}: expected numbers, got {type(original).__name__} ({e})") from None
    if array.dtype.kind not in "biufc":
        raise TypeError(f"{name}: expected numbers (bool, int, float or complex), got "
                        f"{type(original).__name__ if array.dtype.kind == 'O' or isinstance(original, (str, bytes)) else 'dtype ' + str(array.dtype)}")
    return array


def as_tensor(value):
    """Return ``value`` if it is a Tensor, else wrap it (no gradient)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def tensor(data, requires_grad=False, dtype=None, device=None):
    """Create a Tensor from array-like ``data``, optionally on ``device`` (see :class:`Tensor`)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


from . import functional as F  # noqa: E402  (the operators above need it; it needs Tensor)
