"""Containers: Sequential, ModuleList and ModuleDict, as PyTorch's."""
import operator
from collections import OrderedDict

from .module import Module


def _module_arg(name, value):
    if not isinstance(value, Module):
        raise TypeError(f"{name}: expected a Module, got {type(value).__name__}")
    return value


class Sequential(Module):
    """Apply ``modules`` in order; indexable and iterable like a list. As in PyTorch, a single
    OrderedDict of name -> Module names the layers."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                setattr(self, name, _module_arg(f"modules[{name!r}]", module))
            return
        for index, module in enumerate(modules):
            setattr(self, str(index), _module_arg(f"modules[{index}]", module))

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index):
        return list(self._modules.values())[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        """Add ``module`` at the end (named by its index, as PyTorch does) and return self.

        Raises:
            TypeError: ``module`` is not a Module.
        """
        setattr(self, str(len(self)), _module_arg("module", module))
        return self


class ModuleList(Module):
    """A list of Modules whose parameters the owner registers (PyTorch's ``nn.ModuleList``):
    indexing (a slice gives a ModuleList), assignment, ``del``, ``len``, iteration,
    ``append``, ``extend``, ``insert`` and ``+=``. It has no ``forward``: call its members.

    Raises:
        TypeError: a member that is not a Module. IndexError: an index out of range.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _reset(self, modules):
        for name in list(self._modules):
            delattr(self, name)
        for index, module in enumerate(modules):
            setattr(self, str(index), _module_arg(f"modules[{index}]", module))

    def _index(self, index):
        index = operator.index(index)
        if not -len(self) <= index < len(self):
            raise IndexError(f"index: expected a value in [{-len(self)}, {len(self)}), got {index}")
        return index % len(self)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self)[index])
        return self._modules[str(self._index(index))]

    def __setitem__(self, index, module):
        modules = list(self)
        modules[self._index(index)] = _module_arg("module", module)
        self._reset(modules)

    def __delitem__(self, index):
        modules = list(self)
        del modules[index if isinstance(index, slice) else self._index(index)]
        self._reset(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        setattr(self, str(len(self)), _module_arg("module", module))
        return self

    def extend(self, modules):
        """Append each of ``modules`` (an iterable of Modules); returns self."""
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``, as ``list.insert``."""
        modules = list(self)
        modules.insert(index, _module_arg("module", module))
        self._reset(modules)


class ModuleDict(Module):
    """An ordered dict str -> Module whose parameters the owner registers (PyTorch's
    ``nn.ModuleDict``): ``d[key]``, assignment, ``del``, ``in``, ``len``, iteration over the
    keys, ``keys``, ``values``, ``items``, ``update``, ``pop`` and ``clear``. No ``forward``.

    Raises:
        TypeError: a key that is not a str or a value that is not a Module.
        KeyError: an unknown key; a key that is empty, dotted or an attribute of Module.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"key: expected a str, got {type(key).__name__}")
        if not key or "." in key or (hasattr(self, key) and key not in self._modules):
            raise KeyError(f"key: expected a non-empty name without '.' that is not a Module attribute, got {key!r}")
        setattr(self, key, _module_arg(f"modules[{key!r}]", module))

    def __delitem__(self, key):
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules))

    def keys(self):
        return list(self._modules.keys())

    def values(self):
        return list(self._modules.values())

    def items(self):
        return list(self._modules.items())

    def update(self, modules):
        """Add or replace entries from a mapping or an iterable of (key, Module) pairs."""
        for key, module in (modules.items() if hasattr(modules, "items") else modules):
            self[key] = module

    def pop(self, key):
        """Remove ``key`` and return its Module."""
        module = self[key]
        del self[key]
        return module

    def clear(self):
        """Remove every entry."""
        for key in self.keys():
            del self[key]
