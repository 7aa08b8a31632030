"""The array module of an array, for kernels that take NumPy or CuPy arrays.

Kernels are leaves: they import nothing from tinyconv outside this folder, and never import
cupy. A CuPy array can exist only once cupy is imported, so its module is found in
``sys.modules``; mixing devices is checked by the callers (``tinyconv.backend``).
"""
import sys

import numpy as np


def array_module(array):
    """Return ``numpy`` for a NumPy array (or scalar), else the module owning ``array``
    (``cupy`` for a CuPy array)."""
    if isinstance(array, (np.ndarray, np.generic)):
        return np
    return sys.modules[type(array).__module__.split(".")[0]]
