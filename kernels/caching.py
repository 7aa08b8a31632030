"""Numba's cache of the compiled kernels: in a user cache folder, never inside the installed
package.

The folder is ``$TINYCONV_CACHE_DIR`` (``~`` expanded), else ``$XDG_CACHE_HOME/tinyconv/numba``,
else ``~/.cache/tinyconv/numba`` (:func:`kernel_cache_dir`). Where it cannot be written the
kernels compile in each process, with a warning. Other Numba functions of the process are not
affected, and ``NUMBA_CACHE_DIR``, where set, takes precedence.
"""
import functools
import os
import tempfile
import warnings

FOLDER = os.path.dirname(os.path.realpath(__file__))


def kernel_cache_dir():
    """Return the folder where Numba caches tinyconv's compiled kernels: ``$TINYCONV_CACHE_DIR``
    (``~`` expanded) where set, else ``$XDG_CACHE_HOME/tinyconv/numba``, else
    ``~/.cache/tinyconv/numba``. Read on each call; nothing is created here."""
    folder = os.environ.get("TINYCONV_CACHE_DIR")
    if folder:
        return os.path.expanduser(folder)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tinyconv", "numba")


@functools.lru_cache(maxsize=None)
def _kernel_cache_locator(caching):
    """A Numba cache locator class of the ``caching`` module that answers only for the source
    files of this folder (into :func:`kernel_cache_dir`) and returns None for every other
    function, which Numba's own locators then place as usual."""

    class KernelCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(kernel_cache_dir(), self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.dirname(os.path.realpath(py_file)) != FOLDER:
                return None
            return super().from_function(py_func, py_file)

    return KernelCacheLocator


def cache_kernels(caching):
    """Make Numba cache the kernels of this folder in :func:`kernel_cache_dir`, and return
    whether that folder can be written. ``caching`` is the Numba caching module of the target
    (``numba.core.caching`` for ``@njit``; the CUDA kernels pass their target's own). Each kernel
    module calls it once, when it is imported, and passes the result as ``cache=`` to ``@njit``
    or ``@cuda.jit``: where the folder cannot be written, the kernels compile in each process
    (with a warning) and nothing is written anywhere.

    Only tinyconv's kernels are affected: the locator added to Numba answers for their source
    files alone. ``NUMBA_CACHE_DIR``, where set, still comes first.
    """
    locator = _kernel_cache_locator(caching)
    classes = caching.CacheImpl._locator_classes
    if locator not in classes:
        first = 1 if classes and "UserProvided" in classes[0].__name__ else 0
        classes.insert(first, locator)
    folder = kernel_cache_dir()
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as e:
        warnings.warn(f"tinyconv's compiled kernels are not cached: cannot write to {folder} ({e}); "
                      "set TINYCONV_CACHE_DIR to a writable folder", RuntimeWarning, stacklevel=2)
        return False
    return True
