"""Spiking output layers on the real MNIST: tempotrons on CNN features, and a convolutional
spiking network trained with surrogate gradients.

(a) ``--model tempotron``: a CNN (conv 32@5x5 -> ReLU -> pool 2 -> conv 64@5x5 -> ReLU ->
    pool 2) whose last map is 64 x 7 x 7 = 3136 "V4" neurons. Each image's map, scaled by its
    maximum to [0, 1], is latency-coded (a stronger feature fires earlier, once, within T
    steps) into 10 tempotron LIF output neurons (Guetig & Sompolinsky 2006), one per digit.
    The CNN is first trained with a softmax output (the reference figure), then
    1. tempotrons learn by the tempotron rule on the frozen features (``--tempotron-epochs``);
    2. the CNN and the tempotrons train end to end by backpropagation through the peak
       potentials max_t V(t) (softmax cross-entropy of the peaks; exact spike latencies make
       the potential differentiable in the features), starting from the pre-trained CNN.
(b) ``--model csnn``: the convolutional SNN of snnTorch's tutorial 6: conv 12@5x5 -> pool 2 ->
    LIF -> conv 64@5x5 -> pool 2 -> LIF -> 1024 -> 10 -> LIF, beta 0.5, the image fed as a
    constant current for T steps, trained through time with the arctan surrogate gradient on
    the cross-entropy of the output spike counts; the class is the most active output neuron.

Adam, its learning rate halved after each epoch (``--lr-decay``).

    python examples/mnist_lif.py                          # (a), 3 CNN epochs, T = 16
    python examples/mnist_lif.py --model csnn             # (b), 3 epochs, T = 25
    python examples/mnist_lif.py --train-size 2000 --epochs 1   # a short run on 2000 images

Writes to ``--out-dir``: history.json, the spike raster of the 3136 inputs for one test digit
(raster.png), the 10 output potentials V(t) with the threshold (potentials.png, model a) and the
confusion matrix (confusion.png).
"""
import argparse
import json
import os
import time

import numpy as np
from tqdm import tqdm

import tinyconv as tc
from tinyconv import functional as F, nn, snn
from tinyconv.data import MNIST, DataLoader, Subset
from common import (add_common_arguments, evaluate, load_datasets, non_negative_int, positive_float, positive_int,
                    pyplot, run_script, start_run, train_or_exit)


class FeatureCNN(nn.Module):
    """(N, 1, 28, 28) -> the 64 x 7 x 7 "V4" map, flattened to (N, 3136) in [0, 1] (scaled by
    each image's maximum); ``head`` gives softmax logits (N, 10) for pre-training."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
        self.head = nn.Linear(3136, 10)

    def v4(self, images):
        x = self.features(images)
        return x / (x.amax(1, keepdim=True) + 1e-6)

    def forward(self, images):
        return self.head(self.features(images))


class TempotronNet(nn.Module):
    """The CNN's V4 map, latency-coded with exact spike times, into 10 tempotrons: (N, 10) peak potentials."""

    def __init__(self, cnn, steps):
        super().__init__()
        self.cnn, self.steps = cnn, steps
        self.tempotron = snn.Tempotron(3136, 10)

    def traces(self, images):
        return snn.latency_psp(self.cnn.v4(images), self.steps, self.tempotron.tau, self.tempotron.tau_s)

    def forward(self, images):
        return self.tempotron(self.traces(images))


class ConvSNN(nn.Module):
    """snnTorch tutorial 6's network: (N, 1, 28, 28) -> output spike counts (N, 10) over T steps;
    ``spikes`` counts every spike of the last forward (all layers)."""

    def __init__(self, steps, beta=0.5):
        super().__init__()
        self.steps = steps
        self.conv1, self.conv2, self.fc = nn.Conv2d(1, 12, 5), nn.Conv2d(12, 64, 5), nn.Linear(64 * 4 * 4, 10)
        self.lif1, self.lif2, self.lif3 = snn.LIF(beta), snn.LIF(beta), snn.LIF(beta)
        self.spikes, self.first_layer = 0, None

    def forward(self, images):
        n, t = images.shape[0], self.steps
        current = F.max_pool2d(self.conv1(images), 2)  # the same current at every step: computed once
        s1, _ = self.lif1(current.reshape(1, n, 12, 12, 12) * np.ones((t, 1, 1, 1, 1), dtype=np.float32))
        s2, _ = self.lif2(F.max_pool2d(self.conv2(s1.reshape(t * n, 12, 12, 12)), 2).reshape(t, n, 64, 4, 4))
        s3, _ = self.lif3(self.fc(s2.reshape(t * n, 1024)).reshape(t, n, 10))
        self.spikes = sum(float(s.data.sum()) for s in (s1, s2, s3))
        self.first_layer = s1.data
        return s3.sum(axis=0)


