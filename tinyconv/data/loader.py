"""DataLoader: mini-batches of a dataset as Tensors."""
import numbers

import numpy as np

from ..backend import device_arg, require_cuda
from ..random import resolve_rng


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    The dataset is indexed once per batch with an int64 index array of shape (B,) and must
    return an array or a tuple of arrays with first dimension B (as :class:`MNIST` and
    :class:`TensorDataset` do). Each batch is a tuple of Tensors, one per dataset output,
    e.g. ``(images (B, 1, 28, 28) float32, labels (B,) int64)``.

    A loader can be checkpointed: :meth:`state_dict` holds its generator's state and, when
    taken in the middle of an epoch, that epoch's order and how many samples were handed out,
    so that after :meth:`load_state_dict` the next iteration finishes the interrupted epoch
    exactly and later epochs shuffle as they would have.

    Args:
        dataset: supports ``len()`` and indexing with an int64 array.
        batch_size: positive int, B; the last batch may be smaller unless ``drop_last``.
        shuffle: visit the samples in a new random order each epoch.
        sampler: an iterable of dataset indices with ``len()``, visited in its order each
            epoch instead of the loader's own (e.g. a
            :class:`tinyconv.distributed.DistributedSampler`: this rank's share); excludes ``shuffle``.
        drop_last: skip a last batch smaller than ``batch_size``.
        rng: ``numpy.random.Generator`` for shuffling, or None for the framework's default;
            captured here, so the orders of successive epochs are fixed by its seed.
        device: "cpu" or "cuda": every batch is moved there (one copy per array per batch;
            the dataset itself stays in host memory). Default: where the dataset's arrays are.

    Raises:
        TypeError: ``batch_size`` is not an int, ``rng`` is not a Generator, or ``dataset``
            has no ``len()`` or no indexing.
        ValueError: ``batch_size`` is not positive, ``sampler`` with ``shuffle``, or an unknown device.
        tinyconv.cuda.DeviceUnavailableError: ``device="cuda"`` without CuPy or a GPU.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, rng=None, device=None, sampler=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"batch_size: expected a positive int, got {type(batch_size).__name__}")
        if batch_size <= 0:
            raise ValueError(f"batch_size: expected a positive int, got {batch_size}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"dataset: expected an object with len() and indexing (e.g. TensorDataset), "
                            f"got {type(dataset).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("sampler: expected shuffle=False with a sampler (the sampler sets the order), got shuffle=True")
        if sampler is not None and not (hasattr(sampler, "__len__") and hasattr(sampler, "__iter__")):
            raise TypeError(f"sampler: expected an iterable of indices with len(), got {type(sampler).__name__}")
        self.dataset, self.batch_size, self.sampler = dataset, int(batch_size), sampler
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.rng = resolve_rng(rng)
        if device is not None and device_arg(device) == "cuda":
            require_cuda()
        self.device = device
        self._order = None      # the current epoch's order while an iteration is under way
        self._position = 0      # samples of that order handed out so far
        self._resume = None     # (order, position) restored by load_state_dict

    def __len__(self):
        """Number of batches per epoch."""
        n, b = self._epoch_length(), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def _epoch_length(self):
        return len(self.dataset) if self.sampler is None else len(self.sampler)

    def _new_order(self):
        if self.sampler is not None:
            return np.fromiter(self.sampler, dtype=np.int64, count=len(self.sampler))
        n = len(self.dataset)
        return self.rng.permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self):
        from ..tensor import Tensor
        if self._resume is not None:
            order, start = self._resume
            self._resume = None
        else:
            order, start = self._new_order(), 0
        n = len(order)
        order = order.astype(np.int64, copy=False)
        self._order, self._position = order, start
        end = n - n % self.batch_size if self.drop_last else n
        for i in range(start, end, self.batch_size):
            out = self.dataset[order[i:i + self.batch_size]]
            self._position = min(i + self.batch_size, end)
            yield tuple(Tensor(a, device=self.device) for a in (out if isinstance(out, tuple) else (out,)))
        self._order, self._position = None, 0

    def state_dict(self):
        """Return ``{"rng": generator state, "order": int64 array (n,) or None, "position": int}``:
        ``order`` and ``position`` (samples already handed out) are set only while an epoch is
        under way; between epochs only the generator state matters. With a ``sampler``, n is
        its length and ``order`` the epoch's indices in the sampler's order."""
        mid_epoch = self._order is not None and self._position > 0
        return {"rng": self.rng.bit_generator.state,
                "order": np.array(self._order, copy=True) if mid_epoch else None,
                "position": int(self._position) if mid_epoch else 0}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict`: the generator's state (in place: a shared default
        generator is restored for every holder) and, if saved mid-epoch, where the next
        iteration starts.

        Raises:
            TypeError: ``state_dict`` is not a dict.
            ValueError: listing every problem at once (missing or unexpected keys, a generator
                of another kind, an order that is not a permutation of the dataset's indices,
                a position outside it); nothing is changed in that case.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict: expected a dict, got {type(state_dict).__name__}")
        problems = [f"missing: {k}" for k in ("rng", "order", "position") if k not in state_dict]
        problems += [f"unexpected: {k}" for k in state_dict if k not in ("rng", "order", "position")]
        rng = state_dict.get("rng")
        kind = self.rng.bit_generator.state["bit_generator"]
        if "rng" in state_dict and (not isinstance(rng, dict) or rng.get("bit_generator") != kind):
            got = rng.get("bit_generator") if isinstance(rng, dict) else type(rng).__name__
            problems.append(f"rng: expected the state of a {kind} generator, got {got}")
        order, position = state_dict.get("order"), state_dict.get("position", 0)
        n = self._epoch_length()
        if order is not None:
            order = np.asarray(order)
            if order.shape != (n,) or order.dtype.kind not in "iu" or not self._valid_order(order):
                expected = f"a permutation of the {n} dataset indices" if self.sampler is None else \
                    f"the sampler's {n} dataset indices"
                problems.append(f"order: expected {expected}, got {order.dtype} {order.shape}")
        if isinstance(position, bool) or not isinstance(position, numbers.Integral) or not 0 <= position <= n:
            problems.append(f"position: expected an int in [0, {n}], got {position!r}")
        if problems:
            raise ValueError("DataLoader state_dict does not match the loader:\n  " + "\n  ".join(problems))
        try:
            self.rng.bit_generator.state = rng
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"DataLoader state_dict does not match the loader:\n  rng: {e}") from None
        self._resume = None if order is None else (order.astype(np.int64), int(position))
        self._order, self._position = None, 0

    def _valid_order(self, order):
        if self.sampler is None:
            return np.array_equal(np.sort(order), np.arange(len(order)))
        return order.size == 0 or (order.min() >= 0 and order.max() < len(self.dataset))
