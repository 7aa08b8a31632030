"""Embedding lookup: rows of a weight matrix picked by integer indices."""
from ..autograd import Function
from ..backend import get_array_module
from ..tensor import tensor_arg
from ..validation import require_float, require_ndim


class Embedding(Function):
    """weight[indices]; the gradient of a row adds up over its lookups, and the row
    ``padding_idx`` (if any) gets none, as in PyTorch."""

    def __init__(self, indices, padding_idx):
        self.indices, self.padding_idx = indices, padding_idx

    def forward(self, weight):
        self.shape = weight.shape
        return weight[self.indices]

    def backward(self, g):
        xp = get_array_module(g)
        grad = xp.zeros(self.shape, dtype=g.dtype)
        xp.add.at(grad, self.indices.reshape(-1), g.reshape(-1, self.shape[1]))
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return grad


def padding_idx_arg(padding_idx, num_embeddings):
    """Return ``padding_idx`` (None, or an int in [-num_embeddings, num_embeddings)) as None or
    a non-negative int; TypeError or ValueError otherwise."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int):
        raise TypeError(f"padding_idx: expected None or an int, got {padding_idx!r}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx: expected a value in [{-num_embeddings}, {num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) at the integer indices
    ``input`` (any shape) -> input.shape + (embedding_dim,), as PyTorch's ``embedding``.

    Raises:
        TypeError: non-integer indices, a non-float weight, a bad padding_idx.
        ValueError: weight not 2-D, padding_idx out of range.
        IndexError: an index outside [0, num_embeddings).
        NotImplementedError: ``max_norm``, ``scale_grad_by_freq`` or ``sparse`` (tinyconv has
            no renormalised lookups, frequency-scaled or sparse gradients).
    """
    for name, value in (("max_norm", max_norm), ("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)):
        if value not in (None, False):
            raise NotImplementedError(f"embedding({name}={value!r}): tinyconv has no {name}; leave it at its default")
    indices, weight = tensor_arg("input", input), tensor_arg("weight", weight)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"input: expected integer indices, got dtype {indices.dtype}")
    require_ndim("weight", weight, 2, "(num_embeddings, embedding_dim)")
    require_float("weight", weight)
    n = weight.shape[0]
    xp = get_array_module(indices.data, weight.data)
    if indices.numel() and not bool(((indices.data >= 0) & (indices.data < n)).all()):
        bad = indices.data[(indices.data < 0) | (indices.data >= n)].ravel()[0]
        raise IndexError(f"input: index {int(bad)} is out of range for {n} embeddings")
    return Embedding(xp.asarray(indices.data), padding_idx_arg(padding_idx, n))(weight)
