"""Time one LeNet-5 training step (batch 64, Adam) under different OpenBLAS thread counts.

Each setting runs in its own process (the thread count is fixed when NumPy loads), on
synthetic data, alternating settings over the repetitions; prints ms/step and the ratio to the
first setting.

    python benchmarks/lenet_step.py --threads 1 2 --steps 100 --repeats 3
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def child(steps, batch_size):
    import numpy as np
    import tinyconv as tc
    from tinyconv import functional as F
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
    from mnist_lenet import lenet5

    tc.manual_seed(0)
    model = lenet5()
    optimizer = tc.optim.Adam(model.parameters())
    rng = np.random.default_rng(0)
    images = tc.Tensor(rng.standard_normal((batch_size, 1, 28, 28)).astype(np.float32))
    labels = rng.integers(0, 10, batch_size)

    def step():
        loss = F.softmax_cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for _ in range(10):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    print((time.perf_counter() - start) / steps * 1000)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.steps, args.batch_size)
    times = {t: [] for t in args.threads}
    for _ in range(args.repeats):
        for t in args.threads:
            env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t))
            out = subprocess.run([sys.executable, __file__, "--child", "--steps", str(args.steps),
                                  "--batch-size", str(args.batch_size)],
                                 env=env, check=True, capture_output=True, text=True).stdout
            times[t].append(float(out.split()[-1]))
    base = statistics.median(times[args.threads[0]])
    print(f"LeNet-5 training step, batch {args.batch_size}, median of {args.repeats} runs of {args.steps} steps")
    for t in args.threads:
        ms = statistics.median(times[t])
        print(f"OPENBLAS_NUM_THREADS={t}: {ms:6.1f} ms/step  ({ms / base:.2f}x the first)")


if __name__ == "__main__":
    main()
