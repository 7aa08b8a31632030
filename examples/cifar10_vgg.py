"""Train a small VGG-style network on CIFAR-10 (or Fashion-MNIST, MNIST) with tinyconv.

Three blocks of two 3x3 convolutions (padding 1, ReLU) with 32, 64 and 128 filters, each block
followed by 2x2 max pooling and dropout 0.25, then a fully connected layer of 1024 units (ReLU,
dropout 0.5) and 10 outputs, trained with softmax cross-entropy and Adam. Stacks of 3x3
convolutions follow VGG (Simonyan & Zisserman 2015, arXiv:1409.1556), dropout Srivastava et al.
2014 (JMLR 15), Adam Kingma & Ba 2015 (arXiv:1412.6980). Inputs are normalised per channel
with the mean and standard deviation of the training pixels. One-channel 28x28 data
(Fashion-MNIST, MNIST) go through the same network: the first convolution takes the data's
channels and the fully connected layer the flattened size that follows (128 x 3 x 3).

``--model small`` is a smaller network for Fashion-MNIST: conv 32@3x3, batch norm, ReLU, pool;
conv 64@3x3, batch norm, ReLU, pool; 256 units with batch norm, ReLU and dropout 0.5; 10
outputs. ``--augment 1`` flips the training images left-right and crops them at random from
the images padded by 1 pixel: clothing is left-right symmetric, and not seen rotated.

    python examples/cifar10_vgg.py                                # CIFAR-10, 10 epochs
    python examples/cifar10_vgg.py --dataset fashion --epochs 3   # where CIFAR-10 cannot be fetched
    python examples/cifar10_vgg.py --dataset fashion --model small --augment 1 --epochs 15 --lr 2e-3 --lr-decay 0.8
    python examples/cifar10_vgg.py --dataset mnist --limit 5000 --epochs 1   # a short run
    python examples/cifar10_vgg.py --device cuda                  # on the GPU (pip install ".[gpu]")

After every epoch it prints the test loss, accuracy and macro-averaged F1; at the end it saves
the weights, the history and (with matplotlib) the test confusion matrix in ``--out-dir``.
"""
import argparse
import json
import os
import time

import numpy as np

import tinyconv as tc
from tinyconv import functional as F, metrics, nn
from tinyconv.data import (CIFAR10, MNIST, Compose, DataLoader, FashionMNIST, Normalize, RandomCrop,
                           RandomHorizontalFlip, Subset)
from common import (add_common_arguments, load_datasets, non_negative_int, positive_float, positive_int, run_script,
                    start_run, train_or_exit)

DATASETS = {"cifar10": CIFAR10, "fashion": FashionMNIST, "mnist": MNIST}
NO_DATA_HINT = {"cifar10": "\nThe archive is at https://www.cs.toronto.edu/~kriz/cifar.html (163 MB). Without it, "
                           "train on Fashion-MNIST: --dataset fashion."}


def _optional(layer, argument, wanted):
    return [layer(argument)] if wanted else []


def conv_net(in_channels=3, image_size=32, n_classes=10, widths=(32, 64, 128), convs=2, batch_norm=False,
             conv_dropout=0.25, hidden=1024):
    """A network for (N, in_channels, image_size, image_size) inputs -> (N, n_classes) logits: for
    each of ``widths``, ``convs`` 3x3 convolutions (padding 1; batch norm if ``batch_norm``; ReLU),
    then 2x2 max pooling, which halves the size (rounding down: 28 -> 14 -> 7 -> 3), and dropout
    ``conv_dropout`` (none if 0); then ``hidden`` fully connected units (batch norm if
    ``batch_norm``; ReLU; dropout 0.5)."""
    layers, channels, size = [], in_channels, image_size
    for width in widths:
        for _ in range(convs):
            layers += [nn.Conv2d(channels, width, 3, padding=1), *_optional(nn.BatchNorm2d, width, batch_norm),
                       nn.ReLU()]
            channels = width
        layers += [nn.MaxPool2d(2), *_optional(nn.Dropout, conv_dropout, conv_dropout > 0)]
        size //= 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * size * size, hidden),
                         *_optional(nn.BatchNorm1d, hidden, batch_norm), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(hidden, n_classes))


#: --model: the VGG-style network, and a small one with batch norm (an epoch of Fashion-MNIST in about a minute on
#: one CPU core).
MODELS = {"vgg": dict(widths=(32, 64, 128), convs=2, batch_norm=False, hidden=1024),
          "small": dict(widths=(32, 64), convs=1, batch_norm=True, conv_dropout=0.0, hidden=256)}


def channel_stats(images):
    """Mean and standard deviation per channel of uint8 images (N, C, H, W) or grey (N, H, W),
    on the [0, 1] scale, exactly (from each channel's histogram of the 256 values)."""
    channels = images[:, None] if images.ndim == 3 else images
    values = np.arange(256) / 255
    means, stds = [], []
    for c in range(channels.shape[1]):
        p = np.bincount(channels[:, c].ravel(), minlength=256) / channels[:, c].size
        means.append(float(p @ values))
        stds.append(float(np.sqrt(p @ (values - means[-1]) ** 2)))
    return means, stds


