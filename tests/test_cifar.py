"""CIFAR-10 on synthetic archives in the real format; no network (except the test marked slow)."""
import hashlib
import io
import os
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from tinyconv.data import CIFAR10, DataLoader, Normalize, cifar
from tinyconv.data.cifar import ARCHIVE, RestrictedUnpickler, read_batches
from tinyconv.data.datasets import HTTPMirror

from cifar_files import CLASSES, archive, batches, python2_pickle
from memory import peak_memory

MiB = 1 << 20


class Zeros(io.RawIOBase):
    """A file of zeros, read without ever being held in memory."""

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = bytes(len(buffer))
        return len(buffer)


class FakeSource:
    """Serves fixed bytes for the archive, counting the calls."""
    local = False

    def __init__(self, data, name="mirror"):
        self.data, self.name, self.calls = data, name, 0

    def __str__(self):
        return self.name

    def fetch(self, names, max_bytes):
        assert max_bytes[ARCHIVE] == cifar.SIZE
        self.calls += 1
        return {n: self.data for n in names}


@pytest.fixture
def fake_archive(monkeypatch):
    """A synthetic archive whose checksum replaces the real one; no real source is reachable."""
    data = archive()
    monkeypatch.setattr(cifar, "SHA256", hashlib.sha256(data).hexdigest())
    monkeypatch.setattr(cifar, "SOURCES", [])
    return data


def cache(root, data):
    folder = root / "cifar-10"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ARCHIVE).write_bytes(data)


def cache_as_expected(root, monkeypatch, content):
    """Cache an archive of ``content`` whose checksum replaces the real one."""
    data = archive(content)
    monkeypatch.setattr(cifar, "SHA256", hashlib.sha256(data).hexdigest())
    cache(root, data)


def test_splits_shapes_and_channel_order(fake_archive, tmp_path):
    cache(tmp_path, fake_archive)
    content = batches()
    train, test = CIFAR10(tmp_path, download=False), CIFAR10(tmp_path, train=False, download=False)
    assert train.data.dtype == np.uint8 and train.data.shape == (20, 3, 32, 32)
    assert type(train.data) is np.ndarray and type(test.data) is np.ndarray
    assert test.data.shape == (4, 3, 32, 32) and train.targets.dtype == np.int64
    assert train.classes == CLASSES and test.classes == CLASSES
    # the five training batches in order; a row is the red, green, blue planes, row-major
    rows = np.concatenate([content[f"data_batch_{k}"][b"data"] for k in range(1, 6)])
    np.testing.assert_array_equal(train.data[7, 1], rows[7, 1024:2048].reshape(32, 32))
    np.testing.assert_array_equal(train.data.reshape(20, -1), rows)
    np.testing.assert_array_equal(train.targets, sum((content[f"data_batch_{k}"][b"labels"]
                                                      for k in range(1, 6)), []))
    np.testing.assert_array_equal(test.targets, content["test_batch"][b"labels"])

    x, y = train[3]
    assert x.shape == (3, 32, 32) and x.dtype == np.float32 and y.shape == () and y == train.targets[3]
    np.testing.assert_allclose(x, train.data[3] / 255, rtol=1e-6)
    x, y = next(iter(DataLoader(CIFAR10(tmp_path, download=False, transform=Normalize([0.5] * 3, [0.25] * 3)),
                                batch_size=8)))
    assert x.data.shape == (8, 3, 32, 32) and y.data.shape == (8,)
    np.testing.assert_allclose(x.data, (train[np.arange(8)][0] - 0.5) / 0.25, rtol=1e-5)


def test_fetch_caches_the_archive_unchanged(fake_archive, tmp_path, monkeypatch):
    source = FakeSource(fake_archive)
    monkeypatch.setattr(cifar, "SOURCES", [source])
    assert len(CIFAR10(tmp_path)) == 20 and len(CIFAR10(tmp_path, train=False)) == 4
    assert source.calls == 1  # the second load found the cache
    assert os.listdir(tmp_path / "cifar-10") == [ARCHIVE]  # no temporary file left
    assert (tmp_path / "cifar-10" / ARCHIVE).read_bytes() == fake_archive


def test_wrong_checksum_is_a_clear_error_and_leaves_no_cache(fake_archive, tmp_path, monkeypatch):
    corrupted = fake_archive[:-10] + bytes(10)
    monkeypatch.setattr(cifar, "SOURCES", [FakeSource(corrupted, "bad-mirror")])
    with pytest.raises(RuntimeError) as e:
        CIFAR10(tmp_path)
    message = str(e.value)
    assert f"could not find CIFAR-10 {ARCHIVE} in {tmp_path / 'cifar-10'}" in message
    assert f"bad-mirror: {ARCHIVE}: SHA-256 mismatch (expected {cifar.SHA256[:12]}" in message
    assert "tinyconv.data.cifar.SHA256" in message and "(raw or .gz)" not in message
    assert not (tmp_path / "cifar-10").exists()