def load_data(args):
    """The MNIST training (the first ``--train-size`` images) and test sets, pixels in [0, 1]."""
    train, test = MNIST(args.data_dir, train=True), MNIST(args.data_dir, train=False)
    return (Subset(train, np.arange(min(args.train_size, len(train)))) if args.train_size else train), test


def predictions(fn, loader):
    """(true labels, predicted labels) of ``fn(images) -> (N,) labels`` over ``loader``."""
    true, predicted = [], []
    with tc.no_grad():
        for images, labels in loader:
            true.append(tc.backend.to_numpy(labels.data))
            predicted.append(fn(images))
    return np.concatenate(true), np.concatenate(predicted)


def train(label, model, loader, test_loader, args, history):
    """``args.epochs`` epochs of Adam (lr ``args.lr``, times ``args.lr_decay`` after each epoch) on softmax
    cross-entropy; append each epoch's figures to ``history``."""
    optimizer = tc.optim.Adam(model.parameters(), lr=args.lr)
    schedule = tc.optim.ExponentialLR(optimizer, gamma=args.lr_decay)
    for epoch in range(1, args.epochs + 1):
        start, lr = time.perf_counter(), optimizer.lr
        loss = train_or_exit(model, optimizer, loader, epoch, args.epochs, label=label)
        seconds = time.perf_counter() - start
        schedule.step()
        _, accuracy = evaluate(model, test_loader)
        history.append(dict(model=label, epoch=epoch, lr=lr, train_loss=loss, test_accuracy=accuracy,
                            seconds=seconds, seconds_per_batch=seconds / len(loader)))
        print(f"{label} epoch {epoch}: lr {lr:.3g}, train loss {loss:.4f}, test accuracy {100 * accuracy:.2f}%, "
              f"{seconds:.1f} s ({1000 * seconds / len(loader):.0f} ms per batch)")


def tempotron_rule(net, loader, test_loader, args, history):
    """Tempotrons trained by the tempotron rule on the frozen CNN's features; return their test predictions."""
    rule = snn.Tempotron(3136, 10, threshold=args.threshold)
    # small positive weights: potentials rise after the first inputs, so t_max has inputs before it (a neuron
    # whose potential never rises above V_rest has t_max = 0 and never learns); larger ones all fire at first
    rule.weight.data[...] = np.abs(rule.weight.data) / 10
    for epoch in range(1, args.tempotron_epochs + 1):
        start, errors = time.perf_counter(), 0
        for images, labels in tqdm(loader, desc=f"tempotron rule {epoch}/{args.tempotron_epochs}", leave=False):
            with tc.no_grad():
                traces = net.traces(images)
            errors += rule.partial_fit(traces, labels.data, lr=args.tempotron_lr)
        seconds = time.perf_counter() - start
        true, predicted = predictions(lambda x: rule.predict(net.traces(x)), test_loader)
        accuracy = float((true == predicted).mean())
        history.append(dict(model="tempotron rule", epoch=epoch, errors=errors, test_accuracy=accuracy,
                            seconds=seconds, seconds_per_batch=seconds / len(loader)))
        print(f"tempotron rule epoch {epoch}: {errors} errors (image, neuron), test accuracy {100 * accuracy:.2f}%, "
              f"{seconds:.1f} s")
    return rule


