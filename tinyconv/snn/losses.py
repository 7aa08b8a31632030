"""Losses on the outputs of spiking layers, (T, N, C) time first, against int labels (N,)
(the loss functions of snnTorch's ``functional`` module, Eshraghian et al. 2023):

- :func:`spike_count_cross_entropy`: softmax cross-entropy of the spike counts
  sum_t S[t] (N, C) (``snntorch.functional.ce_count_loss``): the most active neuron wins.
- :func:`membrane_cross_entropy`: softmax cross-entropy of the peak membrane potentials
  max_t U[t] (N, C) (``snntorch.functional.ce_max_membrane_loss``): for output neurons that
  need not fire, as the tempotron's decision by peak potential.

Both are the mean over the batch, as :func:`tinyconv.functional.softmax_cross_entropy`.
"""
from .. import functional as F
from ..tensor import tensor_arg
from ..validation import require_ndim


def _outputs(name, x):
    x = tensor_arg(name, x)
    require_ndim(name, x, 3, "(T, N, C)")
    if x.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one time step, got shape {tuple(x.shape)}")
    return x


def spike_count_cross_entropy(spikes, labels):
    """Cross-entropy of the spike counts: softmax_cross_entropy(spikes.sum(0), labels).

    spikes: float (T, N, C); labels: int (N,) in [0, C). Returns a scalar Tensor.

    Raises:
        ValueError: spikes not 3-D or T = 0; labels as :func:`tinyconv.functional.softmax_cross_entropy`.
    """
    return F.softmax_cross_entropy(_outputs("spikes", spikes).sum(axis=0), labels)


def membrane_cross_entropy(membrane, labels):
    """Cross-entropy of the peak potentials: softmax_cross_entropy(membrane.amax(0), labels).

    membrane: float (T, N, C); labels: int (N,) in [0, C). Returns a scalar Tensor.

    Raises:
        ValueError: membrane not 3-D or T = 0; labels as :func:`tinyconv.functional.softmax_cross_entropy`.
    """
    return F.softmax_cross_entropy(_outputs("membrane", membrane).amax(0), labels)
