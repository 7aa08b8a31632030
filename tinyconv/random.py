"""The framework's seeded default random generator.

Every random operation in tinyconv takes an explicit ``rng`` (a ``numpy.random.Generator``)
or falls back to the generator returned by :func:`default_rng`: weight initialisation, dropout,
the DataLoader's shuffling and every later random layer or sampler. :func:`manual_seed`
re-seeds that one generator *in place*, so objects that captured it earlier (a DataLoader, a
layer) see the new seed too. Same seed, same result on the CPU.

No tinyconv code draws from NumPy's global state (``np.random.rand`` and friends) or from
Python's ``random`` module; ``tests/test_determinism.py`` checks the sources for it.
:func:`fork_rng` runs a block and then puts the default generator back as it was.
"""
import contextlib

import numpy as np

from .validation import integer

_default = np.random.default_rng(0)


def manual_seed(seed):
    """Re-seed the default generator with the integer ``seed`` (>= 0) and return it.

    The generator object stays the same (its ``bit_generator.state`` is replaced), so every
    holder of :func:`default_rng` is re-seeded.

    Raises:
        TypeError: ``seed`` is not an integer.
        ValueError: ``seed`` is negative.
    """
    seed = integer("seed", seed, low=0)
    _default.bit_generator.state = np.random.default_rng(seed).bit_generator.state
    return _default


def default_rng():
    """Return the framework's default ``numpy.random.Generator`` (always the same object)."""
    return _default


def resolve_rng(rng, name="rng"):
    """Return ``rng`` if given, else the default generator; errors call the argument ``name``
    (``generator`` where PyTorch names it so).

    Raises:
        TypeError: ``rng`` is neither None nor a ``numpy.random.Generator``.
    """
    if rng is None:
        return _default
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{name}: expected a numpy.random.Generator or None, got {type(rng).__name__}")
    return rng


@contextlib.contextmanager
def fork_rng(*, enabled=True):
    """Context manager, as ``torch.random.fork_rng``: on exit (an exception included) the
    default generator returns to the state it had on entry, so that draws and
    :func:`manual_seed` inside the block leave no trace. tinyconv draws from one host generator
    on every device, so there are no per-device generators to choose (no ``devices``).

    Args:
        enabled: False runs the block without forking (the state is not restored).
    """
    state = _default.bit_generator.state if enabled else None
    try:
        yield
    finally:
        if enabled:
            _default.bit_generator.state = state
