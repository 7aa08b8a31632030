"""default_collate and default_convert: samples to batches of Tensors, as torch.utils.data's."""
import collections.abc
import numbers

import numpy as np

from ..backend import get_array_module


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _stack(arrays):
    """Stack equal-shaped arrays along a new first axis into a Tensor.

    Raises:
        RuntimeError: the shapes differ (names the first two that do, as torch.stack).
    """
    from ..tensor import Tensor
    for i, a in enumerate(arrays):
        if a.shape != arrays[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(arrays[0].shape)} "
                               f"at entry 0 and {list(a.shape)} at entry {i}")
    return Tensor(get_array_module(arrays[0]).stack(arrays))


def _rebuild(elem, items):
    """A container of ``elem``'s type holding ``items`` (a dict of values for a mapping, a
    list otherwise); a plain dict or list where the type cannot be built so."""
    if isinstance(elem, collections.abc.Mapping):
        try:
            return type(elem)(items)
        except TypeError:
            return dict(items)
    if _is_namedtuple(elem):
        return type(elem)(*items)
    if isinstance(elem, tuple):
        return list(items)  # as PyTorch: a tuple of fields becomes a list
    try:
        return type(elem)(items)
    except TypeError:
        return list(items)


def default_collate(batch):
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate``.

    By the type of the first sample: a Tensor or a NumPy array (B of shape S) -> a Tensor
    (B, *S) of the same dtype; a NumPy scalar -> a Tensor (B,) of its dtype; Python ints ->
    int64 (B,) (bools -> bool); Python floats -> float64 (B,); strings and bytes -> the list
    unchanged; a mapping -> the same mapping type of collated values per key; a namedtuple ->
    the same namedtuple of collated fields; a tuple or other sequence -> a list (or the same
    sequence type) of collated fields.

    Raises:
        RuntimeError: arrays of different shapes, or sequences of different lengths.
        TypeError: samples of another type, or NumPy arrays of strings or objects.
    """
    from ..tensor import Tensor
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([t.data for t in batch])
    if isinstance(elem, (np.ndarray, np.generic)) and not isinstance(elem, (np.str_, np.bytes_)):
        if elem.dtype.kind in "SaUO":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                            f"lists; found arrays of dtype {elem.dtype}")
        return _stack([np.asarray(b) for b in batch])
    if isinstance(elem, bool):
        return Tensor(np.asarray(batch, dtype=bool))
    if isinstance(elem, numbers.Integral):
        return Tensor(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, numbers.Real):
        return Tensor(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {key: default_collate([d[key] for d in batch]) for key in elem})
    if isinstance(elem, collections.abc.Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        return _rebuild(elem, [default_collate(field) for field in zip(*batch)])
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                    f"found {type(elem).__name__}")


def default_convert(data):
    """Turn the NumPy arrays and scalars in ``data`` into Tensors (keeping their dtypes),
    through mappings, namedtuples, tuples (which become lists, as in PyTorch) and other
    sequences; everything else (numbers, strings, Tensors) is returned unchanged. As
    ``torch.utils.data.default_convert``, the collate function of a loader with
    ``batch_size=None``."""
    from ..tensor import Tensor
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (np.str_, np.bytes_)):
        return data if data.dtype.kind in "SaUO" else Tensor(data)
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {key: default_convert(value) for key, value in data.items()})
    if isinstance(data, collections.abc.Sequence):
        return _rebuild(data, [default_convert(d) for d in data])
    return data
