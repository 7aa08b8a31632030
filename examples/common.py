"""What the examples share: their common command-line options and the argparse types of their
numbers, the start of a run (is the device there, can --out-dir be written, seed the generator),
loading the data (--data-dir, a clear message where the files are missing), Ctrl-C as one line,
image grids, and the training and evaluation loops of a classifier.

The examples import it from beside them (``from common import ...``): running
``python examples/<name>.py`` puts this folder on the import path.
"""
import argparse
import math
import os
import sys
import tempfile

import numpy as np
from tqdm import tqdm

import tinyconv as tc
from tinyconv import distributed as dist, functional as F
from tinyconv.data import default_data_dir


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


def _number_type(convert, accept, expected):
    """An argparse ``type=`` that converts with ``convert`` and accepts what ``accept`` says is
    fine, else gives argparse's error naming the option: "expected <expected>, got <text>"."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


# Comparisons with NaN are False, so NaN is refused; so is Inf, by the upper bounds.
positive_int = _number_type(int, lambda v: v >= 1, "a positive integer")
non_negative_int = _number_type(int, lambda v: v >= 0, "a non-negative integer")
positive_float = _number_type(float, lambda v: 0 < v < math.inf, "a positive number")
non_negative_float = _number_type(float, lambda v: 0 <= v < math.inf, "a non-negative number")
probability = _number_type(float, lambda v: 0 <= v < 1, "a probability in [0, 1)")
unit_interval = _number_type(float, lambda v: 0 <= v <= 1, "a number in [0, 1]")


def existing_folder(text):
    """argparse ``type=`` for --data-dir: a folder that exists (a typo must not start a download
    into a new folder)."""
    if not os.path.isdir(os.path.expanduser(text)):
        raise argparse.ArgumentTypeError(f"expected an existing folder, got {text!r}")
    return os.path.expanduser(text)


def add_common_arguments(parser, out_dir, data="mnist/", seeds=None):
    """Add --seed, --data-dir, --out-dir (default ``out_dir``; a ``{dataset}`` in it is for the
    example to fill in) and --device to an ``argparse.ArgumentParser``; ``data`` names the
    dataset folder(s) --data-dir holds. Given ``seeds`` (a list of ints, for a study that repeats
    every run), --seeds (one or more, default ``seeds``) takes the place of --seed."""
    if seeds is None:
        parser.add_argument("--seed", type=non_negative_int, default=0)
    else:
        parser.add_argument("--seeds", type=non_negative_int, nargs="+", default=seeds,
                            help=f"run everything once with each seed (default: {' '.join(map(str, seeds))})")
    parser.add_argument("--data-dir", type=existing_folder, default=None,
                        help=f"an existing folder that holds {data} (or {data} itself, or its files); missing "
                             f"files are fetched into it (default: $TINYCONV_DATA or ~/.cache/tinyconv)")
    parser.add_argument("--out-dir", default=out_dir, help=f"where the results go (default: {out_dir})")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="where to train: cuda needs CuPy and a GPU (pip install '.[gpu]')")


def check_out_dir(path):
    """Exit with one line unless ``path`` is a folder this process can write in, or can be made
    one. Creates nothing: the nearest existing folder is probed with an anonymous temporary file."""
    existing = os.path.abspath(path)
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        sys.exit(f"--out-dir {path}: {existing} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as e:
        sys.exit(f"--out-dir {path}: cannot write in {existing} ({e.strerror})")


def check_run(args):
    """Exit with a message if ``args.device`` is not there or ``args.out_dir`` cannot be written
    (before anything is loaded)."""
    try:
        tc.Tensor([0.0], device=args.device)
    except tc.cuda.DeviceUnavailableError as e:
        sys.exit(f"--device {args.device}: {e}")
    check_out_dir(args.out_dir)


def start_run(args):
    """:func:`check_run`, then seed the default generator with ``args.seed``; return the
    generator."""
    check_run(args)
    return tc.manual_seed(args.seed)


def load_datasets(load, args, dataset, hint=""):
    """Return ``load(args)``, which reads ``dataset`` (a class of tinyconv.data) from
    ``args.data_dir``. First, where ``args.data_dir`` is the dataset's own folder (mnist/, ...),
    it is replaced by the folder above, where the dataset class looks for that folder.

    A ``--data-dir`` that holds the dataset's files itself is read where it is (see
    :func:`tinyconv.data.datasets.dataset_folder`). Where the files can be neither found nor
    fetched, exits with the dataset's account of what it tried and where to put the files,
    then ``hint``; a dataset folder made for the fetch is removed again if it stayed empty.
    """
    if args.data_dir is not None:
        if os.path.basename(os.path.normpath(args.data_dir)) == dataset.folder:
            args.data_dir = os.path.dirname(os.path.abspath(args.data_dir))
    folder = os.path.join(default_data_dir() if args.data_dir is None else args.data_dir, dataset.folder)
    made = not os.path.exists(folder)
    try:
        return load(args)
    except RuntimeError as e:  # what tinyconv.data raises when every source failed
        if made and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
        sys.exit(f"{e}{hint}")


def run_script(main):
    """Run ``main()`` as a script: Ctrl-C ends it with one line on stderr (the KeyboardInterrupt's
    message where it has one) and exit status 130, as a shell reports SIGINT, not a traceback."""
    try:
        main()
    except KeyboardInterrupt as e:
        print(f"\ninterrupted{f': {e}' if str(e) else ''}", file=sys.stderr)
        sys.exit(130)


def tile(images, columns=None, gap=2):
    """Tile ``images`` (N, H, W) with values in [0, 1] into one (rows * (H + gap) + gap,
    columns * (W + gap) + gap) float32 picture on a white (1.0) background: row-major, ``columns``
    per row (default: a square-ish grid, ceil(sqrt(N)) columns), every image shown."""
    n, h, w = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = -(-n // columns)
    grid = np.ones((rows * (h + gap) + gap, columns * (w + gap) + gap), dtype=np.float32)
    for i, image in enumerate(images):
        top, left = gap + (i // columns) * (h + gap), gap + (i % columns) * (w + gap)
        grid[top:top + h, left:left + w] = image
    return grid


def save_tiles(images, path, title, columns=None):
    """Save ``images`` (N, H, W) with values in [0, 1] as one PNG grid at ``path`` (see
    :func:`tile`) under ``title``; without matplotlib, say so and save nothing."""
    plt = pyplot(title)
    if plt is None:
        return
    grid = tile(images, columns)
    fig, ax = plt.subplots(figsize=(grid.shape[1] / 30, grid.shape[0] / 30 + 0.4))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    fig.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(fig)
    print(f"  saved {path}")


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
