"""Array-module dispatch: the only module that may import cupy.

Ops call :func:`get_array_module` on their inputs and are written once against the returned
module (``numpy`` or ``cupy``). CuPy is imported lazily, so tinyconv runs without it.
"""
import numpy as np


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def get_array_module(*arrays):
    """Return ``numpy`` or ``cupy``: the module owning ``arrays``.

    Raises:
        RuntimeError: the arrays mix host (NumPy) and device (CuPy) memory.
    """
    modules = {type(a).__module__.split(".")[0] for a in arrays if a is not None}
    modules.discard("numpy")
    modules.discard("builtins")
    if not modules:
        return np
    cp = _cupy()
    device = [a for a in arrays if cp is not None and isinstance(a, cp.ndarray)]
    host = [a for a in arrays if isinstance(a, np.ndarray)]
    if device and host:
        raise RuntimeError("arrays on different devices: expected all on 'cpu' or all on 'cuda', "
                           f"got {len(host)} NumPy and {len(device)} CuPy arrays")
    return cp if device else np


def as_array(value, xp=np, dtype=None):
    """Convert ``value`` (scalar, list or array) to an ``xp`` array of ``dtype``."""
    return xp.asarray(value, dtype=dtype)


def to_numpy(array):
    """Return ``array`` as a NumPy array (copying from the GPU if it lives there)."""
    if isinstance(array, np.ndarray):
        return array
    return array.get()


def kernels(array):
    """Return the kernel module (im2col, col2im, pooling) that serves ``array``.

    The NumPy reference kernels serve both NumPy and CuPy arrays (one ``xp`` code path).
    """
    from .kernels import reference
    return reference
