"""Array-module dispatch and devices: the only module that imports cupy or numba.cuda.

Ops call :func:`get_array_module` on their inputs and are written once against the returned
module (``numpy`` or ``cupy``). Devices are named "cpu" (NumPy arrays) and "cuda" (CuPy arrays
on the current GPU). CuPy is imported lazily, on the first question about the GPU, so tinyconv
runs without it; asking for "cuda" where CuPy or a GPU is missing raises
:class:`DeviceUnavailableError`.

Numba caches the compiled kernels in a user cache folder, never inside the installed package:
``$TINYCONV_CACHE_DIR`` (``~`` expanded), else ``$XDG_CACHE_HOME/tinyconv/numba``, else
``~/.cache/tinyconv/numba`` (:func:`kernel_cache_dir`). Where that folder cannot be written the
kernels compile in each process, with a warning. Other Numba functions of the process are not
affected, and ``NUMBA_CACHE_DIR``, where set, takes precedence.
"""
import contextlib
import functools
import os
import tempfile
import warnings

import numpy as np

DEVICES = ("cpu", "cuda")


class DeviceUnavailableError(RuntimeError):
    """The device "cuda" was asked for where CuPy or a usable GPU is missing."""


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    return cupy


def _cuda_problem():
    """Why "cuda" cannot be used here (a sentence), or None when it can."""
    cp = _cupy()
    if cp is None:
        return "CuPy is not installed (pip install 'tinyconv[gpu]' on a machine with an NVIDIA GPU)"
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as e:  # no driver, no device, a driver too old for this CuPy...
        return f"CuPy found no usable GPU ({type(e).__name__}: {e})".replace("\n", " ")
    return None if count > 0 else "CuPy found no GPU"


def cuda_available():
    """Return True when CuPy is installed and sees at least one GPU."""
    return _cuda_problem() is None


def device_arg(device, name="device"):
    """Return ``device`` ("cpu" or "cuda") after checking it.

    Raises:
        TypeError: not a str. ValueError: another name.
    """
    if not isinstance(device, str):
        raise TypeError(f"{name}: expected 'cpu' or 'cuda', got {type(device).__name__} {device!r}")
    if device not in DEVICES:
        raise ValueError(f"{name}: expected 'cpu' or 'cuda', got {device!r}")
    return device


def require_cuda():
    """Return the cupy module, or raise the one error for a missing GPU.

    Raises:
        DeviceUnavailableError: CuPy is not installed or sees no GPU.
    """
    problem = _cuda_problem()
    if problem is not None:
        raise DeviceUnavailableError(f"device 'cuda' is not available: {problem}")
    return _cupy()


def device_of(array):
    """Return "cpu" for a NumPy array (or a Python or NumPy scalar), "cuda" for a CuPy array."""
    if isinstance(array, (np.ndarray, np.generic, int, float, complex, bool)):
        return "cpu"
    cp = _cupy()
    if cp is not None and isinstance(array, cp.ndarray):
        return "cuda"
    raise TypeError(f"expected a NumPy or CuPy array, got {type(array).__name__}")


def to_device(array, device):
    """Return ``array`` on ``device``: itself when it is there already, else a copy (host to GPU
    through CuPy, GPU to host through ``.get()``). The only way arrays change devices.

    Raises:
        DeviceUnavailableError: ``device`` is "cuda" and there is no usable GPU.
        TypeError, ValueError: a bad ``device``.
    """
    device = device_arg(device)
    if device == "cpu":
        return to_numpy(array)
    if device_of(array) == "cuda":
        return array
    return require_cuda().asarray(array)


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
    if isinstance(array, np.generic):  # NumPy reductions to 0-d give scalars
        return np.asarray(array)
    return array.get()


_column_buffer_limits = {"cpu": 8 * 2**20, "cuda": 256 * 2**20}


def column_buffer_limit(device="cpu"):
    """Bytes one convolution's im2col buffer may take on ``device`` before the batch is split
    into chunks.

    On the CPU the default, 8 MiB, holds LeNet-5's largest buffer (batch 64) whole, and on
    larger layers keeps each chunk's buffer small enough to stay in cache between im2col and
    the GEMM (``benchmarks/conv_layers.py``). On the GPU, where the buffer never sits in a cache,
    the limit (256 MiB) only bounds memory: larger chunks mean fewer, larger GEMMs."""
    return _column_buffer_limits[device_arg(device)]


