"""Import paths of ``torch.utils``: ``tinyconv.utils.data``."""
from . import data

__all__ = ["data"]
