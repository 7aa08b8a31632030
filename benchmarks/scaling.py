"""Scaling with batch size and threads: images/s of a LeNet-5 training step (Adam) and of one large
conv layer (3x3 64->64 at 32x32, forward + backward), tinyconv against PyTorch (CPU).

Every (framework, thread count) is a fresh process that times all batch sizes, the frameworks
alternating. Each cell is the median of --repeats steps after two warm-up steps, on random
float32 images. "n threads" means: tinyconv with n Numba threads (NUMBA_NUM_THREADS=n,
use_kernel_threads(n)) and its default BLAS thread count (1); PyTorch with torch.set_num_threads(n).

    python benchmarks/scaling.py
    python benchmarks/scaling.py --batch-sizes 1 64 --threads 1 2 4 --repeats 11
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FRAMEWORKS = ("tinyconv", "torch")
MODELS = ("LeNet-5 step", "conv 3x3 64->64 32x32")
WARMUP = 2


def lenet_step(framework, batch_size, rng):
    """A function () -> None: one LeNet-5 training step on a fixed random batch."""
    import numpy as np
    from lenet_epoch import tinyconv_trainer, torch_trainer
    step = (tinyconv_trainer if framework == "tinyconv" else torch_trainer)()
    images = rng.standard_normal((batch_size, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, batch_size).astype(np.int64)
    return lambda: step(images, labels)


def conv_step(framework, batch_size, rng):
    """A function () -> None: forward + backward of the 3x3 64->64 conv layer at 32x32."""
    import numpy as np
    from conv_layers import tinyconv_step, torch_step
    x = rng.standard_normal((batch_size, 64, 32, 32), dtype=np.float32)
    w = rng.standard_normal((64, 64, 3, 3), dtype=np.float32)
    return tinyconv_step("numba", x, w, 1) if framework == "tinyconv" else torch_step(x, w, 1)


def median_seconds(step, repeats):
    from conv_layers import median_times
    for _ in range(WARMUP - 1):  # median_times makes the last warm-up step
        step()
    return median_times({"step": step}, repeats)["step"]


def child(framework, threads, batch_sizes, repeats):
    """Print {model: {batch size: median seconds per step}} as JSON."""
    import contextlib
    import numpy as np
    sys.path.insert(0, HERE)
    with contextlib.ExitStack() as stack:
        if framework == "tinyconv":
            from tinyconv import backend
            stack.enter_context(backend.use_kernel_threads(threads))
        results = {model: {} for model in MODELS}
        for model, make in zip(MODELS, (lenet_step, conv_step)):
            for batch_size in batch_sizes:
                step = make(framework, batch_size, np.random.default_rng(0))
                if framework == "torch":
                    import torch
                    torch.set_num_threads(threads)  # after the trainer, which sets its own
                results[model][batch_size] = median_seconds(step, repeats)
    print(json.dumps(results))


def run_child(framework, threads, args):
    cmd = [sys.executable, __file__, "--child", framework, "--threads", str(threads),
           "--batch-sizes", *map(str, args.batch_sizes), "--repeats", str(args.repeats)]
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return {model: {int(b): s for b, s in cells.items()}
            for model, cells in json.loads(out.strip().splitlines()[-1]).items()}


def default_threads():
    cores = os.cpu_count() or 1
    return [n for n in (1, 2, 4, 8, 16, 32, 64) if n <= cores] or [1]


def print_table(results, args):
    print(f"images/s, median of {args.repeats} steps after {WARMUP} warm-up steps, "
          f"{os.cpu_count()} cores; ratio = tinyconv time / PyTorch time")
    header = f"{'model':24s} {'batch':>5s} " + " ".join(
        f"{f'{f} {t}t':>13s}" for t in args.threads for f in FRAMEWORKS)
    header += " " + " ".join(f"{f'ratio {t}t':>9s}" for t in args.threads)
    print(header)
    for model in MODELS:
        for b in args.batch_sizes:
            seconds = {(f, t): results[f, t][model][b] for f in FRAMEWORKS for t in args.threads}
            cells = " ".join(f"{b / seconds[f, t]:13.0f}" for t in args.threads for f in FRAMEWORKS)
            ratios = " ".join(f"{seconds['tinyconv', t] / seconds['torch', t]:9.2f}" for t in args.threads)
            print(f"{model:24s} {b:5d} {cells} {ratios}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 64, 256])
    p.add_argument("--threads", type=int, nargs="+", default=default_threads(),
                   help="thread counts (default: 1, 2, 4, ... up to the core count)")
    p.add_argument("--repeats", type=int, default=11, help="timed steps per cell")
    p.add_argument("--child", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.threads[0], args.batch_sizes, args.repeats)
    results = {(f, t): run_child(f, t, args) for t in args.threads for f in FRAMEWORKS}
    print_table(results, args)


if __name__ == "__main__":
    main()
