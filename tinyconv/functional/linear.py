"""Fully connected layer: y = x @ W.T + b."""
from ..autograd import Function
from ..backend import blas_scope
from ..tensor import tensor_arg
from ..validation import require_float, require_ndim, require_same_dtype


class Linear(Function):
    @blas_scope
    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @blas_scope
    def backward(self, g):
        gx = g @ self.weight if self.needs_input_grad[0] else None
        gw = g.T @ self.x if self.needs_input_grad[1] else None
        return (gx, gw) if len(self.needs_input_grad) == 2 else (gx, gw, g.sum(axis=0))


def linear(x, weight, bias=None):
    """Affine map ``x @ weight.T + bias``.

    Args:
        x: (N, in_features) float. weight: (out_features, in_features). bias: optional (out_features,).

    Raises:
        ValueError: wrong ranks or sizes.
        TypeError: non-float input, or a weight or bias of another dtype than x.
        RuntimeError: arguments on different devices.
    """
    x, weight, bias = layer_args(x, weight, bias, "(N, in_features)", "(out_features, in_features)")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"x: expected {weight.shape[1]} features to match weight {tuple(weight.shape)}, "
                         f"got shape {tuple(x.shape)}")
    return (Linear()(x, weight) if bias is None else Linear()(x, weight, bias))


def layer_args(x, weight, bias, x_layout, weight_layout, bias_axis=0):
    """Convert and check the input, weight and optional bias of a layer (linear, conv2d): ranks
    as the layouts say (e.g. "(N, C, H, W)"), float x, weight and bias of x's dtype, bias of
    shape (weight.shape[bias_axis],). Returns the three as Tensors (bias may be None).

    Raises:
        ValueError: wrong ranks or bias shape. TypeError: non-float x, other dtypes.
    """
    x, weight = tensor_arg("x", x), tensor_arg("weight", weight)
    require_ndim("x", x, x_layout.count(",") + 1, x_layout)
    require_ndim("weight", weight, weight_layout.count(",") + 1, weight_layout)
    require_float("x", x)
    require_same_dtype("weight", weight, "x", x)
    if bias is not None:
        bias = tensor_arg("bias", bias)
        if tuple(bias.shape) != (weight.shape[bias_axis],):
            raise ValueError(f"bias: expected shape ({weight.shape[bias_axis]},), got {tuple(bias.shape)}")
        require_same_dtype("bias", bias, "x", x)
    return x, weight, bias
