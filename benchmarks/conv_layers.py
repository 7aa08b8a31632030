"""conv2d forward + backward on a table of shapes: NumPy reference kernels and Numba kernels
(alternating over the repetitions in this process) and PyTorch (CPU, in a child process of its
own: each framework's waiting threads, OpenBLAS's and PyTorch's OpenMP pool, spin for a while
after each call and would take the cores from the other framework's next call). The table ends
with the distinct conv layers of the VGG-style network of examples/cifar10_vgg.py (for 28x28x1 and 32x32x3
inputs, at the example's batch size), taken from the example's model (a layer already in the
table appears once, under its first name); plus the machine's float32 GEMM rate, the ceiling an
im2col + GEMM design can approach, and the peak memory of a large batch with and without the
column-buffer limit.

    python benchmarks/conv_layers.py
    python benchmarks/conv_layers.py --repeats 20 --column-buffer-limit 256
"""
import argparse
import json
import os
import statistics
import sys
import time
import tracemalloc

import numpy as np

import tinyconv as tc
from tinyconv import backend, functional as F
from lenet_epoch import blas_kernel, child_json, torch_available
from vgg_epoch import INPUTS, conv_inputs, example_arguments


def vgg_shapes():
    """SHAPES rows of the conv layers of examples/cifar10_vgg.py's VGG-style network, per input."""
    n, rows = example_arguments().batch_size, []
    for size in INPUTS:
        for (_, c, h, w), layer in conv_inputs(size):
            o, _, k, _ = layer.weight.shape
            rows.append((f"VGG{size} {k}x{k} {c}->{o} {h}x{w}", (n, c, h, w), o, k, layer.padding[0]))
    return rows


def distinct(rows):
    """``rows`` less those whose shape, O, kernel and padding an earlier row has."""
    seen, kept = set(), []
    for row in rows:
        if row[1:] not in seen:
            seen.add(row[1:])
            kept.append(row)
    return kept


# name, (N, C, H, W), O, kernel, padding
SHAPES = distinct([
    ("LeNet conv1 5x5 1->6 28x28", (64, 1, 28, 28), 6, 5, 2),
    ("LeNet conv2 5x5 6->16 14x14", (64, 6, 14, 14), 16, 5, 0),
    ("3x3 3->32 32x32", (64, 3, 32, 32), 32, 3, 1),
    ("3x3 32->32 32x32", (64, 32, 32, 32), 32, 3, 1),
    ("3x3 64->64 32x32", (64, 64, 32, 32), 64, 3, 1),
    ("3x3 128->128 16x16", (64, 128, 16, 16), 128, 3, 1),
    *vgg_shapes(),
])


def tinyconv_step(kernels, x, w, padding):
    xt, wt = tc.Tensor(x, requires_grad=True), tc.Tensor(w, requires_grad=True)

    def step():
        with backend.use_kernels(kernels):
            y = F.conv2d(xt, wt, padding=padding)
            y.backward(np.ones(y.shape, np.float32))
    return step


def torch_step(x, w, padding):
    import torch
    xt, wt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(w).requires_grad_()

    def step():
        y = torch.nn.functional.conv2d(xt, wt, padding=padding)
        y.backward(torch.ones_like(y))
        xt.grad = wt.grad = None
    return step


def median_times(steps, repeats):
    for step in steps.values():
        step()  # warm-up (and compilation)
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def gemm_gflops(threads, n=2048, repeats=5):
    """float32 GEMM rate of tinyconv's matmul (``threads`` BLAS threads), GFLOP/s."""
    a, b = tc.Tensor(np.random.rand(n, n).astype(np.float32)), tc.Tensor(np.random.rand(n, n).astype(np.float32))
    with backend.use_blas_threads(threads), tc.no_grad():
        seconds = median_times({"gemm": lambda: a @ b}, repeats)["gemm"]
    return 2 * n ** 3 / seconds / 1e9


