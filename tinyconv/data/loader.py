"""DataLoader: mini-batches of a dataset as Tensors."""
import numpy as np

from ..random import resolve_rng


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    The dataset is indexed once per batch with an int64 index array of shape (B,) and must
    return an array or a tuple of arrays with first dimension B (as :class:`MNIST` and
    :class:`TensorDataset` do). Each batch is a tuple of Tensors, one per dataset output,
    e.g. ``(images (B, 1, 28, 28) float32, labels (B,) int64)``.

    Args:
        dataset: supports ``len()`` and indexing with an int64 array.
        batch_size: positive int, B; the last batch may be smaller unless ``drop_last``.
        shuffle: visit the samples in a new random order each epoch.
        drop_last: skip a last batch smaller than ``batch_size``.
        rng: ``numpy.random.Generator`` for shuffling, or None for the framework's default;
            captured here, so the orders of successive epochs are fixed by its seed.

    Raises:
        TypeError: ``batch_size`` is not an int, or ``rng`` is not a Generator.
        ValueError: ``batch_size`` is not positive.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, rng=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"batch_size: expected a positive int, got {type(batch_size).__name__}")
        if batch_size <= 0:
            raise ValueError(f"batch_size: expected a positive int, got {batch_size}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.rng = resolve_rng(rng)

    def __len__(self):
        """Number of batches per epoch."""
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        from ..tensor import Tensor
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        order = order.astype(np.int64, copy=False)
        for i in range(len(self)):
            out = self.dataset[order[i * self.batch_size:(i + 1) * self.batch_size]]
            yield tuple(Tensor(a) for a in (out if isinstance(out, tuple) else (out,)))
