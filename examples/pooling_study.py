"""Max, average and stochastic pooling in LeNet-5 on MNIST and Fashion-MNIST, against the number
of training images, over several seeds.

Stochastic pooling (Zeiler & Fergus 2013, "Stochastic pooling for regularization of deep
convolutional neural networks", arXiv:1301.3557) samples one location of each pooling window
with probability proportional to its activation while training, and takes the
probability-weighted mean at test time; the paper finds it regularises best where training data
is scarce. The network is LeNet-5 of mnist_lenet.py with ReLU and no dropout, no weight decay and
no augmentation, so that the pooling is the only regulariser; only its pooling layers change.

Every run trains for the same number of optimizer steps (--steps, batch 64, with Adam at lr 1e-3
decayed to 0 along a cosine over the steps), so the small training sets are trained to
convergence (4000 steps are 256 passes over 1,000 images, 4.3 over 60,000). The training images
are a random subset of the training set, fixed per seed and the same for the three poolings (the
smaller subsets lie inside the larger); the same seed gives the same initial weights and the
same order of batches. The test error is measured on the full 10,000 test images.

    python examples/pooling_study.py                       # both datasets, 1,000 / 10,000 / 60,000 images, seeds 0 1 2
    python examples/pooling_study.py --datasets fashion --train-sizes 1000 --seeds 0 1 2 3 4

Outputs in --out-dir: runs.json (every finished run; rerun the same command to finish an
interrupted study), results.md and results.json (test error and train-test gap, mean ± sample
standard deviation over the seeds, see study.py), pooling.png (test error against the number of
training images, one panel per dataset, error bars one standard deviation), and one line per
dataset and size saying whether stochastic pooling's mean test error is below max pooling's by
more than the two standard deviations added.

How long, measured on a 2-core x86-64 CPU beside two other training jobs (one thread each):
28 to 59 s per run of 4000 steps (the evaluation of the training and test images included),
40 minutes for the 54 runs of the defaults.
"""
import argparse
import os
import sys

import tinyconv as tc
from tinyconv.data import DataLoader, RandomSampler, Subset
from tinyconv.optim.lr_scheduler import CosineAnnealingLR

from cifar10_vgg import DATASETS, load_data, parse_args as vgg_options
from common import add_common_arguments, check_run, load_datasets, positive_float, positive_int, pyplot, run_script, \
    train_epoch
from mnist_lenet import lenet5
from study import (example_options, final_errors, generators, refuse_repeats, run_grid, save_figure, spread,
                   summarise, write_summary)

POOLS = ("max", "avg", "stochastic")
TITLES = {"mnist": "MNIST", "fashion": "Fashion-MNIST"}


class PerStep:
    """An optimizer for train_epoch whose learning-rate ``schedule`` steps after every
    optimizer step rather than every epoch."""

    def __init__(self, optimizer, schedule):
        self.optimizer, self.schedule = optimizer, schedule

    def zero_grad(self):
        self.optimizer.zero_grad()

    def step(self):
        self.optimizer.step()
        self.schedule.step()


def train_and_test(args, data, settings, seed):
    """Train LeNet-5 with ``settings`` (dataset, train_size, pool) from ``seed``; return its
    final errors (see study.final_errors)."""
    train_set, test_set = data[settings["dataset"]]
    subset_rng, order_rng = generators(seed, 2)
    subset = Subset(train_set, subset_rng.permutation(len(train_set))[:settings["train_size"]])
    tc.manual_seed(seed)
    model = lenet5("relu", settings["pool"]).to(args.device)
    optimizer = tc.optim.Adam(model.parameters(), lr=args.lr)
    schedule = CosineAnnealingLR(optimizer, T_max=args.steps)
    sampler = RandomSampler(subset, num_samples=args.steps * args.batch_size, generator=order_rng)
    loader = DataLoader(subset, batch_size=args.batch_size, sampler=sampler, device=args.device)
    train_epoch(model, PerStep(optimizer, schedule), loader, 1, 1, label="steps")
    return final_errors(model, subset, test_set, args.device)


