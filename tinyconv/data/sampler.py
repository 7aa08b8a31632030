"""Samplers: the order in which a DataLoader visits a dataset, as torch.utils.data's."""
import numpy as np

from ..random import resolve_rng


class Sampler:
    """Base of the samplers: iterate over dataset indices; ``len()`` is their number."""

    def __iter__(self):
        raise NotImplementedError("Subclasses of Sampler should implement __iter__.")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random permutation of the indices of ``data_source`` each iteration.

    Args:
        data_source: a dataset (only its ``len()`` is used).
        replacement: draw ``num_samples`` indices with replacement instead.
        num_samples: how many indices per iteration (default ``len(data_source)``; without
            ``replacement``, more than that repeats whole permutations, as in PyTorch).
        generator: ``numpy.random.Generator`` (tinyconv has no torch.Generator), or None for
            the framework's default.

    Raises:
        ValueError: ``num_samples`` is not a positive int.
        TypeError: ``replacement`` is not a bool, ``generator`` not a Generator.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if num_samples is not None and (isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer))
                                        or num_samples <= 0):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        self.data_source, self.replacement, self._num_samples = data_source, replacement, num_samples
        self.generator = resolve_rng(generator, "generator")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def __iter__(self):
        n, rng = len(self.data_source), self.generator
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        whole, rest = divmod(self.num_samples, n) if n else (0, 0)
        order = [rng.permutation(n) for _ in range(whole)] + [rng.permutation(n)[:rest]]
        return iter(np.concatenate(order).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a new random order each iteration (``generator`` as
    :class:`RandomSampler`)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, resolve_rng(generator, "generator")

    def __iter__(self):
        return (self.indices[i] for i in self.generator.permutation(len(self.indices)).tolist())

    def __len__(self):
        return len(self.indices)


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size``; the last, shorter list
    is dropped if ``drop_last``.

    Raises:
        ValueError: ``batch_size`` is not a positive int, ``drop_last`` not a bool.
    """

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, int(batch_size), drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
