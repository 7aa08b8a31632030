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


def weights(folder):
    return tc.load(os.path.join(folder, "vgg.npz"))


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


def test_one_channel_data_and_limit(example, tmp_path, monkeypatch, capsys):
    """MNIST-shaped data: one input channel and a 128 x 3 x 3 flattened size; --limit trains on
    the first N images; the same seed gives the same weights."""
    rng = np.random.default_rng(0)
    files = {}
    for split, n in (("train", 40), ("t10k", 10)):
        files[f"{split}-images-idx3-ubyte"] = idx_bytes(rng.integers(0, 256, (n, 28, 28), np.uint8))
        files[f"{split}-labels-idx1-ubyte"] = idx_bytes(rng.integers(0, 10, n, np.uint8))
    monkeypatch.setitem(datasets.SHA256, "mnist", {n: hashlib.sha256(b).hexdigest() for n, b in files.items()})
    monkeypatch.setitem(datasets.SOURCES, "mnist", [])
    (tmp_path / "mnist").mkdir()
    for name, data in files.items():
        (tmp_path / "mnist" / name).write_bytes(data)
    runs = []
    for run in ("a", "b"):
        example.main(["--dataset", "mnist", "--data-dir", str(tmp_path), "--limit", "24", "--epochs", "1",
                      "--batch-size", "8", "--out-dir", str(tmp_path / run)])
        runs.append(weights(tmp_path / run))
    out = capsys.readouterr().out
    assert "(1x28x28)" in out and "24 training and 10 test images" in out
    assert shapes(tmp_path / "a") == ((32, 1, 3, 3), [(10, 1024), (1024, 128 * 3 * 3)])
    for name in runs[0]:
        np.testing.assert_array_equal(runs[0][name], runs[1][name], err_msg=name)


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
