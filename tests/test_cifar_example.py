"""examples/cifar10_vgg.py end to end on small synthetic stand-ins for CIFAR-10 and MNIST, read
through the real dataset classes from a cache folder (no download)."""
import hashlib
import json
import os

import numpy as np
import pytest

import tinyconv as tc
from tinyconv.data import cifar, datasets
from tinyconv.data.idx import idx_bytes

from cifar_files import archive, batches
from example_driver import load_example


@pytest.fixture
def example():
    return load_example("cifar10_vgg")


def weights(folder, model="vgg"):
    return tc.load(os.path.join(folder, f"{model}.npz"))


def shapes(folder):
    """The shapes of the first convolution's filters and of the fully connected weights."""
    w = weights(folder)
    return w["0.weight"].shape, sorted(v.shape for v in w.values() if v.ndim == 2)


def test_cifar10(example, tmp_path, monkeypatch, capsys):
    data = archive(batches(n=8))
    monkeypatch.setattr(cifar, "SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(cifar, "SOURCES", [])
    (tmp_path / "cifar-10").mkdir()
    (tmp_path / "cifar-10" / cifar.ARCHIVE).write_bytes(data)
    out = tmp_path / "out"
    history = example.main(["--data-dir", str(tmp_path), "--epochs", "2", "--batch-size", "16", "--out-dir", str(out)])
    assert "(3x32x32)" in capsys.readouterr().out
    assert [h["epoch"] for h in history] == [1, 2]
    assert all(np.isfinite(h["train_loss"]) and 0 <= h["test_macro_f1"] <= 1 for h in history)
    assert shapes(out) == ((32, 3, 3, 3), [(10, 1024), (1024, 128 * 4 * 4)])
    saved = json.loads((out / "history.json").read_text())
    assert [h["test_accuracy"] for h in saved] == [h["test_accuracy"] for h in history]


def idx_files(folder, monkeypatch, train=40, test=10):
    """Random 28x28 IDX files (``train`` and ``test`` images) in ``folder`` (a Path named after
    the dataset's folder), their checksums in place of the real ones; no download."""
    rng = np.random.default_rng(0)
    files = {}
    for split, n in (("train", train), ("t10k", test)):
        files[f"{split}-images-idx3-ubyte"] = idx_bytes(rng.integers(0, 256, (n, 28, 28), np.uint8))
        files[f"{split}-labels-idx1-ubyte"] = idx_bytes(rng.integers(0, 10, n, np.uint8))
    monkeypatch.setitem(datasets.SHA256, folder.name, {n: hashlib.sha256(b).hexdigest() for n, b in files.items()})
    monkeypatch.setitem(datasets.SOURCES, folder.name, [])
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)


def train_twice(example, tmp_path, options, model="vgg"):
    """Run the example with ``options`` into out-dirs a and b; return both runs' weights."""
    runs = []
    for run in ("a", "b"):
        example.main([*options, "--data-dir", str(tmp_path), "--limit", "24", "--batch-size", "8",
                      "--out-dir", str(tmp_path / run)])
        runs.append(weights(tmp_path / run, model))
    return runs


def assert_same_weights(runs):
    assert runs[0].keys() == runs[1].keys()
    for name in runs[0]:
        np.testing.assert_array_equal(runs[0][name], runs[1][name], err_msg=name)


def test_one_channel_data_and_limit(example, tmp_path, monkeypatch, capsys):
    """MNIST-shaped data: one input channel and a 128 x 3 x 3 flattened size; --limit trains on
    the first N images; the same seed gives the same weights."""
    idx_files(tmp_path / "mnist", monkeypatch)
    runs = train_twice(example, tmp_path, ["--dataset", "mnist", "--epochs", "1"])
    out = capsys.readouterr().out
    assert "(1x28x28)" in out and "24 training and 10 test images" in out
    assert shapes(tmp_path / "a") == ((32, 1, 3, 3), [(10, 1024), (1024, 128 * 3 * 3)])
    assert_same_weights(runs)


