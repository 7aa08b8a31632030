"""Subset: some samples of a dataset, in a given order."""
import numpy as np

from .dataset import Dataset


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (PyTorch's
    ``torch.utils.data.Subset``): ``subset[i]`` is ``dataset[indices[i]]`` for an int (passed on
    as a Python int), a slice or an integer array ``i``; where the dataset has ``get_batch``
    (see :class:`Dataset`), so has the subset, and a :class:`DataLoader` batches both alike.

    Args:
        dataset: supports ``len()`` and indexing with an int64 array.
        indices: 1-D integers in [0, len(dataset)), shape (M,); repeats are allowed.

    Raises:
        TypeError: ``dataset`` has no ``len()`` or no indexing.
        ValueError: ``indices`` is not 1-D integers in [0, len(dataset)) (names the range found).
    """

    def __init__(self, dataset, indices):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"dataset: expected an object with len() and indexing, got {type(dataset).__name__}")
        indices = np.asarray(indices)
        n = len(dataset)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise ValueError(f"indices: expected 1-D integers, got {indices.dtype} {indices.shape}")
        if indices.size and not 0 <= indices.min() <= indices.max() < n:
            raise ValueError(f"indices: expected values in [0, {n}), got [{indices.min()}, {indices.max()}]")
        self.dataset, self.indices = dataset, indices.astype(np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        picked = self.indices[index]
        return self.dataset[int(picked) if picked.ndim == 0 else picked]

    @property
    def get_batch(self):
        """The dataset's ``get_batch`` through the indices; AttributeError where the dataset has none."""
        fetch = self.dataset.get_batch
        return lambda indices: fetch(self.indices[indices])
