"""Training the VGG-style network of examples/cifar10_vgg.py: tinyconv against the same network
in PyTorch (CPU), side by side in one run.

The tinyconv network is the example's own (``conv_net`` with ``MODELS["vgg"]``); the PyTorch one
has the same layers and the same initial weights, copied from tinyconv's, and must give the same
logits on one batch (to 1e-4, dropout off) before anything is timed. A step is forward, softmax
cross-entropy, backward and an Adam step (dropout on) on a fixed random batch of the example's
batch size. The frameworks alternate over ``--rounds`` rounds of ``--batches`` steps each, after
two warm-up steps, each round in a fresh process (each framework's waiting threads, OpenBLAS's
and PyTorch's OpenMP pool, spin for a while after each call and would take the cores from the
other framework in a shared process); reported: the median time of a step over the rounds, the
ratio, and the time of one epoch at that speed (60,000 images of 28x28x1, 50,000 of 32x32x3).
Threads as in benchmarks/lenet_epoch.py: tinyconv with its defaults (one BLAS thread, Numba's on the idle
cores; set TINYCONV_BLAS_THREADS for more); PyTorch with torch.set_num_threads(usable cores).

    python benchmarks/vgg_epoch.py                       # both inputs, about 20 s of steps each
    python benchmarks/vgg_epoch.py --input 32 --batches 5 --rounds 5
"""
import argparse
import functools
import importlib.util
import json
import os
import statistics
import sys
import time

import numpy as np

import tinyconv as tc
from tinyconv import functional as F, nn
from lenet_epoch import blas_kernel, child_json, training_step

EXAMPLES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
INPUTS = {28: (1, 60000), 32: (3, 50000)}  # image size: (channels, images in one epoch)
TOLERANCE = 1e-4  # the largest difference of the two networks' logits
SECONDS = 20  # the time of all timed steps of one input, by default
WARMUP = 2


def example():
    """examples/cifar10_vgg.py, imported from beside this folder."""
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    import cifar10_vgg
    return cifar10_vgg


def example_arguments():
    """The example's default arguments (batch size, learning rate, ...)."""
    return example().parse_args([])


def tinyconv_vgg(size):
    """The example's VGG-style network for (N, C, size, size) inputs (C from INPUTS), 10 classes,
    initialised from seed 0 without moving the default generator."""
    vgg = example()
    with tc.random.fork_rng():
        tc.manual_seed(0)
        return vgg.conv_net(INPUTS[size][0], size, 10, **vgg.MODELS["vgg"])


def conv_inputs(size):
    """(input shape (1, C, H, W), layer) of each Conv2d of :func:`tinyconv_vgg` (``size``), in order."""
    model, found = tinyconv_vgg(size).eval(), []
    x = tc.Tensor(np.zeros((1, INPUTS[size][0], size, size), np.float32))
    with tc.no_grad():
        for layer in model:
            if isinstance(layer, nn.Conv2d):
                found.append((x.shape, layer))
            x = layer(x)
    return found


def torch_copy(model):
    """The tinyconv Sequential ``model`` (Conv2d, ReLU, MaxPool2d, Dropout, Flatten, Linear) as a
    PyTorch Sequential of the same layers, its parameters copied from ``model``'s."""
    import torch
    from torch import nn as tnn
    same = {
        nn.Conv2d: lambda m: tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding),
        nn.ReLU: lambda m: tnn.ReLU(),
        nn.MaxPool2d: lambda m: tnn.MaxPool2d(m.kernel_size, m.stride, m.padding),
        nn.Dropout: lambda m: tnn.Dropout(m.p),
        nn.Flatten: lambda m: tnn.Flatten(m.start_dim, m.end_dim),
        nn.Linear: lambda m: tnn.Linear(m.in_features, m.out_features),
    }
    net = tnn.Sequential(*(same[type(layer)](layer) for layer in model))
    net.load_state_dict({name: torch.from_numpy(value) for name, value in model.state_dict().items()})
    return net


def check_same_logits(model, net, images):
    """Stop the script with a message unless the tinyconv ``model`` and the PyTorch ``net`` give
    logits within TOLERANCE of each other on ``images`` (N, C, H, W) float32, in eval mode
    (both are back in training mode after)."""
    import torch
    model.eval()
    net.eval()
    with tc.no_grad(), torch.no_grad():
        difference = np.abs(model(tc.Tensor(images)).numpy() - net(torch.from_numpy(images)).numpy()).max()
    model.train()
    net.train()
    if not difference <= TOLERANCE:
        sys.exit(f"vgg_epoch: the tinyconv and PyTorch networks differ: logits up to {difference:.3g} apart "
                 f"on one batch (tolerance {TOLERANCE}); nothing timed")


