"""Train a small DCGAN on the real MNIST and save a grid of generated digits after every epoch.

A generative adversarial network (Goodfellow et al. 2014) in the DCGAN style (Radford, Metz &
Chintala 2016, "Unsupervised representation learning with deep convolutional generative
adversarial networks"): strided transposed convolutions in the generator, strided convolutions
in the discriminator, batch normalisation, ReLU in the generator with a tanh output, leaky ReLU
(slope 0.2) in the discriminator, Adam with lr 2e-4 and beta1 = 0.5.

    generator:     z (100) -> linear -> (2W, 7, 7) -> BN, ReLU -> transposed conv 4x4 stride 2
                   -> (W, 14, 14) -> BN, ReLU -> transposed conv 4x4 stride 2 -> (1, 28, 28) -> tanh
    discriminator: (1, 28, 28) -> conv 4x4 stride 2 -> (W, 14, 14) -> leaky ReLU -> conv 4x4
                   stride 2 -> (2W, 7, 7) -> BN, leaky ReLU -> linear -> 1 logit

with W = ``--width`` (32). The discriminator minimises the binary cross-entropy of real images
(label 1) and generated ones (label 0); the generator maximises log D(G(z)) (the
"non-saturating" loss of Goodfellow et al. 2014, section 3). Images are scaled to [-1, 1].

    python examples/mnist_gan.py                     # 2 epochs, batch 64, W = 32
    python examples/mnist_gan.py --epochs 10 --width 64

Writes to ``--out-dir``: ``samples_epoch<k>.png`` (8 x 8 digits generated from one fixed noise
batch, so the epochs can be compared), ``losses.csv`` (both losses of every batch),
``losses.png``, and the weights of both networks.
"""
import argparse
import csv
import math
import os
import sys
import time

import numpy as np
from tqdm import tqdm

import tinyconv as tc
from tinyconv import functional as F, nn
from tinyconv.data import MNIST, DataLoader, Normalize
from common import (add_common_arguments, load_datasets, positive_float, positive_int, probability, pyplot, run_script,
                    start_run, tile)

LATENT = 100


class Generator(nn.Module):
    """z (N, 100) -> images (N, 1, 28, 28) in (-1, 1)."""

    def __init__(self, width=32):
        super().__init__()
        self.width = width
        self.project = nn.Linear(LATENT, 2 * width * 7 * 7)
        self.net = nn.Sequential(
            nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),  # 14 x 14
            nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Tanh(),                                # 28 x 28
        )

    def forward(self, z):
        return self.net(self.project(z).reshape(-1, 2 * self.width, 7, 7))


def discriminator(width=32):
    """images (N, 1, 28, 28) -> logits (N, 1) of "real"."""
    return nn.Sequential(
        nn.Conv2d(1, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),                                    # 14 x 14
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),  # 7 x 7
        nn.Flatten(), nn.Linear(2 * width * 7 * 7, 1),
    )


