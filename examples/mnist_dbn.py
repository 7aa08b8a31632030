"""Deep belief networks on the real MNIST: classification and a deep autoencoder.

(a) Classification: RBMs 784-500-500-2000 pre-trained greedily with CD-1, then the stack plus a
    10-way softmax layer fine-tuned by backpropagation (Hinton, Osindero & Teh 2006: 1.25% test
    error; Hinton & Salakhutdinov 2006: 1.2% for the pre-trained net with backpropagation);
    ``--input-dropout`` and ``--dropout`` fine-tune with dropout instead (Srivastava et al. 2014:
    0.92% for this network).
(b) Reconstruction: RBMs 784-1000-500-300 pre-trained, unrolled into an encoder (300-dimensional
    codes) and a decoder of the transposed weights, fine-tuned on the squared reconstruction
    error (Hinton & Salakhutdinov 2006). Saves test digits beside their reconstructions and the
    first RBM's filters as PNG grids.

    python examples/mnist_dbn.py                      # both parts, the defaults below
    python examples/mnist_dbn.py --part classify --layers 500 500 2000 --finetune-epochs 20
"""
import argparse
import json
import os
import time

import numpy as np

import tinyconv as tc
from tinyconv import backend, functional as F
from tinyconv.data import MNIST, DataLoader, TensorDataset
from common import (add_common_arguments, load_datasets, non_negative_float, non_negative_int, positive_float,
                    positive_int, probability, run_script, save_tiles, start_run, train_or_exit)


def load_pixels(data_dir, train, device):
    """MNIST as (N, 784) float32 pixels in [0, 1] and (N,) int64 labels, on ``device``."""
    dataset = MNIST(data_dir, train=train)
    pixels = dataset.data.reshape(len(dataset), -1).astype(np.float32) / 255
    return backend.to_device(pixels, device), backend.to_device(dataset.targets, device)


def load_data(args):
    """The training and test sets as :func:`load_pixels` gives them."""
    return load_pixels(args.data_dir, True, args.device), load_pixels(args.data_dir, False, args.device)


def pretrain(sizes, X, args, rng):
    dbn = tc.DBN(sizes, rng=rng, k=args.k, persistent=args.persistent, learning_rate=args.rbm_lr,
                 n_iter=args.pretrain_epochs, batch_size=args.rbm_batch_size, verbose=True)
    start = time.perf_counter()
    dbn.fit(X)
    seconds = time.perf_counter() - start
    for rbm in dbn.rbms:
        last = rbm.history_[-1]
        print(f"  RBM {rbm.n_features_in_}-{rbm.n_components}: reconstruction error {last['reconstruction_error']:.3f}, "
              f"pseudo-log-likelihood {last.get('pseudo_log_likelihood', float('nan')):.2f}")
    print(f"  pre-training {dbn!r}: {seconds:.0f} s")
    return dbn


def finetune(model, loader, loss_fn, optimizer, epochs, decay, evaluate, desc):
    """Backpropagation epochs; ``evaluate()`` after each returns a dict of test figures."""
    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train_loss = train_or_exit(model, optimizer, loader, epoch, epochs,
                                   loss_fn=lambda m, x, y: loss_fn(m(x), y), label=desc)
        optimizer.lr *= decay
        model.eval()
        with tc.no_grad():
            record = dict(epoch=epoch, train_loss=train_loss, seconds=time.perf_counter() - start, **evaluate())
        model.train()
        history.append(record)
        print("  " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items()))
    return history


def classify(args, data, rng):
    (X, y), (X_test, y_test) = data
    print(f"(a) classification: DBN 784-{'-'.join(map(str, args.layers))} + softmax")
    dbn = pretrain([784, *args.layers], X, args, rng)
    model = with_dropout(dbn.to_classifier(10, rng=rng), args.input_dropout, args.dropout, rng).to(args.device)
    loader = DataLoader(TensorDataset(X, y), batch_size=args.batch_size, shuffle=True, rng=rng)

    def evaluate():
        predictions = model(tc.Tensor(X_test)).data.argmax(axis=1)
        return dict(test_error=float((predictions != y_test).mean()))
    history = []
    for layers, epochs, desc in ((model[-1], args.top_epochs, "fine-tune the output layer"),
                                 (model, args.finetune_epochs, "fine-tune")):
        if epochs:
            optimizer = tc.optim.SGD(layers.parameters(), lr=args.finetune_lr, momentum=0.9,
                                     weight_decay=args.finetune_weight_decay)
            history += finetune(model, loader, F.softmax_cross_entropy, optimizer, epochs, args.lr_decay, evaluate,
                                desc)
    top = f"{args.top_epochs} epochs of the output layer alone and " if args.top_epochs else ""
    print(f"(a) test error {100 * history[-1]['test_error']:.2f}% after pre-training and {top}"
          f"{args.finetune_epochs} epochs of fine-tuning the whole network")
    return history


def with_dropout(classifier, p_input, p_hidden, rng):
    """``classifier`` (Linear, Sigmoid, ..., Linear) with Dropout(p_input) before the first Linear
    and Dropout(p_hidden) before every other: dropout fine-tuning of a pre-trained DBN as in
    Srivastava et al. 2014 (JMLR 15, table 2: 0.92% test error for 784-500-500-2000). The
    dropout is inverted (kept units scaled by 1 / (1 - p) in training), so the pre-trained
    weights need no rescaling. A probability of 0 adds no layer; ``classifier`` itself where
    both are 0."""
    if not (p_input or p_hidden):
        return classifier
    layers = []
    for module in classifier:
        p = p_hidden if layers else p_input
        if isinstance(module, tc.nn.Linear) and p:
            layers.append(tc.nn.Dropout(p, rng=rng))
        layers.append(module)
    return tc.nn.Sequential(*layers)


