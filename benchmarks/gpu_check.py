"""One command that measures the GPU backend (CuPy + numba.cuda) on a machine with a GPU, in
under 8 minutes, and writes the figures as a section of ``benchmarks/RESULTS.md``:

1. the cuda tests: pytest on the "cuda" parametrisations and the CUDA kernel files;
2. the bandwidth of the numba.cuda kernels (im2col, col2im) as a fraction of a device-to-device
   copy measured in the same run (and of the theoretical peak where the device reports it);
3. conv2d forward + backward on the shapes of ``benchmarks/conv_layers.py`` against PyTorch
   (cuDNN), where PyTorch with CUDA is installed;
4. a LeNet-5 training epoch on the GPU against PyTorch.

    python benchmarks/gpu_check.py            # prints the section
    python benchmarks/gpu_check.py --write    # and appends it to benchmarks/RESULTS.md

Without a GPU (or without CuPy) it prints one line saying why and exits with status 2.
"""
import argparse
import datetime
import os
import subprocess
import sys

import numpy as np

import tinyconv as tc
from tinyconv import backend
from tinyconv.fileio import atomic_write

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "RESULTS.md")
NO_GPU = 2  # exit status where no GPU is present
CUDA_TESTS = ["tests", "-k", "cuda", "-q", "-p", "no:randomly"]  # the cuda parametrisations and kernel files


def cuda_tests(timeout):
    """Run the cuda tests in a fresh pytest process; return (exit status, pytest's summary line)."""
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", *CUDA_TESTS], cwd=ROOT, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"stopped after {timeout} s"
    lines = done.stdout.strip().splitlines()
    return done.returncode, lines[-1] if lines else done.stderr.strip()[-200:]


def kernel_table(repeats, torch):
    """Markdown rows: per conv shape, im2col and col2im GB/s with their fraction of the copy
    bandwidth, and conv2d forward + backward in ms against PyTorch."""
    from conv_cpu_vs_gpu import SHAPES, gpu_median, gpu_peak_bandwidth, operations
    peak, copy, name = gpu_peak_bandwidth()
    rng = np.random.default_rng(0)
    rows = ["| shape | im2col GB/s (of copy) | col2im GB/s (of copy) | conv2d fwd+bwd ms | PyTorch ms | ratio |",
            "|---|---|---|---|---|---|"]
    for label, (n, c, h, w), o, k, pad in SHAPES:
        x = rng.standard_normal((n, c, h, w), dtype=np.float32)
        wt = rng.standard_normal((o, c, k, k), dtype=np.float32) * 0.1
        ops = operations(backend.to_device(x, "cuda"), backend.to_device(wt, "cuda"), pad, "cuda")
        t = {op: gpu_median(fn, repeats) for op, fn in ops.items()}
        moved = x.nbytes + c * k * k * n * (h + 2 * pad - k + 1) * (w + 2 * pad - k + 1) * 4
        rates = [f"{moved / t[op] / 1e9:.0f} ({100 * moved / t[op] / copy:.0f}%)" for op in ("im2col", "col2im")]
        theirs = gpu_median(operations(x, wt, pad, "torch", torch)["conv2d"], repeats, True) if torch else None
        rows.append(f"| {label} | {rates[0]} | {rates[1]} | {t['conv2d'] * 1e3:.3f} | "
                    + (f"{theirs * 1e3:.3f} | {t['conv2d'] / theirs:.2f} |" if theirs else "- | - |"))
    reference = f"device-to-device copy {copy / 1e9:.0f} GB/s" + (f", theoretical peak {peak / 1e9:.0f} GB/s" if peak else "")
    return name, reference, rows


def section(args, argv, torch):
    """The RESULTS.md section, as a list of lines."""
    status, summary = (None, "skipped (--no-tests)") if args.no_tests else cuda_tests(args.test_timeout)
    name, reference, rows = kernel_table(args.repeats, torch)
    from conv_cpu_vs_gpu import lenet_epoch
    epoch = lenet_epoch(argparse.Namespace(lenet_batches=args.lenet_batches), torch)
    lines = [f"## GPU check: {name}, {datetime.date.today().isoformat()}", "",
             f"`{' '.join(['python', 'benchmarks/gpu_check.py', *argv])}`", "",
             f"- cuda tests (`pytest {' '.join(CUDA_TESTS)}`): {summary}"
             + ("" if status in (0, None) else f" (exit status {status})"),
             f"- PyTorch: {torch.__version__ if torch else 'not installed or no CUDA'}", "",
             f"numba.cuda kernels against a {reference}, and conv2d against PyTorch (CUDA events, median of "
             f"{args.repeats}):", "", *rows, "",
             "LeNet-5 training epoch on the GPU (batch 64, Adam, synthetic images of MNIST's shape):", "",
             "| framework | s per 60,000 images |", "|---|---|",
             *[f"| {framework} | {seconds:.2f} |" for framework, seconds in epoch.items()]]
    if "torch" in epoch:
        lines += ["", f"Time ratio tinyconv / PyTorch: **{epoch['tinyconv'] / epoch['torch']:.2f}**"]
    return lines


def cuda_torch():
    """PyTorch where it is installed with CUDA and sees the GPU, else None."""
    try:
        import torch
    except ImportError:
        return None
    return torch if torch.cuda.is_available() else None


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--write", action="store_true", help="append the section to benchmarks/RESULTS.md")
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--lenet-batches", type=int, default=0, help="batches of the LeNet-5 run (default: an epoch)")
    p.add_argument("--test-timeout", type=int, default=240, help="seconds allowed to the cuda tests")
    p.add_argument("--no-tests", action="store_true", help="skip the cuda tests")
    argv = sys.argv[1:] if argv is None else argv
    args = p.parse_args(argv)
    try:
        backend.require_cuda()
    except tc.cuda.DeviceUnavailableError as e:
        print(f"gpu_check: no GPU to measure: {e}", file=sys.stderr)
        return NO_GPU
    sys.path.insert(0, HERE)
    text = "\n".join(section(args, argv, cuda_torch())) + "\n"
    print(text, end="")
    if args.write:
        with open(RESULTS, "rb") as f:
            atomic_write(RESULTS, f.read().rstrip(b"\n") + b"\n\n" + text.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
