"""What the studies share: run a grid of configurations over seeds, keep every finished run,
summarise.

Each (configuration, seed) is run once; its record goes to ``<out-dir>/runs.json`` (written
atomically) as soon as it is finished, so an interrupted study loses at most the run in progress,
and the same command with the same --out-dir runs only what is missing. runs.json also holds the
options that change the results (steps, epochs, batch size, ...): a study with other options
refuses that folder rather than mixing its records with runs made otherwise.

The summary gives, per configuration, the mean and the sample standard deviation over the seeds
of the final test error (%), of the train-test gap: the test error minus the training error, in
percentage points, both measured at the end in evaluation mode (no dropout, no augmentation,
stochastic pooling as its probability-weighted mean) on the full test set and on the images the
run trained on; and of the seconds per run (training and both evaluations). With a single seed
there is no spread: it is left empty (None in results.json).
"""
import argparse
import json
import os
import sys
import time

import numpy as np

from tinyconv.data import DataLoader
from tinyconv.fileio import atomic_write

from common import Diverged, evaluate

#: The figures summarised, and how results.md heads their columns.
SUMMARISED = {"test_error": "test error (%)", "gap": "train-test gap (points)", "seconds": "seconds per run"}


def refuse_repeats(parser, args, *names):
    """A parser error where one of the list options ``names`` (e.g. "seeds") names a value twice."""
    for name in names:
        values = getattr(args, name)
        if len(set(values)) < len(values):
            parser.error(f"--{name.replace('_', '-')}: expected distinct values, got {' '.join(map(str, values))}")


def generators(seed, count):
    """``count`` independent NumPy generators drawn from ``seed`` (e.g. the training subset, the
    order of the batches), apart from the framework's default generator (initial weights,
    dropout, stochastic pooling, shifts)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(count)]


def example_options(parse_args, argv, data_dir):
    """The options of another example as its ``parse_args`` gives them for ``argv`` (its
    defaults otherwise), with ``data_dir``: every option that example's load_data reads."""
    return argparse.Namespace(**{**vars(parse_args(argv)), "data_dir": data_dir})


def final_errors(model, train_set, test_set, device):
    """Evaluate ``model`` on both sets; return a dict of test_error, train_error and gap
    (percentage points) and test_loss, train_loss (mean cross-entropy)."""
    figures = {}
    for name, dataset in (("train", train_set), ("test", test_set)):
        loss, accuracy = evaluate(model, DataLoader(dataset, batch_size=1000, device=device))
        figures.update({f"{name}_loss": loss, f"{name}_error": 100 * (1 - accuracy)})
    figures["gap"] = figures["test_error"] - figures["train_error"]
    return figures


def _write_json(path, value):
    atomic_write(path, (json.dumps(value, indent=1) + "\n").encode())


def load_runs(path, options):
    """The records in ``path`` (none if it does not exist); exits with one line where they were
    made with other ``options`` (a dict of the options that change the results)."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        saved = json.load(f)
    if saved["options"] != options:
        old = saved["options"]
        different = [f"--{k.replace('_', '-')} {old.get(k)!r} (now {options.get(k)!r})"
                     for k in sorted(old.keys() | options.keys()) if old.get(k) != options.get(k)]
        sys.exit(f"{path} holds runs made with other options: {', '.join(different)}; "
                 f"pass the same options to continue that study, or another --out-dir to start afresh")
    return saved["runs"]


def run_grid(out_dir, options, configurations, seeds, run_one):
    """Run ``run_one(configuration, seed)`` (returns a dict of figures) for every configuration
    (a dict: name -> dict of its settings) and seed not yet in ``<out_dir>/runs.json``; return
    the records of the grid, in grid order. A record is {name, seed, settings, **figures,
    seconds}. A diverged run exits with a message; the finished runs are kept."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "runs.json")
    runs = load_runs(path, options)
    done = {(r["name"], r["seed"]): r for r in runs}
    for name, settings in configurations.items():
        for seed in seeds:
            if (name, seed) in done:
                print(f"{name}, seed {seed}: in {path} already")
                continue
            print(f"{name}, seed {seed}")
            start = time.perf_counter()
            try:
                figures = run_one(settings, seed)
            except Diverged as e:
                sys.exit(f"{name}, seed {seed}: training diverged at {e}; the finished runs are kept in {path}")
            done[name, seed] = dict(name=name, seed=seed, settings=settings, **figures,
                                    seconds=time.perf_counter() - start)
            runs.append(done[name, seed])
            _write_json(path, dict(options=options, runs=runs))
    return [done[name, seed] for name in configurations for seed in seeds]


def mean_and_std(values):
    """(mean, sample standard deviation) of ``values``; the deviation is None for one value."""
    return float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else None


def summarise(records):
    """One row per configuration (in the records' order): its settings, the number of seeds,
    and the mean and ``<figure>_std`` of every figure in SUMMARISED."""
    rows = {}
    for r in records:
        rows.setdefault(r["name"], []).append(r)
    summary = []
    for name, runs in rows.items():
        row = dict(name=name, **runs[0]["settings"], seeds=len(runs))
        for figure in SUMMARISED:
            row[figure], row[f"{figure}_std"] = mean_and_std([r[figure] for r in runs])
        summary.append(row)
    return summary


def spread(row, figure):
    """The standard deviation of ``figure`` in a summary row, 0 where there is none (one seed)."""
    return row[f"{figure}_std"] or 0.0


def save_figure(plt, fig, path):
    """Lay out the matplotlib figure ``fig``, save it as a PNG at ``path``, close it, say where."""
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"plot saved to {path}")


def _cell(row, figure):
    std = row[f"{figure}_std"]
    return f"{row[figure]:.2f}" + ("" if std is None else f" ± {std:.2f}")


def write_summary(out_dir, summary, title):
    """Write ``summary`` as ``<out_dir>/results.md`` (a Markdown table under ``title``, mean ±
    sample standard deviation) and ``results.json``; print the table."""
    lines = [f"# {title}", "", "| configuration | seeds | " + " | ".join(SUMMARISED.values()) + " |",
             "|---|---|" + "---|" * len(SUMMARISED)]
    lines += [f"| {row['name']} | {row['seeds']} | " + " | ".join(_cell(row, f) for f in SUMMARISED) + " |"
              for row in summary]
    text = "\n".join(lines) + "\n"
    atomic_write(os.path.join(out_dir, "results.md"), text.encode())
    _write_json(os.path.join(out_dir, "results.json"), dict(title=title, rows=summary))
    print(text)
