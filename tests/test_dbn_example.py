"""examples/mnist_dbn.py end to end on a small synthetic stand-in for MNIST (no download)."""
import importlib.util
import json

import numpy as np

from example_driver import load_example


def synthetic_pixels(data_dir, train, device):
    """(N, 784) pixels in [0, 1] whose class is the brightest of ten bands, and labels."""
    rng = np.random.default_rng(0 if train else 1)
    labels = rng.integers(0, 10, 300 if train else 100)
    images = rng.random((len(labels), 28, 28)).astype(np.float32) * 0.3
    for image, label in zip(images, labels):
        image[2 * label + 4:2 * label + 6] = 1.0
    return images.reshape(len(labels), -1), labels


def test_both_parts_run_and_write_their_results(tmp_path):
    example = load_example("mnist_dbn")
    example.load_pixels = synthetic_pixels
    results = example.main(["--layers", "32", "16", "--ae-layers", "32", "8", "--pretrain-epochs", "3",
                            "--finetune-epochs", "5", "--ae-epochs", "2", "--batch-size", "20", "--rbm-batch-size", "20",
                            "--finetune-lr", "0.5", "--out-dir", str(tmp_path)])
    classification = results["classification"]
    assert len(classification) == 5 and classification[-1]["test_error"] < 0.5  # chance is 0.9
    assert classification[-1]["train_loss"] < classification[0]["train_loss"]
    reconstruction = results["reconstruction"]["history"]
    assert reconstruction[-1]["test_squared_error_per_image"] < results["reconstruction"]["before_finetuning"]
    assert json.loads((tmp_path / "results.json").read_text())["classification"][-1]["epoch"] == 5


def test_a_first_layer_of_fewer_units_than_a_grid_row(tmp_path):
    """--ae-layers 8 4: the filter grid holds all 8 filters, and results.json is written."""
    example = load_example("mnist_dbn")
    example.load_pixels = synthetic_pixels
    example.main(["--part", "reconstruct", "--ae-layers", "8", "4", "--pretrain-epochs", "1", "--ae-epochs", "1",
                  "--batch-size", "50", "--rbm-batch-size", "50", "--out-dir", str(tmp_path)])
    assert json.loads((tmp_path / "results.json").read_text())["reconstruction"]["history"][0]["epoch"] == 1
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "filters.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_blas_threads_option_then_environment_then_every_core(monkeypatch, tmp_path):
    import os
    from tinyconv import backend
    example = load_example("mnist_dbn")
    seen = []
    monkeypatch.setattr(example, "run", lambda args: seen.append(backend.blas_threads()))
    before = backend.blas_threads()
    monkeypatch.setenv("TINYCONV_BLAS_THREADS", "3")
    example.main(["--out-dir", str(tmp_path)])
    example.main(["--blas-threads", "2", "--out-dir", str(tmp_path)])
    monkeypatch.delenv("TINYCONV_BLAS_THREADS")
    example.main(["--out-dir", str(tmp_path)])
    assert seen == [3, 2, os.cpu_count()]
    assert backend.blas_threads() == before


def test_top_epochs_train_the_output_layer_alone_first(tmp_path):
    example = load_example("mnist_dbn")
    example.load_pixels = synthetic_pixels
    phases, finetune = [], example.finetune

    def recorded(model, *args):
        before = [p.data.copy() for p in model.parameters()]
        history = finetune(model, *args)
        phases.append([not np.array_equal(b, p.data) for b, p in zip(before, model.parameters())])
        return history
    example.finetune = recorded
    results = example.main(["--part", "classify", "--layers", "32", "16", "--pretrain-epochs", "1", "--top-epochs", "2",
                            "--finetune-epochs", "1", "--batch-size", "20", "--rbm-batch-size", "20",
                            "--out-dir", str(tmp_path)])
    assert len(results["classification"]) == 3
    assert phases[0] == [False] * 4 + [True, True]  # two encoder layers (weight, bias) unchanged, the output layer trained
    assert all(phases[1])


def test_finetune_weight_decay_reaches_the_optimizer(tmp_path, monkeypatch):
    import tinyconv as tc
    example = load_example("mnist_dbn")
    example.load_pixels = synthetic_pixels
    seen, sgd = [], tc.optim.SGD

    def recorded(*args, **kwargs):
        seen.append(kwargs["weight_decay"])
        return sgd(*args, **kwargs)
    monkeypatch.setattr(tc.optim, "SGD", recorded)
    example.main(["--part", "classify", "--layers", "16", "--pretrain-epochs", "1", "--finetune-epochs", "1",
                  "--finetune-weight-decay", "0.01", "--batch-size", "20", "--rbm-batch-size", "20",
                  "--out-dir", str(tmp_path)])
    assert seen == [0.01]


def test_dropout_fine_tuning_drops_before_each_linear_layer_and_only_in_training():
    import tinyconv as tc
    example = load_example("mnist_dbn")
    dbn = tc.DBN([784, 32, 16], rng=np.random.default_rng(0), n_iter=1, batch_size=50)
    dbn.fit(synthetic_pixels(None, True, "cpu")[0])
    classifier = dbn.to_classifier(10, rng=np.random.default_rng(1))
    assert example.with_dropout(classifier, 0.0, 0.0, None) is classifier
    model = example.with_dropout(classifier, 0.2, 0.5, np.random.default_rng(2))
    kinds = [(type(m).__name__, getattr(m, "p", None)) for m in model]
    assert kinds == [("Dropout", 0.2), ("Linear", None), ("Sigmoid", None), ("Dropout", 0.5), ("Linear", None),
                     ("Sigmoid", None), ("Dropout", 0.5), ("Linear", None)]
    hidden_only = example.with_dropout(classifier, 0.0, 0.5, None)
    assert [type(m).__name__ for m in hidden_only][:2] == ["Linear", "Sigmoid"]
    x = tc.Tensor(np.ones((4, 784), dtype=np.float32))
    assert not np.allclose(model(x).data, classifier(x).data)  # training mode: units dropped
    model.eval()
    np.testing.assert_array_equal(model(x).data, classifier(x).data)
