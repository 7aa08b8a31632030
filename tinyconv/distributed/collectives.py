"""Collectives on raw arrays, in place: NumPy arrays go through MPI, CuPy arrays through NCCL."""
import numpy as np

from ..backend import device_of
from .nccl import nccl_all_reduce, nccl_broadcast
from .process_group import _mpi, group

OPS = ("sum", "prod", "max", "min")


def _route(array, name="array"):
    """Return ("mpi", MPI communicator) for a NumPy array, ("nccl", NCCL communicator) for a
    CuPy array under the "nccl" backend.

    Raises:
        RuntimeError: no process group, or a CuPy array under the "mpi" backend.
        TypeError: not a NumPy or CuPy array.
    """
    g = group()
    if not isinstance(array, np.ndarray) and device_of(array) == "cuda":
        if g["nccl"] is None:
            raise RuntimeError(f"{name}: a CuPy array needs the 'nccl' backend, got backend {g['backend']!r}: "
                               f"init_process_group('nccl') (nothing is copied to the host behind your back)")
        return "nccl", g["nccl"]
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name}: expected a NumPy or CuPy array, got {type(array).__name__}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array (reduced in place), got a strided view")
    return "mpi", g["comm"]


def all_reduce(array, op="sum"):
    """Reduce ``array`` element-wise across all ranks, in place, and return it: afterwards every
    rank holds the same result (e.g. the sum of each rank's array).

    Args:
        array: a C-contiguous NumPy array (reduced by MPI) or CuPy array (by NCCL; needs the
            "nccl" backend), of the same shape and dtype on every rank.
        op: "sum", "prod", "max" or "min".

    Raises:
        ValueError: an unknown ``op`` or a non-contiguous array.
        RuntimeError: no process group, or a CuPy array under the "mpi" backend.
        TypeError: not a NumPy or CuPy array.
    """
    if op not in OPS:
        raise ValueError(f"op: expected one of {OPS}, got {op!r}")
    kind, comm = _route(array)
    if kind == "nccl":
        return nccl_all_reduce(comm, array, op)
    MPI = _mpi()
    comm.Allreduce(MPI.IN_PLACE, array, op={"sum": MPI.SUM, "prod": MPI.PROD, "max": MPI.MAX, "min": MPI.MIN}[op])
    return array


def broadcast(array, root=0):
    """Overwrite ``array`` in place with rank ``root``'s ``array`` on every rank and return it.

    Raises:
        TypeError: ``root`` not an int (and as :func:`all_reduce`).
        ValueError: ``root`` outside [0, world size), or a non-contiguous array.
        RuntimeError: as :func:`all_reduce`.
    """
    kind, comm = _route(array)
    size = group()["comm"].size
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)):
        raise TypeError(f"root: expected an int rank, got {type(root).__name__}")
    if not 0 <= root < size:
        raise ValueError(f"root: expected a rank in [0, {size}), got {root}")
    if kind == "nccl":
        return nccl_broadcast(comm, array, int(root))
    comm.Bcast(array, root=int(root))
    return array
