"""Optimizers, then an ablation of the training recipe, for LeNet-5 on MNIST over several seeds.

Part "optimizers": LeNet-5 of mnist_lenet.py (ReLU, max pooling, no dropout, no weight decay, no
augmentation) trained with each optimizer at a constant learning rate, the ones commonly used
with PyTorch for such a network:

    SGD               lr 0.05 (Robbins & Monro 1951)
    SGD + momentum    lr 0.01, momentum 0.9 (Polyak 1964; as a step of 0.1 once the momentum builds up)
    Nesterov          lr 0.01, momentum 0.9, nesterov=True (Sutskever et al. 2013)
    RMSprop           lr 1e-3 (Tieleman & Hinton 2012; PyTorch's default 1e-2 is too high here)
    Adam              lr 1e-3 (Kingma & Ba 2015)
    AdamW             lr 1e-3, weight decay 0.01 (Loshchilov & Hutter 2019)

Part "ablation": Adam at lr 1e-3 with the full recipe of mnist_lenet.py (dropout 0.25 before the
two hidden fully connected outputs, L2 weight decay 1e-4 as Adam's weight_decay, training images
shifted by up to 2 pixels), the recipe less each one of them, and none of them.

Every run trains for --epochs epochs in batches of 64; a seed gives the same initial weights
(the generator is seeded before the model is built) and the same order of the batches for every
configuration. The training loss and the test accuracy are recorded after every epoch.

    python examples/optimizer_study.py                     # both parts, 5 epochs, seeds 0 1 2
    python examples/optimizer_study.py --part ablation --epochs 10 --seeds 0 1 2 3 4

Outputs in --out-dir, a folder per part (optimizers/, ablation/): runs.json (every finished run;
rerun the same command to finish an interrupted study), results.md and results.json (final test
error and train-test gap, mean ± sample standard deviation over the seeds, see study.py);
optimizers/optimizers.png: training loss and test accuracy per epoch, the mean over the seeds with
a band of one standard deviation, one line per optimizer.

How long, measured on a 2-core x86-64 CPU beside other training jobs (one thread each): 42 to
72 s per run of 5 epochs, 17 minutes for the 18 runs of the optimizers and 11 for the 15 of
the ablation.
"""
import argparse
import os

import numpy as np

import tinyconv as tc
from tinyconv.data import MNIST, DataLoader
from tinyconv.optim import SGD, Adam, AdamW, RMSprop

from common import add_common_arguments, check_run, evaluate, load_datasets, positive_int, pyplot, run_script, \
    train_epoch
from mnist_lenet import lenet5, load_data, parse_args as lenet_options
from study import (example_options, final_errors, generators, refuse_repeats, run_grid, save_figure, summarise,
                   write_summary)

OPTIMIZERS = {
    "SGD": lambda params: SGD(params, lr=0.05),
    "SGD + momentum": lambda params: SGD(params, lr=0.01, momentum=0.9),
    "Nesterov": lambda params: SGD(params, lr=0.01, momentum=0.9, nesterov=True),
    "RMSprop": lambda params: RMSprop(params, lr=1e-3),
    "Adam": lambda params: Adam(params, lr=1e-3),
    "AdamW": lambda params: AdamW(params, lr=1e-3, weight_decay=0.01),
}
RECIPE = dict(dropout=0.25, weight_decay=1e-4, augment=2)
INGREDIENTS = {"dropout": "dropout", "weight_decay": "weight decay", "augment": "shifts"}
ABLATION = {"full recipe": RECIPE, **{f"without {INGREDIENTS[k]}": {**RECIPE, k: 0} for k in RECIPE},
            "none of them": dict.fromkeys(RECIPE, 0)}


