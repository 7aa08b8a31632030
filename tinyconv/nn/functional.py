"""PyTorch's import path for the functional ops: ``import tinyconv.nn.functional as F`` gives
:mod:`tinyconv.functional` itself (the same module object, so every op is there)."""
import sys

from .. import functional

sys.modules[__name__] = functional