def reconstruct(args, data, rng):
    (X, _), (X_test, _) = data
    print(f"(b) reconstruction: deep autoencoder 784-{'-'.join(map(str, args.ae_layers))} and back")
    dbn = pretrain([784, *args.ae_layers], X, args, rng)
    autoencoder = dbn.to_autoencoder().to(args.device)

    def per_image_error():
        out = autoencoder(tc.Tensor(X_test)).data
        return dict(test_squared_error_per_image=float(((out - X_test) ** 2).sum(axis=1).mean()))
    before = per_image_error()["test_squared_error_per_image"]
    print(f"  unrolled, before fine-tuning: squared error per test image {before:.2f}")
    loader = DataLoader(TensorDataset(X, X), batch_size=args.batch_size, shuffle=True, rng=rng)
    optimizer = tc.optim.Adam(autoencoder.parameters(), lr=args.ae_lr)
    history = finetune(autoencoder, loader, F.mse_loss, optimizer, args.ae_epochs, args.lr_decay,
                       per_image_error, "fine-tune autoencoder")
    error = history[-1]["test_squared_error_per_image"]
    print(f"(b) squared reconstruction error per test image {error:.2f} (mean squared error per pixel "
          f"{error / 784:.5f}) with {args.ae_layers[-1]}-dimensional codes")
    with tc.no_grad():
        shown = autoencoder(tc.Tensor(X_test[:10])).data
    pairs = backend.to_numpy(backend.get_array_module(shown).concatenate([X_test[:10], shown]))
    save_grid(pairs, os.path.join(args.out_dir, "reconstructions.png"),
              "test digits (top) and their reconstructions (bottom)", columns=10)
    save_grid(backend.to_numpy(dbn.rbms[0].components_[:100]), os.path.join(args.out_dir, "filters.png"),
              "first RBM's filters (at most 100)")
    return dict(before_finetuning=before, history=history)


def save_grid(images, path, title, columns=None):
    """Save (M, 784) images as a grid of 28x28 tiles, each scaled to its own range, ``columns``
    per row (default: a square-ish grid); every image is shown."""
    low, high = images.min(axis=1, keepdims=True), images.max(axis=1, keepdims=True)
    save_tiles(((images - low) / np.maximum(high - low, 1e-12)).reshape(-1, 28, 28), path, title, columns)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--part", choices=["classify", "reconstruct", "both"], default="both")
    p.add_argument("--layers", type=positive_int, nargs="+", default=[500, 500, 2000], help="hidden sizes for (a)")
    p.add_argument("--ae-layers", type=positive_int, nargs="+", default=[1000, 500, 300], help="encoder sizes for (b)")
    p.add_argument("--pretrain-epochs", type=positive_int, default=10, help="epochs per RBM")
    p.add_argument("--rbm-lr", type=positive_float, default=0.05)
    p.add_argument("--rbm-batch-size", type=positive_int, default=100)
    p.add_argument("--k", type=positive_int, default=1, help="Gibbs steps of CD-k")
    p.add_argument("--persistent", action="store_true", help="persistent CD instead of CD")
    p.add_argument("--top-epochs", type=non_negative_int, default=0,
                   help="fine-tuning epochs of the output layer alone before the whole network's (for (a); "
                        "Hinton & Salakhutdinov's code trains the output layer alone for 6)")
    p.add_argument("--finetune-epochs", type=positive_int, default=15)
    p.add_argument("--finetune-lr", type=positive_float, default=0.1, help="SGD (momentum 0.9) for (a)")
    p.add_argument("--finetune-weight-decay", type=non_negative_float, default=0.0, help="SGD's L2 penalty for (a)")
    p.add_argument("--input-dropout", type=probability, default=0.0,
                   help="dropout probability of the pixels in the fine-tuning of (a)")
    p.add_argument("--dropout", type=probability, default=0.0,
                   help="dropout probability of the hidden units in the fine-tuning of (a)")
    p.add_argument("--ae-epochs", type=positive_int, default=10)
    p.add_argument("--ae-lr", type=positive_float, default=1e-3, help="Adam for (b)")
    p.add_argument("--lr-decay", type=positive_float, default=0.9, help="learning-rate factor per fine-tuning epoch")
    p.add_argument("--batch-size", type=positive_int, default=100, help="fine-tuning batch size")
    p.add_argument("--blas-threads", type=positive_int, default=None,
                   help="BLAS threads of the matrix products (default: $TINYCONV_BLAS_THREADS where set, else every "
                        "core: no convolution kernels run here to compete with them; 1 where other jobs hold cores)")
    add_common_arguments(p, "runs/mnist_dbn")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    threads = args.blas_threads or (backend.blas_threads() if "TINYCONV_BLAS_THREADS" in os.environ else os.cpu_count())
    with backend.use_blas_threads(threads):
        return run(args)


def run(args):
    rng = start_run(args)
    os.makedirs(args.out_dir, exist_ok=True)
    data = load_datasets(load_data, args, MNIST)
    results = {}
    if args.part in ("classify", "both"):
        results["classification"] = classify(args, data, rng)
    if args.part in ("reconstruct", "both"):
        results["reconstruction"] = reconstruct(args, data, rng)
    with open(os.path.join(args.out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    run_script(main)
