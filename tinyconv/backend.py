"""Array-module dispatch, devices and kernel choice: the one module that imports cupy, and with
``kernels/cuda.py`` the only one that imports numba.cuda (:mod:`tinyconv.distributed.nccl`
imports CuPy's NCCL bindings alone).

Ops call :func:`get_array_module` on their inputs and are written once against the returned
module (``numpy`` or ``cupy``). Devices are named "cpu" (NumPy arrays) and "cuda" (CuPy arrays
on the current GPU). CuPy is imported lazily, on the first question about the GPU, so tinyconv
runs without it; asking for "cuda" where CuPy or a GPU is missing raises
:class:`DeviceUnavailableError`.

Numba caches the compiled kernels in a user cache folder, never inside the installed package
(:mod:`tinyconv.kernels.caching`).
"""
import contextlib
import functools
import os
import threading

import numpy as np

from . import cpuload
from .validation import positive_int

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


class device(str):
    """A device, as ``torch.device``: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``
    or ``device("cuda", 0)``, with ``.type`` ("cpu" or "cuda") and ``.index`` (None or 0). It is
    the string it was made from ("cuda:0"), so it compares equal to that string, and it is
    accepted wherever a device name is. tinyconv drives one GPU: index 0.

    Raises:
        TypeError: not a str. ValueError: another name, or an index other than 0.
    """

    def __new__(cls, type, index=None):
        if isinstance(type, device) and index is None:
            return type
        name = str.__new__(cls, type if index is None else f"{type}:{index}")
        name.type, name.index = _parse_device(name)
        return name

    def __repr__(self):
        return f"device(type={self.type!r}" + ("" if self.index is None else f", index={self.index}") + ")"


def _parse_device(name, argument="device"):
    """Return ("cpu"|"cuda", None|0) for a device name, or raise naming ``argument``."""
    if not isinstance(name, str):
        raise TypeError(f"{argument}: expected 'cpu', 'cuda' or 'cuda:0', got {type(name).__name__} {name!r}")
    kind, _, index = str(name).partition(":")
    if kind not in DEVICES or (index and (kind != "cuda" or index != "0")):
        raise ValueError(f"{argument}: expected 'cpu', 'cuda' or 'cuda:0' (tinyconv drives one GPU), got {str(name)!r}")
    return kind, (int(index) if index else None)


def device_arg(device, name="device"):
    """Return the kind of ``device`` ("cpu" or "cuda") after checking it: a name ("cpu",
    "cuda", "cuda:0") or a :class:`device`.

    Raises:
        TypeError: not a str. ValueError: another name.
    """
    return _parse_device(device, name)[0]


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
    for a in arrays:  # the common case first: NumPy arrays only
        if type(a) is not np.ndarray:
            break
    else:
        return np
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


def use_column_buffer_limit(nbytes, device="cpu"):
    """Context manager: run the block with the im2col buffer limit of ``device`` set to
    ``nbytes`` (see :func:`set_column_buffer_limit`), restored on exit.

    Raises:
        ValueError: ``nbytes`` is not a positive integer, or an unknown device.
    """
    return _set_for_block(lambda n: set_column_buffer_limit(n, device), nbytes)


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


_blas_threads = None  # tinyconv's own BLAS thread count; None: $TINYCONV_BLAS_THREADS or 1


def blas_threads():
    """Return the number of BLAS threads tinyconv's own GEMMs run with (convolutions, dense
    layers, matmul, recurrent steps, RBMs): the count of :func:`set_blas_threads` or
    :func:`use_blas_threads`, else ``$TINYCONV_BLAS_THREADS`` (read on each call), else 1.

    One thread is the default because it keeps the results the same to the last bit whatever
    the machine's load (another BLAS thread count adds in another order; the Numba kernels give
    the same bits on any thread count), so a run resumed from a checkpoint ends where the
    uninterrupted one does. More BLAS threads are faster for large layers: tinyconv runs one
    pool of threads at a time (OpenBLAS's threads spin after a GEMM and Numba's after a kernel,
    and two pools on the same cores take them from each other: LeNet-5 trained 7x slower on 2
    cores with both at two threads), so a BLAS count above 1 runs the kernels on one thread
    (:func:`kernel_threads`). On a quiet 2-core machine, ``TINYCONV_BLAS_THREADS=2`` trained the
    VGG-style network of ``examples/cifar10_vgg.py`` in 121 ms per step of 64 32x32x3 images
    against 149 ms with the defaults; LeNet-5 in 2.82 ms against 2.64 (``benchmarks/RESULTS.md``).
    Other code of the process keeps the BLAS library's own setting.

    Raises:
        ValueError: ``$TINYCONV_BLAS_THREADS`` is not a positive integer.
    """
    chosen = _user_count(_blas_threads, "TINYCONV_BLAS_THREADS")
    return 1 if chosen is None else chosen


