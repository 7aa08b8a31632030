"""What every example does the same way, as a user meets it: bad numbers are argparse errors
naming the option, an --out-dir that cannot be written and a --data-dir that does not exist are
refused before anything is loaded, and a folder holding the IDX files is read where it is."""
import hashlib
import os

import numpy as np
import pytest

from tinyconv.data import MNIST, cifar, datasets
from tinyconv.data.idx import idx_bytes

from example_driver import load_example

#: Each example and the function that loads its data (replaced in these tests so that nothing loads).
EXAMPLES = {"mnist_lenet": "load_data", "mnist_dbn": "load_pixels", "mnist_autoencoder": "load_data",
            "mnist_gan": "load_data", "mnist_rnn": "load_data", "cifar10_vgg": "load_data",
            "compare_models": "load_data", "mnist_lif": "load_data"}

BAD_NUMBERS = [
    ("mnist_lenet", ["--lr", "-1"]), ("mnist_lenet", ["--lr", "nan"]), ("mnist_lenet", ["--lr-decay", "0"]),
    ("mnist_lenet", ["--weight-decay", "-0.1"]), ("mnist_lenet", ["--dropout", "1"]),
    ("mnist_lenet", ["--augment", "-1"]), ("mnist_lenet", ["--seed", "-1"]), ("mnist_lenet", ["--epochs", "0"]),
    ("cifar10_vgg", ["--lr", "0"]), ("cifar10_vgg", ["--limit", "-1"]),
    ("mnist_autoencoder", ["--lr", "-1"]), ("mnist_autoencoder", ["--noise-level", "-0.5"]),
    ("mnist_gan", ["--lr", "inf"]), ("mnist_gan", ["--beta1", "1"]),
    ("mnist_rnn", ["--lr", "-1"]), ("mnist_rnn", ["--lr-decay", "-1"]), ("mnist_rnn", ["--dropout", "1.5"]),
    ("mnist_dbn", ["--rbm-batch-size", "0"]), ("mnist_dbn", ["--batch-size", "0"]), ("mnist_dbn", ["--layers", "0"]),
    ("mnist_dbn", ["--ae-layers", "8", "-4"]), ("mnist_dbn", ["--rbm-lr", "-1"]), ("mnist_dbn", ["--k", "0"]),
    ("mnist_dbn", ["--finetune-lr", "nan"]), ("mnist_dbn", ["--ae-lr", "-1"]), ("mnist_dbn", ["--lr-decay", "0"]),
    ("mnist_dbn", ["--pretrain-epochs", "0"]), ("mnist_dbn", ["--finetune-epochs", "0"]),
    ("mnist_dbn", ["--ae-epochs", "0"]), ("compare_models", ["--pretrain-epochs", "0"]),
    ("compare_models", ["--seed", "-3"]),
    ("mnist_lif", ["--lr", "-1"]), ("mnist_lif", ["--train-size", "-5"]), ("mnist_lif", ["--tempotron-lr", "nan"]),
    ("mnist_lif", ["--threshold", "0"]),
]


