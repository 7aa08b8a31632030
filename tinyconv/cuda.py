"""The GPU, as users ask about it: ``tinyconv.cuda.is_available()``.

Tensors, modules and data loaders move with ``.to("cuda")`` / ``device="cuda"``; all contact
with CuPy and Numba's CUDA target goes through :mod:`tinyconv.backend`.
"""
from . import backend
from .backend import DeviceUnavailableError

__all__ = ["is_available", "DeviceUnavailableError"]


def is_available():
    """Return True when the device "cuda" can be used: CuPy is installed and sees a GPU."""
    return backend.cuda_available()
