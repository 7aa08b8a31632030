"""Compare five classifiers on the real MNIST (or Fashion-MNIST): a linear SVM, an MLP, the same
MLP initialised by a DBN, LeNet-5, and LeNet-5 trained on distorted images.

    svm         linear SVM on the 784 pixels: one Linear layer trained on the multi-class hinge
                loss of Crammer & Singer (JMLR 2001), with L2 weight decay
    mlp         784-500-500-10 sigmoid MLP, PyTorch's default initialisation, softmax cross-entropy
    dbn         the same MLP with its hidden layers initialised by a DBN 784-500-500 pre-trained
                greedily with CD-1 (Hinton, Osindero & Teh 2006), then fine-tuned
    lenet       LeNet-5 (LeCun et al. 1998) as in mnist_lenet.py, dropout 0.25
    lenet-aug   the same LeNet-5 without dropout, trained on images rotated by up to 10 degrees
                and shifted by up to 2 pixels at random (Simard, Steinkraus & Platt 2003)

Every model is trained with Adam, batch 64 and a cosine learning-rate schedule, from the same
seed, for 10 epochs (LeNet-5 + augmentation: 20; each RBM of the DBN: 5 of CD-1 before); the
SVM, MLP and DBN rows see the 784 pixels, the LeNet rows the 28x28 images. The table
(test accuracy, macro precision / recall / F1, macro one-vs-rest ROC AUC from the softmax of the
model's outputs, training time, parameters) goes to ``<out-dir>/results.md`` and ``results.json``,
the confusion matrix of the most accurate model to ``confusion_matrix.png`` (with matplotlib).

    python examples/compare_models.py                       # all five on MNIST
    python examples/compare_models.py --quick               # 6,000 / 2,000 images, 1 epoch each
    python examples/compare_models.py --dataset fashion --models svm lenet
"""
import argparse
import json
import os
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from tqdm import tqdm

import tinyconv as tc
from tinyconv import backend, functional as F, metrics, nn
from tinyconv.data import MNIST, Compose, DataLoader, Dataset, FashionMNIST, Normalize, RandomRotation, RandomShift

from common import add_common_arguments, load_datasets, positive_int, run_script, start_run, train_or_exit
from mnist_lenet import lenet5

DATASETS = {"mnist": MNIST, "fashion": FashionMNIST}
QUICK_TRAIN, QUICK_TEST = 6000, 2000


@dataclass(frozen=True)
class Candidate:
    """One row of the table: how to build the model and train it."""
    title: str
    build: Callable          # (args, training pixels (N, 784) in [0, 1]) -> Module
    loss: Callable = F.softmax_cross_entropy
    lr: float = 1e-3
    epochs: int = 10
    weight_decay: float = 0.0
    normalize: bool = True   # standardise the pixels with the training mean and std (else [0, 1])
    augment: tuple = ()      # transforms applied to the training images before normalising


def linear_svm(args, pixels):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 10))


def mlp(args, pixels):
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 500), nn.Sigmoid(), nn.Linear(500, 500), nn.Sigmoid(),
                         nn.Linear(500, 10))


def dbn_mlp(args, pixels):
    """The MLP initialised from a DBN pre-trained on ``pixels`` (the time counts as training)."""
    dbn = tc.DBN([784, 500, 500], learning_rate=0.05, n_iter=1 if args.quick else args.pretrain_epochs,
                 batch_size=100)
    dbn.fit(backend.to_device(pixels, args.device))
    return nn.Sequential(nn.Flatten(), dbn.to_classifier(10))


def lenet(args, pixels):
    return lenet5(dropout=0.25)


def lenet_without_dropout(args, pixels):
    """LeNet-5 for the augmented row: the distorted images stand in for dropout."""
    return lenet5(dropout=0.0)


CANDIDATES = {
    "svm": Candidate("linear SVM (hinge)", linear_svm, loss=F.crammer_singer_loss, weight_decay=1e-4),
    "mlp": Candidate("MLP 784-500-500-10", mlp, normalize=False),
    "dbn": Candidate("DBN-initialised MLP", dbn_mlp, normalize=False),
    "lenet": Candidate("LeNet-5", lenet, lr=2e-3),
    "lenet-aug": Candidate("LeNet-5 + augmentation", lenet_without_dropout, lr=2e-3, epochs=20,
                           augment=(RandomRotation(10), RandomShift(2))),
}


class ImageSet(Dataset):
    """Images (N, 1, 28, 28) and labels (N,), ``transform`` applied to the images of each batch:
    ``get_batch`` lets the DataLoader fetch and transform a whole batch in one call."""

    def __init__(self, images, labels, transform):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.transform(self.images[index]), self.labels[index]

    get_batch = __getitem__


def load_data(args):
    """((train images, labels), (test images, labels), class names): float32 images (N, 1, 28, 28)
    in [0, 1] and int64 labels (N,); the first QUICK_TRAIN / QUICK_TEST of them with --quick."""
    sets = [DATASETS[args.dataset](args.data_dir, train=train) for train in (True, False)]
    sizes = (QUICK_TRAIN, QUICK_TEST) if args.quick else (None, None)
    return sets[0][:sizes[0]], sets[1][:sizes[1]], sets[0].classes


def transforms(candidate, normalize):
    """(training transform, test transform) of a candidate; ``normalize`` standardises."""
    steps = [normalize] if candidate.normalize else []
    return Compose(list(candidate.augment) + steps), Compose(steps)


def predict(model, loader):
    """Softmax probabilities (N, K) of ``model`` over ``loader``, as a NumPy array."""
    model.eval()
    with tc.no_grad():
        probabilities = [backend.to_numpy(F.softmax(model(images), axis=1).data) for images, _ in loader]
    model.train()
    return np.concatenate(probabilities)


