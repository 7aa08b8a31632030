"""IDX reader/writer: round trips, and informative errors on malformed files."""
import gzip
import os

import numpy as np
import pytest

from tinyconv.data.idx import DTYPES, idx_bytes, parse_idx, read_idx, write_idx
from tinyconv.fileio import atomic_write

from memory import peak_memory

MiB = 1 << 20


def gzip_bomb(header_array, mib):
    """A small gzip stream: the IDX bytes of ``header_array``, then ``mib`` MiB of zeros (several
    gzip members, as a multi-member .gz file is read)."""
    return gzip.compress(idx_bytes(header_array)) + gzip.compress(bytes(MiB)) * mib


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip(tmp_path, dtype, compress):
    a = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / "file-idx3"
    write_idx(path, a, compress=compress)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    assert b.shape == (2, 3, 4)
    np.testing.assert_array_equal(a, b)


def test_gzip_detected_by_magic_not_name(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    (tmp_path / "labels.gz").write_bytes(idx_bytes(a))  # raw despite the name
    (tmp_path / "labels-raw").write_bytes(gzip.compress(idx_bytes(a)))  # gzip despite the name
    np.testing.assert_array_equal(read_idx(tmp_path / "labels.gz"), a)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels-raw"), a)


def test_big_endian_on_disk():
    raw = idx_bytes(np.array([1, 256], np.int32))
    assert raw == bytes([0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 0])
    np.testing.assert_array_equal(parse_idx(raw), [1, 256])


def test_mnist_like_header():
    a = np.zeros((3, 28, 28), np.uint8)
    raw = idx_bytes(a)
    assert raw[:4] == b"\x00\x00\x08\x03"  # MNIST images magic number 2051
    assert int.from_bytes(raw[:4], "big") == 2051


def test_truncated(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((10, 28, 28), np.uint8))[:-10])
    with pytest.raises(ValueError) as e:
        read_idx(path)
    msg = str(e.value)
    assert "t10k-images-idx3-ubyte" in msg
    assert "expected 7840 bytes" in msg and "(10, 28, 28)" in msg and "got 7830" in msg


def test_too_long():
    raw = idx_bytes(np.zeros(5, np.float32)) + b"\x00"
    with pytest.raises(ValueError, match=r"lbl: expected 20 bytes of data for shape \(5,\), got 21"):
        parse_idx(raw, "lbl")


def test_truncated_gzip_stream():
    raw = gzip.compress(idx_bytes(np.zeros(100, np.uint8)))[:-8]
    with pytest.raises(ValueError, match="x: expected valid gzip data"):
        parse_idx(raw, "x")


def test_short_header():
    with pytest.raises(ValueError, match="f: expected a 4-byte IDX header, got 3 bytes"):
        parse_idx(b"\x00\x00\x08", "f")
    with pytest.raises(ValueError, match="f: expected 12 header bytes for 2 dimensions, got 8"):
        parse_idx(b"\x00\x00\x08\x02\x00\x00\x00\x01", "f")


def test_wrong_magic():
    raw = b"\x01\x00" + idx_bytes(np.zeros(3, np.uint8))[2:]
    with pytest.raises(ValueError) as e:
        parse_idx(raw, "bad")
    assert "bad: expected an IDX magic number starting with two zero bytes, got 01 00 08 01" \
        == str(e.value)


def test_bad_dtype_code():
    raw = b"\x00\x00\x0a\x01" + idx_bytes(np.zeros(3, np.uint8))[4:]
    with pytest.raises(ValueError) as e:
        parse_idx(raw, "bad")
    assert "bad: expected an IDX data type code in" in str(e.value)
    assert "0x08" in str(e.value) and "got 0x0A" in str(e.value)


def test_zero_dims():
    with pytest.raises(ValueError, match="bad: expected at least 1 dimension, got 0"):
        parse_idx(b"\x00\x00\x08\x00", "bad")


def test_write_rejects_unsupported():
    with pytest.raises(ValueError, match="expected dtype uint8.*got int64"):
        idx_bytes(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="expected 1 to 255 dimensions, got 0"):
        idx_bytes(np.float32(1))


def test_all_codes_known():
    assert sorted(DTYPES) == [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E]


def test_atomic_write_failure_leaves_nothing(tmp_path, monkeypatch):
    path = tmp_path / "out"
    path.write_bytes(b"old")

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.zeros(1000, np.uint8))
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out"]


def test_atomic_write_replaces(tmp_path):
    path = tmp_path / "out"
    atomic_write(path, b"one")
    atomic_write(path, b"two")
    assert path.read_bytes() == b"two" and os.listdir(tmp_path) == ["out"]


def test_gzip_bomb_is_read_no_further_than_the_header_says(tmp_path):
    bomb = gzip_bomb(np.zeros(10, np.uint8), 64)
    assert len(bomb) < MiB // 4
    (tmp_path / "bomb").write_bytes(bomb)
    for parse in (lambda: parse_idx(bomb, "bomb"), lambda: read_idx(tmp_path / "bomb")):
        with peak_memory() as peak, pytest.raises(ValueError) as e:
            parse()
        assert str(e.value) == "bomb: expected 10 bytes of data for shape (10,), got more"
        assert peak[0] < 4 * MiB


@pytest.mark.parametrize("compress", [False, True])
def test_absurd_header_is_refused_before_allocating(tmp_path, compress):
    header = bytes([0, 0, 0x0D, 3]) + np.full(3, 2**31, ">u4").tobytes()
    raw = header + bytes(100)
    if compress:
        raw = gzip.compress(raw)
    (tmp_path / "huge").write_bytes(raw)
    shape = "(2147483648, 2147483648, 2147483648)"
    expected = f"expected {4 * 2**93} bytes of data for shape {shape}"
    for parse in (lambda: parse_idx(raw, "huge"), lambda: read_idx(tmp_path / "huge")):
        with peak_memory() as peak, pytest.raises(ValueError) as e:
            parse()
        assert str(e.value).startswith("huge: " + expected), str(e.value)
        assert peak[0] < 4 * MiB