def test_download_false_does_not_fetch(fake_archive, tmp_path, monkeypatch):
    source = FakeSource(fake_archive)
    monkeypatch.setattr(cifar, "SOURCES", [source])
    with pytest.raises(RuntimeError, match="download=False"):
        CIFAR10(tmp_path, download=False)
    assert source.calls == 0


def test_fetch_over_http(fake_archive, tmp_path, monkeypatch, http_folder):
    www, url = http_folder
    (www / ARCHIVE).write_bytes(fake_archive)
    monkeypatch.setattr(cifar, "SOURCES", [HTTPMirror(url, timeout=5, suffix="")])
    assert len(CIFAR10(tmp_path / "cache", train=False)) == 4
    assert (tmp_path / "cache" / "cifar-10" / ARCHIVE).read_bytes() == fake_archive


class Exploit:
    """Unpickling this would call os.system."""

    def __reduce__(self):
        return os.system, ("echo pwned",)


def test_unpickler_refuses_globals():
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load the global (posix|nt)\.system"):
        RestrictedUnpickler(io.BytesIO(python2_pickle({b"data": Exploit()}))).load()
    with pytest.raises(pickle.UnpicklingError, match=r"global cifar_files\.CLASSES"):
        RestrictedUnpickler(io.BytesIO(b"\x80\x02ccifar_files\nCLASSES\n.")).load()
    # what the batches hold does load, in the old and the new numpy module names
    value = {b"a": [1, 2], b"b": np.arange(6, dtype=np.uint8).reshape(2, 3), b"c": (b"x", 1.5, None),
             b"f": np.asfortranarray(np.arange(6.0).reshape(2, 3)), b"i": np.arange(3, dtype=">i4")}
    for raw in (python2_pickle(value), pickle.dumps(value, protocol=2), pickle.dumps(value, protocol=4)):
        if b"_codecs" in raw:  # Python 3's protocol 2 writes bytes through _codecs.encode: refused
            with pytest.raises(pickle.UnpicklingError, match="_codecs.encode"):
                RestrictedUnpickler(io.BytesIO(raw)).load()
            continue
        got = RestrictedUnpickler(io.BytesIO(raw)).load()
        for key in (b"b", b"f", b"i"):
            assert got[key].dtype == value[key].dtype.newbyteorder("=")  # numpy loads native order
            assert got[key].flags.f_contiguous == value[key].flags.f_contiguous
            np.testing.assert_array_equal(got[key], value[key])
        assert got[b"a"] == [1, 2] and got[b"c"] == (b"x", 1.5, None)


class ArrayOverMemory:
    """Unpickling this would call numpy.ndarray(shape, dtype, buffer, offset)."""

    def __init__(self, offset):
        self.offset = offset

    def __reduce__(self):
        return np.ndarray, ((8,), np.dtype("u1"), b"12345678", self.offset)


UNPICKLE = """
import pickle, sys
from tinyconv.data.cifar import RestrictedUnpickler
try:
    value = RestrictedUnpickler(open(sys.argv[1], "rb")).load()
except pickle.UnpicklingError as e:
    print("refused:", e)
else:
    print("loaded:", type(value).__name__, bytes(value).hex())
"""


def unpickle_in_a_subprocess(raw, tmp_path):
    """What unpickling ``raw`` printed, run in a subprocess that may crash; its exit status."""
    (tmp_path / "pickle").write_bytes(raw)
    done = subprocess.run([sys.executable, "-c", UNPICKLE, str(tmp_path / "pickle")],
                          capture_output=True, text=True, timeout=60)
    return done.stdout.strip(), done.returncode


@pytest.mark.parametrize("offset", [-16, -2**44])
def test_array_over_memory_outside_its_buffer_is_refused(tmp_path, offset):
    for raw in (python2_pickle(ArrayOverMemory(offset)), pickle.dumps(ArrayOverMemory(offset), protocol=4)):
        out, status = unpickle_in_a_subprocess(raw, tmp_path)
        assert status == 0 and out.startswith("refused: refusing to call numpy.ndarray"), (status, out)


@pytest.mark.parametrize("value, message", [
    (np.array([1, "a"], dtype=object), "refusing the numpy dtype 'O8'"),
    (np.array([b"ab"]), "refusing the numpy dtype 'S2'"),
])
def test_arrays_of_other_than_numbers_are_refused(value, message):
    with pytest.raises(pickle.UnpicklingError, match=message):
        RestrictedUnpickler(io.BytesIO(pickle.dumps(value, protocol=4))).load()