def set_column_buffer_limit(nbytes, device="cpu"):
    """Set the im2col buffer limit of ``device`` in bytes (> 0); returns the previous limit.

    Raises:
        ValueError: ``nbytes`` is not a positive integer, or an unknown device.
    """
    device = device_arg(device)
    if not isinstance(nbytes, int) or nbytes <= 0:
        raise ValueError(f"nbytes: expected a positive int, got {nbytes!r}")
    previous, _column_buffer_limits[device] = _column_buffer_limits[device], nbytes
    return previous


KERNELS = ("numba", "reference")
_kernels = os.environ.get("TINYCONV_KERNELS", "numba")


def set_kernels(name):
    """Choose the kernels: "numba" (compiled, the default: ``@njit`` on the CPU, ``numba.cuda``
    on the GPU) or "reference" (the readable oracle, NumPy on the CPU and the same code on CuPy
    arrays on the GPU). The environment variable ``TINYCONV_KERNELS`` sets the initial choice.

    Raises:
        ValueError: an unknown name.
    """
    global _kernels
    if name not in KERNELS:
        raise ValueError(f"name: expected one of {KERNELS}, got {name!r}")
    _kernels = name


@contextlib.contextmanager
def use_kernels(name):
    """Context manager: run the block with the kernels ``name`` (see :func:`set_kernels`)."""
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


def _numba_cuda_available():
    global _numba_cuda
    if _numba_cuda is None:
        try:
            from numba import cuda
            _numba_cuda = bool(cuda.is_available())
        except Exception:  # a numba without its CUDA target
            _numba_cuda = False
    return _numba_cuda


_numba_cuda = None


# Numba's cache of compiled kernels: in a user cache folder, never inside the installed package.

def kernel_cache_dir():
    """Return the folder where Numba caches tinyconv's compiled kernels: ``$TINYCONV_CACHE_DIR``
    (``~`` expanded) where set, else ``$XDG_CACHE_HOME/tinyconv/numba``, else
    ``~/.cache/tinyconv/numba``. Read on each call; nothing is created here."""
    folder = os.environ.get("TINYCONV_CACHE_DIR")
    if folder:
        return os.path.expanduser(folder)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tinyconv", "numba")


def _numba_caching(target):
    """Numba's caching module for ``target`` ("cpu" or "cuda"): the numba-cuda package has its
    own (``numba.cuda.core.caching``); Numba's built-in CUDA target shares the CPU one."""
    if target == "cuda":
        try:
            from numba.cuda.core import caching
            return caching
        except ImportError:
            pass
    from numba.core import caching
    return caching


@functools.lru_cache(maxsize=None)
def _kernel_cache_locator(caching):
    """A Numba cache locator class of the ``caching`` module that answers only for the source
    files of :mod:`tinyconv.kernels` (into :func:`kernel_cache_dir`) and returns None for every
    other function, which Numba's own locators then place as usual."""
    from . import kernels
    folder = os.path.dirname(os.path.realpath(kernels.__file__))

    class KernelCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            self._cache_path = os.path.join(kernel_cache_dir(), self.get_suitable_cache_subpath(py_file))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            if os.path.dirname(os.path.realpath(py_file)) != folder:
                return None
            return super().from_function(py_func, py_file)

    return KernelCacheLocator


def cache_kernels(target="cpu"):
    """Make Numba cache tinyconv's compiled kernels for ``target`` ("cpu" or "cuda") in
    :func:`kernel_cache_dir`, and return whether that folder can be written. Each kernel module
    calls it once, when it is imported, and passes the result as ``cache=`` to ``@njit`` or
    ``@cuda.jit``: where the folder cannot be written, the kernels compile in each process
    (with a warning) and nothing is written anywhere.

    Only tinyconv's kernels are affected: the locator added to Numba answers for their source
    files alone. ``NUMBA_CACHE_DIR``, where set, still comes first.
    """
    caching = _numba_caching(target)
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


def kernels(array):
    """Return the kernel module (im2col, col2im, pooling) that serves ``array``: with "numba"
    selected, :mod:`tinyconv.kernels.cpu` for NumPy arrays and :mod:`tinyconv.kernels.cuda`
    for CuPy arrays (where Numba's CUDA target works); otherwise :mod:`tinyconv.kernels.reference`,
    which serves both through the one ``xp`` code path."""
    if _kernels == "numba":
        if isinstance(array, np.ndarray):
            from .kernels import cpu
            return cpu
        if _numba_cuda_available():
            from .kernels import cuda
            return cuda
    from .kernels import reference
    return reference


