"""examples/mnist_lenet.py on a small synthetic stand-in for MNIST: --resume in a new process
reaches the same weights as an uninterrupted run, and a NaN or Inf loss stops the run with a
message before anything broken is saved."""
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import tinyconv as tc

import example_driver as driver

DRIVER = os.path.join(os.path.dirname(__file__), "example_driver.py")


@pytest.fixture(autouse=True)
def quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow warnings in the diverging runs
        yield


def weights(folder):
    with np.load(os.path.join(folder, "lenet5.npz")) as f:
        return {name: f[name] for name in f.files}


def history(folder):
    with open(os.path.join(folder, "history.json")) as f:
        return [{k: v for k, v in h.items() if k != "seconds"} for h in json.load(f)]


def test_resume_in_a_new_process_reaches_the_same_weights(tmp_path):
    whole, parts = str(tmp_path / "whole"), str(tmp_path / "parts")
    driver.run(["--epochs", "3", "--out-dir", whole])
    driver.run(["--epochs", "1", "--out-dir", parts])
    assert tc.load(os.path.join(parts, "checkpoint.npz"))["epoch"] == 1
    child = subprocess.run([sys.executable, DRIVER, "--epochs", "3", "--resume", "--out-dir", parts],
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == 0, child.stderr
    assert "resuming from" in child.stdout and "1 epoch done" in child.stdout
    a, b = weights(whole), weights(parts)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert history(whole) == history(parts)
    saved = tc.load(os.path.join(parts, "checkpoint.npz"))
    assert saved["epoch"] == 3 and len(saved["history"]) == 3


def test_resume_without_a_checkpoint_starts_afresh(tmp_path, capsys):
    driver.run(["--epochs", "1", "--resume", "--out-dir", str(tmp_path)])
    assert "no checkpoint at" in capsys.readouterr().out
    assert tc.load(os.path.join(tmp_path, "checkpoint.npz"))["epoch"] == 1


def test_resume_refuses_other_options(tmp_path):
    driver.run(["--epochs", "1", "--out-dir", str(tmp_path)])
    with pytest.raises(SystemExit, match=r"checkpoint.npz was trained with other options: --dropout 0\.25 "
                                         r"\(now 0\.5\), --activation 'relu' \(now 'tanh'\); pass the same options"):
        driver.run(["--epochs", "2", "--resume", "--activation", "tanh", "--dropout", "0.5", "--out-dir", str(tmp_path)])


def test_divergence_stops_before_saving(tmp_path):
    with pytest.raises(SystemExit, match=r"training diverged at epoch 1, batch \d+: the loss is nan\n"
                                         r"Stopping before saving broken weights \(no checkpoint was written\)"):
        driver.run(["--epochs", "2", "--lr", "1e30", "--out-dir", str(tmp_path)])
    assert os.listdir(tmp_path) == []


def test_detect_anomaly_names_the_operation(tmp_path):
    with pytest.raises(SystemExit) as info:
        driver.run(["--epochs", "1", "--lr", "1e30", "--detect-anomaly", "--out-dir", str(tmp_path)])
    message = str(info.value)
    assert "detect_anomaly: Conv2d.forward produced" in message
    assert "common.py" in message and "model(images)" in message


def test_nan_in_a_later_epoch_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    """Data that turn NaN in epoch 2 stop the run; epoch 1's checkpoint stays whole and finite."""
    class Corrupting:
        def __init__(self, dataset, after):
            self.dataset, self.after, self.calls = dataset, after, 0

        def __len__(self):
            return len(self.dataset)

        def get_batch(self, index):  # one call per batch
            self.calls += 1
            x, y = self.dataset.get_batch(index)
            return (np.full_like(x, np.nan) if self.calls > self.after else x), y

        __getitem__ = get_batch

    def data(args):
        train, test = driver.synthetic_data(args)
        return Corrupting(train, after=3), test  # 3 batches per epoch

    example = driver.load_example()
    monkeypatch.setattr(example, "load_data", data)
    with pytest.raises(SystemExit, match=r"training diverged at epoch 2, batch 1: the loss is nan\n"
                                         r"Stopping before saving broken weights \(the checkpoint of epoch 1 in "):
        example.main(["--epochs", "3", "--out-dir", str(tmp_path)])
    saved = tc.load(os.path.join(tmp_path, "checkpoint.npz"))
    assert saved["epoch"] == 1
    assert all(np.isfinite(w).all() for w in saved["model"].values())
    assert not os.path.exists(os.path.join(tmp_path, "lenet5.npz"))


def test_resume_prints_the_learning_rate_it_continues_with(tmp_path, capsys):
    driver.run(["--epochs", "1", "--out-dir", str(tmp_path)])
    capsys.readouterr()
    driver.run(["--epochs", "2", "--resume", "--out-dir", str(tmp_path)])
    assert "adam lr 0.0014, batch 64" in capsys.readouterr().out  # 2e-3 * 0.7 after one epoch


def keep_only(path, keys):
    saved = tc.load(path)
    tc.save({k: saved[k] for k in keys}, path)


@pytest.mark.parametrize("damage, says", [
    (lambda path: keep_only(path, ["epoch", "history", "model"]), r"lacks args, optimizer, train_loader, rng"),
    (lambda path: driver.load_example().lenet5().save(path), r"lacks args, epoch, history, model, optimizer"),
    (lambda path: tc.save(dict(tc.load(path), model={}), path), r"does not match"),
])
def test_resume_from_a_checkpoint_without_what_it_needs(tmp_path, damage, says):
    driver.run(["--epochs", "1", "--out-dir", str(tmp_path)])
    damage(str(tmp_path / "checkpoint.npz"))
    with pytest.raises(SystemExit) as info:
        driver.run(["--epochs", "2", "--resume", "--out-dir", str(tmp_path)])
    message = str(info.value)
    assert message.startswith("--resume: ") and re.search(says, message) and "\n" not in message


def test_ctrl_c_says_which_epoch_is_kept_and_how_to_resume(tmp_path):
    """SIGINT once a checkpoint exists: one line on stderr, no traceback, exit status 130."""
    argv = ["--epochs", "1000", "--out-dir", str(tmp_path)]
    child = subprocess.Popen([sys.executable, DRIVER, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # even where pytest ignores it
    deadline = time.monotonic() + 300  # a hang fails the test instead of stalling the suite
    try:
        while child.poll() is None and not (tmp_path / "checkpoint.npz").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 130, err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    match = re.fullmatch(r"interrupted: the checkpoint of epoch (\d+) is in (.+); continue with: (.+)", line)
    assert match, line
    assert int(match[1]) == tc.load(match[2])["epoch"] >= 1
    assert shlex.split(match[3]) == ["python", DRIVER, *argv, "--resume"]


def test_curves_after_one_epoch_have_integer_epochs_and_accuracy_up_to_100(tmp_path):
    pytest.importorskip("matplotlib")
    fig = driver.load_example().plot_history([dict(epoch=1, train_loss=0.3, test_loss=0.2, test_accuracy=1.0)],
                                             str(tmp_path / "curves.png"))
    for ax in fig.axes:
        low, high = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if low <= t <= high]
        assert ticks == [1.0] and high - low >= 1
    assert fig.axes[1].get_ylim()[1] <= 100
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_distortion_options_choose_the_transforms_in_order():
    example = driver.load_example()
    assert [repr(t) for t in example.distortions(example.parse_args([]))] == ["RandomShift(max_shift=2, fill=0.0)"]
    args = example.parse_args(["--rotate", "10", "--elastic", "34", "--elastic-sigma", "5", "--augment", "0"])
    assert [repr(t) for t in example.distortions(args)] == [
        "RandomRotation(max_degrees=10.0, fill=0.0)", "ElasticDistortion(alpha=34.0, sigma=5.0)"]
    args = example.parse_args(["--elastic", "34", "--distort-p", "0.5"])
    assert [repr(t) for t in example.distortions(args)] == [
        "RandomApply([ElasticDistortion(alpha=34.0, sigma=4.0)], p=0.5)", "RandomShift(max_shift=2, fill=0.0)"]


def test_width_and_distortions_train_and_save_a_picture_of_distorted_samples(tmp_path):
    example = driver.load_example()
    example.load_data = driver.synthetic_data
    example.first_training_images = lambda args: driver.synthetic_data(args)[0].arrays[0][:10]
    example.main(["--epochs", "1", "--width", "2", "--batch-norm", "--rotate", "10", "--elastic", "8",
                  "--out-dir", str(tmp_path)])
    saved = tc.load(str(tmp_path / "lenet5.npz"))
    assert [np.shape(a) for a in saved.values() if np.ndim(a) == 4] == [(12, 1, 5, 5), (32, 12, 5, 5)]
    assert [len(saved[k]) for k in saved if k.endswith("running_mean")] == [12, 32, 240, 168]
    if importlib.util.find_spec("matplotlib"):
        assert (tmp_path / "distorted_samples.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_shifts_alone_draw_no_picture_and_read_no_other_data(tmp_path):
    example = driver.load_example()
    example.load_data = driver.synthetic_data
    example.first_training_images = lambda args: pytest.fail("read the MNIST files for a picture")
    example.main(["--epochs", "1", "--out-dir", str(tmp_path)])
    assert not (tmp_path / "distorted_samples.png").exists()


def test_a_checkpoint_from_before_the_distortion_options_resumes_with_their_defaults(tmp_path):
    older = driver.load_example()  # saves only the options it had
    older.load_data = driver.synthetic_data
    newer = ("rotate", "elastic", "elastic_sigma", "distort_p", "width", "batch_norm")
    older.TRAINING_OPTIONS = tuple(k for k in older.TRAINING_OPTIONS if k not in newer)
    older.main(["--epochs", "1", "--out-dir", str(tmp_path)])
    path = str(tmp_path / "checkpoint.npz")
    assert not set(newer) & set(tc.load(path)["args"])
    driver.run(["--epochs", "2", "--resume", "--out-dir", str(tmp_path)])
    assert tc.load(path)["epoch"] == 2
    with pytest.raises(SystemExit, match=r"other options: --width 1 \(now 2\)"):
        driver.run(["--epochs", "3", "--resume", "--width", "2", "--out-dir", str(tmp_path)])
