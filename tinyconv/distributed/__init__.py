"""Data-parallel training over MPI (and NCCL for GPU arrays).

Start N processes with ``mpirun -np N python train.py``; in each::

    import tinyconv.distributed as dist
    dist.init_process_group()                       # "nccl" for CuPy arrays
    loader = DataLoader(data, batch_size=B // dist.get_world_size(),
                        sampler=dist.DistributedSampler(data, seed=0))
    dist.broadcast_parameters(model)                # every rank starts from rank 0's weights
    optimizer = dist.DistributedOptimizer(optimizer)    # step() averages the gradients first
    for epoch in range(epochs):
        loader.sampler.set_epoch(epoch)
        ...                                         # the usual loop
    dist.all_reduce(totals)                         # metrics: sums over the ranks

mpi4py is imported only by :func:`init_process_group`; without it, a process is rank 0 of a
world of size 1.
"""
from .process_group import (init_process_group, is_initialized, get_backend, get_rank, get_world_size,
                            get_local_rank, barrier, abort, destroy_process_group)
from .collectives import all_reduce, broadcast
from .buckets import all_reduce_gradients, broadcast_parameters
from .optimizer import DistributedOptimizer
from .sampler import DistributedSampler

__all__ = ["init_process_group", "is_initialized", "get_backend", "get_rank", "get_world_size", "get_local_rank",
           "barrier", "abort", "destroy_process_group", "all_reduce", "broadcast", "all_reduce_gradients",
           "broadcast_parameters", "DistributedOptimizer", "DistributedSampler"]
