"""The process group: which process this is among how many, started by ``mpirun``.

mpi4py is imported on the first call of :func:`init_process_group`, never by ``import
tinyconv``. Before that call (and in a plain ``python`` run) this process is the whole job:
rank 0 of a world of size 1.
"""
import os
import sys
import traceback

from .nccl import nccl_communicator, nccl_unique_id, require_nccl

BACKENDS = ("mpi", "nccl")

_group = None  # the initialised group: a dict with "backend", "comm" (MPI) and "nccl" (or None)


def _mpi():
    """Return mpi4py's MPI module, or raise ImportError saying how to install it."""
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise ImportError(f"tinyconv.distributed needs mpi4py and an MPI library ({e}): install Open MPI "
                          f"(Debian: apt-get install openmpi-bin libopenmpi-dev), then pip install "
                          f"'tinyconv[mpi]'") from None
    return MPI


def init_process_group(backend="mpi"):
    """Join the job that ``mpirun`` started; return this process's rank.

    Rank and world size come from ``MPI.COMM_WORLD``; the local rank (this process's index among
    those on its host, which picks its GPU) from a communicator split by shared memory. An
    unhandled exception in any rank afterwards prints its traceback and calls ``MPI_Abort``, so
    the whole job stops with the error instead of the other ranks waiting for it forever. A rank
    killed by a signal (SIGKILL, the out-of-memory killer) raises nothing: Open MPI's ``mpirun``
    then ends the other ranks itself and names the dead one. A rank that exits while the others
    wait in a collective is not caught by either: every rank must make the same collective calls.

    Args:
        backend: "mpi" (NumPy arrays, reduced by MPI) or "nccl" (CuPy arrays, reduced by
            NCCL through CuPy; MPI still starts the job and broadcasts NCCL's unique id). With
            "nccl" each process uses GPU ``local_rank % number of GPUs``.

    Raises:
        ValueError: an unknown ``backend``.
        RuntimeError: already initialised.
        ImportError: mpi4py is missing.
        tinyconv.cuda.DeviceUnavailableError: "nccl" without CuPy, a GPU or CuPy's NCCL bindings.
    """
    global _group
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    if _group is not None:
        raise RuntimeError(f"init_process_group(): already initialised (backend {_group['backend']!r}, "
                           f"rank {get_rank()} of {get_world_size()})")
    if backend == "nccl":
        require_nccl()
    comm = _mpi().COMM_WORLD
    shared = comm.Split_type(_mpi().COMM_TYPE_SHARED, key=comm.rank)  # the processes on this host
    local_rank = shared.rank
    shared.Free()
    _group = {"backend": backend, "comm": comm, "local_rank": local_rank, "nccl": None,
              "excepthook": sys.excepthook}
    sys.excepthook = _abort_on_exception
    if backend == "nccl":
        uid = comm.bcast(nccl_unique_id() if comm.rank == 0 else None, root=0)
        _group["nccl"] = nccl_communicator(comm.size, uid, comm.rank, local_rank)
    return comm.rank


def _abort_on_exception(kind, value, tb):
    traceback.print_exception(kind, value, tb)
    sys.stderr.flush()
    abort(1)


def abort(errorcode=1):
    """Stop every process of the job with exit status ``errorcode`` (``MPI_Abort``); for errors
    seen by one rank only, which would leave the others waiting in a collective. Without a
    process group, exit this process."""
    if _group is None:
        sys.exit(errorcode)
    sys.stdout.flush()
    _group["comm"].Abort(errorcode)


def is_initialized():
    """Return True after :func:`init_process_group` (until :func:`destroy_process_group`)."""
    return _group is not None


def get_backend():
    """Return "mpi" or "nccl", or None without a process group."""
    return None if _group is None else _group["backend"]


def get_rank():
    """Return this process's rank in [0, world size); 0 without a process group."""
    return 0 if _group is None else _group["comm"].rank


def get_world_size():
    """Return the number of processes in the job; 1 without a process group."""
    return 1 if _group is None else _group["comm"].size


def get_local_rank():
    """Return this process's index among the job's processes on its host (Open MPI's
    ``OMPI_COMM_WORLD_LOCAL_RANK``, else 0) before :func:`init_process_group`, and from a
    communicator split by shared memory after it."""
    if _group is None:
        return int(os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", 0))
    return _group["local_rank"]


def barrier():
    """Wait until every process has reached this call (nothing without a process group)."""
    if _group is not None:
        _group["comm"].Barrier()


def destroy_process_group():
    """Leave the process group: restore the excepthook it replaced and return to a world of one.
    MPI itself is finalised by mpi4py when the process exits."""
    global _group
    if _group is not None:
        sys.excepthook = _group["excepthook"]
    _group = None


def group():
    """The initialised group (for :mod:`tinyconv.distributed`'s collectives).

    Raises:
        RuntimeError: :func:`init_process_group` was not called.
    """
    if _group is None:
        raise RuntimeError("no process group: call tinyconv.distributed.init_process_group() first "
                           "(under mpirun -np N)")
    return _group
