"""examples/mnist_gan.py for a few batches on a small synthetic stand-in for MNIST (no
download): shapes, finite losses, and the sample grids, losses and weights it writes."""
import csv
import importlib.util

import numpy as np
import pytest

import tinyconv as tc

import example_driver


@pytest.fixture
def example():
    module = example_driver.load_example("mnist_gan")
    module.load_data = lambda args: example_driver.synthetic_data(args)[0]
    return module


def test_networks_shapes(example):
    generator, disc = example.Generator(8), example.discriminator(8)
    images = generator(tc.Tensor(np.random.default_rng(0).standard_normal((5, 100), dtype=np.float32)))
    assert images.shape == (5, 1, 28, 28) and np.all(np.abs(images.data) < 1)
    assert disc(images).shape == (5, 1)


def test_runs_a_few_batches_and_writes_its_results(example, tmp_path):
    result = example.main(["--epochs", "2", "--batch-size", "32", "--width", "4", "--out-dir", str(tmp_path)])
    losses = np.array(result["losses"])
    assert losses.shape == (12, 2) and np.all(np.isfinite(losses)) and np.all(losses > 0)  # 192 images, 6 batches
    assert result["samples"].shape == (64, 1, 28, 28)
    assert np.all((result["samples"] >= 0) & (result["samples"] <= 1))
    with open(tmp_path / "losses.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [1] * 6 + [2] * 6
    np.testing.assert_allclose([[float(r["d_loss"]), float(r["g_loss"])] for r in rows], losses, atol=1e-6)
    with np.load(tmp_path / "generator.npz") as weights:
        assert weights["project.weight"].shape == (4 * 2 * 49, 100) and "net.0.running_mean" in weights.files
    if importlib.util.find_spec("matplotlib"):
        for name in ("samples_epoch1.png", "samples_epoch2.png", "losses.png"):
            assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
