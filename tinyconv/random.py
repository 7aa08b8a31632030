"""The framework's seeded default random generator.

Every random operation in tinyconv takes an explicit ``rng`` (a ``numpy.random.Generator``)
or falls back to the generator returned by :func:`default_rng`, which :func:`manual_seed`
re-seeds. Same seed, same result on the CPU.
"""
import numpy as np

_default = np.random.default_rng(0)


def manual_seed(seed):
    """Re-seed the default generator with the integer ``seed`` (>= 0) and return it.

    Raises:
        TypeError: ``seed`` is not an integer.
        ValueError: ``seed`` is negative.
    """
    global _default
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed: expected a non-negative int, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed: expected a non-negative int, got {seed}")
    _default = np.random.default_rng(int(seed))
    return _default


def default_rng():
    """Return the framework's default ``numpy.random.Generator``."""
    return _default


def resolve_rng(rng):
    """Return ``rng`` if given, else the default generator.

    Raises:
        TypeError: ``rng`` is neither None nor a ``numpy.random.Generator``.
    """
    if rng is None:
        return _default
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator or None, got {type(rng).__name__}")
    return rng
