"""LeNet-5 training on the real MNIST: tinyconv against PyTorch (CPU), side by side.

Both train the example's LeNet-5 (ReLU, max pooling, dropout 0.25 in the classifier) with Adam,
batch 64, on the same batches from tinyconv's DataLoader. Every run is a fresh process, alternating the frameworks
over the repetitions; each reports the epoch time (after one warm-up batch), images/s and its
peak resident memory. tinyconv also reports the time of its first step in the process (Numba
loading or compiling its kernels) and the CPU time per step (all of the process's threads).
Thread settings: tinyconv runs with its defaults (one BLAS thread, the Numba kernels on the usable
cores that other processes leave idle) and any other "BLAS:NUMBA" thread counts given with --threads;
PyTorch uses torch.set_num_threads(usable cores). --cores N pins every run to the first N cores
(sched_setaffinity), so "one core" means one core for both frameworks.

    python benchmarks/lenet_epoch.py                   # one full epoch per run, 3 runs each
    python benchmarks/lenet_epoch.py --cores 1         # both frameworks on one core
    python benchmarks/lenet_epoch.py --batches 200 --repeats 5 --threads 2:2 1:1 2:1
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DROPOUT = 0.25


def training_step(model, optimizer, loss_fn, convert):
    """A function (images, labels) of NumPy arrays -> None: one step of ``optimizer`` on
    ``loss_fn(model(convert(images)), convert(labels))`` (``convert``: the framework's tensor)."""
    def step(images, labels):
        loss = loss_fn(model(convert(images)), convert(labels))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return step


def tinyconv_trainer():
    import tinyconv as tc
    from tinyconv import functional as F
    sys.path.insert(0, os.path.join(HERE, "..", "examples"))
    from mnist_lenet import lenet5

    tc.manual_seed(0)
    model = lenet5(dropout=DROPOUT)
    optimizer = tc.optim.Adam(model.parameters(), lr=2e-3)
    return training_step(model, optimizer, F.softmax_cross_entropy, tc.Tensor)


def torch_trainer():
    import torch
    from torch import nn
    torch.set_num_threads(len(os.sched_getaffinity(0)))
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Dropout(DROPOUT),
        nn.Linear(120, 84), nn.ReLU(), nn.Dropout(DROPOUT), nn.Linear(84, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    return training_step(model, optimizer, nn.CrossEntropyLoss(), torch.from_numpy)


def child(framework, batches, batch_size, cores):
    if cores:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:cores])
    from tinyconv.data import MNIST, DataLoader, Normalize, MNIST_MEAN, MNIST_STD
    loader = DataLoader(MNIST(transform=Normalize(MNIST_MEAN, MNIST_STD)), batch_size=batch_size,
                        shuffle=True, drop_last=True, rng=__import__("numpy").random.default_rng(0))
    batch_list = [(x.data, y.data) for _, (x, y) in zip(range(batches or len(loader)), loader)]
    start = time.perf_counter()
    step = (tinyconv_trainer if framework == "tinyconv" else torch_trainer)()
    step(*batch_list[0])
    first_step = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    for images, labels in batch_list[1:]:
        step(images, labels)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    images = (len(batch_list) - 1) * batch_size
    print(json.dumps(dict(seconds=seconds, cpu_seconds=cpu_seconds, images=images, first_step=first_step,
                          peak_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


def blas_kernel():
    """The BLAS that runs tinyconv's GEMMs and its kernel, e.g. "openblas 0.3.31 SkylakeX": a
    figure means little without it (OPENBLAS_CORETYPE can force another kernel: an AVX2 one on
    an AVX-512 CPU ran the GEMMs at half the speed)."""
    from tinyconv.backend import _blas_libraries
    return ", ".join(" ".join(str(lib.info().get(key) or "") for key in ("internal_api", "version", "architecture"))
                     for lib in _blas_libraries()) or "unknown"


def torch_available():
    return subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0


def child_json(cmd, env=None):
    """Run ``cmd``, a benchmark's child process, and return the JSON its last line of output holds."""
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_child(framework, args, env):
    cmd = [sys.executable, __file__, "--child", framework.split()[0], "--batches", str(args.batches),
           "--batch-size", str(args.batch_size), "--cores", str(args.cores)]
    return child_json(cmd, env)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batches", type=int, default=0, help="batches per run (default: a full epoch)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--cores", type=int, default=0, help="pin every run to this many cores (default: all usable)")
    p.add_argument("--threads", nargs="*", default=[], metavar="BLAS:NUMBA",
                   help="further tinyconv thread settings to time, e.g. 2:2")
    p.add_argument("--child", choices=["tinyconv", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args.batches, args.batch_size, args.cores)
    settings = {"tinyconv": {}}
    for t in args.threads:
        blas, numba_threads = t.split(":")
        settings[f"tinyconv blas={blas} numba={numba_threads}"] = dict(
            TINYCONV_BLAS_THREADS=blas, NUMBA_NUM_THREADS=numba_threads)
    if torch_available():
        settings["torch"] = {}
    else:
        print("torch is not installed: timing tinyconv only (pip install 'tinyconv[bench]')")
    frameworks = list(settings)
    with tempfile.TemporaryDirectory() as cache:  # an empty Numba cache: the kernels compile
        cold = run_child("tinyconv", args, dict(os.environ, NUMBA_CACHE_DIR=cache))
    runs = {f: [] for f in frameworks}
    for _ in range(args.repeats):
        for f in frameworks:
            runs[f].append(run_child(f, args, dict(os.environ, **settings[f])))
    cores = args.cores or len(os.sched_getaffinity(0))
    print(f"LeNet-5 on MNIST, batch {args.batch_size}, Adam, {cores} cores; median of {args.repeats} runs; "
          f"NumPy's BLAS: {blas_kernel()}")
    median = {f: statistics.median(r["seconds"] for r in runs[f]) for f in frameworks}
    for f in frameworks:
        r = runs[f][0]
        epoch = median[f] / r["images"] * 60000
        steps = r["images"] / args.batch_size
        cpu_ms = statistics.median(x["cpu_seconds"] for x in runs[f]) / steps * 1000
        print(f"{f:30s} {r['images'] / median[f]:8.0f} images/s  {epoch:5.1f} s per 60,000 images  "
              f"{median[f] / steps * 1000:5.2f} ms per step (CPU {cpu_ms:5.2f} ms)  "
              f"first step {statistics.median(x['first_step'] for x in runs[f]):.2f} s  "
              f"peak RSS {max(x['peak_mib'] for x in runs[f]):.0f} MiB")
    print(f"tinyconv first step with an empty Numba cache (compiling the kernels): {cold['first_step']:.1f} s")
    if "torch" in median:
        print(f"time ratio tinyconv / PyTorch: {median['tinyconv'] / median['torch']:.2f}")


if __name__ == "__main__":
    main()
