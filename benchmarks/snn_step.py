"""One training step of the convolutional SNN of examples/mnist_lif.py (``--model csnn``):
tinyconv against snnTorch on PyTorch (CPU), side by side.

The network is snnTorch's tutorial 6: conv 12@5x5 -> max pool 2 -> LIF -> conv 64@5x5 ->
max pool 2 -> LIF -> linear 1024 -> 10 -> LIF, the image fed as a constant current for T steps,
Adam (lr 1e-2) on the cross-entropy of the output spike counts (snnTorch's
``functional.ce_count_loss``), batch 64 of real MNIST images in [0, 1]. Matched: the LIF
neurons (snnTorch's ``Leaky``: U[t] = beta U[t-1] + I[t] - S[t-1] theta, reset by subtraction
and not differentiated, S = H(U - theta) with S = 0 at U = theta, beta 0.5, threshold 1, the
arctan surrogate dS/dU = (alpha / 2) / (1 + (pi alpha U / 2)^2) with alpha 2), and the order of
the computation: both compute the first convolution once (the current is the same at every
step), step the LIF layers through time and run each later layer once on all T * N maps.

Every round runs each framework in a fresh process (frameworks alternating over the rounds):
one warm-up step (the first, with Numba loading or compiling its kernels, is not timed), then
``--steps`` timed steps on the same batches. Reported: the median time of a step over all rounds,
and the ratio. Threads: tinyconv with its defaults (one BLAS thread, Numba's on the idle
cores); PyTorch with torch.set_num_threads(os.cpu_count()).

    python benchmarks/snn_step.py                     # T = 25, 10 steps per round, 3 rounds
    python benchmarks/snn_step.py --time-steps 16 --rounds 5
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from lenet_epoch import torch_available, training_step

HERE = os.path.dirname(os.path.abspath(__file__))
BETA, LR = 0.5, 1e-2


def tinyconv_trainer(time_steps):
    import tinyconv as tc
    from tinyconv import functional as F
    sys.path.insert(0, os.path.join(HERE, "..", "examples"))
    from mnist_lif import ConvSNN

    tc.manual_seed(0)
    model = ConvSNN(time_steps, beta=BETA)
    return training_step(model, tc.optim.Adam(model.parameters(), lr=LR), F.softmax_cross_entropy, tc.Tensor)


def torch_trainer(time_steps):
    import snntorch
    import snntorch.functional as SF
    import torch
    from torch import nn
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)

    class ConvSNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2, self.fc = nn.Conv2d(1, 12, 5), nn.Conv2d(12, 64, 5), nn.Linear(64 * 4 * 4, 10)
            self.lif1, self.lif2, self.lif3 = (snntorch.Leaky(beta=BETA) for _ in range(3))

        def forward(self, images):
            n = images.shape[0]
            current = nn.functional.max_pool2d(self.conv1(images), 2)
            s1 = run(self.lif1, [current] * time_steps)
            s2 = run(self.lif2, nn.functional.max_pool2d(self.conv2(s1.flatten(0, 1)), 2).unflatten(0, (-1, n)))
            return run(self.lif3, self.fc(s2.flatten(2)))

    def run(layer, currents):
        """The spikes (T, N, *) of a Leaky layer over currents[t], from zero potentials."""
        mem, spikes = layer.reset_mem(), []
        for current in currents:
            spike, mem = layer(current, mem)
            spikes.append(spike)
        return torch.stack(spikes)

    model = ConvSNN()
    return training_step(model, torch.optim.Adam(model.parameters(), lr=LR), SF.ce_count_loss(), torch.from_numpy)


def child(framework, args):
    from tinyconv.data import MNIST, DataLoader
    loader = DataLoader(MNIST(), batch_size=args.batch_size, shuffle=True, drop_last=True,
                        rng=np.random.default_rng(0))
    batches = [(x.data, y.data) for _, (x, y) in zip(range(args.steps + 1), loader)]
    step = (tinyconv_trainer if framework == "tinyconv" else torch_trainer)(args.time_steps)
    step(*batches[0])
    seconds = []
    for images, labels in batches[1:]:
        start = time.perf_counter()
        step(images, labels)
        seconds.append(time.perf_counter() - start)
    print(json.dumps(seconds))


def run_child(framework, args):
    cmd = [sys.executable, __file__, "--child", framework, "--steps", str(args.steps),
           "--batch-size", str(args.batch_size), "--time-steps", str(args.time_steps)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def peer_available():
    if not torch_available():
        return "torch is not installed"
    if subprocess.run([sys.executable, "-c", "import snntorch"], capture_output=True).returncode:
        return "snntorch is not installed (pip install snntorch)"
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=10, help="timed training steps per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--time-steps", type=int, default=25, help="T, the SNN's time steps")
    p.add_argument("--child", choices=["tinyconv", "snntorch"], help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args.child, args)
    frameworks = ["tinyconv"]
    missing = peer_available()
    if missing:
        print(f"{missing}: timing tinyconv only")
    else:
        frameworks.append("snntorch")
    seconds = {f: [] for f in frameworks}
    for _ in range(args.rounds):
        for f in frameworks:
            seconds[f] += run_child(f, args)
    print(f"conv SNN training step, T = {args.time_steps}, batch {args.batch_size}, {os.cpu_count()} cores "
          f"(tinyconv: 1 BLAS thread, Numba on the idle cores; PyTorch: {os.cpu_count()} threads); "
          f"median of {args.rounds} rounds x {args.steps} steps")
    median = {f: statistics.median(s) for f, s in seconds.items()}
    for f in frameworks:
        print(f"{f:10s} {1000 * median[f]:8.1f} ms per step")
    if "snntorch" in median:
        print(f"time ratio tinyconv / snnTorch: {median['tinyconv'] / median['snntorch']:.2f}")


if __name__ == "__main__":
    main()