def load(args):
    """{dataset: (training set, test set)}, normalised; exits where a --train-sizes is larger
    than a training set."""
    data = {}
    for name in args.datasets:
        data_args = example_options(vgg_options, ["--dataset", name], args.data_dir)
        data[name] = load_datasets(load_data, data_args, DATASETS[name])
        if max(args.train_sizes) > len(data[name][0]):
            sys.exit(f"--train-sizes {max(args.train_sizes)}: expected at most the {len(data[name][0]):,} "
                     f"training images of {TITLES[name]}")
    return data


def verdicts(summary):
    """One line per dataset and size: is stochastic pooling's mean test error below max
    pooling's by more than the two standard deviations added? (Not asked with one seed.)"""
    rows = {(r["dataset"], r["train_size"], r["pool"]): r for r in summary}
    lines = []
    for dataset, size, pool in rows:
        if pool != "stochastic":
            continue
        s, m = rows[dataset, size, "stochastic"], rows[dataset, size, "max"]
        if s["seeds"] < 2:
            lines.append(f"{TITLES[dataset]}, {size:,} images: one seed, no spread to compare with")
            continue
        margin = spread(s, "test_error") + spread(m, "test_error")
        below = m["test_error"] - s["test_error"] > margin
        lines.append(f"{TITLES[dataset]}, {size:,} images: stochastic {s['test_error']:.2f}% against max "
                     f"{m['test_error']:.2f}%: {'' if below else 'not '}below by more than the combined spread "
                     f"({margin:.2f} points)")
    print("\n".join(lines))
    return lines


def plot(summary, datasets, path):
    """Test error against the number of training images, a panel per dataset, to ``path``."""
    plt = pyplot("plot")
    if plt is None:
        return
    fig, axes = plt.subplots(1, len(datasets), figsize=(5 * len(datasets), 4), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        for pool in POOLS:
            rows = [r for r in summary if r["dataset"] == dataset and r["pool"] == pool]
            ax.errorbar([r["train_size"] for r in rows], [r["test_error"] for r in rows],
                        yerr=[spread(r, "test_error") for r in rows], marker="o", capsize=3, label=pool)
        ax.set(xscale="log", xlabel="training images", ylabel="test error (%)", title=f"LeNet-5 on {TITLES[dataset]}")
        ax.legend(title="pooling")
    save_figure(plt, fig, path)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", nargs="+", choices=sorted(TITLES), default=["mnist", "fashion"])
    p.add_argument("--train-sizes", nargs="+", type=positive_int, default=[1000, 10000, 60000])
    p.add_argument("--steps", type=positive_int, default=4000, help="optimizer steps of every run")
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=1e-3, help="Adam's learning rate at the first step")
    add_common_arguments(p, "runs/pooling_study", data="mnist/ and fashion-mnist/", seeds=[0, 1, 2])
    args = p.parse_args(argv)
    refuse_repeats(p, args, "datasets", "train_sizes", "seeds")
    return args


def main(argv=None):
    """Run the study as the command line ``argv`` says; return its summary rows."""
    args = parse_args(argv)
    check_run(args)
    data = load(args)
    configurations = {f"{TITLES[d]}, {size} images, {pool}": dict(dataset=d, train_size=size, pool=pool)
                      for d in args.datasets for size in sorted(args.train_sizes) for pool in POOLS}
    options = dict(steps=args.steps, batch_size=args.batch_size, lr=args.lr)
    records = run_grid(args.out_dir, options, configurations, args.seeds,
                       lambda settings, seed: train_and_test(args, data, settings, seed))
    summary = summarise(records)
    write_summary(args.out_dir, summary, "Max, average and stochastic pooling in LeNet-5")
    verdicts(summary)
    plot(summary, args.datasets, os.path.join(args.out_dir, "pooling.png"))
    return summary


if __name__ == "__main__":
    run_script(main)
