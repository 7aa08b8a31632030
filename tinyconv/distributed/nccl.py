"""NCCL, through CuPy's bindings, for the "nccl" backend of :mod:`tinyconv.distributed`.

CuPy itself is found through :mod:`tinyconv.backend`; this module imports only CuPy's NCCL
bindings (``cupy.cuda.nccl``), and only when a function here is called.
"""
from .. import backend

_NCCL_OPS = ("sum", "prod", "max", "min")


def _nccl_problem():
    """Why NCCL cannot be used here (a sentence), or None when it can."""
    problem = backend._cuda_problem()
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
        raise backend.DeviceUnavailableError(f"backend 'nccl' is not available: {problem}")
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
    cp = backend._cupy()
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
    stream = backend._cupy().cuda.get_current_stream().ptr
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
    comm.bcast(array.data.ptr, array.size, _nccl_dtype(nccl, array), root, backend._cupy().cuda.get_current_stream().ptr)
    return array
