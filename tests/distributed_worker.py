"""One MPI rank of tests/test_distributed.py, started by ``mpirun -np 2``:
``python distributed_worker.py step OUT_DIR`` trains one step of a small CNN on this rank's
share of a global batch and saves its parameters and reduced metrics to OUT_DIR/rank<r>.npz;
``python distributed_worker.py raise`` makes rank 1 raise while rank 0 waits in a collective;
``python distributed_worker.py kill RANK MOMENT`` kills rank RANK with SIGKILL in the middle of
the gradient all-reduce of a training step."""
import os
import signal
import sys
import threading
import time

import numpy as np

import tinyconv as tc
from tinyconv import distributed as dist, functional as F, nn
from tinyconv.data import DataLoader, TensorDataset
from tinyconv.distributed import buckets

GLOBAL_BATCH = 8


def model():
    """(N, 1, 6, 6) float64 -> (N, 3) logits."""
    return nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float64), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 4 * 4, 3, dtype=np.float64))


def data():
    rng = np.random.default_rng(3)
    return TensorDataset(rng.standard_normal((GLOBAL_BATCH, 1, 6, 6)), rng.integers(0, 3, GLOBAL_BATCH))


def sgd_step(net, optimizer, images, labels, **step):
    """One SGD step on (images, labels); return (loss summed over the batch, number correct)."""
    logits = net(images)
    loss = F.softmax_cross_entropy(logits, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step(**step)
    return loss.item() * len(labels), int((logits.data.argmax(axis=1) == labels.data).sum())


def step(out_dir):
    """Two steps: equal shards (plain averaging), then unequal shards of 3 and 5 samples
    (averaging weighted by the local batch size)."""
    rank, world = dist.get_rank(), dist.get_world_size()
    tc.manual_seed(rank)  # different initial weights per rank: broadcast_parameters must unify them
    net = model()
    dist.broadcast_parameters(net)
    spare = tc.Parameter(np.zeros(2))  # in no rank's loss: must keep no gradient
    optimizer = dist.DistributedOptimizer(tc.optim.SGD(net.parameters() + [spare], lr=0.5), bucket_cap_mb=1e-3)
    norm = nn.BatchNorm1d(2)
    norm.running_mean.data[:] = rank + 1  # buffers are broadcast too: rank 0's 1.0 everywhere
    dist.broadcast_parameters(norm)
    dataset = data()
    loader = DataLoader(dataset, batch_size=GLOBAL_BATCH // world, sampler=dist.DistributedSampler(dataset, seed=1))
    (images, labels), = list(loader)
    totals = np.array(sgd_step(net, optimizer, images, labels), dtype=np.float64)
    dist.all_reduce(totals)
    x, y = dataset[np.arange(GLOBAL_BATCH)]
    mine = slice(0, 3) if rank == 0 else slice(3, GLOBAL_BATCH)
    sgd_step(net, optimizer, tc.Tensor(x[mine]), tc.Tensor(y[mine]), batch_size=len(y[mine]))
    np.savez(os.path.join(out_dir, f"rank{rank}.npz"), totals=totals, spare_has_grad=spare.grad is not None,
             running_mean=norm.running_mean.numpy(), **net.state_dict())


def fail():
    if dist.get_rank() == 1:
        raise RuntimeError("rank 1 fails on purpose")
    dist.barrier()  # rank 0 would wait here forever without MPI_Abort


KILL_AT = 4  # the second of the 3 gradient buckets of the second step: its first bucket is already reduced


def killed(victim, moment):
    """Three SGD steps whose gradients are reduced in 3 buckets each; at the KILL_AT-th bucket
    rank ``victim`` dies by SIGKILL, "before" entering the all-reduce (the other rank waits in
    it) or "inside" it (while it waits for the other rank, which comes 2 s late). Each rank
    that reaches the end prints "rank <r> finished"."""
    rank, calls = dist.get_rank(), []

    def all_reduce(array, op="sum"):
        calls.append(op)
        if len(calls) == KILL_AT and rank == victim:
            if moment == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGKILL)).start()
        elif len(calls) == KILL_AT and moment == "inside":
            time.sleep(2)
        return dist.all_reduce(array, op)

    buckets.all_reduce = all_reduce
    net = model()
    optimizer = dist.DistributedOptimizer(tc.optim.SGD(net.parameters(), lr=0.1), bucket_cap_mb=5e-4)
    x, y = data()[np.arange(GLOBAL_BATCH)]
    for _ in range(3):
        sgd_step(net, optimizer, tc.Tensor(x), tc.Tensor(y))
    print(f"rank {rank} finished", flush=True)


if __name__ == "__main__":
    dist.init_process_group()
    if sys.argv[1] == "step":
        step(sys.argv[2])
    elif sys.argv[1] == "kill":
        killed(int(sys.argv[2]), sys.argv[3])
    else:
        fail()
