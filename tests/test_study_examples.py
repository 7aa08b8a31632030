"""examples/pooling_study.py and examples/optimizer_study.py end to end on a small synthetic
stand-in for MNIST (no download): every configuration gets a row of finite figures, an
interrupted or extended study reruns only the missing runs, and runs made with other options
are not reused."""
import json
import math

import pytest

from example_driver import load_example, synthetic_data

POOLS = ("max", "avg", "stochastic")
SMALL_POOLING = ["--datasets", "mnist", "--train-sizes", "50", "--steps", "2"]


@pytest.fixture
def pooling(monkeypatch):
    module = load_example("pooling_study")
    monkeypatch.setattr(module, "load_data", synthetic_data)
    return module


@pytest.fixture
def optimizers(monkeypatch):
    module = load_example("optimizer_study")
    monkeypatch.setattr(module, "load_data", synthetic_data)
    return module


def read(path):
    return json.loads(path.read_text())


def without_seconds(record):
    return {k: v for k, v in record.items() if k != "seconds"}


def record_batches(module, monkeypatch):
    """Make ``module``'s train_epoch note the labels of every training batch, in order; return
    the list of notes, one per call."""
    seen, train_epoch = [], module.train_epoch

    def noting(model, optimizer, loader, *args, **kwargs):
        batches = list(loader)
        seen.append([int(y) for _, labels in batches for y in labels.numpy()])
        return train_epoch(model, optimizer, batches, *args, **kwargs)
    monkeypatch.setattr(module, "train_epoch", noting)
    return seen


def check_rows(rows, names, seeds):
    assert [r["name"] for r in rows] == names
    for r in rows:
        assert r["seeds"] == seeds
        for figure in ("test_error", "gap", "seconds"):
            assert math.isfinite(r[figure]) and math.isfinite(r[f"{figure}_std"]) and r[f"{figure}_std"] >= 0
        assert 0 <= r["test_error"] <= 100 and -100 <= r["gap"] <= 100 and r["seconds"] > 0


def test_pooling_study_writes_every_configuration(pooling, tmp_path, capsys):
    summary = pooling.main(["--steps", "3", "--train-sizes", "100", "50", "--seeds", "0", "1",
                            "--out-dir", str(tmp_path)])
    names = [f"{d}, {n} images, {p}" for d in ("MNIST", "Fashion-MNIST") for n in (50, 100) for p in POOLS]
    check_rows(summary, names, seeds=2)
    assert read(tmp_path / "results.json")["rows"] == summary
    table = (tmp_path / "results.md").read_text()
    assert all(f"| {name} | 2 |" in table for name in names)
    runs = read(tmp_path / "runs.json")["runs"]
    assert sorted((r["name"], r["seed"]) for r in runs) == sorted((n, s) for n in names for s in (0, 1))
    for r in runs:
        assert 0 <= r["train_error"] <= 100 and r["gap"] == pytest.approx(r["test_error"] - r["train_error"])
    verdicts = [line for line in capsys.readouterr().out.splitlines() if "combined spread" in line]
    assert [v.split(":")[0] for v in verdicts] == [f"{d}, {n} images" for d in ("MNIST", "Fashion-MNIST")
                                                   for n in (50, 100)]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "pooling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_with_one_seed_no_verdict_is_given(pooling, tmp_path, capsys):
    pooling.main([*SMALL_POOLING, "--seeds", "0", "--out-dir", str(tmp_path)])
    assert "MNIST, 50 images: one seed, no spread to compare with" in capsys.readouterr().out


def test_a_pooling_run_does_not_depend_on_the_runs_before_it(pooling, tmp_path):
    grid = pooling.main([*SMALL_POOLING, "--seeds", "0", "1", "--out-dir", str(tmp_path / "grid")])
    pooling.main([*SMALL_POOLING, "--seeds", "1", "--out-dir", str(tmp_path / "alone")])
    assert len(grid) == 3
    grid_runs = {(r["name"], r["seed"]): without_seconds(r) for r in read(tmp_path / "grid" / "runs.json")["runs"]}
    for r in read(tmp_path / "alone" / "runs.json")["runs"]:
        assert grid_runs[r["name"], 1] == without_seconds(r)


def test_every_pooling_trains_on_the_same_images_in_the_same_order(pooling, tmp_path, monkeypatch):
    seen = record_batches(pooling, monkeypatch)
    pooling.main([*SMALL_POOLING, "--steps", "4", "--seeds", "0", "--out-dir", str(tmp_path)])
    assert len(seen) == 3 and len(seen[0]) == 4 * 64 and seen[0] == seen[1] == seen[2]


def test_more_seeds_rerun_only_the_missing_runs(pooling, tmp_path, monkeypatch):
    out = ["--out-dir", str(tmp_path)]
    pooling.main([*SMALL_POOLING, "--seeds", "0", *out])
    first = read(tmp_path / "runs.json")["runs"]
    trained, train_and_test = [], pooling.train_and_test
    monkeypatch.setattr(pooling, "train_and_test",
                        lambda args, data, settings, seed: trained.append((settings["pool"], seed))
                        or train_and_test(args, data, settings, seed))
    summary = pooling.main([*SMALL_POOLING, "--seeds", "0", "1", *out])
    assert trained == [(pool, 1) for pool in POOLS]
    runs = read(tmp_path / "runs.json")["runs"]
    assert runs[:3] == first  # reused as they were, their seconds included
    assert [r["seeds"] for r in summary] == [2, 2, 2]


