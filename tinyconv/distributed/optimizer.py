"""DistributedOptimizer: an optimizer whose step first averages the gradients across ranks."""
from .buckets import all_reduce_gradients, bucket_cap_arg


class DistributedOptimizer:
    """Wrap ``optimizer`` so that :meth:`step` averages the gradients of its parameters across
    all ranks (bucketed, see :func:`all_reduce_gradients`) before updating them: with the same
    starting weights on every rank (:func:`broadcast_parameters`) and equal local batches, the
    ranks stay identical and each step is the step of one process with the global batch
    (Horovod's ``DistributedOptimizer``; Sergeev & Del Balso 2018, arXiv:1802.05799).

    Everything else (``zero_grad``, ``lr``, ``state_dict``, hyperparameters) is the wrapped
    optimizer's; checkpoint the wrapped ``optimizer`` itself to resume with or without MPI.

    Args:
        optimizer: a :class:`tinyconv.optim.Optimizer`, holding the same parameters on every rank.
        bucket_cap_mb: the most MiB of gradients reduced by one call (default 25, as PyTorch).

    Raises:
        TypeError: ``optimizer`` has no ``params`` and ``step``; a bad ``bucket_cap_mb``.
        ValueError: a non-positive ``bucket_cap_mb``.
    """

    def __init__(self, optimizer, bucket_cap_mb=25):
        if not (hasattr(optimizer, "params") and hasattr(optimizer, "step")):
            raise TypeError(f"optimizer: expected a tinyconv.optim.Optimizer, got {type(optimizer).__name__}")
        bucket_cap_arg(bucket_cap_mb)
        self.__dict__.update(optimizer=optimizer, bucket_cap_mb=bucket_cap_mb)

    def step(self, batch_size=None):
        """Average the gradients across ranks (weighted by ``batch_size``, this rank's local
        batch size, when the local batches differ), then update the parameters."""
        all_reduce_gradients(self.optimizer.params, self.bucket_cap_mb, batch_size)
        self.optimizer.step()

    def __getattr__(self, name):  # only for names not found on the wrapper itself
        if "optimizer" not in self.__dict__:  # e.g. while copy or pickle rebuild the wrapper
            raise AttributeError(name)
        return getattr(self.__dict__["optimizer"], name)

    def __setattr__(self, name, value):
        setattr(self.optimizer, name, value)  # e.g. ``lr``, set by the training loop or a schedule

    def __repr__(self):
        return f"DistributedOptimizer({self.optimizer!r})"
