"""Array-module dispatch: the only module that may import cupy.

Ops call :func:`get_array_module` on their inputs and are written once against the returned
module (``numpy`` or ``cupy``). CuPy is imported lazily, so tinyconv runs without it.
"""
import contextlib
import os

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


_column_buffer_limit = 8 * 2**20


def column_buffer_limit():
    """Bytes one convolution's im2col buffer may take before the batch is split into chunks.

    The default, 8 MiB, holds LeNet-5's largest buffer (batch 64) whole, and on larger layers
    keeps each chunk's buffer small enough to stay in cache between im2col and the GEMM
    (``benchmarks/conv_layers.py``); it also bounds the memory of any batch size."""
    return _column_buffer_limit


def set_column_buffer_limit(nbytes):
    """Set the im2col buffer limit in bytes (> 0); returns the previous limit.

    Raises:
        ValueError: ``nbytes`` is not a positive integer.
    """
    global _column_buffer_limit
    if not isinstance(nbytes, int) or nbytes <= 0:
        raise ValueError(f"nbytes: expected a positive int, got {nbytes!r}")
    previous, _column_buffer_limit = _column_buffer_limit, nbytes
    return previous


KERNELS = ("numba", "reference")
_kernels = os.environ.get("TINYCONV_KERNELS", "numba")


def set_kernels(name):
    """Choose the CPU kernels: "numba" (compiled, the default) or "reference" (NumPy, the
    readable oracle). The environment variable ``TINYCONV_KERNELS`` sets the initial choice.

    Raises:
        ValueError: an unknown name.
    """
    global _kernels
    if name not in KERNELS:
        raise ValueError(f"name: expected one of {KERNELS}, got {name!r}")
    _kernels = name


@contextlib.contextmanager
def use_kernels(name):
    """Context manager: run the block with the CPU kernels ``name`` (see :func:`set_kernels`)."""
    previous = _kernels
    set_kernels(name)
    try:
        yield
    finally:
        set_kernels(previous)


def set_blas_threads(n):
    """Limit the BLAS library (OpenBLAS, MKL) under NumPy to ``n`` threads (>= 1).

    tinyconv starts with ``$TINYCONV_BLAS_THREADS`` or 1: on 2 cores, one BLAS thread beside
    Numba's parallel kernels trained LeNet-5 fastest, since BLAS threads that spin after a
    GEMM take the cores the kernels need (``benchmarks/lenet_step.py`` measures the settings).

    Raises:
        ValueError: ``n`` is not a positive int.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n: expected a positive int, got {n!r}")
    import threadpoolctl
    threadpoolctl.threadpool_limits(n, user_api="blas")


def kernels(array):
    """Return the kernel module (im2col, col2im, pooling) that serves ``array``: the Numba
    kernels for NumPy arrays when selected, else the reference kernels (which also serve CuPy
    arrays through the one ``xp`` code path)."""
    if _kernels == "numba" and isinstance(array, np.ndarray):
        from .kernels import cpu
        return cpu
    from .kernels import reference
    return reference


set_blas_threads(int(os.environ.get("TINYCONV_BLAS_THREADS", "1")))
