"""examples/compare_models.py --quick end to end on a small synthetic stand-in for MNIST (no
download): every model gets a row of finite metrics in range, and the table and plot are written."""
import json
import math

import numpy as np
import pytest

from example_driver import load_example


def synthetic_data(args):
    """Images (N, 1, 28, 28) in [0, 1] whose class is the brightest of ten bands, labels, names."""
    rng = np.random.default_rng(3)

    def make(n):
        labels = rng.integers(0, 10, n)
        images = rng.random((n, 1, 28, 28)).astype(np.float32) * 0.3
        for image, label in zip(images, labels):
            image[0, 2 * label + 4:2 * label + 6] = 1.0
        return images, labels.astype(np.int64)
    return make(256), make(100), [str(d) for d in range(10)]


@pytest.fixture
def example(monkeypatch):
    module = load_example("compare_models")
    monkeypatch.setattr(module, "load_data", synthetic_data)
    return module


def test_quick_run_writes_a_row_per_model(example, tmp_path):
    rows = example.main(["--quick", "--out-dir", str(tmp_path)])
    assert [r["model"] for r in rows] == [c.title for c in example.CANDIDATES.values()]
    for r in rows:
        for key in ("accuracy", "precision", "recall", "f1", "auc"):
            assert math.isfinite(r[key]) and 0 <= r[key] <= 1, (r["model"], key, r[key])
        assert r["seconds"] > 0
    parameters = {r["model"]: r["parameters"] for r in rows}
    assert parameters["linear SVM (hinge)"] == 784 * 10 + 10
    assert parameters["MLP 784-500-500-10"] == parameters["DBN-initialised MLP"]
    assert parameters["LeNet-5"] == parameters["LeNet-5 + augmentation"]
    assert max(r["accuracy"] for r in rows) > 0.3  # chance is 0.1: something was learnt
    table = (tmp_path / "results.md").read_text()
    assert all(f"| {r['model']} | {100 * r['accuracy']:.2f}% |" in table for r in rows)
    assert json.loads((tmp_path / "results.json").read_text())["rows"] == rows
    pytest.importorskip("matplotlib")
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_row_does_not_depend_on_the_other_rows(example, tmp_path):
    """Each row starts from the seed: --models picks rows without changing their figures."""
    def figures(rows):
        return {r["model"]: {k: v for k, v in r.items() if k != "seconds"} for r in rows}
    alone = figures(example.main(["--quick", "--models", "lenet", "svm", "--out-dir", str(tmp_path / "a")]))
    together = figures(example.main(["--quick", "--models", "svm", "mlp", "lenet", "--out-dir", str(tmp_path / "b")]))
    assert list(alone) == ["LeNet-5", "linear SVM (hinge)"]
    assert all(alone[name] == together[name] for name in alone)
