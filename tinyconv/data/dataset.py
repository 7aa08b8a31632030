"""Dataset, ConcatDataset and random_split, as torch.utils.data's."""
import bisect
import math
import numbers
import warnings

import numpy as np

from ..random import resolve_rng


class Dataset:
    """Base of map-style datasets: subclasses define ``__getitem__(int)`` (one sample) and
    ``__len__``; ``a + b`` is ``ConcatDataset([a, b])``.

    A subclass that can also return a whole batch at once may define ``get_batch(indices)``
    (tinyconv's, not PyTorch's): given int64 indices (B,), it returns exactly what
    :func:`default_collate` would make of ``[self[i] for i in indices]``, as NumPy arrays
    (e.g. a tuple of arrays with first dimension B); a :class:`DataLoader` with the default
    ``collate_fn`` then fetches each batch with one call instead of B.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class ConcatDataset(Dataset):
    """The samples of ``datasets`` one after another; negative indices count from the end.

    Raises:
        ValueError: ``datasets`` is empty.
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _split_lengths(lengths, n):
    """Integer lengths summing to ``n`` from ``lengths`` given as ints or as fractions summing
    to 1 (PyTorch's rule: floor(n * f) each, the remainder added one by one round-robin)."""
    lengths = list(lengths)
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) or v < 0 for v in lengths):
        raise ValueError(f"lengths: expected non-negative ints or fractions, got {lengths}")
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
        return sizes
    if any(not isinstance(v, numbers.Integral) for v in lengths) or sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    return [int(v) for v in lengths]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s of the given lengths,
    as ``torch.utils.data.random_split``.

    Args:
        dataset: supports ``len()`` and indexing.
        lengths: ints summing to ``len(dataset)``, or fractions summing to 1 (each part gets
            floor(len * fraction) samples; the remainder goes one by one to the parts in turn).
        generator: ``numpy.random.Generator`` (tinyconv has no torch.Generator), or None for
            the framework's default; the same seed gives the same split.

    Returns:
        a list of Subsets, one per length, in that order.

    Raises:
        ValueError: the lengths do not sum as above, or are negative or not numbers.
        TypeError: ``generator`` is not a Generator.
    """
    from .subset import Subset
    sizes = _split_lengths(lengths, len(dataset))
    order = resolve_rng(generator, "generator").permutation(sum(sizes))
    ends = np.cumsum(sizes)
    return [Subset(dataset, order[end - size:end]) for size, end in zip(sizes, ends)]
