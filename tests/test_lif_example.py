"""examples/mnist_lif.py on the small synthetic stand-in for MNIST of example_driver.py: both
models run end to end, learn above chance, and write their figures."""
import json
import os

import pytest

from example_driver import load_example, synthetic_data


def example():
    module = load_example("mnist_lif")
    module.load_data = synthetic_data
    return module


def test_tempotron_model_learns_the_synthetic_digits(tmp_path):
    history, results = example().main(["--epochs", "2", "--steps", "8", "--batch-size", "32", "--lr", "3e-3",
                                       "--out-dir", str(tmp_path)])
    assert [h["model"] for h in history] == ["softmax CNN"] * 2 + ["tempotron rule"] * 3 + ["end to end"] * 2
    assert set(results) == {"softmax CNN", "tempotron rule", "end to end"}
    assert results["softmax CNN"] > 0.5 and results["end to end"] > 0.5  # chance: 0.1
    with open(os.path.join(tmp_path, "history.json")) as f:
        assert json.load(f) == {"history": history, "results": results}
    for name in ("raster.png", "potentials.png", "confusion.png"):
        assert os.path.getsize(os.path.join(tmp_path, name)) > 1000


def test_conv_snn_learns_the_synthetic_digits(tmp_path):
    history, results = example().main(["--model", "csnn", "--epochs", "3", "--steps", "4", "--batch-size", "32",
                                       "--lr", "5e-3", "--out-dir", str(tmp_path)])
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert [h["lr"] for h in history] == pytest.approx([5e-3, 2.5e-3, 1.25e-3])  # --lr-decay 0.5 by default
    assert results["conv SNN"] > 0.3  # chance: 0.1
    assert results["spikes per image"] > 0
    for name in ("raster.png", "confusion.png"):
        assert os.path.getsize(os.path.join(tmp_path, name)) > 1000


def test_example_refuses_bad_options(capsys):
    with pytest.raises(SystemExit):
        example().parse_args(["--steps", "0"])
    assert "argument --steps: expected a positive integer, got '0'" in capsys.readouterr().err


def test_time_steps_default_by_model():
    assert example().parse_args([]).steps == 16
    assert example().parse_args(["--model", "csnn"]).steps == 25  # snnTorch's tutorial
    assert example().parse_args(["--model", "csnn", "--steps", "8"]).steps == 8
