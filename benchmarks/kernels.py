"""Memory bandwidth of the Numba CPU kernels (im2col, col2im, max pooling forward and backward)
beside a plain NumPy copy of the same bytes, measured in the same run.

A kernel's traffic is the bytes it must read plus the bytes it must write (input and output
arrays once each; argmax counts as int64); GB/s = traffic / time. The copy is ``np.copyto``
between two buffers of half that size, so it moves the same traffic. Kernel and copy alternate
round by round and each figure is the median, so a load that comes and goes on a shared machine
hits both alike: read the ratio (kernel / copy) more than the GB/s. im2col and col2im are the
compiled kernels called on the whole batch with their outputs allocated beforehand (as the
copy's are), so the page faults of fresh buffers of tens of MB are not counted; pooling goes
through its public functions (which pick the kernel for the window; their outputs are small
enough that the allocator reuses them). Once per Numba thread count.

    python benchmarks/kernels.py
    python benchmarks/kernels.py --repeats 50 --threads 1 2 4
"""
import argparse
import os
import statistics
import time

import numba
import numpy as np

from tinyconv.kernels import cpu

# name, (N, C, H, W), kernel, padding; conv layers use stride 1 and dilation 1
CONV_SHAPES = [
    ("LeNet conv1 5x5 1x28x28 pad 2", (64, 1, 28, 28), 5, 2),
    ("LeNet conv2 5x5 6x14x14", (64, 6, 14, 14), 5, 0),
    ("3x3 32x32x32 pad 1", (64, 32, 32, 32), 3, 1),
    ("3x3 64x16x16 pad 1", (64, 64, 16, 16), 3, 1),
    ("3x3 128x16x16 pad 1", (64, 128, 16, 16), 3, 1),
]
# name, (N, C, H, W); 2x2 windows, stride 2
POOL_SHAPES = [
    ("LeNet pool1 6x28x28", (64, 6, 28, 28)),
    ("LeNet pool2 16x10x10", (64, 16, 10, 10)),
]


def conv_cases(rng):
    for name, shape, k, pad in CONV_SHAPES:
        n, c, h, w = shape
        oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
        geometry = (k, k, 1, 1, pad, pad, 1, 1, oh, ow)
        x = rng.standard_normal(shape, dtype=np.float32)
        col = np.empty((c * k * k, n * oh * ow), dtype=np.float32)
        traffic = x.nbytes + col.nbytes
        yield "im2col", name, (lambda x=x, col=col, g=geometry: cpu._im2col(x, col, *g, np.float32(0))), traffic
        yield "col2im", name, (lambda x=x, col=col, g=geometry: cpu._col2im(col, x, *g)), traffic


def pool_cases(rng):
    geometry = ((2, 2), (2, 2), (0, 0))
    for name, shape in POOL_SHAPES:
        x = rng.standard_normal(shape, dtype=np.float32)
        y, argmax = cpu.max_pool_forward(x, *geometry)
        traffic = x.nbytes + y.nbytes + argmax.nbytes
        yield "max_pool_forward", name, (lambda x=x: cpu.max_pool_forward(x, *geometry)), traffic
        yield "max_pool_backward", name, (lambda y=y, a=argmax, s=shape: cpu.max_pool_backward(y, a, s, *geometry)), \
            traffic


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(fn, traffic, repeats):
    """Median GB/s of ``fn`` and of a copy of the same traffic, alternating round by round."""
    src = np.ones(traffic // 2, dtype=np.uint8)
    dst = np.empty_like(src)
    fn()  # compile or load the kernel, and fault in the allocator's pages
    kernel, copy = [], []
    for _ in range(repeats):
        kernel.append(seconds(fn))
        copy.append(seconds(lambda: np.copyto(dst, src)))
    return traffic / statistics.median(kernel) / 1e9, 2 * src.nbytes / statistics.median(copy) / 1e9


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=30)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="Numba thread counts")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    cases = list(conv_cases(rng)) + list(pool_cases(rng))
    previous = numba.get_num_threads()
    print(f"float32, batch 64, {os.cpu_count()} cores, Numba {numba.__version__} ({numba.config.THREADING_LAYER} "
          f"threading layer), median of {args.repeats} alternating rounds; GB/s = (bytes read + written) / time")
    print(f"{'kernel':18s} {'shape':30s} {'threads':>7s} {'MB':>6s} {'kernel GB/s':>11s} {'copy GB/s':>9s} {'ratio':>6s}")
    try:
        for threads in args.threads:
            numba.set_num_threads(threads)
            for kernel, name, fn, traffic in cases:
                rate, copy_rate = measure(fn, traffic, args.repeats)
                print(f"{kernel:18s} {name:30s} {threads:7d} {traffic / 1e6:6.1f} {rate:11.1f} {copy_rate:9.1f} "
                      f"{rate / copy_rate:6.2f}")
    finally:
        numba.set_num_threads(previous)


if __name__ == "__main__":
    main()