@pytest.mark.parametrize("name, argv", BAD_NUMBERS, ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_a_bad_number_is_an_argparse_error_naming_the_option(name, argv, capsys):
    with pytest.raises(SystemExit) as info:
        load_example(name).parse_args(argv)
    assert info.value.code == 2
    assert f"argument {argv[0]}: expected " in capsys.readouterr().err


@pytest.mark.parametrize("name", ["mnist_lenet", "mnist_rnn", "mnist_gan"])
def test_good_numbers_are_accepted(name):
    args = load_example(name).parse_args(["--lr", "0.5", "--seed", "0"])
    assert args.lr == 0.5 and args.seed == 0


def refusing_loader(*args, **kwargs):
    raise AssertionError("the data were loaded before the options were checked")


def main_without_data(name, monkeypatch):
    example = load_example(name)
    monkeypatch.setattr(example, EXAMPLES[name], refusing_loader)
    return example.main


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_an_out_dir_below_a_file_is_refused_before_loading(name, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit, match=r"^--out-dir .*file/run: .*file is not a folder$"):
        main_without_data(name, monkeypatch)(["--out-dir", str(tmp_path / "file" / "run")])


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_out_dir_is_refused_before_loading(tmp_path, monkeypatch):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(SystemExit, match=r"^--out-dir .*: cannot write in .*Permission denied"):
            main_without_data("mnist_lenet", monkeypatch)(["--out-dir", str(tmp_path)])
    finally:
        tmp_path.chmod(0o700)


def test_out_dir_is_checked_without_creating_it(tmp_path, monkeypatch):
    example = load_example("mnist_rnn")
    monkeypatch.setattr(example, "load_data", refusing_loader)
    with pytest.raises(AssertionError, match="the data were loaded"):
        example.main(["--out-dir", str(tmp_path / "new" / "run")])
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_data_dir_that_does_not_exist_is_refused(name, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(datasets.SOURCES, "mnist", [])  # never the network, even on the unfixed code
    monkeypatch.setattr(cifar, "SOURCES", [])
    with pytest.raises(SystemExit):
        load_example(name).main(["--data-dir", str(tmp_path / "typo"), "--out-dir", str(tmp_path / "out")])
    assert f"argument --data-dir: expected an existing folder, got '{tmp_path / 'typo'}'" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def write_mnist(folder):
    """Write tiny MNIST files (5 training and 5 test images) into ``folder``; return their checksums."""
    rng = np.random.default_rng(0)
    folder.mkdir()
    sums = {}
    for split in ("train", "t10k"):
        files = {f"{split}-images-idx3-ubyte": idx_bytes(rng.integers(0, 256, (5, 28, 28), np.uint8)),
                 f"{split}-labels-idx1-ubyte": idx_bytes(rng.integers(0, 10, 5, np.uint8))}
        for name, data in files.items():
            (folder / name).write_bytes(data)
            sums[name] = hashlib.sha256(data).hexdigest()
    return sums


@pytest.mark.parametrize("below", [False, True])
def test_the_mnist_folder_is_read_where_it_is(below, tmp_path, monkeypatch):
    """--data-dir names the folder that holds mnist/, or the mnist/ folder itself."""
    monkeypatch.setitem(datasets.SHA256, "mnist", write_mnist(tmp_path / "mnist"))
    monkeypatch.setitem(datasets.SOURCES, "mnist", [])
    example = load_example("mnist_lenet")
    args = example.parse_args(["--data-dir", str(tmp_path if below else tmp_path / "mnist")])
    train_set, test_set = load_example("common").load_datasets(example.load_data, args, MNIST)
    assert len(train_set) == len(test_set) == 5
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(datasets.FILES)  # nothing fetched into mnist/mnist/


@pytest.mark.parametrize("n, columns, shape", [(64, None, (8, 8)), (8, None, (3, 3)), (20, 10, (2, 10)), (1, None, (1, 1))])
def test_tile_shows_every_image(n, columns, shape):
    images = np.arange(1, n + 1, dtype=np.float32)[:, None, None] / 100 * np.ones((n, 3, 2), np.float32)
    grid = load_example("common").tile(images, columns)
    rows, cols = shape
    assert grid.shape == (rows * 5 + 2, cols * 4 + 2)
    assert set(np.unique(grid)) == set(images[:, 0, 0]) | {1.0}
    assert np.array_equal(grid[2:5, 2 + 4 * (cols - 1):4 + 4 * (cols - 1)], images[cols - 1])  # row-major


def test_a_folder_holding_the_files_under_another_name_is_read_where_it_is(tmp_path, monkeypatch):
    monkeypatch.setitem(datasets.SHA256, "mnist", write_mnist(tmp_path / "downloads"))
    monkeypatch.setitem(datasets.SOURCES, "mnist", [])
    example = load_example("mnist_lenet")
    args = example.parse_args(["--data-dir", str(tmp_path / "downloads")])
    train_set, test_set = load_example("common").load_datasets(example.load_data, args, MNIST)
    assert len(train_set) == len(test_set) == 5
    assert sorted(os.listdir(tmp_path / "downloads")) == sorted(datasets.FILES)  # nothing fetched into mnist/
