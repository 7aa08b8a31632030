"""Train LeNet-5 on the real MNIST with tinyconv and report the test error.

LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document recognition"), in its
common modern form: conv 6@5x5 (padding 2) -> activation -> pool 2 -> conv 16@5x5 ->
activation -> pool 2 -> 120 -> 84 -> 10, trained with softmax cross-entropy.

    python examples/mnist_lenet.py                    # defaults: 10 epochs, Adam, ReLU, max pooling, dropout 0.25,
                                                      # training images shifted by up to 2 pixels
    python examples/mnist_lenet.py --epochs 1 --activation tanh --pool avg --optimizer sgd --lr 0.05
    python examples/mnist_lenet.py --pool stochastic  # stochastic pooling (Zeiler & Fergus 2013)
    python examples/mnist_lenet.py --width 3 --elastic 34 --distort-p 0.5 --augment 1 --dropout 0 --epochs 20 \
        --lr-decay 0.85                               # elastic distortions (Simard et al. 2003)
    python examples/mnist_lenet.py --resume           # continue from the last complete epoch
    python examples/mnist_lenet.py --device cuda      # train on the GPU (pip install ".[gpu]")
    mpirun -np 2 python examples/mnist_lenet.py --distributed   # data-parallel over 2 processes (pip install ".[mpi]")

After every epoch the model, the optimizer, the shuffling state, the random generator and the
history so far go to ``<out-dir>/checkpoint.npz``, written atomically: an interrupted run
(Ctrl-C, a kill, a power cut) keeps the last complete epoch, and ``--resume`` continues from it
to the same final weights as an uninterrupted run. A NaN or Inf loss stops the run with a
message before anything broken is saved.
"""
import argparse
import contextlib
import json
import os
import shlex
import sys
import time

import numpy as np

import tinyconv as tc
from tinyconv import distributed as dist, nn
from tinyconv.data import (MNIST, Compose, DataLoader, ElasticDistortion, Normalize, RandomApply, RandomRotation,
                           RandomShift, MNIST_MEAN, MNIST_STD)
from common import (Diverged, add_common_arguments, evaluate, load_datasets, non_negative_float, non_negative_int,
                    positive_float, positive_int, probability, pyplot, record_epoch, run_script, save_tiles,
                    start_run, train_epoch, unit_interval)

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d, "stochastic": nn.StochasticPool2d}


def lenet5(activation="relu", pool="max", dropout=0.0, width=1, batch_norm=False):
    """LeNet-5 for (N, 1, 28, 28) inputs -> (N, 10) logits; ``dropout`` before each hidden
    fully connected layer's output; ``width`` multiplies every layer's channels and units but
    the last (1: 6 and 16 channels, 120 and 84 units); ``batch_norm`` puts batch normalisation
    (Ioffe & Szegedy 2015) before every hidden activation."""
    act, pooling = ACTIVATIONS[activation], POOLS[pool]
    c1, c2, h1, h2 = (width * n for n in (6, 16, 120, 84))

    def norm(kind, n):
        return [kind(n)] if batch_norm else []
    return nn.Sequential(
        nn.Conv2d(1, c1, 5, padding=2), *norm(nn.BatchNorm2d, c1), act(), pooling(2),
        nn.Conv2d(c1, c2, 5), *norm(nn.BatchNorm2d, c2), act(), pooling(2),
        nn.Flatten(),
        nn.Linear(c2 * 5 * 5, h1), *norm(nn.BatchNorm1d, h1), act(), nn.Dropout(dropout),
        nn.Linear(h1, h2), *norm(nn.BatchNorm1d, h2), act(), nn.Dropout(dropout),
        nn.Linear(h2, 10),
    )


def make_optimizer(name, params, lr, weight_decay):
    if name == "adam":
        return tc.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return tc.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True, weight_decay=weight_decay)


