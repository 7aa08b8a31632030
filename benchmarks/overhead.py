"""Per-op Python overhead: a LeNet-5 training step at batch 1, tinyconv against PyTorch.

At batch 1 the arithmetic of a LeNet-5 step is a few hundred kFLOP, so its time is almost all
framework overhead: Python work per operation (building tensors, recording the graph, the
backward engine, the optimizer's loop over parameters). The step is the example's LeNet-5
(``examples/mnist_lenet.py``'s ``lenet5``: ReLU, max pooling) and the same network in PyTorch:
forward, softmax cross-entropy, backward, Adam step, ``zero_grad``. tinyconv's Functions called
per step are counted by wrapping ``Function.__call__`` for one step (PyTorch's by walking its
autograd graph: one node per recorded op); the time per op is the step time divided by that
count. Also timed: one addition of two 1-element tensors that require grad (``a + b``),
forward only and forward + backward.

Both frameworks run on one thread (tinyconv: one Numba and one BLAS thread; PyTorch:
``torch.set_num_threads(1)``) in the same process, in alternating rounds; every figure is the
median over all timed steps (or calls).

    python benchmarks/overhead.py                    # 10 rounds of 50 steps each
    python benchmarks/overhead.py --rounds 20 --steps 50
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def tinyconv_step():
    """A function running one batch-1 LeNet-5 training step in tinyconv."""
    import tinyconv as tc
    from tinyconv import functional as F
    sys.path.insert(0, os.path.join(HERE, "..", "examples"))
    from mnist_lenet import lenet5

    tc.manual_seed(0)
    model = lenet5()
    optimizer = tc.optim.Adam(model.parameters(), lr=1e-3)
    images = tc.Tensor(np.random.default_rng(0).standard_normal((1, 1, 28, 28), dtype=np.float32))
    labels = np.array([3])

    def step():
        loss = F.softmax_cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return step


def count_tinyconv_calls(step):
    """The number of Function calls in one call of ``step``."""
    from tinyconv.autograd import Function
    original, calls = Function.__call__, [0]

    def counting(self, *inputs):
        calls[0] += 1
        return original(self, *inputs)
    Function.__call__ = counting
    try:
        step()
    finally:
        Function.__call__ = original
    return calls[0]


def torch_step():
    """A function running one batch-1 LeNet-5 training step in PyTorch, and one counting the
    nodes of its autograd graph (ops recorded per step, AccumulateGrad left out)."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Dropout(0.0),
        nn.Linear(120, 84), nn.ReLU(), nn.Dropout(0.0), nn.Linear(84, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    images = torch.from_numpy(np.random.default_rng(0).standard_normal((1, 1, 28, 28), dtype=np.float32))
    labels = torch.tensor([3])

    def step():
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    def count():
        loss = loss_fn(model(images), labels)
        nodes, stack = set(), [loss.grad_fn]
        while stack:
            node = stack.pop()
            if node is None or node in nodes:
                continue
            nodes.add(node)
            stack.extend(next_node for next_node, _ in node.next_functions)
        return sum(type(n).__name__ != "AccumulateGrad" for n in nodes)
    return step, count


def tiny_add(framework):
    """(forward, forward + backward) of ``a + b`` on 1-element tensors that require grad."""
    if framework == "tinyconv":
        import tinyconv as tc
        a, b = (tc.Tensor(np.ones(1, np.float32), requires_grad=True) for _ in range(2))
    else:
        import torch
        a, b = (torch.ones(1, requires_grad=True) for _ in range(2))

    def forward():
        return a + b

    def forward_backward():
        (a + b).backward(ones)
    ones = (a + b).detach() * 0 + 1
    return forward, forward_backward


def timed(function, n):
    """The seconds of each of ``n`` calls of ``function``."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def single_threaded():
    """Pin both frameworks to one thread: this measures Python overhead, not parallel speed."""
    import numba
    numba.set_num_threads(1)
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(1)
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=10, help="alternating rounds (default 10)")
    p.add_argument("--steps", type=int, default=50, help="timed steps per framework and round (default 50)")
    args = p.parse_args()
    have_torch = single_threaded()
    if not have_torch:
        print("torch is not installed: timing tinyconv only (pip install 'tinyconv[bench]')")
    steps = {"tinyconv": tinyconv_step()}
    ops = {"tinyconv": count_tinyconv_calls(steps["tinyconv"])}
    if have_torch:
        steps["torch"], count = torch_step()
        ops["torch"] = count()
    cases = {}
    for framework, step in steps.items():
        forward, forward_backward = tiny_add(framework)
        cases[framework] = {"step": step, "add": forward, "add+backward": forward_backward}
    times = {f: {k: [] for k in c} for f, c in cases.items()}
    for function in (c for f in cases.values() for c in f.values()):
        timed(function, 20)  # warm-up: kernels loaded, caches filled
    for _ in range(args.rounds):
        for framework, functions in cases.items():
            for name, function in functions.items():
                times[framework][name] += timed(function, args.steps * (1 if name == "step" else 20))
    us = {f: {k: 1e6 * statistics.median(v) for k, v in t.items()} for f, t in times.items()}
    print(f"LeNet-5 training step at batch 1 (forward, backward, Adam step, zero_grad), one thread each; "
          f"median of {args.rounds * args.steps} steps in {args.rounds} alternating rounds")
    print(f"{'framework':10s} {'us/step':>9s} {'ops/step':>9s} {'us/op':>7s} {'a+b us':>7s} {'a+b+backward us':>16s}")
    for f, u in us.items():
        print(f"{f:10s} {u['step']:9.0f} {ops[f]:9d} {u['step'] / ops[f]:7.1f} {u['add']:7.1f} {u['add+backward']:16.1f}")
    print("ops/step: tinyconv Function calls; PyTorch autograd graph nodes")
    if have_torch:
        print(f"time ratio tinyconv / PyTorch: step {us['tinyconv']['step'] / us['torch']['step']:.2f}, "
              f"a+b {us['tinyconv']['add'] / us['torch']['add']:.2f}, "
              f"a+b+backward {us['tinyconv']['add+backward'] / us['torch']['add+backward']:.2f}")


if __name__ == "__main__":
    main()