def test_small_model_with_augmentation_on_fashion(example, tmp_path, monkeypatch, capsys):
    """--model small: two convolutions with batch norm and 256 hidden units, saved as small.npz;
    --lr-decay multiplies the learning rate after each epoch; with --augment the same seed
    still gives the same weights."""
    idx_files(tmp_path / "fashion-mnist", monkeypatch)
    runs = train_twice(example, tmp_path, ["--dataset", "fashion", "--model", "small", "--augment", "2", "--epochs",
                                           "2", "--lr", "0.01", "--lr-decay", "0.5"], model="small")
    assert "small network" in capsys.readouterr().out
    w = runs[0]
    assert w["0.weight"].shape == (32, 1, 3, 3)
    assert sorted(v.shape for v in w.values() if v.ndim == 2) == [(10, 256), (256, 64 * 7 * 7)]
    assert sorted(v.shape for k, v in w.items() if k.endswith("running_mean")) == [(32,), (64,), (256,)]
    history = json.loads((tmp_path / "a" / "history.json").read_text())
    assert [h["lr"] for h in history] == pytest.approx([0.01, 0.005])
    assert_same_weights(runs)


def test_augment_flips_and_crops_the_training_images_only(example, tmp_path, monkeypatch):
    """Each augmented training image is the normalised image, flipped or not, shifted by up to
    --augment pixels with black coming in; both flips occur; the test images are left alone."""
    idx_files(tmp_path / "fashion-mnist", monkeypatch, train=8, test=2)
    args = example.parse_args(["--dataset", "fashion", "--augment", "2", "--data-dir", str(tmp_path)])
    tc.manual_seed(3)
    train_set, test_set = example.load_data(args)
    mean, std = example.channel_stats(train_set.data)
    padded = np.pad(train_set.data / np.float32(255), ((0, 0), (2, 2), (2, 2)))
    flips = set()
    for i in range(len(train_set)):
        x = train_set[i][0][0] * std[0] + mean[0]
        matches = [(flip, dy, dx) for flip in (False, True) for dy in range(5) for dx in range(5)
                   if np.allclose(x, (padded[i, :, ::-1] if flip else padded[i])[dy:dy + 28, dx:dx + 28], atol=1e-5)]
        assert matches, f"image {i} is no flip and crop of the original"
        flips.add(matches[0][0])
    assert flips == {False, True}
    np.testing.assert_allclose(test_set[0][0][0] * std[0] + mean[0], test_set.data[0] / 255, atol=1e-5)


def test_channel_stats(example):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (7, 3, 5, 4), np.uint8)
    means, stds = example.channel_stats(images)
    x = images / 255
    np.testing.assert_allclose(means, x.mean(axis=(0, 2, 3)), rtol=1e-12)
    np.testing.assert_allclose(stds, x.std(axis=(0, 2, 3)), rtol=1e-12)
    grey_means, grey_stds = example.channel_stats(images[:, 1])
    np.testing.assert_allclose([grey_means[0], grey_stds[0]], [means[1], stds[1]], rtol=1e-12)


def test_bad_arguments(example, capsys):
    with pytest.raises(SystemExit):
        example.parse_args(["--limit", "-1"])
    assert "--limit" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        example.parse_args(["--dataset", "imagenet"])


def test_without_the_archive_it_says_where_to_put_it_and_leaves_no_folder(example, tmp_path, monkeypatch):
    monkeypatch.setattr(cifar, "SOURCES", [])  # as without network
    with pytest.raises(SystemExit) as info:
        example.main(["--data-dir", str(tmp_path), "--out-dir", str(tmp_path / "out")])
    message = str(info.value)
    assert f"put {cifar.ARCHIVE} into {tmp_path / 'cifar-10'}" in message
    assert message.rstrip().endswith("train on Fashion-MNIST: --dataset fashion.")
    assert os.listdir(tmp_path) == []
