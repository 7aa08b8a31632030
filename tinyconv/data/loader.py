"""DataLoader: mini-batches of a dataset as Tensors."""
import numbers

import numpy as np

from ..backend import device_arg, require_cuda
from ..random import resolve_rng
from ..validation import integer
from .collate import default_collate, default_convert


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context):
    """PyTorch's checks of the multiprocessing arguments, with its messages; then tinyconv's
    refusal of worker processes."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
        raise ValueError(f"num_workers option should be non-negative; use num_workers=0 to disable "
                         f"multiprocessing. (got {num_workers!r})")
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or timeout < 0:
        raise ValueError(f"timeout option should be non-negative (got {timeout!r})")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing. let num_workers > 0 "
                         "to enable multiprocessing, otherwise set prefetch_factor to None.")
    if num_workers == 0 and persistent_workers:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if num_workers == 0 and multiprocessing_context is not None:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         "but got num_workers=0")
    if num_workers > 0:
        raise NotImplementedError(
            f"num_workers={num_workers}: tinyconv's DataLoader has no worker processes; use num_workers=0 "
            f"(tinyconv's datasets fetch a whole batch in one call, see Dataset.get_batch)")


def _batching_args(batch_size, shuffle, sampler, batch_sampler, drop_last):
    """PyTorch's rules between batch_size, shuffle, sampler, batch_sampler and drop_last;
    returns (batch_size, drop_last) as the loader keeps them."""
    if sampler is not None and shuffle:
        raise ValueError(f"sampler option is mutually exclusive with shuffle (got shuffle={shuffle!r})")
    for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
        if value is not None and not (hasattr(value, "__len__") and hasattr(value, "__iter__")):
            raise TypeError(f"{name}: expected an iterable of indices with len(), got {type(value).__name__}")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and "
                             "drop_last")
        return None, False
    if batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
    return integer("batch_size", batch_size, 1, optional=True), bool(drop_last)


def _generator_arg(generator, rng):
    if generator is not None and rng is not None:
        raise ValueError("generator: expected generator= (PyTorch's name) or rng= (tinyconv's), got both")
    name, value = ("rng", rng) if generator is None else ("generator", generator)
    if value is not None and not isinstance(value, np.random.Generator):
        raise TypeError(f"{name}: expected a numpy.random.Generator or None (tinyconv has no torch.Generator), "
                        f"got {type(value).__name__}")
    return resolve_rng(value)


def _to_device(batch, device):
    """``batch`` with every Tensor in it (through lists, tuples and dicts) moved to ``device``."""
    from ..tensor import Tensor
    if device is None:
        return batch
    if isinstance(batch, Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return type(batch)({k: _to_device(v, device) for k, v in batch.items()})
    if isinstance(batch, (list, tuple)):
        moved = [_to_device(b, device) for b in batch]
        return type(batch)(*moved) if hasattr(batch, "_fields") else type(batch)(moved)
    return batch


class DataLoader:
    """Iterate over a map-style ``dataset`` in mini-batches, as ``torch.utils.data.DataLoader``.

    Each batch is ``collate_fn([dataset[i] for i in batch_indices])`` with Python int indices;
    the default :func:`default_collate` stacks the samples into Tensors, e.g. samples
    ``(image (C, H, W) float32, label int)`` give the list ``[images (B, C, H, W) float32,
    labels (B,) int64]``. A dataset with ``get_batch`` (tinyconv's datasets: :class:`MNIST`,
    :class:`TensorDataset`, ...; see :class:`Dataset`) is asked once per batch instead, with
    the same result, as long as ``collate_fn`` is left at its default.

    A loader can be checkpointed: :meth:`state_dict` holds its generator's state and, when
    taken in the middle of an epoch, that epoch's order and how many samples were handed out,
    so that after :meth:`load_state_dict` the next iteration finishes the interrupted epoch
    exactly and later epochs shuffle as they would have.

    Args (PyTorch's, in its order):
        dataset: supports ``len()`` and ``dataset[i]`` for an int i (no iterable-style datasets).
        batch_size: positive int, B (default 1); None turns automatic batching off: each sample
            is passed through ``collate_fn`` (default :func:`default_convert`) alone.
        shuffle: visit the samples in a new random order each epoch.
        sampler: an iterable of dataset indices with ``len()``, visited in its order each
            epoch instead of the loader's own (e.g. :class:`RandomSampler`, or a
            :class:`tinyconv.distributed.DistributedSampler`); excludes ``shuffle``.
        batch_sampler: an iterable of lists of indices with ``len()``, one list per batch;
            excludes batch_size, shuffle, sampler and drop_last.
        num_workers: 0 only: tinyconv loads in the main process (NotImplementedError otherwise).
        collate_fn: makes a batch of a list of samples (default :func:`default_collate`).
        pin_memory: accepted and ignored: batches are made on the host and copied to ``device``
            in one copy per array; there is no pinned memory to ask for.
        drop_last: skip a last batch smaller than ``batch_size``.
        timeout, worker_init_fn, multiprocessing_context, prefetch_factor, persistent_workers,
            pin_memory_device, in_order: checked as PyTorch checks them; without workers they
            have nothing to act on.
        generator: ``numpy.random.Generator`` for shuffling (tinyconv has no torch.Generator),
            or None for the framework's default; captured here, so the orders of successive
            epochs are fixed by its seed.

    Keyword-only, tinyconv's own:
        rng: the same as ``generator`` (the older name; give one of them).
        device: "cpu" or "cuda": every batch is moved there (one copy per array per batch;
            the dataset itself stays in host memory). Default: where the dataset's arrays are.

    Raises:
        TypeError: ``batch_size`` is not an int or None, ``generator`` is not a Generator, a
            sampler is not an iterable with ``len()``, or ``dataset`` has no ``len()`` or no
            indexing.
        ValueError: the argument combinations PyTorch refuses (with its messages), a negative
            ``num_workers`` or ``timeout``, ``batch_size`` < 1, or an unknown device.
        NotImplementedError: ``num_workers`` > 0.
        tinyconv.cuda.DeviceUnavailableError: ``device="cuda"`` without CuPy or a GPU.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True, rng=None, device=None):
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"dataset: expected an object with len() and indexing, a map-style dataset (e.g. "
                            f"TensorDataset; tinyconv has no IterableDataset), got {type(dataset).__name__}")
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, multiprocessing_context)
        self.batch_size, self.drop_last = _batching_args(batch_size, shuffle, sampler, batch_sampler, drop_last)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn: expected a callable or None, got {type(collate_fn).__name__}")
        self.dataset, self.sampler, self.batch_sampler = dataset, sampler, batch_sampler
        self.shuffle = bool(shuffle)
        self.num_workers, self.timeout, self.worker_init_fn, self.pin_memory = 0, timeout, worker_init_fn, pin_memory
        auto_collation = batch_sampler is not None or self.batch_size is not None
        self.collate_fn = collate_fn or (default_collate if auto_collation else default_convert)
        fast = collate_fn is None and auto_collation
        self._get_batch = getattr(dataset, "get_batch", None) if fast else None
        self.rng = self.generator = _generator_arg(generator, rng)
        if device is not None and device_arg(device) == "cuda":
            require_cuda()
        self.device = device
        self._order = None      # the current epoch's order while an iteration is under way
        self._position = 0      # samples of that order handed out so far
        self._resume = None     # (order, position) restored by load_state_dict
        self._in_batch_sampler_epoch = False

    def __len__(self):
        """Number of batches per epoch (samples, with ``batch_size=None``)."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n, b = self._epoch_length(), self.batch_size or 1
        return n // b if self.drop_last else -(-n // b)

    def _epoch_length(self):
        return len(self.dataset) if self.sampler is None else len(self.sampler)

    def _new_order(self):
        if self.sampler is not None:
            return np.fromiter(self.sampler, dtype=np.int64, count=len(self.sampler))
        n = len(self.dataset)
        return self.rng.permutation(n) if self.shuffle else np.arange(n)

    def _fetch(self, indices):
        """The batch of the int64 ``indices`` (B,), or of one index (0-d) without automatic batching."""
        if indices.ndim == 0:
            batch = self.collate_fn(self.dataset[int(indices)])
        elif self._get_batch is not None:
            batch = default_convert(self._get_batch(indices))
        else:
            batch = self.collate_fn([self.dataset[i] for i in indices.tolist()])
        return _to_device(batch, self.device)

    def __iter__(self):
        if self.batch_sampler is not None:
            yield from self._iter_batch_sampler()
            return
        if self._resume is not None:
            order, start = self._resume
            self._resume = None
        else:
            order, start = self._new_order(), 0
        n, step = len(order), self.batch_size or 1
        order = order.astype(np.int64, copy=False)
        self._order, self._position = order, start
        end = n - n % step if self.drop_last else n
        for i in range(start, end, step):
            batch = self._fetch(order[i:i + step] if self.batch_size else order[i])
            self._position = min(i + step, end)
            yield batch
        self._order, self._position = None, 0

    def _iter_batch_sampler(self):
        self._in_batch_sampler_epoch = True
        for indices in self.batch_sampler:
            yield self._fetch(np.asarray(indices, dtype=np.int64).reshape(-1))
        self._in_batch_sampler_epoch = False

    def state_dict(self):
        """Return ``{"rng": generator state, "order": int64 array (n,) or None, "position": int}``:
        ``order`` and ``position`` (samples already handed out) are set only while an epoch is
        under way; between epochs only the generator state matters. With a ``sampler``, n is
        its length and ``order`` the epoch's indices in the sampler's order.

        Raises:
            NotImplementedError: in the middle of an epoch drawn from a ``batch_sampler`` (its
                position is the batch sampler's to save).
        """
        if self._in_batch_sampler_epoch:
            raise NotImplementedError("DataLoader.state_dict: in the middle of an epoch of a batch_sampler, "
                                      "tinyconv cannot save where it is; save between epochs")
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
