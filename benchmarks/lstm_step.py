"""One LSTM (or, with --cell gru, GRU) training step, tinyconv against PyTorch (CPU), side by
side in one process.

The model of examples/mnist_rnn.py: an LSTM (28 inputs, hidden 128, one layer, batch first)
reading 28 steps, a Linear(128, 10) head on the final hidden state, softmax cross-entropy and
Adam; batch 64 of random float32 inputs and labels (the time does not depend on the values).
A step is forward + backward + update. The frameworks alternate over the repetitions, each
timing ``--steps`` steps after a warm-up step; the medians and their ratio are printed.
Threads: tinyconv runs with its defaults (one BLAS thread; set TINYCONV_BLAS_THREADS for more); PyTorch with
torch.set_num_threads(--torch-threads), one by default: on 2 cores shared with other jobs,
PyTorch's two OpenMP threads waited for each other at every one of the many small operations
of a step (benchmarks/RESULTS.md has the figures).

    python benchmarks/lstm_step.py
    python benchmarks/lstm_step.py --steps 50 --repeats 5 --hidden-size 256 --cell gru
"""
import argparse
import os
import statistics
import time

import numpy as np

import tinyconv as tc
from tinyconv import functional as F, nn
from lenet_epoch import blas_kernel

CELLS = ("lstm", "gru")


def tinyconv_trainer(args):
    tc.manual_seed(0)
    rnn = (nn.LSTM if args.cell == "lstm" else nn.GRU)(28, args.hidden_size, batch_first=True)
    head = nn.Linear(args.hidden_size, 10)
    optimizer = tc.optim.Adam(rnn.parameters() + head.parameters(), lr=1e-3)

    def step(x, y):
        _, state = rnn(x)
        h_n = state[0] if args.cell == "lstm" else state
        loss = F.softmax_cross_entropy(head(h_n[-1]), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def torch_trainer(args):
    import torch
    torch.set_num_threads(args.torch_threads)
    torch.manual_seed(0)
    rnn = (torch.nn.LSTM if args.cell == "lstm" else torch.nn.GRU)(28, args.hidden_size, batch_first=True)
    head = torch.nn.Linear(args.hidden_size, 10)
    optimizer = torch.optim.Adam(list(rnn.parameters()) + list(head.parameters()), lr=1e-3)

    def step(x, y):
        _, state = rnn(torch.from_numpy(x))
        h_n = state[0] if args.cell == "lstm" else state
        loss = torch.nn.functional.cross_entropy(head(h_n[-1]), torch.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def time_steps(step, batches):
    step(*batches[0])  # warm-up
    start = time.perf_counter()
    for x, y in batches:
        step(x, y)
    return (time.perf_counter() - start) / len(batches)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell", choices=CELLS, default="lstm")
    p.add_argument("--hidden-size", type=int, default=128)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=30, help="timed steps per repetition")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--torch-threads", type=int, default=1)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((args.batch_size, 28, 28)).astype(np.float32),
                rng.integers(0, 10, args.batch_size)) for _ in range(args.steps)]
    trainers = {"tinyconv": tinyconv_trainer(args)}
    try:
        trainers["torch"] = torch_trainer(args)
    except ImportError:
        print("torch is not installed: timing tinyconv only (pip install 'tinyconv[bench]')")
    times = {name: [] for name in trainers}
    for _ in range(args.repeats):
        for name, step in trainers.items():
            times[name].append(time_steps(step, batches))
    print(f"{args.cell.upper()} 28 -> {args.hidden_size}, 28 steps, batch {args.batch_size}, + Linear head, Adam; "
          f"forward + backward + update, median of {args.repeats} x {args.steps} steps, {os.cpu_count()} cores; "
          f"NumPy's BLAS: {blas_kernel()}")
    median = {name: statistics.median(t) for name, t in times.items()}
    for name, seconds in median.items():
        print(f"{name:10s} {1000 * seconds:7.1f} ms per step  {args.batch_size / seconds:8.0f} sequences/s  "
              f"{seconds * 60000 / args.batch_size:6.1f} s per 60,000 sequences")
    if "torch" in median:
        print(f"time ratio tinyconv / PyTorch: {median['tinyconv'] / median['torch']:.2f}")


if __name__ == "__main__":
    main()
