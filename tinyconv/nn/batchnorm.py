"""BatchNorm1d and BatchNorm2d: batch normalisation layers with running statistics (Ioffe &
Szegedy 2015; see :func:`tinyconv.functional.batch_norm`)."""

import numpy as np

from .. import functional as F
from ..validation import float_dtype, number, positive_int, require_ndim
from ..tensor import Parameter, Tensor, tensor_arg
from .module import Module


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d, which differ only in the input ranks they take.

    In training mode (``train()``, the default) each call normalises with the batch's
    statistics and updates the buffers ``running_mean`` (zeros at first) and ``running_var``
    (ones at first) with ``momentum``, and counts the batches in ``num_batches_tracked``; in
    evaluation mode (``eval()``) it normalises with the running statistics. The buffers are
    saved in ``state_dict()`` and move with ``to()``.

    Args:
        num_features: C, the channels (axis 1) of the input.
        eps: > 0, added to the variance. momentum: weight of each new batch statistic, in
            [0, 1] (0.1 as PyTorch).
        affine: learn a scale ``weight`` (ones at first) and a shift ``bias`` (zeros).
        track_running_stats: keep running statistics; without them the batch statistics are
            used in evaluation mode too.
        dtype: float32 (default) or float64.

    Raises:
        TypeError: num_features not an int, another dtype.
        ValueError: num_features < 1, eps <= 0, momentum outside [0, 1].
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32):
        super().__init__()
        self.num_features = positive_int("num_features", num_features)
        dtype = float_dtype("dtype", dtype)
        self.eps = float(number("eps", eps, 0, low_open=True))
        self.momentum = float(number("momentum", momentum, 0, 1))
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        self.weight = Parameter(np.ones(num_features, dtype=dtype)) if affine else None
        self.bias = Parameter(np.zeros(num_features, dtype=dtype)) if affine else None
        tracked = track_running_stats
        self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)) if tracked else None)
        self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)) if tracked else None)
        self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)) if tracked else None)

    def _check_input(self, x):
        raise NotImplementedError

    def forward(self, x):
        """Normalise x (see the class docstring for the shapes); raises ValueError for another
        rank or channel count, and as :func:`tinyconv.functional.batch_norm`."""
        x = tensor_arg("x", x)
        self._check_input(x)
        if x.shape[1] != self.num_features:
            raise ValueError(f"x: expected {self.num_features} channels (axis 1), got shape {tuple(x.shape)}")
        y = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         training=self.training or not self.track_running_stats, momentum=self.momentum, eps=self.eps)
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
        return y

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C (statistics over N, or
    over N and L). See :class:`_BatchNorm` for the arguments and modes."""

    def _check_input(self, x):
        if x.ndim not in (2, 3):
            raise ValueError(f"x: expected a 2-D (N, C) or 3-D (N, C, L) tensor, got shape {tuple(x.shape)}")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C (statistics over N, H and W;
    "spatial" batch normalisation, Ioffe & Szegedy 2015, section 3.2). See :class:`_BatchNorm`
    for the arguments and modes."""

    def _check_input(self, x):
        require_ndim("x", x, 4, "(N, C, H, W)")
