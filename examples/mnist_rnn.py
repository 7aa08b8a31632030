"""Classify the real MNIST with a recurrent network reading each image row by row.

Each 28x28 image is a sequence of 28 time steps of 28 pixels (one row per step, top to
bottom); an LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000), a
GRU (Cho et al. 2014) or an Elman RNN reads it, and a linear layer on the last layer's final
hidden state gives the 10 class scores, trained with softmax cross-entropy and Adam.

    python examples/mnist_rnn.py                       # defaults: LSTM, hidden 128, 1 layer, 5 epochs
    python examples/mnist_rnn.py --cell gru --epochs 3
    python examples/mnist_rnn.py --cell lstm --num-layers 2 --dropout 0.2
    python examples/mnist_rnn.py --device cuda         # on the GPU (pip install ".[gpu]")
"""
import argparse
import json
import os
import time

import numpy as np

import tinyconv as tc
from tinyconv import nn
from tinyconv.data import MNIST, DataLoader, Normalize, MNIST_MEAN, MNIST_STD
from common import (add_common_arguments, evaluate, load_datasets, positive_float, positive_int, probability, record_epoch,
                    run_script, start_run, train_or_exit)

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class RowClassifier(nn.Module):
    """(N, 1, 28, 28) images -> (N, 10) logits: the rows as 28 steps of 28 pixels through a
    recurrent network, then a linear layer on the last layer's final hidden state."""

    def __init__(self, cell="lstm", hidden_size=128, num_layers=1, dropout=0.0):
        super().__init__()
        self.rnn = CELLS[cell](28, hidden_size, num_layers=num_layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden_size, 10)

    def forward(self, images):
        _, state = self.rnn(images.reshape(images.shape[0], 28, 28))
        h_n = state[0] if isinstance(state, tuple) else state  # the LSTM returns (h_n, c_n)
        return self.head(h_n[-1])


def load_data(args):
    """The normalised MNIST training and test sets."""
    normalize = Normalize(MNIST_MEAN, MNIST_STD)
    return MNIST(args.data_dir, train=True, transform=normalize), MNIST(args.data_dir, train=False, transform=normalize)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell", choices=sorted(CELLS), default="lstm", help="recurrent layer (rnn: Elman, tanh)")
    p.add_argument("--hidden-size", type=positive_int, default=128)
    p.add_argument("--num-layers", type=positive_int, default=1)
    p.add_argument("--dropout", type=probability, default=0.0, help="dropout between recurrent layers")
    p.add_argument("--epochs", type=positive_int, default=5)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=2e-3)
    p.add_argument("--lr-decay", type=positive_float, default=0.7, help="multiply the learning rate by this after each epoch")
    add_common_arguments(p, "runs/mnist_rnn")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    start_run(args)
    train_set, test_set = load_datasets(load_data, args, MNIST)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, device=args.device)
    test_loader = DataLoader(test_set, batch_size=1000, device=args.device)
    model = RowClassifier(args.cell, args.hidden_size, args.num_layers, args.dropout).to(args.device)
    optimizer = tc.optim.Adam(model.parameters(), lr=args.lr)
    print(f"{model.rnn!r} + Linear({args.hidden_size}, 10) ({sum(p.numel() for p in model.parameters()):,} "
          f"parameters), adam lr {args.lr}, batch {args.batch_size}, {len(train_set):,} training images, "
          f"on {args.device}")

    history = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train_loss = train_or_exit(model, optimizer, train_loader, epoch, args.epochs)
        seconds = time.perf_counter() - start
        test_loss, accuracy = evaluate(model, test_loader)
        record_epoch(history, epoch, train_loss, test_loss, accuracy, seconds, optimizer.lr)
        optimizer.lr *= args.lr_decay

    os.makedirs(args.out_dir, exist_ok=True)
    weights = os.path.join(args.out_dir, f"{args.cell}.npz")
    model.save(weights)
    with open(os.path.join(args.out_dir, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    print(f"test accuracy {100 * history[-1]['test_accuracy']:.2f}% "
          f"(test error {100 * (1 - history[-1]['test_accuracy']):.2f}%), "
          f"{np.mean([h['seconds'] for h in history]):.1f} s per epoch; weights saved to {weights}")
    return history


if __name__ == "__main__":
    run_script(main)
