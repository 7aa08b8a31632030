"""What the examples share: their common command-line options, the start of a run (is the
device there, seed the generator), and the training and evaluation loops of a classifier.

The examples import it from beside them (``from common import ...``): running
``python examples/<name>.py`` puts this folder on the import path.
"""
import argparse
import math
import sys

import numpy as np
from tqdm import tqdm

import tinyconv as tc
from tinyconv import distributed as dist, functional as F


def pyplot(what):
    """matplotlib's pyplot on the file-only Agg backend, or None (saying that ``what`` is not
    drawn) where matplotlib is not installed (it is the optional ``plot`` extra)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: no {what} (pip install 'tinyconv[plot]')")
        return None
    return plt


def positive_int(text):
    """argparse ``type=`` for counts and sizes: an int >= 1, else argparse's error naming the option."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def add_common_arguments(parser, out_dir, data="MNIST"):
    """Add --seed, --data-dir, --out-dir (default ``out_dir``; a ``{dataset}`` in it is for the
    example to fill in) and --device to an ``argparse.ArgumentParser``."""
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None,
                        help=f"{data} folder (default: $TINYCONV_DATA or ~/.cache/tinyconv)")
    parser.add_argument("--out-dir", default=out_dir, help=f"where the results go (default: {out_dir})")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where to train: cuda needs CuPy and a GPU (pip install '.[gpu]')")


def start_run(args):
    """Exit with a message if ``args.device`` is not there (before anything is loaded), then
    seed the default generator with ``args.seed``; return the generator."""
    try:
        tc.Tensor([0.0], device=args.device)
    except tc.cuda.DeviceUnavailableError as e:
        sys.exit(f"--device {args.device}: {e}")
    return tc.manual_seed(args.seed)


class Diverged(Exception):
    """The loss (or the weights) went NaN or Inf."""


def classification_loss(model, images, labels):
    """Softmax cross-entropy of ``model(images)`` (N, classes) logits against int labels (N,)."""
    return F.softmax_cross_entropy(model(images), labels)


def train_epoch(model, optimizer, loader, epoch, epochs, loss_fn=classification_loss, label="epoch"):
    """One pass over ``loader`` minimising ``loss_fn(model, images, labels)``; return the mean loss.

    Raises:
        Diverged: the loss is NaN or Inf, a layer refused NaN or Inf, or the weights hold NaN
            or Inf after the epoch's last update.
    """
    losses = []
    bar = tqdm(loader, desc=f"{label} {epoch}/{epochs}", unit="batch", leave=False, disable=dist.get_rank() != 0)
    for batch, (images, labels) in enumerate(bar, start=1):
        try:
            loss = loss_fn(model, images, labels)
        except tc.NonFiniteError as e:  # NaN or Inf reached a layer that refuses it
            raise Diverged(f"epoch {epoch}, batch {batch}: {e}") from None
        value = loss.item()
        if not math.isfinite(value):
            raise Diverged(f"epoch {epoch}, batch {batch}: the loss is {value}")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(value)
        if len(losses) % 20 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-100:]):.4f}")
    if not all(np.isfinite(p.numpy()).all() for p in model.parameters()):
        raise Diverged(f"epoch {epoch}: NaN or Inf in the weights after the last update")
    return float(np.mean(losses))


def train_or_exit(model, optimizer, loader, epoch, epochs, **kwargs):
    """``train_epoch``, but a diverged run exits with a message that says what to try."""
    try:
        return train_epoch(model, optimizer, loader, epoch, epochs, **kwargs)
    except Diverged as e:
        sys.exit(f"training diverged at {e}; try a lower --lr")


def record_epoch(history, epoch, train_loss, test_loss, accuracy, seconds, lr):
    """Append one epoch's figures to ``history`` (a list of dicts) and print them."""
    history.append(dict(epoch=epoch, train_loss=train_loss, test_loss=test_loss,
                        test_accuracy=accuracy, seconds=seconds, lr=lr))
    print(f"epoch {epoch:2d}: train loss {train_loss:.4f}, test loss {test_loss:.4f}, "
          f"test accuracy {100 * accuracy:.2f}%, {seconds:.1f} s")


def evaluate(model, loader):
    """Return (mean loss, accuracy) of ``model`` over ``loader`` (summed over every process's
    share when distributed)."""
    model.eval()
    totals = np.zeros(3)  # loss summed over the images, correct predictions, images
    with tc.no_grad():
        for images, labels in loader:
            logits = model(images)
            totals += (F.softmax_cross_entropy(logits, labels).item() * len(labels),
                       int((logits.data.argmax(axis=1) == labels.data).sum()), len(labels))
    model.train()
    if dist.is_initialized():
        dist.all_reduce(totals)
    return totals[0] / totals[2], totals[1] / totals[2]