def plot_history(history, path):
    """Save the loss and test-accuracy curves of ``history`` (a list of per-epoch dicts) as a PNG
    at ``path``; return the (closed) matplotlib figure, or None without matplotlib."""
    plt = pyplot("plot")
    if plt is None:
        return None
    from matplotlib.ticker import MaxNLocator
    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [h["train_loss"] for h in history], "o-", label="train")
    ax1.plot(epochs, [h["test_loss"] for h in history], "o-", label="test")
    ax1.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax1.legend()
    ax2.plot(epochs, [100 * h["test_accuracy"] for h in history], "o-")
    ax2.set(xlabel="epoch", ylabel="test accuracy (%)", title="LeNet-5 on MNIST")
    ax2.set_ylim(top=min(ax2.get_ylim()[1], 100))
    for ax in (ax1, ax2):  # whole epochs only, half an epoch of room on either side
        ax.set_xlim(epochs[0] - 0.5, epochs[-1] + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"curves saved to {path}")
    return fig


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=positive_int, default=10)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=None, help="learning rate (default: 2e-3 for adam, 0.05 for sgd)")
    p.add_argument("--lr-decay", type=positive_float, default=0.7, help="multiply the learning rate by this after each epoch")
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--weight-decay", type=non_negative_float, default=0.0, help="L2 weight decay")
    p.add_argument("--dropout", type=probability, default=0.25, help="dropout probability in the classifier")
    p.add_argument("--augment", type=non_negative_int, default=2, metavar="PIXELS",
                   help="shift each training image by up to this many pixels (0: no augmentation)")
    p.add_argument("--rotate", type=non_negative_float, default=0.0, metavar="DEGREES",
                   help="rotate each training image by a random angle in [-DEGREES, DEGREES] (0: none)")
    p.add_argument("--elastic", type=non_negative_float, default=0.0, metavar="ALPHA",
                   help="elastic distortion of each training image with this strength (Simard et al. 2003: 34; "
                        "0: none)")
    p.add_argument("--elastic-sigma", type=positive_float, default=4.0, help="smoothness of the elastic distortion "
                   "in pixels (Simard et al. 2003: 4)")
    p.add_argument("--distort-p", type=unit_interval, default=1.0,
                   help="probability that a training image is rotated and elastically distorted (1: every image)")
    p.add_argument("--width", type=positive_int, default=1, help="multiply the channels and hidden units by this")
    p.add_argument("--batch-norm", action="store_true", help="batch normalisation before every hidden activation")
    p.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    p.add_argument("--pool", choices=sorted(POOLS), default="max")
    add_common_arguments(p, "runs/mnist_lenet")
    p.add_argument("--resume", action="store_true",
                   help="continue from <out-dir>/checkpoint.npz (saved after every epoch) if it exists")
    p.add_argument("--detect-anomaly", action="store_true",
                   help="name the operation and line that first produce NaN or Inf (slower)")
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel training under mpirun -np N: --batch-size is the global batch, split "
                        "evenly; gradients averaged over MPI (NCCL with --device cuda); rank 0 prints and saves")
    args = p.parse_args(argv)
    if args.pool == "stochastic" and args.activation == "tanh":
        p.error("--pool stochastic needs non-negative activations: use --activation relu or sigmoid")
    if args.lr is None:
        args.lr = 2e-3 if args.optimizer == "adam" else 0.05
    return args


#: Options that must match between a checkpoint and the run that resumes it.
TRAINING_OPTIONS = ("batch_size", "lr", "lr_decay", "optimizer", "weight_decay", "dropout", "augment", "rotate",
                    "elastic", "elastic_sigma", "distort_p", "width", "batch_norm", "activation", "pool", "seed")


def distortions(args):
    """The random distortions of the training images that ``args`` asks for, in this order:
    rotation by up to ``args.rotate`` degrees and elastic distortion (``args.elastic``,
    ``args.elastic_sigma``), both to a share ``args.distort_p`` of the images, then a shift
    by up to ``args.augment`` pixels."""
    warps = ([RandomRotation(args.rotate)] * (args.rotate > 0)
             + [ElasticDistortion(args.elastic, args.elastic_sigma)] * (args.elastic > 0))
    if warps and args.distort_p < 1:
        warps = [RandomApply(warps, args.distort_p)]
    return warps + [RandomShift(args.augment)] * (args.augment > 0)


