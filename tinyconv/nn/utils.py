"""``tinyconv.nn.utils``: PyTorch's import path for gradient clipping."""
import math
import numbers

from ..optim.clip import clip_grad_norm_ as _clip_grad_norm
from ..tensor import Tensor


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """PyTorch's ``clip_grad_norm_``: scale the gradients of ``parameters`` together, in place,
    so that their global L2 norm is at most ``max_norm`` (see
    :func:`tinyconv.optim.clip_grad_norm_`, which does the work).

    Args:
        parameters: a Parameter or an iterable of Parameters. max_norm: > 0.
        norm_type: only 2 (the L2 norm) is supported. foreach: accepted and ignored (it
            picks an implementation in PyTorch, not a result).
        error_if_nonfinite: raise when the norm is NaN or infinite (the gradients are then
            left unscaled either way).

    Returns:
        The global norm before clipping, as a 0-d float32 Tensor.

    Raises:
        NotImplementedError: another ``norm_type``.
        RuntimeError: a non-finite norm with ``error_if_nonfinite``.
        TypeError, ValueError: as :func:`tinyconv.optim.clip_grad_norm_`.
    """
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or norm_type != 2:
        raise NotImplementedError(f"norm_type: tinyconv clips by the L2 norm only (norm_type=2), got {norm_type!r}")
    total = _clip_grad_norm(parameters, max_norm)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order 2.0 for gradients from `parameters` is non-finite ({total}), "
                           "so it cannot be clipped")
    return Tensor(total)
