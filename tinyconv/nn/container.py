"""Sequential: modules applied one after another."""
from .module import Module


class Sequential(Module):
    """Apply ``modules`` in order; indexable and iterable like a list."""

    def __init__(self, *modules):
        super().__init__()
        for index, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"modules[{index}]: expected a Module, got {type(module).__name__}")
            setattr(self, str(index), module)

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
