"""Data-parallel LeNet-5 training on the real MNIST: images/s on 1 and more MPI processes,
scaling efficiency, and the time each step spends averaging gradients.

Each run is one ``mpirun -np N`` job (NUMBA_NUM_THREADS=1 and one BLAS thread per process, so
N processes use N cores). Every process trains the example's LeNet-5 (dropout 0.25, Adam) on its
own batches of ``--batch-size`` images (weak scaling: the global batch is N times that) drawn by
a DistributedSampler and loaded before the clock starts; after ``--warmup`` steps it times
``--steps`` steps, split into compute (forward, backward, Adam), waiting for the other
processes (a barrier before the allreduce: the load imbalance) and the bucketed gradient
allreduce itself. Images/s = global batch x steps / the slowest process's time; scaling
efficiency = images/s on N processes / (N x images/s on 1).

    python benchmarks/distributed_lenet.py                     # 1 and 2 processes, batch 64 each
    python benchmarks/distributed_lenet.py --processes 1 2 4 --batch-size 32 --steps 300
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def worker(args):
    import tinyconv as tc
    from tinyconv import distributed as dist, functional as F
    from tinyconv.data import MNIST, DataLoader, Normalize, MNIST_MEAN, MNIST_STD
    sys.path.insert(0, os.path.join(HERE, "..", "examples"))
    from mnist_lenet import lenet5

    dist.init_process_group()
    tc.manual_seed(0)
    data = MNIST(transform=Normalize(MNIST_MEAN, MNIST_STD))
    loader = DataLoader(data, batch_size=args.batch_size, drop_last=True, sampler=dist.DistributedSampler(data))
    batches = [b for _, b in zip(range(args.warmup + args.steps), loader)]
    model = lenet5(dropout=0.25)
    dist.broadcast_parameters(model)
    optimizer = tc.optim.Adam(model.parameters(), lr=2e-3)
    clock = {"compute": 0.0, "wait": 0.0, "allreduce": 0.0}
    for i, (images, labels) in enumerate(batches):
        if i == args.warmup:
            clock = dict.fromkeys(clock, 0.0)
            dist.barrier()
            start = time.perf_counter()
        t0 = time.perf_counter()
        loss = F.softmax_cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        t1 = time.perf_counter()
        dist.barrier()
        t2 = time.perf_counter()
        dist.all_reduce_gradients(optimizer.params)
        t3 = time.perf_counter()
        optimizer.step()
        clock["compute"] += (t1 - t0) + (time.perf_counter() - t3)
        clock["wait"] += t2 - t1
        clock["allreduce"] += t3 - t2
    totals = np.array([time.perf_counter() - start, clock["compute"], clock["wait"], clock["allreduce"]])
    slowest = dist.all_reduce(totals[:1].copy(), op="max")[0]
    mean = dist.all_reduce(totals[1:].copy()) / dist.get_world_size()
    if dist.get_rank() == 0:
        print(json.dumps(dict(seconds=slowest, **{k: v / args.steps for k, v in zip(clock, mean)})))


def run(processes, args):
    cmd = ["mpirun", "-np", str(processes), "--oversubscribe", "--bind-to", "none"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    cmd += [sys.executable, os.path.abspath(__file__), "--worker", "--batch-size", str(args.batch_size),
            "--steps", str(args.steps), "--warmup", str(args.warmup)]
    env = dict(os.environ, NUMBA_NUM_THREADS="1", TINYCONV_BLAS_THREADS="1")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    p.add_argument("--batch-size", type=int, default=64, help="images per process per step")
    p.add_argument("--steps", type=int, default=200, help="timed steps per run")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first (Numba loading its kernels)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args)
    if shutil.which("mpirun") is None:
        sys.exit("mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev) and "
                 "pip install 'tinyconv[mpi]'")
    print(f"LeNet-5 on MNIST, Adam, {args.batch_size} images per process per step, {args.steps} steps, "
          f"{os.cpu_count()} cores, 1 thread per process, "
          f"OMPI_MCA_mpi_yield_when_idle={os.environ.get('OMPI_MCA_mpi_yield_when_idle', '(unset)')}")
    results = {n: run(n, args) for n in sorted(set(args.processes))}
    rates = {n: n * args.batch_size * args.steps / r["seconds"] for n, r in results.items()}
    first = min(rates)  # efficiency against the fewest processes run (normally 1)
    print("processes  global batch  images/s  efficiency  compute ms/step  wait ms/step  allreduce ms/step")
    for n, r in results.items():
        print(f"{n:9d}  {n * args.batch_size:12d}  {rates[n]:8.0f}  {rates[n] * first / (n * rates[first]):10.2f}  "
              f"{1e3 * r['compute']:15.2f}  {1e3 * r['wait']:12.2f}  {1e3 * r['allreduce']:17.3f}")


if __name__ == "__main__":
    main()