def test_an_interrupted_study_keeps_its_finished_runs(pooling, tmp_path, monkeypatch):
    out = ["--out-dir", str(tmp_path)]
    train_and_test = pooling.train_and_test

    def interrupted(args, data, settings, seed):
        if settings["pool"] == "stochastic":
            raise KeyboardInterrupt
        return train_and_test(args, data, settings, seed)
    monkeypatch.setattr(pooling, "train_and_test", interrupted)
    with pytest.raises(KeyboardInterrupt):
        pooling.main([*SMALL_POOLING, "--seeds", "0", *out])
    kept = read(tmp_path / "runs.json")["runs"]
    assert [r["settings"]["pool"] for r in kept] == ["max", "avg"]
    monkeypatch.setattr(pooling, "train_and_test", train_and_test)
    pooling.main([*SMALL_POOLING, "--seeds", "0", *out])
    runs = read(tmp_path / "runs.json")["runs"]
    assert runs[:2] == kept and runs[2]["settings"]["pool"] == "stochastic"


def test_runs_made_with_other_options_are_not_reused(pooling, tmp_path):
    out = ["--seeds", "0", "--out-dir", str(tmp_path)]
    pooling.main([*SMALL_POOLING, *out])
    before = (tmp_path / "runs.json").read_bytes()
    with pytest.raises(SystemExit, match=r"other options: --steps 2 \(now 3\);.*another --out-dir"):
        pooling.main([*SMALL_POOLING, "--steps", "3", *out])
    assert (tmp_path / "runs.json").read_bytes() == before


@pytest.mark.parametrize("option", [["--seeds", "0", "1", "0"], ["--train-sizes", "50", "50"],
                                    ["--datasets", "mnist", "mnist"]])
def test_a_value_named_twice_is_refused(pooling, option, capsys):
    with pytest.raises(SystemExit):
        pooling.parse_args(option)
    assert f"{option[0]}: expected distinct values, got {' '.join(option[1:])}" in capsys.readouterr().err


def test_a_train_size_above_the_training_set_is_refused(pooling, tmp_path):
    with pytest.raises(SystemExit, match="--train-sizes 1000: expected at most the 192 training images of MNIST"):
        pooling.main(["--datasets", "mnist", "--train-sizes", "50", "1000", "--steps", "1", "--seeds", "0",
                      "--out-dir", str(tmp_path)])
    assert not (tmp_path / "runs.json").exists()


def test_optimizer_study_writes_both_parts(optimizers, tmp_path):
    records = optimizers.main(["--epochs", "2", "--seeds", "0", "1", "--out-dir", str(tmp_path)])
    for part, names in (("optimizers", list(optimizers.OPTIMIZERS)), ("ablation", list(optimizers.ABLATION))):
        check_rows(read(tmp_path / part / "results.json")["rows"], names, seeds=2)
        assert read(tmp_path / part / "runs.json")["runs"] == records[part]
        for r in records[part]:
            assert len(r["train_loss_per_epoch"]) == len(r["test_accuracy_per_epoch"]) == 2
            assert all(math.isfinite(loss) and loss > 0 for loss in r["train_loss_per_epoch"])
            assert all(0 <= a <= 1 for a in r["test_accuracy_per_epoch"])
        # the training error is measured on the training images: it is not the test error
        assert any(r["train_error"] != r["test_error"] for r in records[part])
    assert list(optimizers.ABLATION) == ["full recipe", "without dropout", "without weight decay",
                                         "without shifts", "none of them"]
    pytest.importorskip("matplotlib")
    assert (tmp_path / "optimizers" / "optimizers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_configuration_starts_from_the_seeds_weights_and_batch_order(optimizers, tmp_path):
    """Adam among the optimizers and "none of them" in the ablation are the same training."""
    records = optimizers.main(["--epochs", "1", "--seeds", "3", "--out-dir", str(tmp_path)])
    adam, = [r for r in records["optimizers"] if r["name"] == "Adam"]
    plain, = [r for r in records["ablation"] if r["name"] == "none of them"]
    figures = ("train_loss_per_epoch", "test_accuracy_per_epoch", "test_loss", "train_loss")
    assert [adam[f] for f in figures] == [plain[f] for f in figures]


def test_dropout_does_not_change_the_order_of_the_batches(optimizers, tmp_path, monkeypatch):
    seen = record_batches(optimizers, monkeypatch)
    records = optimizers.main(["--part", "ablation", "--epochs", "2", "--seeds", "0", "--out-dir", str(tmp_path)])
    names = [r["name"] for r in records["ablation"]]
    full, no_dropout = seen[2 * names.index("full recipe"):][:2], seen[2 * names.index("without dropout"):][:2]
    assert full == no_dropout and full[0] != full[1]


def test_a_part_alone_writes_only_its_folder(optimizers, tmp_path):
    records = optimizers.main(["--part", "ablation", "--epochs", "1", "--seeds", "0", "--out-dir", str(tmp_path)])
    assert list(records) == ["ablation"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ablation"]


def test_the_data_are_loaded_with_every_option_mnist_lenet_reads(optimizers, monkeypatch):
    import types
    lenet = load_example("mnist_lenet")
    seen = []

    def load_data(args):
        seen.append([repr(t) for t in lenet.distortions(args)])
        return synthetic_data(args)
    monkeypatch.setattr(optimizers, "load_data", load_data)
    optimizers.load(types.SimpleNamespace(data_dir=None), [0, 2])
    assert seen == [[], ["RandomShift(max_shift=2, fill=0.0)"]]
