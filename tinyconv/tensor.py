"""Tensor: an array with a gradient, and Parameter: a Tensor a Module trains."""
import numpy as np

from . import autograd, backend
from .backend import device_arg, get_array_module, to_device, to_numpy
from .validation import axis_arg, require_broadcastable


class Tensor:
    """A NumPy or CuPy array that records the operations applied to it.

    Args:
        data: array-like. Python scalars and lists of floats become float32 (the default
            dtype); arrays keep their dtype unless ``dtype`` is given.
        requires_grad: accumulate the gradient of a backward pass into ``.grad``.
        dtype: optional dtype to convert to.
        device: optional "cpu" or "cuda": the data are copied there unless already there
            (default: where ``data`` lives; lists and numbers live on the CPU).

    Operators as in PyTorch: ``+ - * / @ **`` and indexing record the graph; ``== != < <= > >=``
    give bool tensors (no graph; see ``_compare``); ``+= -= *= /=`` change the tensor in place
    (see :meth:`add_`); ``bool(x)`` needs one element. Tensors hash by identity.

    Raises:
        TypeError: ``requires_grad`` on a non-floating dtype, or data that are not numbers
            (None, strings, objects).
        ValueError: ragged nested lists, or an unknown device.
        tinyconv.cuda.DeviceUnavailableError: ``device="cuda"`` without CuPy or a GPU.
    """

    __array_priority__ = 1000  # numpy_scalar * tensor goes to Tensor.__rmul__
    # What a new tensor starts with, read from the class until set (fewer writes per tensor):
    _saver = None  # weak reference to the last Function that saved this tensor
    _grad = None  # a Tensor or None; see the grad property
    creator = None
    generation = 0

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
        self.requires_grad = bool(requires_grad)

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
    def grad(self):
        """The gradient a backward pass accumulated into this leaf: a Tensor of this tensor's
        shape, dtype and device that does not require grad, or None (nothing accumulated yet,
        or reset), as PyTorch's. Backward adds into a new array each time, so a gradient read
        before (``g = x.grad``) keeps its values; methods change it in place
        (``x.grad.zero_()``). Assign None or a Tensor.

        Raises:
            TypeError: assigning something other than a Tensor or None.
            RuntimeError: assigning a Tensor of another shape, dtype or device.
        """
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: expected a Tensor or None, got {type(value).__name__}")
            for name in ("shape", "dtype", "device"):
                if getattr(value, name) != getattr(self, name):
                    raise RuntimeError(f"grad: expected {name} {getattr(self, name)} like the tensor, "
                                       f"got {getattr(value, name)}")
        self._grad = value

    def _accumulate_grad(self, array):
        """Add ``array`` (this tensor's shape and dtype) to ``.grad`` into a new array: the
        backward engine's only write, one Tensor around the array, no further copy."""
        self._grad = wrap(array.copy() if self._grad is None else self._grad._data + array)

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
    device = property(lambda self: backend.device("cpu" if isinstance(self._data, np.ndarray) else "cuda"))
    T = property(lambda self: F.permute(self, tuple(reversed(range(self.ndim)))))
    grad_fn = property(lambda self: self.creator, doc="The Function that created this tensor (None for a leaf).")
    is_leaf = property(lambda self: self.creator is None, doc="True unless an operation recorded in a graph made this tensor.")

    @property
    def size(self):
        """``x.size()``: the shape as a tuple; ``x.size(d)``: the length of dimension ``d``, as
        PyTorch's. Use :meth:`numel` for the element count: ``x.size`` used as a number (NumPy's
        spelling) raises TypeError instead of comparing a method with it.

        Raises:
            IndexError: ``d`` out of range. TypeError: ``d`` not an int.
        """
        return _SizeMethod(self)

    def dim(self):
        """The number of dimensions (``ndim``)."""
        return self._data.ndim

    def numel(self):
        """The number of elements."""
        return int(self._data.size)

    def __len__(self):
        return len(self._data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({self._data!r}{grad})"

    def numpy(self):
        """Return the data as a NumPy array (a copy only when it lives on the GPU; read-only,
        as ``.data``, while a live graph has saved this tensor)."""
        return to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(x)``: :meth:`numpy`, cast to ``dtype`` if given (so NumPy functions and
        ``np.testing`` accept tensors, as PyTorch's); ``np.array(x)`` (``copy``) gives a copy.
        Copied from the GPU, as :meth:`numpy`."""
        return np.array(self.numpy(), dtype=dtype, copy=True if copy else None)

    def item(self):
        """Return the value of a one-element tensor as a Python number.

        Raises:
            ValueError: the tensor has no element or more than one.
        """
        if self._data.size != 1:
            raise ValueError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def __float__(self): return float(self._one_element("float"))
    def __int__(self): return int(self._one_element("int"))

    def _one_element(self, name):
        if self._data.size != 1:
            raise RuntimeError(f"{name}(): only one element tensors can be converted to Python scalars, "
                               f"got shape {self.shape}")
        return self._data.item()

    def tolist(self):
        """The data as (nested) Python lists of Python numbers; a number for a 0-d tensor."""
        return self._data.tolist()

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place and return self, as PyTorch's.

        Raises:
            RuntimeError: switching it off on a tensor that an operation created (not a leaf).
            TypeError: switching it on for a dtype that is not floating-point.
        """
        if not requires_grad and self.creator is not None:
            raise RuntimeError("requires_grad_(False): only the flag of a leaf tensor can be changed; "
                               "use detach() for a tensor that an operation created")
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"requires_grad: expected a floating-point tensor, got dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

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
            RuntimeError: grad mode is on and this tensor requires grad, or ``src`` does (see
                :meth:`add_`).
            ValueError: ``src`` does not broadcast to ``self.shape``.
            TypeError: ``src`` is not numbers.
        """
        self._check_inplace("copy_", "src", src)
        values = to_array(src, name="src")
        get_array_module(self._data, values)  # same device
        require_broadcastable("src", values.shape, self.shape)
        self._data[...] = values
        self._bump_version()
        return self

    def fill_(self, value):
        """Set every element to ``value`` (a number or a 0-d tensor or array; cast to
        ``self.dtype`` as PyTorch does, so 2.7 fills an integer tensor with 2), in place.

        Raises:
            ValueError: ``value`` has dimensions. RuntimeError, TypeError: as :meth:`copy_`.
        """
        if getattr(value, "ndim", 0) != 0:
            raise ValueError(f"value: expected a number or a 0-dimensional tensor, got shape {value.shape}")
        return self.copy_(value)

    def zero_(self):
        """Set every element to 0 in place (see :meth:`fill_`) and return self."""
        return self.fill_(0)

    def add_(self, other, *, alpha=1):
        """``self += alpha * other`` in place (as PyTorch's ``add_``); return self.

        The data stay the same array (optimizers and views see the change), of the same dtype,
        and ``_version`` is bumped. ``other`` is a Tensor, an array or a number whose shape
        broadcasts to ``self.shape``. The same rules hold for :meth:`sub_`, :meth:`mul_`,
        :meth:`div_` and the operators ``+= -= *= /=``.

        In-place changes are not recorded in the graph. As in PyTorch, a leaf tensor that
        requires grad may be changed only inside :func:`tinyconv.no_grad`; any other change
        that PyTorch would record (a tensor in a graph, or ``other`` requiring grad, while
        grad mode is on) raises instead: write it out of place (``x = x + other``).

        Raises:
            RuntimeError: the change would need recording (see above).
            TypeError: ``other`` is not numbers, or the result's type cannot be cast to
                ``self.dtype`` ("same_kind": float into an integer tensor cannot).
            ValueError: ``other`` does not broadcast to ``self.shape``.
        """
        return self._inplace("add_", other, alpha)

    def sub_(self, other, *, alpha=1):
        """``self -= alpha * other`` in place; see :meth:`add_`."""
        return self._inplace("sub_", other, alpha)

    def mul_(self, other):
        """``self *= other`` in place; see :meth:`add_`."""
        return self._inplace("mul_", other)

    def div_(self, other):
        """``self /= other`` (true division) in place; see :meth:`add_`."""
        return self._inplace("div_", other)

    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def clamp_(self, min=None, max=None):
        """Clip every element to [min, max] in place (as PyTorch's ``clamp_``; bounds and
        errors as :func:`tinyconv.clamp`) and return self; the in-place rules of :meth:`add_`.

        Raises:
            RuntimeError: see :meth:`add_`. ValueError, TypeError: see :func:`tinyconv.clamp`.
        """
        self._check_inplace("clamp_", "min", None, "x = x.clamp(min, max)")
        with autograd.no_grad():
            clamped = F.clamp(self, min, max)
        self._data[...] = clamped._data
        self._bump_version()
        return self

    def __setitem__(self, index, value):
        """``x[index] = value`` in place, as in PyTorch: ``index`` as for reading (ints, slices,
        None, Ellipsis, integer or boolean arrays or tensors, e.g. a mask ``x < 0``), ``value``
        a number, array or tensor that broadcasts to ``x[index].shape``, cast to ``self.dtype``
        (2.7 into an integer tensor gives 2). The in-place rules of :meth:`add_`: a leaf that
        requires grad only inside :func:`tinyconv.no_grad`; never inside a graph.

        Raises:
            RuntimeError: see :meth:`add_` (also when ``value`` requires grad).
            TypeError: a bad index or non-numeric value. IndexError: an index out of range.
            ValueError: ``value`` does not broadcast to ``x[index].shape``.
        """
        self._check_inplace("__setitem__", "value", value, "x = tinyconv.where(mask, value, x)")
        index = index_arg(index)
        _, value = self._other(value, "value")
        try:
            target_shape = self._data[index].shape
        except IndexError as error:
            raise IndexError(f"index: {error} (a tensor of shape {self.shape})") from None
        require_broadcastable("value", getattr(value, "shape", ()), target_shape)
        self._data[index] = value
        self._bump_version()

    def _inplace(self, name, other, alpha=1):
        ufunc, symbol = _INPLACE[name]
        self._check_inplace(name, "other", other, f"x = x {symbol} other")
        if not _is_number(alpha):
            raise TypeError(f"alpha: expected a Python number, got {type(alpha).__name__}")
        xp, value = self._other(other)
        value = value if alpha == 1 else value * alpha
        require_broadcastable("other", getattr(value, "shape", ()), self.shape)
        try:  # the cast is checked before anything is written
            getattr(xp, ufunc)(self._data, value, out=self._data, casting="same_kind")
        except TypeError as error:
            raise TypeError(f"{name}: the result can't be cast to the tensor's dtype {self.dtype} "
                            f"({error})") from None
        self._bump_version()
        return self

    def _check_inplace(self, name, argument, other, spelling="x = other"):
        """Raise RuntimeError for an in-place change that PyTorch would record in the graph."""
        if not autograd.is_grad_enabled():
            return
        if self.requires_grad and self.creator is None:
            raise RuntimeError(f"{name}(): a leaf Variable that requires grad is being used in an in-place "
                               f"operation; call it inside tinyconv.no_grad()")
        if self.requires_grad or (isinstance(other, Tensor) and other.requires_grad):
            raise RuntimeError(f"{name}(): in-place operations on tensors in a graph are not supported "
                               f"(this tensor or {argument} requires grad); write the out-of-place {spelling}")

    def to(self, *args, dtype=None, device=None, non_blocking=False, copy=False):
        """Return this tensor with another dtype and/or on another device, as PyTorch's ``to``:
        ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)`` (other's dtype and
        device), or the keywords. ``device`` is "cpu", "cuda", "cuda:0" or a
        :class:`tinyconv.device`.

        A tensor that already has them is returned itself (unless ``copy``). A float-to-float
        cast is recorded in the graph (gradients flow back and are cast back); a cast to
        another kind of dtype gives a tensor outside the graph, as in PyTorch. Unlike PyTorch,
        a move to another device gives a new *leaf* tensor holding a copy (same
        ``requires_grad``, a copy of ``.grad``): gradients never flow back across devices, so
        move inputs and parameters first, then compute. ``non_blocking`` has no effect.

        Raises:
            TypeError: an argument that is neither a dtype, a device nor a Tensor.
            ValueError: an unknown device.
            tinyconv.cuda.DeviceUnavailableError: "cuda" without CuPy or a GPU.
        """
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, (str, type(0))):  # an int is a device index in PyTorch: refused by device_arg
                device = arg
            else:
                dtype = _dtype_arg(arg)
        result = self if dtype is None else F.cast(self, _dtype_arg(dtype), copy)
        if device is not None and backend.device_arg(device) != self.device:
            result = result._moved(device)
        elif copy and result is self:
            result = F.clone(self)
        return result

    def _moved(self, device):
        moved = type(self).__new__(type(self))
        Tensor.__init__(moved, to_device(self._data, device), requires_grad=self.requires_grad)
        if self._grad is not None:
            moved._grad = Tensor(to_device(self._grad._data, device))
        return moved

    def cuda(self):
        """``to("cuda")``."""
        return self.to("cuda")

    def cpu(self):
        """``to("cpu")``."""
        return self.to("cpu")

    def type_as(self, other):
        """``to(other.dtype)``."""
        return self.to(other.dtype)

    def float(self): return self.to(np.float32)
    def double(self): return self.to(np.float64)
    def half(self): return self.to(np.float16)
    def long(self): return self.to(np.int64)
    def int(self): return self.to(np.int32)
    def bool(self): return self.to(np.bool_)

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
        autograd.run_backward(self, self._root_gradient(grad), retain_graph)

    def _root_gradient(self, grad):
        """``grad`` (as given to backward) as an array of this tensor's shape, dtype and device."""
        if grad is None:
            if self._data.size != 1:
                raise RuntimeError(f"backward(): grad can be omitted only for a tensor with one "
                                   f"element, got shape {self.shape}")
            return get_array_module(self._data).ones_like(self._data)
        if isinstance(grad, (str, bytes)):
            raise TypeError(f"grad: expected an array of numbers shaped {self.shape}, got {type(grad).__name__}")
        grad = to_array(grad, name="grad")
        get_array_module(self._data, grad)  # same device
        if grad.shape != self.shape:
            raise ValueError(f"backward(): grad must have shape {self.shape}, got {grad.shape}")
        if grad.dtype != self.dtype:
            grad = grad.astype(self.dtype)
        return grad

    # Comparisons: elementwise, as PyTorch's; a bool tensor outside any graph.
    def __eq__(self, other): return self._compare("equal", other)
    def __ne__(self, other): return self._compare("not_equal", other)
    def __lt__(self, other): return self._compare("less", other)
    def __le__(self, other): return self._compare("less_equal", other)
    def __gt__(self, other): return self._compare("greater", other)
    def __ge__(self, other): return self._compare("greater_equal", other)
    __hash__ = object.__hash__  # by identity, as PyTorch's (defining __eq__ removes it)

    def eq(self, other): return self._compare_method("equal", "eq", other)
    def ne(self, other): return self._compare_method("not_equal", "ne", other)
    def lt(self, other): return self._compare_method("less", "lt", other)
    def le(self, other): return self._compare_method("less_equal", "le", other)
    def gt(self, other): return self._compare_method("greater", "gt", other)
    def ge(self, other): return self._compare_method("greater_equal", "ge", other)

    def _compare_method(self, ufunc, name, other):
        """The operator's result; where the operator would fall back to Python (another type),
        a TypeError, as PyTorch's method raises."""
        result = self._compare(ufunc, other)
        if result is NotImplemented:
            raise TypeError(f"{name}(): expected a Tensor, array or number, got {type(other).__name__}")
        return result

    def _compare(self, ufunc, other):
        """Compare elementwise with ``other`` (a Tensor, an array or a number; the shapes
        broadcast as in NumPy) into a bool Tensor that does not require grad. Other objects
        give NotImplemented, so Python falls back as it does for PyTorch (``x == None`` is
        False). Raises ValueError where the shapes do not broadcast."""
        if not (isinstance(other, Tensor) or _is_number(other) or hasattr(other, "__array__")
                or hasattr(other, "__cuda_array_interface__")):
            return NotImplemented
        xp, value = self._other(other)
        shape = getattr(value, "shape", ())
        if _broadcast(self.shape, shape) is None:
            raise ValueError(f"other: shape {shape} does not broadcast with the tensor's shape {self.shape}")
        return Tensor(getattr(xp, ufunc)(self._data, value))

    def _other(self, other, name="other"):
        """Return the array module and ``other`` as an array on this tensor's device (a Python
        number stays one, so that NumPy's promotion keeps float32 beside 0.1)."""
        if _is_number(other):
            return get_array_module(self._data), other
        value = other._data if isinstance(other, Tensor) else to_array(other, name=name)
        return get_array_module(self._data, value), value

    def __bool__(self):
        """The truth value of a one-element tensor, as PyTorch's.

        Raises:
            RuntimeError: the tensor has no element or more than one.
        """
        if self._data.size != 1:
            count = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {count} is ambiguous")
        return bool(self._data)

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
    def view(self, *shape): return F.view(self, _shape_args(shape))
    def view_as(self, other): return F.view(self, other.shape)
    def transpose(self, dim0, dim1): return F.transpose(self, dim0, dim1)
    def permute(self, *dims): return F.permute(self, _shape_args(dims))
    def unsqueeze(self, dim): return F.unsqueeze(self, dim)
    def squeeze(self, dim=None): return F.squeeze(self, dim)
    def flatten(self, start_dim=0, end_dim=-1): return F.flatten(self, start_dim, end_dim)
    def sum(self, dim=None, keepdim=False, **aliases): return F.sum(self, dim, keepdim, **aliases)
    def mean(self, dim=None, keepdim=False, **aliases): return F.mean(self, dim, keepdim, **aliases)
    def max(self, dim=None, keepdim=False, **aliases): return F.max(self, dim, keepdim, **aliases)
    def min(self, dim=None, keepdim=False, **aliases): return F.min(self, dim, keepdim, **aliases)
    def amax(self, dim=(), keepdim=False, **aliases): return F.amax(self, dim, keepdim, **aliases)
    def amin(self, dim=(), keepdim=False, **aliases): return F.amin(self, dim, keepdim, **aliases)
    def argmax(self, dim=None, keepdim=False, **aliases): return F.argmax(self, dim, keepdim, **aliases)
    def argmin(self, dim=None, keepdim=False, **aliases): return F.argmin(self, dim, keepdim, **aliases)
    def clamp(self, min=None, max=None): return F.clamp(self, min, max)
    def abs(self): return F.abs(self)
    def sqrt(self): return F.sqrt(self)
    def exp(self): return F.exp(self)
    def log(self): return F.log(self)
    def clone(self): return F.clone(self)
    def tanh(self): return F.tanh(self)
    def sigmoid(self): return F.sigmoid(self)
    def relu(self): return F.relu(self)
    def softmax(self, dim): return F.softmax(self, dim)
    def log_softmax(self, dim): return F.log_softmax(self, dim)


class _SizeMethod:
    """What ``x.size`` gives: called, the shape or one dimension (see :attr:`Tensor.size`);
    used as a number, a TypeError (NumPy's ``x.size`` is PyTorch's ``x.numel()``)."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor):
        self._tensor = tensor

    def __call__(self, dim=None):
        shape = tuple(self._tensor.shape)
        if dim is None:
            return shape
        if not shape:
            raise IndexError(f"dim: a 0-d tensor has no dimension {dim!r}")
        (axis,) = axis_arg("dim", dim, len(shape), allow_none=False, allow_tuple=False, error=IndexError)
        return shape[axis]

    def _misuse(self, *args):
        raise TypeError("Tensor.size is a method, as in PyTorch: x.size() is the shape, x.size(d) the length "
                        "of dimension d, x.numel() the number of elements")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __bool__ = __index__ = __int__ = _misuse
    __add__ = __radd__ = __sub__ = __mul__ = __rmul__ = __floordiv__ = __truediv__ = _misuse
    __hash__ = None


_INPLACE = {"add_": ("add", "+"), "sub_": ("subtract", "-"), "mul_": ("multiply", "*"),
            "div_": ("true_divide", "/")}  # method: (ufunc, operator)


def _broadcast(shape, other_shape):
    """Return the shape that ``shape`` and ``other_shape`` broadcast to, or None."""
    try:
        return np.broadcast_shapes(shape, other_shape)
    except ValueError:
        return None


def _is_number(value):
    """True for a Python bool, int, float or complex (not a NumPy scalar: it has a dtype)."""
    return isinstance(value, (int, float, complex)) and not hasattr(value, "shape")


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


def wrap(array, requires_grad=False):
    """``Tensor(array, requires_grad=requires_grad)`` (``requires_grad`` a bool), without the
    constructor's conversions where ``array`` is a NumPy array that needs none: the per-op
    cost of wrapping the outputs of Functions and the gradients."""
    if type(array) is not np.ndarray or (requires_grad and array.dtype.kind != "f"):
        return Tensor(array, requires_grad=requires_grad)
    tensor = Tensor.__new__(Tensor)
    tensor._data, tensor._versions, tensor.requires_grad = array, [0], requires_grad
    return tensor


def tensor_arg(name, value):
    """Return ``value`` as a Tensor: Tensors pass through, arrays, numbers and nested lists are
    wrapped (see :class:`tinyconv.Tensor`).

    Raises:
        TypeError: None, a string or another object that is not numbers.
        ValueError: ragged nested lists.
    """
    if isinstance(value, Tensor):
        return value
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected a Tensor, an array or a number, got {type(value).__name__}")
    return Tensor(to_array(value, name=name))


def as_tensor(value):
    """Return ``value`` if it is a Tensor, else wrap it (no gradient)."""
    return value if isinstance(value, Tensor) else Tensor(value)


def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new Tensor holding a copy of ``data`` (array-like), as ``torch.tensor``: Python floats
    become float32, ints int64, bools bool; arrays keep their dtype unless ``dtype`` is given.
    See :func:`tinyconv.from_numpy` to share a NumPy array's memory instead.

    Raises:
        as :class:`Tensor`.
    """
    array = to_array(data, None if dtype is None else _dtype_arg(dtype))
    return Tensor(array.copy(), requires_grad=requires_grad, device=device)


def _dtype_arg(dtype, name="dtype"):
    """Return ``dtype`` (a NumPy dtype or anything ``numpy.dtype`` takes, e.g. tinyconv.float32)
    as a NumPy dtype of numbers.

    Raises:
        TypeError: not a dtype of numbers.
    """
    try:
        result = np.dtype(dtype)
    except TypeError:
        result = None
    if dtype is None or result is None or result.kind not in "biufc":
        raise TypeError(f"{name}: expected a dtype (e.g. tinyconv.float32) or a device, got {dtype!r}")
    return result


from . import functional as F  # noqa: E402  (the operators above need it; it needs Tensor)
from .functional.shape import index_arg  # noqa: E402