def _user_count(setting, variable):
    """A thread count the user chose: ``setting`` (a setter's), else the environment
    ``variable``'s, else None."""
    return setting if setting is not None else _positive_int_variable(variable)


def _positive_int_variable(name):
    """The positive int in the environment variable ``name``, None where unset. Raises
    ValueError naming the variable otherwise."""
    text = os.environ.get(name)
    if text is None:
        return None
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{name}: expected a positive int, got {text!r}")
    return n


def set_blas_threads(n):
    """Run tinyconv's own GEMMs with ``n`` BLAS threads (see :func:`blas_threads`); ``None``
    returns to ``$TINYCONV_BLAS_THREADS`` or 1. The BLAS library's setting for other code is
    left alone. Returns the previous setting (an int, or None).

    Raises:
        TypeError: ``n`` is not an int or None. ValueError: ``n`` < 1.
    """
    global _blas_threads
    previous, _blas_threads = _blas_threads, None if n is None else positive_int("n", n)
    return previous


@contextlib.contextmanager
def _set_for_block(setter, value):
    """Context manager: ``setter(value)`` on entry, ``setter(previous)`` on exit, where
    ``previous`` is what the setter returned."""
    previous = setter(value)
    try:
        yield
    finally:
        setter(previous)


def use_blas_threads(n):
    """Context manager: run tinyconv's GEMMs in the block with ``n`` BLAS threads (see
    :func:`set_blas_threads`), restored on exit.

    Raises:
        TypeError: ``n`` is not an int. ValueError: ``n`` < 1.
    """
    return _set_for_block(set_blas_threads, n)


@functools.lru_cache(maxsize=None)
def _blas_libraries():
    """threadpoolctl's controllers of NumPy's BLAS (the one in NumPy's wheel folder ``numpy.libs``;
    every BLAS loaded where none is there), found once: finding them takes a fraction of a
    millisecond, setting their thread count a microsecond. Other libraries' BLAS (PyTorch's,
    SciPy's) never run tinyconv's products and are left alone."""
    import threadpoolctl
    found = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
    own = [lib for lib in found if _in_numpy_wheel(lib.filepath)]
    return tuple(own or found)


def _in_numpy_wheel(path):
    return os.path.basename(os.path.dirname(path)).startswith("numpy")


class _BlasScope(contextlib.ContextDecorator):
    """Context manager and decorator: the block runs with the BLAS thread count of
    :func:`blas_threads`, and the library's previous count is restored on exit. Nested and
    concurrent blocks share one setting: the first to enter sets it, the last to leave
    restores it."""

    def __init__(self):
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = ()

    def __enter__(self):
        with self._lock:
            if self._depth == 0:
                n = blas_threads()
                self._saved = tuple((lib, lib.num_threads) for lib in _blas_libraries())
                for lib, previous in self._saved:
                    if previous != n:
                        lib.set_num_threads(n)
            self._depth += 1

    def __exit__(self, *exc):
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                for lib, previous in self._saved:
                    if lib.num_threads != previous:
                        lib.set_num_threads(previous)
        return False


blas_scope = _BlasScope()


_kernel_threads = None  # tinyconv's own Numba thread count; None: $TINYCONV_KERNEL_THREADS or the default
_last_kernel_threads = 1  # the count tinyconv's kernels last ran on: its own share of the load average


def kernel_threads():
    """Return the number of Numba threads tinyconv's CPU kernels (im2col, col2im, pooling) run
    on: the count of :func:`set_kernel_threads` or :func:`use_kernel_threads`, else
    ``$TINYCONV_KERNEL_THREADS`` (read on each call), else 1 where the GEMMs run on more than one
    BLAS thread (:func:`blas_threads`: one pool at a time), else the cores that other processes
    leave idle (from the CPU time they took over the last quarter second, see
    :mod:`tinyconv.cpuload`; at least 1). Either way at most ``numba.get_num_threads()`` of the
    calling thread. The kernels give the same bits on any thread count.

    Numba's threads wait for each other at the end of every kernel; when another process holds
    a core, each kernel waits for the scheduler to give a thread back, and LeNet-5 training ran
    3.6-7.4x slower on 2 shared cores (``benchmarks/busy_machine.py``): fewer threads than free
    cores is the cure. The count is set around each kernel call and restored after it (Numba's
    setting is per thread), so Numba's setting for other code is left alone.

    Raises:
        ValueError: ``$TINYCONV_KERNEL_THREADS`` or ``$TINYCONV_BLAS_THREADS`` is not a
            positive integer.
    """
    chosen = _user_count(_kernel_threads, "TINYCONV_KERNEL_THREADS")
    if chosen is not None:
        return chosen
    return 1 if blas_threads() > 1 else _idle_cores()