def torch_times(repeats):
    """{shape name: median seconds of PyTorch's step}, measured in a child process, or None
    where PyTorch is not installed."""
    if not torch_available():
        print("torch is not installed: no PyTorch column (pip install 'tinyconv[bench]')")
        return None
    return child_json([sys.executable, os.path.abspath(__file__), "--torch-child", "--repeats", str(repeats)])


def torch_child(repeats):
    import torch
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    rng, times = np.random.default_rng(0), {}
    for name, (n, c, h, w), o, k, pad in SHAPES:
        x, wt = rng.standard_normal((n, c, h, w), dtype=np.float32), rng.standard_normal((o, c, k, k), dtype=np.float32)
        times[name] = median_times({"pytorch": torch_step(x, wt, pad)}, repeats)["pytorch"]
    print(json.dumps(times))


def peak_mib(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--column-buffer-limit", type=int, default=None, metavar="MIB",
                   help="im2col buffer limit in MiB (default: tinyconv's)")
    p.add_argument("--torch-child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.torch_child:
        return torch_child(args.repeats)
    if args.column_buffer_limit:
        backend.set_column_buffer_limit(args.column_buffer_limit * 2**20)
    torch_seconds = torch_times(args.repeats)
    rng = np.random.default_rng(0)
    print(f"conv2d forward+backward (input and weight gradients), float32, {os.cpu_count()} cores, "
          f"median of {args.repeats}; GFLOP/s counts 3 GEMMs of 2*N*O*OH*OW*C*KH*KW; tinyconv with its default "
          f"threads, PyTorch with torch.set_num_threads({len(os.sched_getaffinity(0))}) in a process of its own; "
          f"NumPy's BLAS: {blas_kernel()}")
    print(f"{'shape':30s} {'reference':>14s} {'numba':>14s} {'pytorch':>14s} {'numba/pytorch':>14s} {'reference/numba':>16s}")
    for name, (n, c, h, w), o, k, pad in SHAPES:
        x = rng.standard_normal((n, c, h, w), dtype=np.float32)
        wt = rng.standard_normal((o, c, k, k), dtype=np.float32)
        t = median_times({kern: tinyconv_step(kern, x, wt, pad) for kern in backend.KERNELS}, args.repeats)
        if torch_seconds is not None:
            t["pytorch"] = torch_seconds[name]
        oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
        gflop = 3 * 2 * n * o * oh * ow * c * k * k / 1e9
        cells = [f"{t[s] * 1e3:6.2f} ms {gflop / t[s]:5.1f}" if s in t else f"{'-':>14s}"
                 for s in ("reference", "numba", "pytorch")]
        ratio = f"{t['numba'] / t['pytorch']:14.2f}" if "pytorch" in t else f"{'-':>14s}"
        print(f"{name:30s} {cells[0]:>14s} {cells[1]:>14s} {cells[2]:>14s} {ratio} {t['reference'] / t['numba']:16.2f}")
    print(f"float32 GEMM 2048^3: {gemm_gflops(1):.0f} GFLOP/s with 1 BLAS thread, "
          f"{gemm_gflops(os.cpu_count()):.0f} GFLOP/s with {os.cpu_count()}")

    x = rng.standard_normal((256, 64, 32, 32), dtype=np.float32)
    wt = rng.standard_normal((64, 64, 3, 3), dtype=np.float32)
    step = tinyconv_step("numba", x, wt, 1)
    limited = peak_mib(step)
    previous = backend.set_column_buffer_limit(2**40)
    try:
        unlimited = peak_mib(step)
    finally:
        backend.set_column_buffer_limit(previous)
    print(f"peak traced memory, 3x3 64->64 32x32 batch 256 forward+backward: {limited:.0f} MiB with the "
          f"{previous / 2**20:.0f} MiB column-buffer limit, {unlimited:.0f} MiB without")


if __name__ == "__main__":
    main()
