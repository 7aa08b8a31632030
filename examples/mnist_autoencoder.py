"""Train a convolutional denoising autoencoder on the real MNIST and report the test
reconstruction error.

A denoising autoencoder (Vincent et al. 2008, "Extracting and composing robust features with
denoising autoencoders"; Vincent et al. 2010, JMLR 11) learns to reconstruct the clean image
from a corrupted one: Gaussian noise (x + std * N(0, 1)) or masking noise (each pixel set to 0
with probability p). Encoder: conv 32@3x3 stride 2 -> ReLU -> conv 64@3x3 stride 2 -> ReLU
(64 x 7 x 7); decoder: transposed conv 32@3x3 stride 2 -> ReLU -> transposed conv 1@3x3
stride 2 -> sigmoid (1 x 28 x 28); mean squared error against the clean pixels (in [0, 1]), Adam.

    python examples/mnist_autoencoder.py                      # Gaussian noise, std 0.5, 3 epochs
    python examples/mnist_autoencoder.py --noise mask         # masking noise, 25% of the pixels
    python examples/mnist_autoencoder.py --noise gaussian --noise-level 0.8 --epochs 5

It reports the test mean squared error per pixel of the reconstructions of clean and of noisy
test images (both against the clean images, the noise drawn once from ``--seed``), beside the
error of the noisy images themselves, and saves ``reconstructions.png`` (rows: noisy,
reconstructed, original), the weights and the history to ``--out-dir``.
"""
import argparse
import json
import os
import time

import numpy as np

import tinyconv as tc
from tinyconv import functional as F, nn
from tinyconv.data import MNIST, DataLoader
from common import (add_common_arguments, load_datasets, non_negative_float, positive_float, positive_int, pyplot,
                    run_script, start_run, train_or_exit)

NOISE_LEVELS = {"gaussian": 0.5, "mask": 0.25}  # default std, default fraction of pixels masked


def autoencoder():
    """(N, 1, 28, 28) in [0, 1] -> (N, 1, 28, 28) in (0, 1), through a (N, 64, 7, 7) code."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),                            # 32 x 14 x 14
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),                           # 64 x 7 x 7
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # 32 x 14 x 14
        nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),  # 1 x 28 x 28
    )


def corrupt(images, noise, level, rng):
    """``images`` (N, 1, 28, 28) with Gaussian noise of std ``level`` added, or with each pixel
    set to 0 with probability ``level`` ("mask"); the noise is drawn from ``rng`` on the host."""
    if noise == "gaussian":
        return images + tc.Tensor(rng.standard_normal(images.shape, dtype=np.float32) * np.float32(level),
                                  device=images.device)
    return images * tc.Tensor((rng.random(images.shape) >= level).astype(np.float32), device=images.device)


def evaluate(model, loader, noise, level, seed):
    """Mean squared error per pixel, against the clean images, of the reconstructions of the
    clean and of the noisy images, and of the noisy images themselves (the same noise on every
    call: drawn from a generator seeded with ``seed``)."""
    model.eval()
    rng = np.random.default_rng(seed)
    totals = {"clean": 0.0, "noisy": 0.0, "noisy_input": 0.0}
    with tc.no_grad():
        for images, _ in loader:
            noisy = corrupt(images, noise, level, rng)
            n = len(images)
            totals["clean"] += F.mse_loss(model(images), images).item() * n
            totals["noisy"] += F.mse_loss(model(noisy), images).item() * n
            totals["noisy_input"] += F.mse_loss(noisy, images).item() * n
    model.train()
    return {k: v / len(loader.dataset) for k, v in totals.items()}


def denoising_loss(noise, level, rng):
    """The loss of a batch: mean squared error of the reconstruction of a corrupted copy
    against the clean images (the labels are not used)."""
    return lambda model, images, _: F.mse_loss(model(corrupt(images, noise, level, rng)), images)


def save_grid(model, dataset, noise, level, seed, path, count=10):
    """Save a PNG of ``count`` test digits: noisy (top row), reconstructed, original (bottom)."""
    plt = pyplot("image grid")
    if plt is None:
        return
    device = next(iter(model.parameters())).device
    images = tc.Tensor(dataset[:count][0], device=device)
    noisy = corrupt(images, noise, level, np.random.default_rng(seed))
    model.eval()
    with tc.no_grad():
        rows = [noisy.numpy(), model(noisy).numpy(), images.numpy()]
    model.train()
    fig, axes = plt.subplots(3, count, figsize=(count, 3.3))
    for r, (row, title) in enumerate(zip(rows, ["noisy", "reconstructed", "original"])):
        for c in range(count):
            axes[r, c].imshow(np.clip(row[c, 0], 0, 1), cmap="gray", vmin=0, vmax=1)
            axes[r, c].set_xticks([]), axes[r, c].set_yticks([])
        axes[r, 0].set_ylabel(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"noisy / reconstructed / original digits saved to {path}")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=positive_int, default=3)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=1e-3, help="Adam's learning rate")
    p.add_argument("--noise", choices=sorted(NOISE_LEVELS), default="gaussian")
    p.add_argument("--noise-level", type=non_negative_float, default=None,
                   help="std of the Gaussian noise (default 0.5), or the fraction of pixels masked (default 0.25)")
    add_common_arguments(p, "runs/mnist_autoencoder")
    args = p.parse_args(argv)
    if args.noise_level is None:
        args.noise_level = NOISE_LEVELS[args.noise]
    if args.noise == "mask" and args.noise_level >= 1:
        p.error(f"argument --noise-level: expected a fraction of the pixels in [0, 1) with --noise mask, "
                f"got {args.noise_level}")
    return args


def load_data(args):
    """The MNIST training and test sets, pixels in [0, 1]."""
    return MNIST(args.data_dir, train=True), MNIST(args.data_dir, train=False)


def main(argv=None):
    args = parse_args(argv)
    rng = start_run(args)
    train_set, test_set = load_datasets(load_data, args, MNIST)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, device=args.device)
    test_loader = DataLoader(test_set, batch_size=500, device=args.device)
    model = autoencoder().to(args.device)
    optimizer = tc.optim.Adam(model.parameters(), lr=args.lr)
    print(f"denoising autoencoder ({sum(p.numel() for p in model.parameters()):,} parameters), {args.noise} noise "
          f"{args.noise_level}, Adam lr {args.lr}, batch {args.batch_size}, {len(train_set):,} training images, "
          f"on {args.device}")
    os.makedirs(args.out_dir, exist_ok=True)
    history = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train_loss = train_or_exit(model, optimizer, train_loader, epoch, args.epochs,
                                   loss_fn=denoising_loss(args.noise, args.noise_level, rng))
        seconds = time.perf_counter() - start
        test = evaluate(model, test_loader, args.noise, args.noise_level, args.seed + 1)
        history.append(dict(epoch=epoch, train_loss=train_loss, seconds=seconds,
                            **{f"test_mse_{k}": v for k, v in test.items()}))
        print(f"epoch {epoch:2d}: train loss {train_loss:.5f}, test MSE per pixel: clean input {test['clean']:.5f}, "
              f"noisy input {test['noisy']:.5f} (the noisy images themselves {test['noisy_input']:.5f}), "
              f"{seconds:.1f} s")
    model.save(os.path.join(args.out_dir, "autoencoder.npz"))
    with open(os.path.join(args.out_dir, "history.json"), "w") as f:
        json.dump(history, f, indent=1)
    save_grid(model, test_set, args.noise, args.noise_level, args.seed + 1,
              os.path.join(args.out_dir, "reconstructions.png"))
    return history


if __name__ == "__main__":
    run_script(main)
