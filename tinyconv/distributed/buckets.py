"""Bucketed collectives over many arrays: gradients averaged and parameters broadcast with
one call per bucket (a flat buffer of up to ``bucket_cap_mb`` MiB) instead of one per array,
as PyTorch's DistributedDataParallel does (Li et al. 2020, "PyTorch Distributed", VLDB,
section 3.2.2: gradient bucketing)."""

from ..autograd import no_grad
from ..backend import device_of, get_array_module
from ..tensor import Tensor
from ..validation import integer, positive_real
from .collectives import all_reduce, broadcast
from .process_group import get_world_size


def bucket_cap_arg(bucket_cap_mb):
    """Return ``bucket_cap_mb`` (a positive number of MiB) in bytes.

    Raises:
        TypeError: not a number. ValueError: not finite and > 0.
    """
    return int(positive_real("bucket_cap_mb", bucket_cap_mb) * 2**20)


def buckets(arrays, cap_bytes):
    """Split the indices of ``arrays`` into buckets: arrays of one dtype and device, in order,
    at most ``cap_bytes`` together (an array larger than that alone). Every rank holding the
    same parameters gets the same buckets."""
    groups = {}
    for i, a in enumerate(arrays):
        groups.setdefault((a.dtype.str, device_of(a)), []).append(i)
    out = []
    for indices in groups.values():
        bucket, size = [], 0
        for i in indices:
            if bucket and size + arrays[i].nbytes > cap_bytes:
                out.append(bucket)
                bucket, size = [], 0
            bucket.append(i)
            size += arrays[i].nbytes
        out.append(bucket)
    return out


def _flatten(arrays, extra=()):
    xp = get_array_module(*arrays)
    return xp.concatenate([a.ravel() for a in arrays] + [xp.asarray(extra, dtype=arrays[0].dtype)])


def _scatter(flat, arrays):
    """Copy consecutive pieces of ``flat`` into ``arrays``, in place."""
    xp, offset = get_array_module(flat), 0
    for a in arrays:
        xp.copyto(a, flat[offset:offset + a.size].reshape(a.shape))
        offset += a.size


def all_reduce_gradients(params, bucket_cap_mb=25, batch_size=None):
    """Average the gradients of ``params`` across ranks, in place: one :func:`all_reduce` per
    bucket of gradients.

    The loss of each rank is a mean over its local batch, so with equal local batches of b
    samples on R ranks the average of the R gradients is the gradient of the mean loss over
    the global batch of R·b samples: the update one process with the global batch would make
    (up to the order of the summation). With unequal local batches pass ``batch_size``, the
    local batch size: the gradients are then weighted by it, sum_r b_r g_r / sum_r b_r (the
    total travels in the first bucket, no extra call).

    A parameter without a gradient counts as a zero gradient on that rank; one that has no
    gradient on any rank keeps none (so the optimizer leaves it alone, as one process would);
    every other parameter ends with the same averaged gradient on every rank. Whether each
    parameter has a gradient travels in the first bucket too (no extra call).

    Args:
        params: the same Parameters, in the same order, on every rank.
        bucket_cap_mb: the most MiB of gradients reduced by one call (PyTorch's default, 25).
        batch_size: None (equal local batches) or this rank's local batch size (int >= 0).

    Raises:
        TypeError, ValueError: a bad ``bucket_cap_mb`` or ``batch_size``.
        RuntimeError: no process group (see :func:`all_reduce` for the other errors).
    """
    cap = bucket_cap_arg(bucket_cap_mb)
    batch_size = integer("batch_size", batch_size, low=0, optional=True)
    params = list(params)
    with no_grad():
        has_grad = [float(p.grad is not None) for p in params]
        for p in params:
            if p.grad is None:
                p.grad = Tensor(get_array_module(p.data).zeros_like(p.data))
        grads = [p.grad.data for p in params]
        for k, bucket in enumerate(buckets(grads, cap)):
            arrays = [grads[i] for i in bucket]
            extra = (has_grad + ([batch_size] if batch_size is not None else [])) if k == 0 else []
            flat = _flatten(arrays, extra=extra)
            values = flat[:flat.size - len(extra)]  # a view: the gradients, without the extras
            if batch_size is not None:
                values *= batch_size
            all_reduce(flat, "sum")
            if k == 0:
                with_grad = flat[flat.size - len(extra):][:len(params)].tolist()
                total = float(flat[-1]) if batch_size is not None else get_world_size()
            values /= total if total > 0 else 1
            _scatter(values, arrays)
        for p, count in zip(params, with_grad if params else []):
            if count == 0:
                p.grad = None


def broadcast_parameters(params, root=0, bucket_cap_mb=25):
    """Overwrite ``params`` on every rank with rank ``root``'s values, in place (the same
    Parameter objects): one :func:`broadcast` per bucket. Call it after building the model
    (and after loading a checkpoint), so that every rank starts from the same weights.

    Args:
        params: a Module (its ``parameters()`` and ``buffers()``, e.g. batch normalisation's
            running statistics) or an iterable of Parameters, the same on every rank.
        root: the rank whose values win.
        bucket_cap_mb: the most MiB moved by one call.

    Raises:
        ValueError: a bad ``root`` or ``bucket_cap_mb``. RuntimeError: no process group.
    """
    cap = bucket_cap_arg(bucket_cap_mb)
    params = list(params.parameters() + params.buffers() if hasattr(params, "buffers") else params)
    arrays = [p.data for p in params]
    for bucket in buckets(arrays, cap):
        flat = broadcast(_flatten([arrays[i] for i in bucket]), root)
        _scatter(flat, [arrays[i] for i in bucket])
