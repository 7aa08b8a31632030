"""Embedding: a lookup table of learned vectors (see :func:`tinyconv.functional.embedding`)."""
import numpy as np

from .. import functional as F
from ..functional.embedding import padding_idx_arg
from ..validation import float_dtype, positive_int
from ..tensor import Parameter
from . import init
from .module import Module


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim) drawn from N(0, 1), as PyTorch's; integer
    indices (any shape) -> their rows, shape input.shape + (embedding_dim,).

    Args:
        num_embeddings, embedding_dim: positive ints.
        padding_idx: None or a row (negative counts from the end) set to zeros that gets no
            gradient.
        max_norm, norm_type, scale_grad_by_freq, sparse: only the defaults
            (NotImplementedError otherwise; see :func:`tinyconv.functional.embedding`).
        _weight: an initial weight array instead of the random one. _freeze: no gradient.
        device: None or "cpu"/"cuda". dtype: None (float32), float32 or float64.
        rng: generator for the initialisation.

    Raises:
        TypeError, ValueError: bad sizes, padding_idx or dtype, a _weight of another shape.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, sparse=False, _weight=None, _freeze=False, device=None, dtype=None,
                 rng=None):
        super().__init__()
        self.num_embeddings = positive_int("num_embeddings", num_embeddings)
        self.embedding_dim = positive_int("embedding_dim", embedding_dim)
        self.padding_idx = padding_idx_arg(padding_idx, num_embeddings)
        F.embedding(np.zeros(0, dtype=np.int64), np.zeros((1, 1), np.float32), None, max_norm, norm_type,
                    scale_grad_by_freq, sparse)  # refuse what is not supported here, not at the first call
        dtype = float_dtype("dtype", np.float32 if dtype is None else dtype)
        if _weight is None:
            self.weight = init.normal_(Parameter(np.empty((num_embeddings, embedding_dim), dtype=dtype)), generator=rng)
            if self.padding_idx is not None:
                self.weight.data[self.padding_idx] = 0
        else:
            weight = np.asarray(_weight.numpy() if hasattr(_weight, "numpy") else _weight, dtype=dtype)
            if weight.shape != (num_embeddings, embedding_dim):
                raise ValueError(f"_weight: expected shape ({num_embeddings}, {embedding_dim}), got {weight.shape}")
            self.weight = Parameter(weight)
        self.weight.requires_grad = not _freeze
        if device is not None:
            self.to(device)

    def forward(self, input):
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}" + (
            f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")