@pytest.mark.parametrize("state, message", [
    ((1, (3,), "DTYPE", False, b"ab"), r"expected 3 bytes of data for shape \(3,\) and dtype uint8, got 2"),
    ((1, (3,), "DTYPE", False, b"abcd"), r"expected 3 bytes .* got 4"),
    ((1, (-3,), "DTYPE", False, b""), r"expected a shape of non-negative ints, got \(-3,\)"),
    ((1, (3,), "int32", False, b"abc"), r"expected a pickled numpy dtype, got str"),
    ((1, (3,), "DTYPE", False), r"expected numpy's array state \(version, shape, dtype, fortran, data\), got tuple of 4"),
])
def test_array_state_is_checked(state, message):
    """Pickles of ``_reconstruct(ndarray, (0,), b"b")`` built with ``state``."""
    class Built:
        def __reduce__(self):
            array_state = tuple(np.dtype("u1") if x == "DTYPE" else x for x in state)
            return np.ndarray(0).__reduce__()[:2] + (array_state,)
    with pytest.raises(pickle.UnpicklingError, match=message):
        RestrictedUnpickler(io.BytesIO(pickle.dumps(Built(), protocol=4))).load()


def test_batch_with_a_disallowed_global_is_refused(tmp_path, monkeypatch, capfd):
    content = batches()
    content["test_batch"] = python2_pickle({b"data": Exploit(), b"labels": []})
    cache_as_expected(tmp_path, monkeypatch, content)
    with pytest.raises(pickle.UnpicklingError, match=r"cifar-10-batches-py/test_batch: refusing to load the "
                                                     r"global (posix|nt)\.system"):
        CIFAR10(tmp_path, train=False, download=False)
    assert "pwned" not in capfd.readouterr().out


def test_archive_members_are_read_by_name_only(tmp_path):
    link = tarfile.TarInfo("cifar-10-batches-py/test_batch")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    content = batches()
    del content["test_batch"]
    data = archive(content, extra={"../evil": b"x", "/abs": b"y", "cifar-10-batches-py/../../evil2": b"z"})
    assert set(read_batches(data, ["data_batch_2", "batches.meta"])) == {"data_batch_2", "batches.meta"}
    with pytest.raises(ValueError, match="expected cifar-10-batches-py/test_batch, not found"):
        read_batches(data, ["test_batch"])
    with pytest.raises(ValueError, match="cifar-10-batches-py/test_batch is not a regular file"):
        read_batches(archive(content, extra={link.name: link}), ["test_batch"])
    with pytest.raises(ValueError, match="not a readable tar.gz"):
        read_batches(b"not an archive", ["test_batch"])
    content["test_batch"] = python2_pickle(batches()["test_batch"])[:-100]
    with pytest.raises(pickle.UnpicklingError, match="cifar-10-batches-py/test_batch: pickle data was truncated"):
        read_batches(archive(content), ["test_batch"])
    assert sorted(os.listdir(tmp_path)) == []  # nothing is ever extracted to disk


def test_oversized_member_is_not_read():
    info = tarfile.TarInfo("cifar-10-batches-py/test_batch")
    info.size = 64 * MiB  # zeros: the archive stays small
    f = io.BytesIO()
    with tarfile.open(fileobj=f, mode="w:gz", compresslevel=1) as tar:
        tar.addfile(info, Zeros())
    assert len(f.getvalue()) < MiB
    with peak_memory() as peak, pytest.raises(ValueError) as e:
        read_batches(f.getvalue(), ["test_batch"])
    assert peak[0] < 4 * MiB
    assert str(e.value) == f"CIFAR-10 archive: expected cifar-10-batches-py/test_batch of at most " \
                           f"{cifar.MAX_MEMBER_BYTES} bytes, got {64 * MiB}"


@pytest.mark.parametrize("change, message", [
    (lambda b: b.update({b"data": b[b"data"][:, :100]}), r"test_batch: expected b'data' uint8 \(N, 3072\) "
                                                          r"and b'labels' \(N,\) integers, got ndarray uint8 \(4, 100\)"),
    (lambda b: b.update({b"labels": b[b"labels"][:3]}), r"got ndarray uint8 \(4, 3072\) and int64 \(3,\)"),
    (lambda b: b.pop(b"data"), r"got NoneType"),
    (lambda b: b.update({b"labels": [0, 1, 2, 10]}), r"expected labels in \[0, 10\), got \[0, 10\]"),
])
def test_malformed_batches_are_rejected(tmp_path, monkeypatch, change, message):
    content = batches()
    change(content["test_batch"])
    cache_as_expected(tmp_path, monkeypatch, content)
    with pytest.raises(ValueError, match=message):
        CIFAR10(tmp_path, train=False, download=False)


def test_malformed_meta_is_rejected(tmp_path, monkeypatch):
    content = batches()
    content["batches.meta"] = {b"label_names": b"airplane"}
    cache_as_expected(tmp_path, monkeypatch, content)
    with pytest.raises(ValueError, match=r"batches.meta: expected b'label_names', a list of byte strings, got bytes"):
        CIFAR10(tmp_path, train=False, download=False)


@pytest.mark.slow
def test_real_cifar10(tmp_path):
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert train.data.shape == (50000, 3, 32, 32) and test.data.shape == (10000, 3, 32, 32)
    assert train.classes == CLASSES
    assert np.bincount(train.targets).tolist() == [5000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10
