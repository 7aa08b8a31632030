"""Module: the base of layers and models (parameters registered by attribute assignment,
buffers by :meth:`Module.register_buffer`)."""
from collections import OrderedDict, namedtuple

import numpy as np

from ..backend import device_arg, get_array_module, require_cuda, to_device
from ..checkpoint import load_weights, save as save_checkpoint
from ..tensor import Parameter, Tensor


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns, as PyTorch's ``_IncompatibleKeys``: the
    lists ``missing_keys`` and ``unexpected_keys`` (both empty when everything matched)."""

    __slots__ = ()


class StateDictError(RuntimeError, ValueError):
    """A state dict that does not fit the model: a RuntimeError as in PyTorch (and a
    ValueError, as tinyconv raised before)."""


def _module_dtype(dtype):
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: expected a floating-point dtype (float32 or float64) or a device, got {dtype!r}") from None


class Module:
    """Base class of layers. Assigning a :class:`Parameter` or a Module to an attribute registers
    it; :meth:`register_buffer` registers a Tensor of state that is not trained (running
    statistics); subclasses implement ``forward``; calling the module calls ``forward``."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{name}: expected a Tensor or None for the buffer, got {type(value).__name__}")
            self._buffers[name] = value
        elif isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        if isinstance(value, (Parameter, Module)):
            self._buffers.pop(name, None)
        object.__setattr__(self, name, value)

    def register_buffer(self, name, tensor):
        """Register ``tensor`` (a Tensor, or None for a buffer not in use) as the buffer
        ``name``: state that is saved in :meth:`state_dict`, moved by :meth:`to` and restored by
        :meth:`load_state_dict`, but not trained (batch normalisation's running statistics).
        It is then an attribute; assigning a Tensor or None to it replaces the buffer.

        Raises:
            TypeError: ``name`` not a str, or ``tensor`` neither a Tensor nor None.
            KeyError: ``name`` empty, dotted, or already an attribute that is not a buffer.
        """
        if not isinstance(name, str):
            raise TypeError(f"name: expected a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"name: expected a non-empty name without '.', got {name!r}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"name: {name!r} is already an attribute of {type(self).__name__}")
        if tensor is not None and (not isinstance(tensor, Tensor) or isinstance(tensor, Parameter)):
            raise TypeError(f"tensor: expected a Tensor (not a Parameter) or None, got {type(tensor).__name__}")
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def forward(self, *args):
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def __delattr__(self, name):
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def named_parameters(self, prefix="", _seen=None):
        """Yield ``(name, Parameter)`` pairs, depth first, names joined with dots; a Parameter
        shared by several submodules is yielded once, under its first name (so an optimizer
        updates it once per step)."""
        seen = set() if _seen is None else _seen
        for name, p in self._parameters.items():
            if id(p) not in seen:
                seen.add(id(p))
                yield prefix + name, p
        for name, m in self._modules.items():
            yield from m.named_parameters(f"{prefix}{name}.", seen)

    def parameters(self):
        """Return the list of all Parameters of this module and its submodules."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix=""):
        """Yield ``(name, Tensor)`` pairs of every buffer (None ones skipped), depth first,
        names joined with dots."""
        for name, b in self._buffers.items():
            if b is not None:
                yield prefix + name, b
        for name, m in self._modules.items():
            yield from m.named_buffers(f"{prefix}{name}.")

    def buffers(self):
        """Return the list of all buffers of this module and its submodules."""
        return [b for _, b in self.named_buffers()]

    def _named_state(self):
        """Parameters, then buffers: what :meth:`state_dict` holds."""
        return list(self.named_parameters()) + list(self.named_buffers())

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """Yield ``(name, module)`` for this module (name ``prefix``, "" by default) and every
        submodule, depth first, names joined with dots, as PyTorch's: a module reached twice is
        yielded once unless ``remove_duplicate`` is False. ``memo``: a set of modules to skip."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        """Yield this module and every submodule (each once), depth first."""
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        """Yield ``(name, module)`` for each direct submodule (each once)."""
        seen = set()
        for name, m in self._modules.items():
            if m not in seen:
                seen.add(m)
                yield name, m

    def children(self):
        """Yield each direct submodule (each once)."""
        for _, m in self.named_children():
            yield m

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule, children first, then on this module (as
        PyTorch's, e.g. to initialise weights); returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter (False freezes them); returns self.

        Raises:
            TypeError: ``requires_grad`` is not a bool.
        """
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad: expected a bool, got {type(requires_grad).__name__}")
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def double(self):
        """Cast every floating-point parameter (and its gradient) and buffer to float64 in
        place (the objects stay the same); integer buffers stay as they are. Returns self."""
        return self._cast_floats(np.float64)

    def float(self):
        """Cast every floating-point parameter and buffer to float32; see :meth:`double`."""
        return self._cast_floats(np.float32)

    def half(self):
        """PyTorch's cast to float16, refused.

        Raises:
            NotImplementedError: always (tinyconv computes in float32 or float64).
        """
        return self._cast_floats(np.float16)

    def _cast_floats(self, dtype):
        dtype = _module_dtype(dtype)
        if dtype == np.float16:
            raise NotImplementedError("half(): tinyconv has no float16 computation; its layers compute in "
                                      "float32 or float64 (use .float() or .double())")
        if dtype.kind != "f":
            raise TypeError(f"dtype: expected a floating-point dtype (float32 or float64), got {dtype}")
        for t in self.parameters() + self.buffers():
            if t.dtype.kind == "f" and t.dtype != dtype:
                t.data = t.data.astype(dtype)
                if t.grad is not None:
                    t._grad = Tensor(t.grad.data.astype(dtype))
        return self

    def train(self, mode=True):
        """Set training mode (dropout active) on this module and its submodules; returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        """Set evaluation mode; returns self."""
        return self.train(False)

    def zero_grad(self):
        """Reset the gradients of all parameters to None."""
        for p in self.parameters():
            p.grad = None

    def to(self, *args, device=None, dtype=None, non_blocking=False):
        """Move and/or cast every parameter (and its gradient) and every buffer in place, as
        PyTorch's ``Module.to``: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``,
        ``to(tensor)`` (its device and dtype) or the keywords; returns self. ``device`` is
        "cpu", "cuda", "cuda:0" or a :class:`tinyconv.device`; ``dtype`` casts the floating-point
        state only (as :meth:`double`). The Parameter and buffer objects stay the same, so an
        optimizer built before or after the move keeps updating them; its state follows them
        at its next step (build it after ``.to()``, as in PyTorch, and nothing needs to move
        at all). ``non_blocking`` has no effect.

        Raises:
            TypeError, ValueError: a bad ``device``; a dtype that is not floating-point.
            NotImplementedError: float16 (see :meth:`half`).
            tinyconv.cuda.DeviceUnavailableError: "cuda" without CuPy or a GPU; no parameter
                moves in that case.
        """
        for arg in args:
            if isinstance(arg, Tensor):
                device, dtype = arg.device, arg.dtype
            elif isinstance(arg, (str, int)):  # an int is a device index in PyTorch: refused by device_arg
                device = arg
            else:
                dtype = arg
        if device is not None and device_arg(device) == "cuda":
            require_cuda()
        if dtype is not None:
            self._cast_floats(dtype)
        if device is None:
            return self
        for p in self.parameters():
            p.data = to_device(p.data, device)
            if p.grad is not None:
                p._grad = Tensor(to_device(p.grad.data, device))
        for b in self.buffers():
            b.data = to_device(b.data, device)
        return self

    def state_dict(self):
        """Return an OrderedDict name -> NumPy array (a copy) of every parameter, then of every
        buffer, wherever they live: checkpoints always hold host arrays."""
        return OrderedDict((name, np.array(p.numpy(), copy=True)) for name, p in self._named_state())

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        Args:
            state_dict: a dict name -> array (or Tensor), as :meth:`state_dict` returns.
            strict: as in PyTorch: with True (default) every name must match; with False the
                names present in both are loaded and the others reported.
            assign: only False (copy into the existing parameters) is supported.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``, two lists of names (empty
            with ``strict=True``, which raises instead).

        Raises:
            StateDictError (a RuntimeError and a ValueError): listing at once every missing or
                unexpected name (with ``strict``) and every shape or dtype mismatch; nothing
                is changed in that case. Unlike PyTorch, which casts, another dtype is refused.
            TypeError: ``state_dict`` is not a dict.
            NotImplementedError: ``assign=True``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"state_dict: expected a dict of arrays (name -> array), got {type(state_dict).__name__}")
        if assign:
            raise NotImplementedError("load_state_dict(assign=True): tinyconv has no assign; it copies into "
                                      "the existing parameters (assign=False)")
        own = dict(self._named_state())
        missing = [n for n in own if n not in state_dict]
        unexpected = [n for n in state_dict if n not in own]
        problems = [f"missing: {n}" for n in missing] + [f"unexpected: {n}" for n in unexpected] if strict else []
        for name in own.keys() & state_dict.keys():
            got, want = state_dict[name], own[name]
            got = got if hasattr(got, "shape") and hasattr(got, "dtype") else np.asarray(got)
            if got.shape != want.shape or got.dtype != want.dtype:
                problems.append(f"{name}: expected {want.dtype} {want.shape}, got {got.dtype} {got.shape}")
        if problems:
            raise StateDictError("state_dict does not match the model:\n  " + "\n  ".join(sorted(problems)))
        for name, p in own.items():
            if name in state_dict:
                value = state_dict[name]
                p.data[...] = get_array_module(p.data).asarray(value.data if isinstance(value, Tensor) else value)
        return IncompatibleKeys(missing, unexpected)

    def save(self, path):
        """Write this module's parameters and buffers to ``path`` as a checkpoint: the same as
        ``tinyconv.save(self, path)`` (one format, one writer; atomic, see
        :func:`tinyconv.checkpoint.save`), so ``tinyconv.load(path)`` returns the state dict and
        ``tinyconv.load(path, into=model)`` restores it. ``numpy.load`` opens the file: one
        ``<name>.npy`` member per array, beside ``checkpoint.json``.

        Raises:
            OSError: the file cannot be written; a previous file at ``path`` is left intact.
        """
        save_checkpoint(self, path)

    def load(self, path):
        """Load parameters and buffers from a file written by :meth:`save` or by
        ``tinyconv.save`` of a module or its state dict, read as untrusted bytes
        (:func:`tinyconv.checkpoint.load_weights`) and checked as in :meth:`load_state_dict`.
        Archives of bare arrays, which :meth:`save` wrote before it wrote checkpoints (and
        ``numpy.savez`` writes, uncompressed), are read too: they hold nothing more than the
        arrays, and go through the same bounded reader.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: a file that is neither (damaged, compressed, not a regular file: named),
                or that does not match the model (StateDictError, as :meth:`load_state_dict`).
        """
        self.load_state_dict(load_weights(path))

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        body = "\n" + "\n".join(lines) + "\n" if lines else ""
        return f"{type(self).__name__}({self.extra_repr()}{body})"
