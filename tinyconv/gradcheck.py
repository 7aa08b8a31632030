"""Gradient checking by central differences in float64."""
import numpy as np

from .backend import to_numpy
from .tensor import Tensor


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, device=None):
    """Compare the autograd gradients of ``fn`` with central differences.

    ``fn`` maps Tensors to one Tensor. The check projects the output on a fixed random direction
    ``v`` (so any output shape works) and compares, for every element of every float input,
    d<v, fn(x)>/dx from backward with (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

    Args:
        fn: callable taking ``len(inputs)`` Tensors and returning a Tensor.
        inputs: NumPy arrays; float ones are converted to float64 and differentiated, others
            (e.g. integer labels) are passed through unchanged.
        eps, atol, rtol: step and tolerances of the comparison.
        seed: seed of the projection direction.
        device: "cpu" or "cuda": where ``fn`` runs (default: the CPU). Inputs are given, and
            gradients compared, on the host.

    Returns:
        True when every gradient matches.

    Raises:
        AssertionError: naming the input, the worst element, and both values.
        ValueError: no floating-point input.
    """
    arrays = [np.array(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a) for a in inputs]
    if not any(a.dtype.kind == "f" for a in arrays):
        raise ValueError(f"inputs: expected at least one floating-point array to differentiate, got dtypes "
                         f"{[str(a.dtype) for a in arrays]}")
    tensors = [Tensor(a, requires_grad=a.dtype.kind == "f", device=device) for a in arrays]
    out = fn(*tensors)
    direction = np.random.default_rng(seed).standard_normal(out.shape)
    (out * Tensor(direction, device=device)).sum().backward()

    def objective():
        return float((to_numpy(fn(*(Tensor(a, device=device) for a in arrays)).data) * direction).sum())

    for index, (array, tensor) in enumerate(zip(arrays, tensors)):
        if array.dtype.kind != "f":
            continue
        analytic = np.zeros_like(array) if tensor.grad is None else tensor.grad.numpy()
        numeric = np.zeros_like(array)
        flat, grad = array.reshape(-1), numeric.reshape(-1)
        for i in range(flat.size):
            original = flat[i]
            flat[i] = original + eps
            plus = objective()
            flat[i] = original - eps
            minus = objective()
            flat[i] = original
            grad[i] = (plus - minus) / (2 * eps)
        error = np.abs(analytic - numeric) - rtol * np.abs(numeric)
        bad = ~(error <= atol)  # NaN counts as a mismatch
        if bad.any():
            worst = np.unravel_index(np.where(bad, np.nan_to_num(error, nan=np.inf), -np.inf).argmax(), array.shape)
            worst = tuple(int(i) for i in worst)
            raise AssertionError(f"gradcheck: input {index} {array.shape}, element {worst}: "
                                 f"backward {analytic[worst]:.8g}, numeric {numeric[worst]:.8g}")
    return True