def load_data(args):
    """The training and test sets of ``args.dataset``, normalised per channel with the training
    set's statistics; only the first ``args.limit`` training images if ``args.limit``. With
    ``args.augment`` pixels, each training image is flipped left-right with probability 0.5 and
    cropped back to its size at a random place after padding with black by that many pixels."""
    dataset = DATASETS[args.dataset]
    train_set, test_set = dataset(args.data_dir, train=True), dataset(args.data_dir, train=False)
    normalize = Normalize(*channel_stats(train_set.data))
    size = train_set.data.shape[-1]
    augment = [RandomHorizontalFlip(), RandomCrop(size, padding=args.augment)] if args.augment else []
    train_set.transform, test_set.transform = Compose([*augment, normalize]), normalize
    if args.limit:
        train_set = Subset(train_set, np.arange(min(args.limit, len(train_set))))
    return train_set, test_set


def predict(model, loader):
    """Return (mean loss, true labels, predicted labels) of ``model`` over ``loader``."""
    model.eval()
    total_loss, y_true, y_pred = 0.0, [], []
    with tc.no_grad():
        for images, labels in loader:
            logits = model(images)
            total_loss += F.softmax_cross_entropy(logits, labels).item() * len(labels)
            y_true.append(labels.numpy())
            y_pred.append(logits.numpy().argmax(axis=1))
    model.train()
    return total_loss / len(loader.dataset), np.concatenate(y_true), np.concatenate(y_pred)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", choices=sorted(DATASETS), default="cifar10")
    p.add_argument("--epochs", type=positive_int, default=10)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--model", choices=sorted(MODELS), default="vgg",
                   help="vgg: the VGG-style network; small: two convolutions with batch norm (see the module's help)")
    p.add_argument("--lr", type=positive_float, default=1e-3, help="Adam's learning rate")
    p.add_argument("--lr-decay", type=positive_float, default=1.0,
                   help="multiply the learning rate by this after each epoch (1: constant)")
    p.add_argument("--augment", type=non_negative_int, default=0, metavar="PIXELS",
                   help="flip training images left-right at random and crop them from the image padded by this "
                        "many pixels (0: no augmentation)")
    p.add_argument("--limit", type=non_negative_int, default=0, metavar="N",
                   help="train on the first N training images only, for a short run (0: all); the test set stays whole")
    add_common_arguments(p, "runs/{model}_{dataset}", data="cifar-10/, fashion-mnist/ or mnist/")
    args = p.parse_args(argv)
    if args.out_dir == p.get_default("out_dir"):
        args.out_dir = args.out_dir.format(model=args.model, dataset=args.dataset)
    return args


def save_results(model, name, history, classes, y_true, y_pred, out_dir):
    """Save the weights as ``<out_dir>/<name>.npz``, the history and the test confusion matrix."""
    os.makedirs(out_dir, exist_ok=True)
    model.save(os.path.join(out_dir, f"{name}.npz"))
    with open(os.path.join(out_dir, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    cm = metrics.confusion_matrix(y_true, y_pred, len(classes))
    try:
        metrics.plot_confusion_matrix(cm, os.path.join(out_dir, "confusion.png"), class_names=classes)
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'tinyconv[plot]')")
    _, _, f1 = metrics.precision_recall_f1(y_true, y_pred, len(classes))
    print("test F1 per class: " + ", ".join(f"{name} {value:.3f}" for name, value in zip(classes, f1)))


def main(argv=None):
    args = parse_args(argv)
    start_run(args)
    train_set, test_set = load_datasets(load_data, args, DATASETS[args.dataset], NO_DATA_HINT.get(args.dataset, ""))
    classes = test_set.classes
    channels, size = test_set[0][0].shape[:2]
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, device=args.device)
    test_loader = DataLoader(test_set, batch_size=256, device=args.device)
    # Initialised on the host from the seeded generator, then moved: the same start on every device.
    model = conv_net(channels, size, len(classes), **MODELS[args.model]).to(args.device)
    optimizer = tc.optim.Adam(model.parameters(), lr=args.lr)
    name = "VGG-style" if args.model == "vgg" else "small"
    print(f"{name} network ({sum(p.numel() for p in model.parameters()):,} parameters) on {args.dataset} "
          f"({channels}x{size}x{size}), Adam lr {args.lr} x {args.lr_decay} per epoch, augment {args.augment}, "
          f"batch {args.batch_size}, {len(train_set):,} training and {len(test_set):,} test images, on {args.device}")

    history = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train_loss = train_or_exit(model, optimizer, train_loader, epoch, args.epochs)
        seconds = time.perf_counter() - start
        test_loss, y_true, y_pred = predict(model, test_loader)
        accuracy = metrics.accuracy(y_true, y_pred)
        _, _, f1 = metrics.precision_recall_f1(y_true, y_pred, len(classes), average="macro")
        history.append(dict(epoch=epoch, train_loss=train_loss, test_loss=test_loss, test_accuracy=accuracy,
                            test_macro_f1=f1, seconds=seconds, lr=optimizer.lr))
        print(f"epoch {epoch:2d}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {100 * accuracy:.2f}%, macro F1 {f1:.4f}, {seconds:.1f} s "
              f"({len(train_set) / seconds:.0f} images/s)")
        optimizer.lr *= args.lr_decay

    save_results(model, args.model, history, classes, y_true, y_pred, args.out_dir)
    print(f"test accuracy {100 * history[-1]['test_accuracy']:.2f}%, macro F1 {history[-1]['test_macro_f1']:.4f}, "
          f"{np.mean([h['seconds'] for h in history]):.1f} s per epoch; results in {args.out_dir}")
    return history


if __name__ == "__main__":
    run_script(main)
