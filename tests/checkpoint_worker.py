"""A small training task that checkpoints after every epoch, used by test_checkpoint.py both
in-process and as a child process (so that a resume really happens in a new interpreter).

    python checkpoint_worker.py PATH --until N [--hidden H] [--samples S] [--forever]

loads PATH if it exists (else starts from the seed), prints ``resumed <epoch>``, then trains
epoch after epoch, saving PATH after each, until epoch N (or forever, for the kill test).
"""
import argparse
import os

import numpy as np

import tinyconv as tc
from tinyconv import nn, functional as F
from tinyconv.data import DataLoader, TensorDataset

SEED = 11


def dataset(n=100, features=16, classes=4):
    rng = np.random.default_rng(123)
    x = rng.standard_normal((n, features)).astype(np.float32)
    y = (x[:, :classes].argmax(axis=1)).astype(np.int64)
    return TensorDataset(x, y)


def build(hidden=32, samples=100):
    """Model (with dropout), optimizer and shuffling loader, all drawing on the default generator."""
    tc.manual_seed(SEED)
    model = nn.Sequential(nn.Linear(16, hidden), nn.ReLU(), nn.Dropout(0.25), nn.Linear(hidden, 4))
    optimizer = tc.optim.Adam(model.parameters(), lr=0.01)
    loader = DataLoader(dataset(samples), batch_size=32, shuffle=True)
    return {"model": model, "optimizer": optimizer, "loader": loader, "rng": tc.default_rng(), "epoch": 0}


def train_epoch(objs):
    model, optimizer = objs["model"], objs["optimizer"]
    for x, y in objs["loader"]:
        loss = F.softmax_cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    optimizer.lr *= 0.9
    objs["epoch"] += 1


def resume(objs, path):
    """Restore ``objs`` from ``path`` if it exists; return the epoch reached."""
    if os.path.exists(path):
        objs["epoch"] = tc.load(path, into=objs)["epoch"]
    return objs["epoch"]


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("path")
    p.add_argument("--until", type=int, default=0)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument("--samples", type=int, default=100)
    p.add_argument("--forever", action="store_true")
    args = p.parse_args(argv)
    objs = build(args.hidden, args.samples)
    print("resumed", resume(objs, args.path), flush=True)
    while args.forever or objs["epoch"] < args.until:
        train_epoch(objs)
        tc.save(objs, args.path)


if __name__ == "__main__":
    main()