_streams = {}


def cuda_stream():
    """Return the Numba stream on which CUDA kernels launch: CuPy's current stream, so that
    kernels and CuPy's operations run in order (0, the default stream, under Numba's CUDA
    simulator or for CuPy's default stream)."""
    from numba import config, cuda
    if config.ENABLE_CUDASIM:
        return 0
    ptr = _cupy().cuda.get_current_stream().ptr
    if ptr == 0:
        return 0
    stream = _streams.get(ptr)
    if stream is None:
        stream = _streams[ptr] = cuda.external_stream(ptr)
    return stream


set_blas_threads(int(os.environ.get("TINYCONV_BLAS_THREADS", "1")))


# NCCL (through CuPy's bindings) for tinyconv.distributed's "nccl" backend.

_NCCL_OPS = ("sum", "prod", "max", "min")


def _nccl_problem():
    """Why NCCL cannot be used here (a sentence), or None when it can."""
    problem = _cuda_problem()
    if problem is not None:
        return problem
    try:
        from cupy.cuda import nccl
    except ImportError as e:
        return f"CuPy's NCCL bindings could not be imported ({e})"
    if not getattr(nccl, "available", True):
        return ("CuPy was built without NCCL (pip install nvidia-nccl-cu12, or "
                "python -m cupyx.tools.install_library --library nccl)")
    return None


def require_nccl():
    """Return ``cupy.cuda.nccl``, or raise the one error saying why NCCL is missing.

    Raises:
        DeviceUnavailableError: CuPy, a GPU or CuPy's NCCL bindings are missing.
    """
    problem = _nccl_problem()
    if problem is not None:
        raise DeviceUnavailableError(f"backend 'nccl' is not available: {problem}")
    from cupy.cuda import nccl
    return nccl


def nccl_unique_id():
    """Return a new NCCL unique id (a tuple of ints, picklable: rank 0 broadcasts it over MPI)."""
    return require_nccl().get_unique_id()


def nccl_communicator(world_size, unique_id, rank, local_rank):
    """Select GPU ``local_rank % number of GPUs`` for this process and return its NCCL
    communicator of ``world_size`` ranks, created from the ``unique_id`` of rank 0.

    Raises:
        DeviceUnavailableError: no NCCL (see :func:`require_nccl`).
    """
    nccl = require_nccl()
    cp = _cupy()
    cp.cuda.Device(local_rank % cp.cuda.runtime.getDeviceCount()).use()
    return nccl.NcclCommunicator(world_size, unique_id, rank)


def _nccl_dtype(nccl, array):
    types = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64,
             "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64}
    if array.dtype.name not in types:
        raise TypeError(f"array: expected one of the dtypes {sorted(types)} for NCCL, got {array.dtype}")
    return types[array.dtype.name]


def _nccl_contiguous(array):
    if not array.flags.c_contiguous:
        raise ValueError("array: expected a C-contiguous CuPy array (reduced in place), got a strided view")


def nccl_all_reduce(comm, array, op="sum"):
    """Reduce the CuPy ``array`` in place across the ranks of the NCCL communicator ``comm``
    with ``op`` ("sum", "prod", "max" or "min"), on CuPy's current stream.

    Raises:
        TypeError: a dtype NCCL does not reduce. ValueError: an unknown ``op`` or a
            non-contiguous array.
    """
    nccl = require_nccl()
    if op not in _NCCL_OPS:
        raise ValueError(f"op: expected one of {_NCCL_OPS}, got {op!r}")
    _nccl_contiguous(array)
    stream = _cupy().cuda.get_current_stream().ptr
    comm.allReduce(array.data.ptr, array.data.ptr, array.size, _nccl_dtype(nccl, array),
                   getattr(nccl, f"NCCL_{op.upper()}"), stream)
    return array


def nccl_broadcast(comm, array, root=0):
    """Overwrite the CuPy ``array`` in place with rank ``root``'s, on CuPy's current stream.

    Raises:
        TypeError: a dtype NCCL does not move. ValueError: a non-contiguous array.
    """
    nccl = require_nccl()
    _nccl_contiguous(array)
    comm.bcast(array.data.ptr, array.size, _nccl_dtype(nccl, array), root, _cupy().cuda.get_current_stream().ptr)
    return array