def set_kernel_threads(n):
    """Run tinyconv's CPU kernels on ``n`` Numba threads (capped at ``numba.get_num_threads()``;
    see :func:`kernel_threads`); ``None`` returns to ``$TINYCONV_KERNEL_THREADS`` or the default.
    Returns the previous setting (an int, or None).

    Raises:
        TypeError: ``n`` is not an int or None. ValueError: ``n`` < 1.
    """
    global _kernel_threads
    previous, _kernel_threads = _kernel_threads, None if n is None else positive_int("n", n)
    return previous


def use_kernel_threads(n):
    """Context manager: run tinyconv's CPU kernels in the block on ``n`` Numba threads (see
    :func:`set_kernel_threads`), restored on exit.

    Raises:
        TypeError: ``n`` is not an int. ValueError: ``n`` < 1.
    """
    return _set_for_block(set_kernel_threads, n)


def _idle_cores():
    """The usable cores that other processes leave idle (at least 1): from the CPU time they took
    over the last quarter second (:mod:`tinyconv.cpuload`), else from the 1-minute load average
    less tinyconv's own share (the threads its kernels last ran on); all of them where the
    platform has neither."""
    others = cpuload.meter.others()
    if others is None:
        try:
            others = max(0.0, os.getloadavg()[0] - _last_kernel_threads)
        except OSError:
            others = 0.0
    return max(1, round(cpuload.usable_cores() - others))


@contextlib.contextmanager
def _on_kernel_threads():
    """The block runs on the Numba thread count of :func:`kernel_threads` (or of the load);
    Numba's count of the calling thread is restored on exit."""
    import numba
    global _last_kernel_threads
    previous = numba.get_num_threads()
    n = _last_kernel_threads = min(previous, kernel_threads())
    if n != previous:
        numba.set_num_threads(n)
    try:
        yield
    finally:
        if n != previous:
            numba.set_num_threads(previous)


class _KernelsOnKernelThreads:
    """A kernel module whose functions run on :func:`kernel_threads` Numba threads (those in
    its ``SERIAL`` set run on the calling thread alone, so they are returned as they are)."""

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        function = getattr(self._module, name)
        if not callable(function) or name in self._module.SERIAL:
            return function

        @functools.wraps(function)
        def call(*args, **kwargs):
            with _on_kernel_threads():
                return function(*args, **kwargs)
        return call


@functools.lru_cache(maxsize=None)
def _cpu_kernels():
    """The Numba CPU kernels, each call on :func:`kernel_threads` threads (made once)."""
    from .kernels import cpu
    return _KernelsOnKernelThreads(cpu)


def settings():
    """Return a copy of tinyconv's process-wide settings: ``{"kernels": str, "blas_threads":
    int or None, "kernel_threads": int or None, "column_buffer_limits": {device: bytes}}``
    (what the scoped setters change)."""
    return {"kernels": _kernels, "blas_threads": _blas_threads, "kernel_threads": _kernel_threads,
            "column_buffer_limits": dict(_column_buffer_limits)}


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


def kernels(array):
    """Return the kernel module (im2col, col2im, pooling) that serves ``array``: with "numba"
    selected, :mod:`tinyconv.kernels.cpu` for NumPy arrays (each call on :func:`kernel_threads`
    Numba threads) and :mod:`tinyconv.kernels.cuda` for CuPy arrays (where Numba's CUDA target
    works); otherwise :mod:`tinyconv.kernels.reference`, which serves both through the one
    ``xp`` code path.

    Raises:
        ValueError: ``$TINYCONV_KERNELS`` names no kernels (checked here, not at import).
    """
    if _kernels == "numba":
        if isinstance(array, np.ndarray):
            return _cpu_kernels()
        if _numba_cuda_available():
            from .kernels import cuda
            return cuda
    elif _kernels != "reference":  # only $TINYCONV_KERNELS can hold another name
        raise ValueError(f"TINYCONV_KERNELS: expected one of {KERNELS}, got {_kernels!r}")
    from .kernels import reference
    return reference


def erf(array):
    """The error function of a float32 or float64 array, elementwise, in its dtype: Python's
    ``math.erf`` compiled by Numba on the CPU (compiled at the first call), CuPy's
    ``cupyx.scipy.special.erf`` on the GPU."""
    if isinstance(array, np.ndarray):
        return _cpu_erf()(array)
    from cupyx.scipy.special import erf as cupy_erf
    return cupy_erf(array)


@functools.cache
def _cpu_erf():
    import math
    import numba

    @numba.vectorize(["float32(float32)", "float64(float64)"])
    def erf(x):
        return math.erf(x)
    return erf