def plot_raster(spikes, path):
    plt = pyplot("raster")
    if plt is None:
        return
    steps, neurons = np.nonzero(spikes)
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.scatter(steps, neurons, s=1, marker="|")
    ax.set(xlabel="time step", ylabel="neuron", title=f"spikes of {spikes.shape[1]} neurons for one digit")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_potentials(potential, threshold, path):
    plt = pyplot("potentials")
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(7, 4))
    for digit in range(potential.shape[1]):
        ax.plot(potential[:, digit], label=str(digit))
    ax.axhline(threshold, color="k", linestyle="--", label="threshold")
    ax.set(xlabel="time step", ylabel="V(t)", title="output potentials")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=["tempotron", "csnn"], default="tempotron")
    p.add_argument("--epochs", type=positive_int, default=3, help="epochs of backpropagation (each network)")
    p.add_argument("--steps", type=positive_int, default=None, help="time steps T (default: 16 tempotron, 25 csnn)")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=None, help="Adam learning rate (default: 1e-3 tempotron, 1e-2 csnn)")
    p.add_argument("--lr-decay", type=positive_float, default=0.5, help="multiply the learning rate by this after each epoch")
    p.add_argument("--train-size", type=non_negative_int, default=0, help="train on the first N images only (0: all 60000)")
    p.add_argument("--tempotron-epochs", type=positive_int, default=3)
    p.add_argument("--tempotron-lr", type=positive_float, default=1e-5,
                   help="lambda of the tempotron rule (summed over a batch; 1e-4 kills every neuron on MNIST)")
    p.add_argument("--threshold", type=positive_float, default=1.0, help="firing threshold of the rule-trained tempotrons")
    add_common_arguments(p, "runs/mnist_lif")
    args = p.parse_args(argv)
    tempotron = args.model == "tempotron"
    if args.lr is None:
        args.lr = 1e-3 if tempotron else 1e-2  # snnTorch's tutorial: Adam, lr 1e-2
    if args.steps is None:
        args.steps = 16 if tempotron else 25  # snnTorch's tutorial: 25 steps
    return args


def main(argv=None):
    args = parse_args(argv)
    start_run(args)
    train_set, test_set = load_datasets(load_data, args, MNIST)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, device=args.device)
    test_loader = DataLoader(test_set, batch_size=500, device=args.device)
    os.makedirs(args.out_dir, exist_ok=True)
    history, results = [], {}
    print(f"{args.model}, T = {args.steps}, batch {args.batch_size}, {len(train_set):,} training images, on {args.device}")
    if args.model == "tempotron":
        cnn = FeatureCNN().to(args.device)
        train("softmax CNN", cnn, loader, test_loader, args, history)
        results["softmax CNN"] = history[-1]["test_accuracy"]
        net = TempotronNet(cnn, args.steps).to(args.device)
        rule = tempotron_rule(net, loader, test_loader, args, history)
        results["tempotron rule"] = history[-1]["test_accuracy"]
        train("end to end", net, loader, test_loader, args, history)
        results["end to end"] = history[-1]["test_accuracy"]
        true, predicted = predictions(lambda x: net(x).data.argmax(axis=1), test_loader)
        image = test_set[0][0][None]
        with tc.no_grad():
            traces = net.traces(tc.Tensor(image, device=args.device))
            plot_potentials(tc.backend.to_numpy(rule.potential(traces).data[:, 0]), rule.threshold,
                            os.path.join(args.out_dir, "potentials.png"))
            v4 = tc.backend.to_numpy(net.cnn.v4(tc.Tensor(image, device=args.device)).data)
        raster = snn.latency_encode(v4, args.steps).numpy()[:, 0]
    else:
        net = ConvSNN(args.steps).to(args.device)
        train("conv SNN", net, loader, test_loader, args, history)
        results["conv SNN"] = history[-1]["test_accuracy"]
        spikes = []

        def classify(images):
            counts = net(images)
            spikes.append(net.spikes)
            return tc.backend.to_numpy(counts.data).argmax(axis=1)
        true, predicted = predictions(classify, test_loader)
        results["spikes per image"] = sum(spikes) / len(test_set)
        with tc.no_grad():
            net(tc.Tensor(test_set[0][0][None], device=args.device))
        raster = tc.backend.to_numpy(net.first_layer).reshape(args.steps, -1)  # the first LIF layer's 1728 neurons
    plot_raster(raster, os.path.join(args.out_dir, "raster.png"))
    cm = tc.metrics.confusion_matrix(true, predicted, 10)
    if pyplot("confusion matrix") is not None:
        tc.metrics.plot_confusion_matrix(cm, os.path.join(args.out_dir, "confusion.png"))
    with open(os.path.join(args.out_dir, "history.json"), "w") as f:
        json.dump(dict(history=history, results=results), f, indent=1)
    print(", ".join(f"{k}: {100 * v:.2f}%" if k != "spikes per image" else f"{k}: {v:.0f}" for k, v in results.items()))
    return history, results


if __name__ == "__main__":
    run_script(main)
