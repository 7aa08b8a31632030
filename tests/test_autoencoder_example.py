"""examples/mnist_autoencoder.py for a few batches on a small synthetic stand-in for MNIST (no
download): shapes, the two kinds of noise, finite errors and the files it writes."""
import importlib.util
import json

import numpy as np
import pytest

import tinyconv as tc

import example_driver


@pytest.fixture
def example():
    module = example_driver.load_example("mnist_autoencoder")
    module.load_data = example_driver.synthetic_data
    return module


def test_autoencoder_maps_digits_to_digits(example):
    x = tc.Tensor(np.random.default_rng(0).random((3, 1, 28, 28), dtype=np.float32))
    y = example.autoencoder()(x)
    assert y.shape == (3, 1, 28, 28) and y.dtype == np.float32
    assert np.all((y.data > 0) & (y.data < 1))


def test_noise(example):
    images = tc.Tensor(np.full((50, 1, 28, 28), 0.5, np.float32))
    gaussian = example.corrupt(images, "gaussian", 0.3, np.random.default_rng(0)).data - 0.5
    assert abs(gaussian.mean()) < 0.01 and abs(gaussian.std() - 0.3) < 0.01
    masked = example.corrupt(images, "mask", 0.25, np.random.default_rng(0)).data
    assert set(np.unique(masked)) == {0.0, 0.5} and abs((masked == 0).mean() - 0.25) < 0.01


@pytest.mark.parametrize("noise", ["gaussian", "mask"])
def test_runs_a_few_batches_and_writes_its_results(example, noise, tmp_path):
    history = example.main(["--epochs", "1", "--batch-size", "32", "--noise", noise, "--out-dir", str(tmp_path)])
    assert len(history) == 1
    errors = [history[0][k] for k in ("train_loss", "test_mse_clean", "test_mse_noisy", "test_mse_noisy_input")]
    assert all(np.isfinite(errors)) and min(errors) > 0
    assert json.loads((tmp_path / "history.json").read_text()) == history
    with np.load(tmp_path / "autoencoder.npz") as weights:
        assert weights["6.weight"].shape == (32, 1, 3, 3)  # the last transposed convolution: 32 -> 1 channel
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "reconstructions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
