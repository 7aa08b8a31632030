"""Loss modules with PyTorch's names and constructor arguments: each calls its function in
:mod:`tinyconv.functional` (see there for shapes, results and errors); class weights are
buffers, so they are in ``state_dict()`` and move with ``to()``, as in PyTorch."""
from .. import functional as F
from ..functional.loss import _reduction_arg
from ..tensor import tensor_arg
from .module import Module


class _Loss(Module):
    """Holds ``reduction`` (checked now, so a bad one fails at construction) and the optional
    weight buffers named in ``weights``."""

    def __init__(self, reduction, size_average=None, reduce=None, **weights):
        super().__init__()
        self.reduction = _reduction_arg(reduction, size_average, reduce)
        for name, value in weights.items():
            self.register_buffer(name, None if value is None else tensor_arg(name, value))

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """``F.cross_entropy(input, target, weight, ignore_index=..., reduction=..., label_smoothing=...)``."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(reduction, size_average, reduce, weight=weight)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """``F.nll_loss(input, target, weight, ignore_index=..., reduction=...)``."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce, weight=weight)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)


class MSELoss(_Loss):
    """``F.mse_loss(input, target, reduction=...)``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """``F.l1_loss(input, target, reduction=...)``."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce)

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """``F.binary_cross_entropy(input, target, weight, reduction=...)``."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce, weight=weight)

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """``F.binary_cross_entropy_with_logits(input, target, weight, reduction=..., pos_weight=...)``."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(reduction, size_average, reduce, weight=weight, pos_weight=pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class MultiMarginLoss(_Loss):
    """``F.multi_margin_loss(input, target, p, margin, weight, reduction=...)`` (Weston-Watkins)."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(reduction, size_average, reduce, weight=weight)
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)