def load_data(args):
    """The normalised MNIST training and test sets; training images distorted as
    :func:`distortions` says."""
    normalize = Normalize(MNIST_MEAN, MNIST_STD)
    return (MNIST(args.data_dir, train=True, transform=Compose([*distortions(args), normalize])),
            MNIST(args.data_dir, train=False, transform=normalize))


def first_training_images(args):
    """The first ten MNIST training images, undistorted: (10, 1, 28, 28) float32 in [0, 1]."""
    return MNIST(args.data_dir, train=True)[:10][0]


def save_distorted_samples(images, transforms, path, draws=5):
    """Save a PNG at ``path``: the first ten ``images`` (N, 1, 28, 28) in [0, 1] in the top row,
    below them ``draws`` rows of the same images after ``transforms``."""
    rows = [images[:10]] + [Compose(transforms)(images[:10]) for _ in range(draws)]
    save_tiles(np.clip(np.concatenate(rows)[:, 0], 0, 1), path, "training images (top) and random distortions of them",
               columns=10)


def resume(path, args, objects):
    """Restore ``objects`` from the checkpoint at ``path``; return (epochs done, history). Exits
    with one line where the checkpoint was trained with other options, or lacks or does not fit
    what this example needs."""
    try:
        saved = tc.load(path)
        needed = ("args", "epoch", "history", *objects)
        missing = [k for k in needed if k not in saved] if isinstance(saved, dict) else list(needed)
        if missing:
            raise ValueError(f"{path} lacks {', '.join(missing)}")
        old = {**vars(parse_args([])), **saved["args"]}  # options newer than the checkpoint: their defaults
        different = [f"--{k.replace('_', '-')} {old[k]!r} (now {getattr(args, k)!r})"
                     for k in TRAINING_OPTIONS if old[k] != getattr(args, k)]
        if different:
            sys.exit(f"{path} was trained with other options: {', '.join(different)}; "
                     f"pass the same options to --resume, or another --out-dir to start afresh")
        tc.load(path, into=objects)
    except ValueError as e:
        sys.exit(f"--resume: {' '.join(str(e).split())}; pass another --out-dir to start afresh")
    return saved["epoch"], saved["history"]


def how_to_resume(args, argv):
    """One line: which epoch the checkpoint in ``args.out_dir`` holds, and the command (``argv``
    plus --resume) that continues from it."""
    path = os.path.join(args.out_dir, "checkpoint.npz")
    if not os.path.isfile(path):
        return f"no checkpoint was written to {args.out_dir}"
    command = shlex.join(["python", sys.argv[0], *argv, *["--resume"] * ("--resume" not in argv)])
    return f"the checkpoint of epoch {tc.load(path)['epoch']} is in {path}; continue with: {command}"


def stop(message, path, epoch):
    kept = f"the checkpoint of epoch {epoch} in {path} is kept" if epoch else "no checkpoint was written"
    text = (f"training diverged at {message}\nStopping before saving broken weights ({kept}). "
            f"Try a lower --lr; --detect-anomaly names the operation that first produced NaN or Inf.")
    if dist.is_initialized():  # the other processes may be waiting for this one in a collective
        print(text, file=sys.stderr)
        dist.abort(1)
    sys.exit(text)


def setup_distributed(args):
    """Join the job that mpirun started (NCCL between GPUs, MPI otherwise); only rank 0 prints."""
    dist.init_process_group("nccl" if args.device == "cuda" else "mpi")
    world = dist.get_world_size()
    if args.batch_size % world:
        sys.exit(f"--batch-size {args.batch_size}: expected a multiple of the {world} processes "
                 f"(the global batch is split evenly between them)")
    if dist.get_rank() != 0:
        sys.stdout = open(os.devnull, "w")


def main(argv=None):
    """Train as the command line ``argv`` (default ``sys.argv[1:]``) says; return the history.
    Ctrl-C raises KeyboardInterrupt with a one-line message: the epoch kept, and how to resume."""
    args = parse_args(argv)
    try:
        return train(args)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(how_to_resume(args, sys.argv[1:] if argv is None else list(argv))) from None