def train(candidate, args, train_data, normalize):
    """Build and train one candidate; return (model, seconds), pre-training included."""
    images, labels = train_data
    train_transform, _ = transforms(candidate, normalize)
    loader = DataLoader(ImageSet(images, labels, train_transform), batch_size=args.batch_size, shuffle=True,
                        device=args.device)
    epochs = 1 if args.quick else candidate.epochs
    start = time.perf_counter()
    model = candidate.build(args, images.reshape(len(images), -1)).to(args.device)
    optimizer = tc.optim.Adam(model.parameters(), lr=candidate.lr, weight_decay=candidate.weight_decay)
    schedule = tc.optim.CosineAnnealingLR(optimizer, T_max=epochs)
    for epoch in range(1, epochs + 1):
        loss = train_or_exit(model, optimizer, loader, epoch, epochs,
                             loss_fn=lambda m, x, y: candidate.loss(m(x), y), label=candidate.title)
        schedule.step()
        tqdm.write(f"  {candidate.title} epoch {epoch}/{epochs}: train loss {loss:.4f}")
    return model, time.perf_counter() - start


def score(candidate, model, seconds, test_data, normalize, n_classes, args):
    """The table row of a trained model on the test set, and its predictions."""
    images, labels = test_data
    loader = DataLoader(ImageSet(images, labels, transforms(candidate, normalize)[1]), batch_size=1000,
                        device=args.device)
    probabilities = predict(model, loader)
    predicted = probabilities.argmax(axis=1)
    precision, recall, f1 = metrics.precision_recall_f1(labels, predicted, n_classes, average="macro")
    row = dict(model=candidate.title, accuracy=metrics.accuracy(labels, predicted), precision=precision,
               recall=recall, f1=f1, auc=metrics.roc_auc_ovr(labels, probabilities), seconds=seconds,
               parameters=int(sum(p.numel() for p in model.parameters())))
    return row, predicted


COLUMNS = ("model", "test accuracy", "macro precision", "macro recall", "macro F1", "AUC", "train time (s)",
           "parameters")


def markdown_table(rows):
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for r in rows:
        lines.append(f"| {r['model']} | {100 * r['accuracy']:.2f}% | {r['precision']:.4f} | {r['recall']:.4f} | "
                     f"{r['f1']:.4f} | {r['auc']:.5f} | {r['seconds']:.1f} | {r['parameters']:,} |")
    return "\n".join(lines)


def plot_best(rows, predictions, labels, classes, path):
    """Save the confusion matrix of the most accurate row's model; return its title or None."""
    best = max(range(len(rows)), key=lambda i: rows[i]["accuracy"])
    cm = metrics.confusion_matrix(labels, predictions[best], len(classes))
    try:
        metrics.plot_confusion_matrix(cm, path, classes)
    except ImportError:
        print("matplotlib is not installed: no confusion-matrix plot (pip install 'tinyconv[plot]')")
        return None
    print(f"confusion matrix of {rows[best]['model']} saved to {path}")
    return rows[best]["model"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=sorted(DATASETS), default="mnist")
    p.add_argument("--models", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES),
                   help="which rows to train (default: all)")
    p.add_argument("--quick", action="store_true",
                   help=f"a short run: the first {QUICK_TRAIN:,} training and {QUICK_TEST:,} test images, "
                        f"1 epoch per model (and per RBM)")
    p.add_argument("--pretrain-epochs", type=positive_int, default=5, help="CD-1 epochs per RBM of the DBN")
    p.add_argument("--batch-size", type=positive_int, default=64)
    add_common_arguments(p, "runs/compare_{dataset}", data="mnist/ or fashion-mnist/")
    args = p.parse_args(argv)
    args.models = list(dict.fromkeys(args.models))
    if args.out_dir == p.get_default("out_dir"):
        args.out_dir = args.out_dir.format(dataset=args.dataset)
    return args


def main(argv=None):
    args = parse_args(argv)
    start_run(args)
    train_data, test_data, classes = load_datasets(load_data, args, DATASETS[args.dataset])
    print(f"{args.dataset}: {len(train_data[1]):,} training and {len(test_data[1]):,} test images, on {args.device}")
    normalize = Normalize(float(train_data[0].mean()), float(train_data[0].std()))
    rows, predictions = [], []
    for name in args.models:
        candidate = CANDIDATES[name]
        tc.manual_seed(args.seed)  # each row starts from the same seed, whichever rows run
        model, seconds = train(candidate, args, train_data, normalize)
        row, predicted = score(candidate, model, seconds, test_data, normalize, len(classes), args)
        print(f"{row['model']}: test accuracy {100 * row['accuracy']:.2f}%, {seconds:.0f} s")
        rows.append(row)
        predictions.append(predicted)

    os.makedirs(args.out_dir, exist_ok=True)
    best = plot_best(rows, predictions, test_data[1], classes, os.path.join(args.out_dir, "confusion_matrix.png"))
    table = markdown_table(rows)
    header = (f"{args.dataset}, {len(train_data[1]):,} training / {len(test_data[1]):,} test images, seed {args.seed}"
              f"{', --quick' if args.quick else ''}; AUC: macro one-vs-rest from softmax probabilities"
              f"{f'; confusion matrix: {best}' if best else ''}")
    with open(os.path.join(args.out_dir, "results.md"), "w") as f:
        f.write(f"{header}\n\n{table}\n")
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(dict(dataset=args.dataset, quick=args.quick, seed=args.seed, rows=rows), f, indent=1)
    print(f"\n{header}\n\n{table}\n\nsaved to {os.path.join(args.out_dir, 'results.md')}")
    return rows


if __name__ == "__main__":
    run_script(main)
