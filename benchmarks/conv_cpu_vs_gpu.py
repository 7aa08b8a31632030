"""CPU against GPU: im2col, col2im and conv2d forward + backward on the conv shape table of
``benchmarks/conv_layers.py``, for

    numpy   the reference kernels on the CPU (NumPy strided views)
    numba   the Numba @njit kernels on the CPU
    cuda    the numba.cuda kernels on the GPU (tinyconv's default there)
    cupy    the reference kernels on CuPy arrays: CuPy built-ins only
    torch   PyTorch on the GPU (cuDNN for the convolution, unfold/fold for im2col/col2im)

then the achieved memory bandwidth of the im2col and col2im kernels as a fraction of the
device's, and a LeNet-5 training epoch on the GPU, tinyconv against PyTorch on the same GPU.
GPU times come from CUDA events after warm-up (median of the repetitions); CPU times from
``time.perf_counter``. Without a GPU the script says so after the CPU columns and exits 0.

    python benchmarks/conv_cpu_vs_gpu.py
    python benchmarks/conv_cpu_vs_gpu.py --repeats 20 --lenet-batches 200
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

import tinyconv as tc
from tinyconv import backend, functional as F
from tinyconv.kernels import cpu as cpu_kernels, reference as ref

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conv_layers import SHAPES  # noqa: E402  (the conv shape table of the CPU benchmarks)

CPU_COLUMNS, GPU_COLUMNS = ("numpy", "numba"), ("cuda", "cupy", "torch")


def cpu_median(fn, repeats):
    fn()  # warm-up (and compilation)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def gpu_median(fn, repeats, torch_events=False):
    """Median seconds of ``fn`` between two CUDA events on the current stream, after two warm-up calls."""
    if torch_events:
        import torch
        event, sync = (lambda: torch.cuda.Event(enable_timing=True)), torch.cuda.synchronize
        elapsed = lambda a, b: a.elapsed_time(b)  # noqa: E731
    else:
        import cupy
        event, sync = cupy.cuda.Event, cupy.cuda.Device().synchronize
        elapsed = cupy.cuda.get_elapsed_time
    fn(), fn()
    sync()
    times = []
    for _ in range(repeats):
        start, end = event(), event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(elapsed(start, end) / 1e3)
    return statistics.median(times)


def operations(x, w, pad, xp_name, torch_module=None):
    """The three timed operations for one shape, on the arrays given (NumPy or CuPy)."""
    h, width, k = x.shape[2], x.shape[3], w.shape[2]
    args = (k, k), (1, 1), (pad, pad), (1, 1)  # kernel, stride, padding, dilation
    col = ref.im2col(x, *args) if xp_name != "torch" else None  # the input of col2im

    def conv_step(kernels):
        xt, wt = tc.Tensor(x, requires_grad=True), tc.Tensor(w, requires_grad=True)
        ones = None

        def step():
            nonlocal ones
            with backend.use_kernels(kernels):
                y = F.conv2d(xt, wt, padding=pad)
                ones = backend.get_array_module(y.data).ones(y.shape, np.float32) if ones is None else ones
                y.backward(ones)
        return step

    if xp_name in ("numpy", "numba", "cuda", "cupy"):
        # the kernel module timed directly, and the kernel selection conv2d runs with
        if xp_name == "cuda":
            from tinyconv.kernels import cuda as kernel_module
        else:
            kernel_module = cpu_kernels if xp_name == "numba" else ref
        selection = "numba" if xp_name in ("numba", "cuda") else "reference"
        return {"im2col": lambda: kernel_module.im2col(x, *args),
                "col2im": lambda: kernel_module.col2im(col, x.shape, *args),
                "conv2d": conv_step(selection)}
    torch = torch_module  # PyTorch on the GPU: unfold/fold are its im2col/col2im
    xt = torch.as_tensor(x, device="cuda")
    wt = torch.as_tensor(w, device="cuda")
    unfolded = torch.nn.functional.unfold(xt, k, padding=pad)
    xg, wg = xt.clone().requires_grad_(), wt.clone().requires_grad_()

    def torch_conv():
        y = torch.nn.functional.conv2d(xg, wg, padding=pad)
        y.backward(torch.ones_like(y))
        xg.grad = wg.grad = None
    return {"im2col": lambda: torch.nn.functional.unfold(xt, k, padding=pad),
            "col2im": lambda: torch.nn.functional.fold(unfolded, (h, width), k, padding=pad),
            "conv2d": torch_conv}


def gpu_peak_bandwidth():
    """(theoretical peak from the memory clock and bus width, measured device-to-device copy), bytes/s."""
    import cupy
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    clock_khz, bus_bits = props.get("memoryClockRate", 0), props.get("memoryBusWidth", 0)
    peak = 2 * clock_khz * 1e3 * bus_bits / 8 if clock_khz and bus_bits else None  # double data rate
    a = cupy.empty(2**28, dtype=np.uint8)
    b = cupy.empty_like(a)
    copy = 2 * a.nbytes / gpu_median(lambda: cupy.copyto(b, a), 10)  # read + write
    name = props.get("name", "")
    return peak, copy, name.decode() if isinstance(name, bytes) else name


def table(args, gpu, torch):
    rng = np.random.default_rng(0)
    columns = CPU_COLUMNS + ((("cuda", "cupy") + (("torch",) if torch else ())) if gpu else ())
    bandwidth = []
    print(f"median of {args.repeats}, float32, ms (lower is better)" + ("; GPU columns timed with CUDA events" if gpu else ""))
    header = f"{'shape':30s} {'op':7s}" + "".join(f"{c:>10s}" for c in columns)
    print(header + (f"{'numba/cuda':>12s}" if gpu else ""))
    for name, (n, c, h, w), o, k, pad in SHAPES:
        x = rng.standard_normal((n, c, h, w), dtype=np.float32)
        wt = rng.standard_normal((o, c, k, k), dtype=np.float32) * 0.1
        times = {}
        for column in columns:
            on_gpu = column in GPU_COLUMNS
            xs, ws = (backend.to_device(x, "cuda"), backend.to_device(wt, "cuda")) if on_gpu and column != "torch" else (x, wt)
            for op, fn in operations(xs, ws, pad, column, torch).items():
                times[column, op] = (gpu_median(fn, args.repeats, torch_events=column == "torch") if on_gpu
                                     else cpu_median(fn, args.repeats))
        for op in ("im2col", "col2im", "conv2d"):
            row = f"{name:30s} {op:7s}" + "".join(f"{times[c, op] * 1e3:10.3f}" for c in columns)
            if gpu:
                row += f"{times['numba', op] / times['cuda', op]:12.1f}"
            print(row)
        if gpu:
            oh, ow = h + 2 * pad - k + 1, w + 2 * pad - k + 1
            moved = x.nbytes + c * k * k * n * oh * ow * 4  # read the image once, write (or read) the columns
            bandwidth.append((name, moved, times["cuda", "im2col"], times["cuda", "col2im"]))
    return bandwidth


def lenet_epoch(args, torch):
    """Seconds per epoch of LeNet-5 training (batch 64, Adam) on the GPU: tinyconv and PyTorch,
    on the same synthetic images of MNIST's shape (the time does not depend on the values).
    Prints them and returns {"tinyconv": seconds per 60,000 images, "torch": ...}."""
    sys.path.insert(0, os.path.join(HERE, "..", "examples"))
    from mnist_lenet import lenet5
    from tinyconv.data import DataLoader, TensorDataset
    import cupy
    rng = np.random.default_rng(0)
    images = rng.standard_normal((60000, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, 60000)
    batches = args.lenet_batches or 60000 // 64
    results = {}

    tc.manual_seed(0)
    model = lenet5(dropout=0.25).to("cuda")
    optimizer = tc.optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(TensorDataset(images, labels), batch_size=64, shuffle=True, drop_last=True, device="cuda")

    def tinyconv_epoch(count):
        for _, (x, y) in zip(range(count), loader):
            loss = F.softmax_cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    tinyconv_epoch(20)  # warm-up: kernel compilation, memory pool
    start, end = cupy.cuda.Event(), cupy.cuda.Event()
    start.record()
    tinyconv_epoch(batches)
    end.record()
    end.synchronize()
    results["tinyconv"] = cupy.cuda.get_elapsed_time(start, end) / 1e3

    if torch is not None:
        from torch import nn
        torch.manual_seed(0)
        net = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Dropout(0.25),
            nn.Linear(120, 84), nn.ReLU(), nn.Dropout(0.25), nn.Linear(84, 10)).cuda()
        opt = torch.optim.Adam(net.parameters(), lr=2e-3)
        loss_fn = nn.CrossEntropyLoss()
        order = rng.permutation(60000)

        def torch_epoch(count):
            for i in range(count):
                index = order[i * 64:(i + 1) * 64]
                x = torch.from_numpy(images[index]).cuda(non_blocking=True)
                y = torch.from_numpy(labels[index]).cuda(non_blocking=True)
                loss = loss_fn(net(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()

        torch_epoch(20)
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch_epoch(batches)
        end.record()
        end.synchronize()
        results["torch"] = start.elapsed_time(end) / 1e3
    scale = (60000 // 64) / batches
    print(f"\nLeNet-5 training on the GPU, batch 64, Adam, {batches} batches (CUDA events), per 60,000 images:")
    for framework, seconds in results.items():
        print(f"  {framework:9s} {seconds * scale:7.2f} s per epoch  {batches * 64 / seconds:9.0f} images/s")
    if "torch" in results:
        print(f"  time ratio tinyconv / PyTorch: {results['tinyconv'] / results['torch']:.2f} (target at most 2)")
    return {framework: seconds * scale for framework, seconds in results.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--lenet-batches", type=int, default=0, help="batches of the LeNet-5 run (default: a full epoch)")
    p.add_argument("--no-lenet", action="store_true", help="skip the LeNet-5 epoch")
    args = p.parse_args()
    try:
        backend.require_cuda()
        gpu = True
    except tc.cuda.DeviceUnavailableError as e:
        gpu, reason = False, str(e)
    torch = None
    if gpu:
        try:
            import torch
            if not torch.cuda.is_available():
                print("PyTorch sees no GPU: no torch column")
                torch = None
        except ImportError:
            print("PyTorch is not installed: no torch column (pip install 'tinyconv[bench]' with a CUDA build of torch)")
    if gpu:
        served = backend.kernels(backend.to_device(np.zeros(1, np.float32), "cuda")).__name__
        print(f"kernels serving CuPy arrays: {served}")
    bandwidth = table(args, gpu, torch)
    if not gpu:
        print(f"\nno GPU: {reason}. Only the CPU columns were measured.")
        return
    peak, copy, device = gpu_peak_bandwidth()
    print(f"\nachieved bandwidth of the numba.cuda kernels on {device} (bytes: the image read once and "
          f"the columns written or read once; device-to-device copy {copy / 1e9:.0f} GB/s"
          + (f", theoretical peak {peak / 1e9:.0f} GB/s)" if peak else ")"))
    for name, moved, t_im2col, t_col2im in bandwidth:
        cells = []
        for op, t in (("im2col", t_im2col), ("col2im", t_col2im)):
            rate = moved / t
            cells.append(f"{op} {rate / 1e9:6.0f} GB/s = {100 * rate / (peak or copy):4.0f}% of "
                         f"{'peak' if peak else 'copy'}, {100 * rate / copy:4.0f}% of copy")
        print(f"  {name:30s} " + "; ".join(cells))
    if not args.no_lenet:
        lenet_epoch(args, torch)


if __name__ == "__main__":
    main()