def train_and_test(args, data, settings, seed):
    """Train LeNet-5 as ``settings`` say (an optimizer's name, or the recipe's dropout,
    weight_decay and augment) from ``seed``; return the final errors (see study.final_errors)
    and the training loss and test accuracy of every epoch."""
    recipe = {**dict.fromkeys(RECIPE, 0), **settings}
    train_set, test_set = data[recipe["augment"]]
    order_rng, = generators(seed, 1)
    tc.manual_seed(seed)
    model = lenet5("relu", "max", recipe["dropout"]).to(args.device)
    if "optimizer" in settings:
        optimizer = OPTIMIZERS[settings["optimizer"]](model.parameters())
    else:
        optimizer = Adam(model.parameters(), lr=1e-3, weight_decay=recipe["weight_decay"])
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=order_rng, device=args.device)
    test_loader = DataLoader(test_set, batch_size=1000, device=args.device)
    losses, accuracies = [], []
    for epoch in range(1, args.epochs + 1):
        losses.append(train_epoch(model, optimizer, loader, epoch, args.epochs))
        accuracies.append(evaluate(model, test_loader)[1])
    return dict(final_errors(model, data[0][0], test_set, args.device), train_loss_per_epoch=losses,
                test_accuracy_per_epoch=accuracies)


def load(args, shifts):
    """{shift: (training set, test set)} of the normalised MNIST, training images shifted at
    random by up to ``shift`` pixels, for every shift in ``shifts``."""
    return {shift: load_datasets(load_data, example_options(lenet_options, ["--augment", str(shift)], args.data_dir),
                                 MNIST) for shift in shifts}


def plot(records, path):
    """Training loss and test accuracy per epoch, mean ± std over the seeds, per optimizer."""
    plt = pyplot("plot")
    if plt is None:
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    panels = (("train_loss_per_epoch", 1, "training loss (cross-entropy)"),
              ("test_accuracy_per_epoch", 100, "test accuracy (%)"))
    for name in OPTIMIZERS:
        runs = [r for r in records if r["name"] == name]
        for ax, (key, scale, label) in zip(axes, panels):
            values = scale * np.array([r[key] for r in runs])
            epochs = np.arange(1, values.shape[1] + 1)
            mean, std = values.mean(axis=0), values.std(axis=0, ddof=1) if len(runs) > 1 else 0 * values[0]
            line, = ax.plot(epochs, mean, "o-", label=name)
            ax.fill_between(epochs, mean - std, mean + std, color=line.get_color(), alpha=0.2)
            ax.set(xlabel="epoch", ylabel=label)
    axes[0].set_yscale("log")
    axes[1].legend()
    from matplotlib.ticker import MaxNLocator
    for ax in axes:  # whole epochs only
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle("LeNet-5 on MNIST: mean over the seeds, band: one standard deviation")
    save_figure(plt, fig, path)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--part", choices=["optimizers", "ablation", "both"], default="both")
    p.add_argument("--epochs", type=positive_int, default=5)
    p.add_argument("--batch-size", type=positive_int, default=64)
    add_common_arguments(p, "runs/optimizer_study", seeds=[0, 1, 2])
    args = p.parse_args(argv)
    refuse_repeats(p, args, "seeds")
    return args


def run_part(args, data, part, configurations, title):
    """Run one part's grid in ``<out-dir>/<part>``; return its records."""
    out_dir = os.path.join(args.out_dir, part)
    options = dict(epochs=args.epochs, batch_size=args.batch_size)
    records = run_grid(out_dir, options, configurations, args.seeds,
                       lambda settings, seed: train_and_test(args, data, settings, seed))
    write_summary(out_dir, summarise(records), title)
    return records


def main(argv=None):
    """Run the parts the command line ``argv`` asks for; return {part: its records}."""
    args = parse_args(argv)
    check_run(args)
    parts = ["optimizers", "ablation"] if args.part == "both" else [args.part]
    data = load(args, {0} | ({RECIPE["augment"]} if "ablation" in parts else set()))
    records = {}
    if "optimizers" in parts:
        records["optimizers"] = run_part(args, data, "optimizers", {name: dict(optimizer=name) for name in OPTIMIZERS},
                                         "Optimizers for LeNet-5 on MNIST")
        plot(records["optimizers"], os.path.join(args.out_dir, "optimizers", "optimizers.png"))
    if "ablation" in parts:
        records["ablation"] = run_part(args, data, "ablation", ABLATION, "Ablation of the recipe (Adam, lr 1e-3)")
    return records


if __name__ == "__main__":
    run_script(main)