def dcgan_init(model, rng):
    """Radford et al. 2016, section 4: every weight ~ N(0, 0.02); batch-norm scales ~ N(1, 0.02),
    shifts 0."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02, rng)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02, rng)
            nn.init.zeros_(m.bias)


def noise(n, rng, device):
    return tc.Tensor(rng.standard_normal((n, LATENT), dtype=np.float32), device=device)


def labels(value, n, device):
    return tc.Tensor(np.full((n, 1), value, dtype=np.float32), device=device)


def train_step(generator, disc, opt_g, opt_d, real, rng):
    """One update of the discriminator, then one of the generator; returns both losses."""
    n, device = len(real), real.device
    fake = generator(noise(n, rng, device))
    d_loss = (F.binary_cross_entropy_with_logits(disc(real), labels(1.0, n, device))
              + F.binary_cross_entropy_with_logits(disc(fake.detach()), labels(0.0, n, device)))
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.binary_cross_entropy_with_logits(disc(fake), labels(1.0, n, device))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def train_epoch(generator, disc, opt_g, opt_d, loader, rng, epoch, epochs):
    """Train one epoch; return the (d_loss, g_loss) of every batch."""
    losses = []
    bar = tqdm(loader, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False)
    for batch, (images, _) in enumerate(bar, start=1):
        d_loss, g_loss = train_step(generator, disc, opt_g, opt_d, images, rng)
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            sys.exit(f"training diverged at epoch {epoch}, batch {batch}: losses {d_loss}, {g_loss}")
        losses.append((d_loss, g_loss))
        if batch % 20 == 0:
            bar.set_postfix(d_loss=f"{np.mean([d for d, _ in losses[-100:]]):.3f}",
                            g_loss=f"{np.mean([g for _, g in losses[-100:]]):.3f}")
    return losses


def samples(generator, z):
    """Generated images (N, 1, 28, 28) as a NumPy array in [0, 1], batch norm in eval mode."""
    generator.eval()
    with tc.no_grad():
        images = generator(z).numpy()
    generator.train()
    return (images + 1) / 2


def save_grid(images, path, plt):
    """Tile ``images`` (N, 1, 28, 28) in [0, 1] into a grid and save it as a PNG."""
    plt.imsave(path, tile(images[:, 0]), cmap="gray", vmin=0, vmax=1)


def save_losses(losses, batches_per_epoch, out_dir, plt):
    with open(os.path.join(out_dir, "losses.csv"), "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["batch", "epoch", "d_loss", "g_loss"])
        for i, (d, g) in enumerate(losses):
            writer.writerow([i + 1, i // batches_per_epoch + 1, f"{d:.6f}", f"{g:.6f}"])
    if plt is None:
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    steps = np.arange(1, len(losses) + 1) / batches_per_epoch
    for k, name in enumerate(["discriminator", "generator"]):
        values = np.array([loss[k] for loss in losses])
        window = min(50, len(values))
        ax.plot(steps[window - 1:], np.convolve(values, np.ones(window) / window, mode="valid"), label=name)
    ax.set(xlabel="epoch", ylabel="binary cross-entropy (moving average of 50 batches)", title="DCGAN on MNIST")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "losses.png"), dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=positive_int, default=2)
    p.add_argument("--batch-size", type=positive_int, default=64)
    p.add_argument("--lr", type=positive_float, default=2e-4, help="Adam's learning rate, for both networks")
    p.add_argument("--beta1", type=probability, default=0.5, help="Adam's beta1 (0.5, as Radford et al. 2016)")
    p.add_argument("--width", type=positive_int, default=32,
                   help="W: channels of the discriminator's first convolution and of the generator's last hidden layer")
    add_common_arguments(p, "runs/mnist_gan")
    return p.parse_args(argv)


def load_data(args):
    """The MNIST training set, pixels scaled to [-1, 1] (the range of the generator's tanh)."""
    return MNIST(args.data_dir, train=True, transform=Normalize(0.5, 0.5))


def main(argv=None):
    args = parse_args(argv)
    rng = start_run(args)
    train_set = load_datasets(load_data, args, MNIST)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True, device=args.device)
    generator, disc = Generator(args.width), discriminator(args.width)
    dcgan_init(generator, rng), dcgan_init(disc, rng)
    generator.to(args.device), disc.to(args.device)
    opt_g = tc.optim.Adam(generator.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    opt_d = tc.optim.Adam(disc.parameters(), lr=args.lr, betas=(args.beta1, 0.999))
    fixed_z = noise(64, np.random.default_rng(args.seed + 1), args.device)
    print(f"DCGAN: generator {sum(p.numel() for p in generator.parameters()):,} parameters, discriminator "
          f"{sum(p.numel() for p in disc.parameters()):,}; Adam lr {args.lr}, betas ({args.beta1}, 0.999), "
          f"batch {args.batch_size}, {len(train_set):,} training images, on {args.device}")
    os.makedirs(args.out_dir, exist_ok=True)
    plt = pyplot("sample grids or loss plot")
    losses = []
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        epoch_losses = train_epoch(generator, disc, opt_g, opt_d, loader, rng, epoch, args.epochs)
        seconds = time.perf_counter() - start
        losses += epoch_losses
        d_mean, g_mean = np.mean(epoch_losses, axis=0)
        print(f"epoch {epoch:2d}: discriminator loss {d_mean:.3f}, generator loss {g_mean:.3f}, {seconds:.1f} s")
        if plt is not None:
            path = os.path.join(args.out_dir, f"samples_epoch{epoch}.png")
            save_grid(samples(generator, fixed_z), path, plt)
            print(f"  samples saved to {path}")
    save_losses(losses, len(loader), args.out_dir, plt)
    generator.save(os.path.join(args.out_dir, "generator.npz"))
    disc.save(os.path.join(args.out_dir, "discriminator.npz"))
    print(f"losses of every batch in {os.path.join(args.out_dir, 'losses.csv')}; weights in {args.out_dir}")
    return {"losses": losses, "samples": samples(generator, fixed_z)}


if __name__ == "__main__":
    run_script(main)