def batch(size, batch_size):
    """A fixed random batch: float32 images (N, C, size, size) and int64 labels (N,)."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((batch_size, INPUTS[size][0], size, size), dtype=np.float32),
            rng.integers(0, 10, batch_size))


def trainer(framework, size, batch_size):
    """A function () -> None making one training step of ``framework``'s ("tinyconv" or "torch")
    network for ``size`` on :func:`batch`."""
    model, lr = tinyconv_vgg(size), example_arguments().lr
    if framework == "tinyconv":
        step = training_step(model, tc.optim.Adam(model.parameters(), lr=lr), F.softmax_cross_entropy, tc.Tensor)
    else:
        import torch
        net = torch_copy(model)
        step = training_step(net, torch.optim.Adam(net.parameters(), lr=lr), torch.nn.CrossEntropyLoss(),
                             torch.from_numpy)
    return functools.partial(step, *batch(size, batch_size))


def seconds_per_step(step, n):
    start = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - start) / n


def child(framework, size, batches, batch_size):
    """Print the seconds per step of ``batches`` steps after the warm-up, in this process."""
    if framework == "torch":
        import torch
        torch.set_num_threads(len(os.sched_getaffinity(0)))
    step = trainer(framework, size, batch_size)
    for _ in range(WARMUP):
        step()
    print(json.dumps(seconds_per_step(step, batches)))


def timed_in_child(framework, size, batches, batch_size):
    cmd = [sys.executable, os.path.abspath(__file__), "--child", framework, "--input", str(size),
           "--batches", str(batches), "--batch-size", str(batch_size)]
    return child_json(cmd)


def median_step_seconds(size, args):
    """{framework: median seconds of a step over the rounds}, and the steps per round."""
    model = tinyconv_vgg(size)
    check_same_logits(model, torch_copy(model), batch(size, args.batch_size)[0])
    frameworks = ("tinyconv", "torch")
    batches = args.batches
    if not batches:  # about SECONDS of steps per input in all, from one step of each
        one = sum(timed_in_child(f, size, 1, args.batch_size) for f in frameworks)
        batches = max(1, round(SECONDS / args.rounds / one))
    rounds = {f: [] for f in frameworks}
    for _ in range(args.rounds):
        for f in frameworks:
            rounds[f].append(timed_in_child(f, size, batches, args.batch_size))
    return {f: statistics.median(r) for f, r in rounds.items()}, batches


def main(argv=None):
    vgg = example()  # its argument types, from examples/common.py
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", type=int, nargs="+", choices=sorted(INPUTS), default=sorted(INPUTS),
                   help="image sizes: 28 (28x28x1) and/or 32 (32x32x3)")
    p.add_argument("--batches", type=vgg.non_negative_int, default=0,
                   help=f"timed steps per round (0, the default: about {SECONDS} s of steps per input in all)")
    p.add_argument("--rounds", type=vgg.positive_int, default=3)
    p.add_argument("--batch-size", type=vgg.positive_int, default=example_arguments().batch_size,
                   help="default: the example's")
    p.add_argument("--child", choices=["tinyconv", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child(args.child, args.input[0], args.batches, args.batch_size)
    if importlib.util.find_spec("torch") is None:
        sys.exit("vgg_epoch: torch is not installed, nothing to compare with (pip install 'tinyconv[bench]')")
    print(f"VGG-style network of examples/cifar10_vgg.py, training step (Adam) at batch {args.batch_size} "
          f"on random data; tinyconv: its default threads; PyTorch: {len(os.sched_getaffinity(0))} threads; "
          f"median of {args.rounds} alternating rounds, each in a fresh process; s/epoch: per " +
          ", ".join(f"{images:,} images of {size}x{size}x{c}" for size, (c, images) in INPUTS.items()) +
          f"; NumPy's BLAS: {blas_kernel()}")
    print(f"{'input':8s} {'steps':>5s} {'tinyconv ms':>11s} {'PyTorch ms':>10s} {'ratio':>5s} "
          f"{'tinyconv s/epoch':>16s} {'PyTorch s/epoch':>15s}")
    for size in args.input:
        median, batches = median_step_seconds(size, args)
        channels, images = INPUTS[size]
        epoch = {name: seconds * images / args.batch_size for name, seconds in median.items()}
        print(f"{f'{size}x{size}x{channels}':8s} {batches:5d} {1e3 * median['tinyconv']:11.1f} "
              f"{1e3 * median['torch']:10.1f} {median['tinyconv'] / median['torch']:5.2f} "
              f"{epoch['tinyconv']:16.1f} {epoch['torch']:15.1f}")


if __name__ == "__main__":
    main()
