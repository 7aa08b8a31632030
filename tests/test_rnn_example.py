"""examples/mnist_rnn.py on the small synthetic stand-in for MNIST of example_driver.py
(the class is the brightest band of rows, so a network reading row by row can learn it)."""
import json
import os

import numpy as np
import pytest

from example_driver import load_example, synthetic_data


def example():
    module = load_example("mnist_rnn")
    module.load_data = synthetic_data
    return module


@pytest.mark.parametrize("cell, layers", [("lstm", 1), ("gru", 2), ("rnn", 1)])
def test_example_learns_the_synthetic_digits(tmp_path, cell, layers):
    history = example().main(["--cell", cell, "--num-layers", str(layers), "--hidden-size", "16", "--epochs", "12",
                                   "--batch-size", "32", "--lr", "0.01", "--lr-decay", "1", "--out-dir", str(tmp_path)])
    assert [h["epoch"] for h in history] == list(range(1, 13))
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["test_accuracy"] > 0.2  # chance: 0.1 (the LSTM and GRU reach about 0.7, the Elman RNN 0.27)
    with open(os.path.join(tmp_path, "history.json")) as f:
        assert json.load(f) == history
    with np.load(os.path.join(tmp_path, f"{cell}.npz")) as saved:
        assert saved[f"rnn.weight_hh_l{layers - 1}"].shape == ({"lstm": 4, "gru": 3, "rnn": 1}[cell] * 16, 16)
        assert saved["head.weight"].shape == (10, 16)


def test_example_refuses_bad_options(capsys):
    with pytest.raises(SystemExit):
        example().parse_args(["--num-layers", "0"])
    assert "argument --num-layers: expected a positive integer, got '0'" in capsys.readouterr().err
