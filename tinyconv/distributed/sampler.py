"""DistributedSampler: each rank's disjoint share of every epoch."""
import math

import numpy as np

from ..validation import integer
from .process_group import get_rank, get_world_size


class DistributedSampler:
    """The indices of ``dataset`` that rank ``rank`` of ``num_replicas`` visits in one epoch,
    with PyTorch's ``DistributedSampler`` semantics: every rank draws the same permutation of
    the n indices (seeded by ``(seed, epoch)``; call :meth:`set_epoch` before each epoch for a
    new order), makes its length a multiple of R = ``num_replicas`` by repeating its first
    indices (or, with ``drop_last``, dropping its last ones), and takes every R-th index from
    position ``rank``. The shards are disjoint, equal in size, and together cover the epoch
    (with at most R - 1 indices repeated, or dropped).

    Pass it to :class:`tinyconv.data.DataLoader` as ``sampler``.

    Args:
        dataset: anything with ``len()``.
        num_replicas: number of ranks R (default: the world size).
        rank: this rank, in [0, R) (default: this process's rank).
        shuffle: a new random order each epoch (else the indices in order).
        seed: int >= 0, the same on every rank.
        drop_last: drop the tail instead of padding (each shard then has floor(n / R) indices).

    Raises:
        TypeError: ``dataset`` has no ``len()``; a non-int ``num_replicas``, ``rank`` or ``seed``.
        ValueError: ``num_replicas`` < 1, ``rank`` outside [0, R), ``seed`` < 0.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"dataset: expected an object with len(), got {type(dataset).__name__}")
        self.dataset = dataset
        self.num_replicas = integer("num_replicas", get_world_size() if num_replicas is None else num_replicas, low=1)
        self.rank = integer("rank", get_rank() if rank is None else rank, low=0, high=self.num_replicas, high_open=True)
        self.seed = integer("seed", seed, low=0)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.epoch = 0

    def __len__(self):
        """Indices per rank per epoch."""
        n, r = len(self.dataset), self.num_replicas
        return n // r if self.drop_last else math.ceil(n / r)

    def __iter__(self):
        n = len(self.dataset)
        order = np.random.default_rng((self.seed, self.epoch)).permutation(n) if self.shuffle else np.arange(n)
        total = len(self) * self.num_replicas
        if total > n:
            order = np.resize(order, total)  # repeats the first indices (as often as needed)
        return iter(order[:total][self.rank::self.num_replicas].tolist())

    def set_epoch(self, epoch):
        """Use the order of ``epoch`` (an int >= 0) from the next iteration on; the same on every rank.

        Raises:
            TypeError, ValueError: ``epoch`` is not an int >= 0.
        """
        self.epoch = integer("epoch", epoch, low=0)