def train(args):
    start_run(args)
    if args.distributed:
        setup_distributed(args)
    rank, world = dist.get_rank(), dist.get_world_size()
    train_set, test_set = load_datasets(load_data, args, MNIST)
    # Distributed: each process visits its share of every epoch, in batches of batch_size / world.
    sampler = dist.DistributedSampler(train_set, seed=args.seed) if args.distributed else None
    train_loader = DataLoader(train_set, batch_size=args.batch_size // world, shuffle=sampler is None,
                              sampler=sampler, device=args.device)
    test_loader = DataLoader(test_set, batch_size=1000, sampler=range(rank, len(test_set), world),
                             device=args.device)
    # Initialised on the host from the seeded generator, then moved: the same start on every device.
    model = lenet5(args.activation, args.pool, args.dropout, args.width, args.batch_norm).to(args.device)
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    # Distributed: its step averages the gradients over the processes first (a checkpoint holds `optimizer`).
    stepper = dist.DistributedOptimizer(optimizer) if args.distributed else optimizer
    os.makedirs(args.out_dir, exist_ok=True)
    checkpoint = os.path.join(args.out_dir, "checkpoint.npz")
    objects = {"model": model, "optimizer": optimizer, "train_loader": train_loader, "rng": tc.default_rng()}
    history, done = [], 0
    if args.resume and os.path.exists(checkpoint):
        done, history = resume(checkpoint, args, objects)
        print(f"resuming from {checkpoint}: {done} epoch{'s' * (done != 1)} done")
    elif args.resume:
        print(f"no checkpoint at {checkpoint}: starting from the beginning")
    print(f"LeNet-5 ({sum(p.numel() for p in model.parameters()):,} parameters), {args.optimizer} lr {optimizer.lr:.3g}, "
          f"batch {args.batch_size}, {args.activation}, {args.pool} pooling, {len(train_set):,} training images, "
          f"on {args.device}" + f", {world} processes" * args.distributed)
    if args.distributed:
        dist.broadcast_parameters(model)  # every process starts from rank 0's weights

    for epoch in range(done + 1, args.epochs + 1):
        start = time.perf_counter()
        if args.distributed:
            sampler.set_epoch(epoch)
            # dropout masks and shifts: another stream on each process, fixed by (seed, epoch, rank) for --resume
            tc.manual_seed(int(np.random.SeedSequence([args.seed, epoch, rank]).generate_state(1)[0]))
        try:
            with tc.detect_anomaly() if args.detect_anomaly else contextlib.nullcontext():
                train_loss = train_epoch(model, stepper, train_loader, epoch, args.epochs)
        except Diverged as e:
            stop(str(e), checkpoint, epoch - 1)
        if args.distributed:  # the mean over every process's share (equal shares)
            train_loss = float(dist.all_reduce(np.array([train_loss]))[0]) / world
        seconds = time.perf_counter() - start
        test_loss, accuracy = evaluate(model, test_loader)
        record_epoch(history, epoch, train_loss, test_loss, accuracy, seconds, optimizer.lr)
        optimizer.lr *= args.lr_decay
        if rank == 0:
            tc.save(dict(objects, epoch=epoch, history=history,
                         args={k: getattr(args, k) for k in TRAINING_OPTIONS}), checkpoint)

    if rank == 0:
        if args.rotate or args.elastic:
            save_distorted_samples(first_training_images(args), distortions(args),
                                   os.path.join(args.out_dir, "distorted_samples.png"))
        model.save(os.path.join(args.out_dir, "lenet5.npz"))
        with open(os.path.join(args.out_dir, "history.json"), "w") as f:
            json.dump(history, f, indent=1)
        plot_history(history, os.path.join(args.out_dir, "curves.png"))
    mean_seconds = np.mean([h["seconds"] for h in history])
    print(f"test error {100 * (1 - history[-1]['test_accuracy']):.2f}% "
          f"(test accuracy {100 * history[-1]['test_accuracy']:.2f}%), {mean_seconds:.1f} s per epoch; "
          f"weights saved to {os.path.join(args.out_dir, 'lenet5.npz')}")
    return history


if __name__ == "__main__":
    run_script(main)
