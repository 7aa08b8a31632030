"""IDX files: the format MNIST and Fashion-MNIST ship in.

Format (Y. LeCun, C. Cortes and C. Burges, "THE MNIST DATABASE of handwritten digits",
http://yann.lecun.com/exdb/mnist/, section "FILE FORMATS FOR THE MNIST DATABASE"):

    bytes 0-1   zero
    byte  2     data type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64 (all big-endian)
    byte  3     number of dimensions, ndim
    then        ndim big-endian uint32 sizes, then the data in C (row-major) order

Files may be gzip-compressed; compression is recognised by the gzip magic bytes (1f 8b),
not by the file name.
"""
import gzip
import io
import math
import os
import zlib

import numpy as np

from ..fileio import atomic_write

#: IDX data type code -> big-endian numpy dtype.
DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
#: The most bytes deflate can inflate one compressed byte to (one 258-byte match per 2 bits);
#: a header claiming more data than this allows is refused before anything is allocated.
MAX_GZIP_RATIO = 1032
_GZIP_ERRORS = (OSError, EOFError, zlib.error)


def decompress(raw, max_bytes):
    """Return ``raw`` gunzipped if it starts with the gzip magic bytes, else unchanged.

    Decompression streams and stops after ``max_bytes`` + 1 bytes, so a small file that
    inflates to gigabytes (a gzip bomb) costs no more than ``max_bytes`` of memory.

    Raises:
        ValueError: the data is longer than ``max_bytes`` (compressed or not), or the gzip data
            is invalid; the message says which (callers name the file).
    """
    if raw[:2] != GZIP_MAGIC:
        if len(raw) > max_bytes:
            raise ValueError(f"expected at most {max_bytes} bytes, got {len(raw)}")
        return raw
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
            data = f.read(max_bytes + 1)
    except _GZIP_ERRORS as e:
        raise ValueError(f"expected valid gzip data, got error: {e}") from None
    if len(data) > max_bytes:
        raise ValueError(f"expected at most {max_bytes} bytes, got more")
    return data


def parse_idx(raw, name="<bytes>"):
    """Parse the bytes of an IDX file (raw or gzip) into an array.

    Gzip data is decompressed as a stream and never beyond what the header announces, and a
    header announcing more data than the input can hold is refused before any allocation.

    Args:
        raw: the file's bytes.
        name: how error messages name the source (usually the file name).

    Returns:
        np.ndarray of shape (d0, ..., d_{ndim-1}) in native byte order; dtype uint8, int8,
        int16, int32, float32 or float64 per the type code. The array owns its memory.

    Raises:
        ValueError: the header is short, bytes 0-1 are not zero, the type code is unknown,
            ndim is 0, the payload is not exactly prod(dims) * itemsize bytes, or the gzip
            data is invalid; the message names ``name``, what was expected and what came.
    """
    raw = bytes(raw)
    return _parse_file(io.BytesIO(raw), len(raw), name)


def read_idx(path):
    """Read an IDX file (raw or gzip) and return it as a native-endian array.

    Args:
        path: file path (str or os.PathLike).

    Returns:
        np.ndarray as described in :func:`parse_idx`.

    Raises:
        OSError: the file cannot be read.
        ValueError: the content is not a well-formed IDX file (see :func:`parse_idx`).
    """
    with open(path, "rb") as f:
        return _parse_file(f, os.fstat(f.fileno()).st_size, os.path.basename(os.fspath(path)))


def _parse_file(f, size, name):
    """Parse the IDX file (raw or gzip) of ``size`` bytes open as the binary file ``f``."""
    compressed = f.read(2) == GZIP_MAGIC
    f.seek(0)
    if not compressed:
        return _parse_stream(f, name, size, compressed)
    try:
        with gzip.GzipFile(fileobj=f) as stream:
            return _parse_stream(stream, name, size, compressed)
    except _GZIP_ERRORS as e:
        raise ValueError(f"{name}: expected valid gzip data, got error: {e}") from None


def _parse_stream(stream, name, size, compressed):
    """Parse IDX bytes read from ``stream``: the decompressed stream of ``size`` gzip bytes if
    ``compressed``, else ``size`` raw bytes. Reads the header, then exactly the payload it
    announces and one byte more (to detect excess)."""
    header = stream.read(4)
    if len(header) < 4:
        raise ValueError(f"{name}: expected a 4-byte IDX header, got {len(header)} bytes")
    if header[0] != 0 or header[1] != 0:
        raise ValueError(
            f"{name}: expected an IDX magic number starting with two zero bytes, "
            f"got {header.hex(' ')}")
    code, ndim = header[2], header[3]
    if code not in DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in DTYPES)
        raise ValueError(f"{name}: expected an IDX data type code in {{{known}}}, got 0x{code:02X}")
    if ndim < 1:
        raise ValueError(f"{name}: expected at least 1 dimension, got {ndim}")
    dims = stream.read(4 * ndim)
    head = 4 + 4 * ndim
    if len(dims) < 4 * ndim:
        raise ValueError(
            f"{name}: expected {head} header bytes for {ndim} dimensions, got {4 + len(dims)}")
    shape = tuple(int(d) for d in np.frombuffer(dims, ">u4"))
    dtype = DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    what = f"{name}: expected {expected} bytes of data for shape {shape}"
    if compressed and expected > size * MAX_GZIP_RATIO:
        raise ValueError(f"{what}, more than a gzip stream of {size} bytes can hold")
    if not compressed and expected != size - head:
        raise ValueError(f"{what}, got {size - head}")
    out = np.empty(shape, dtype)
    buffer = memoryview(out.reshape(-1).view(np.uint8))
    got = 0
    while got < expected:
        more = stream.readinto(buffer[got:])
        if not more:
            raise ValueError(f"{what}, got {got}")
        got += more
    if stream.read(1):
        raise ValueError(f"{what}, got more")
    return out.astype(dtype.newbyteorder("="), copy=False)


def idx_bytes(array):
    """Encode ``array`` as IDX bytes (uncompressed).

    Raises:
        ValueError: ``array`` has 0 dimensions or a dtype IDX cannot hold.
    """
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise ValueError(
            f"array: expected dtype uint8, int8, int16, int32, float32 or float64, got {array.dtype}")
    if array.ndim < 1 or array.ndim > 255:
        raise ValueError(f"array: expected 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, DTYPES[code]).tobytes()


def write_idx(path, array, compress=False):
    """Write ``array`` to ``path`` as an IDX file, atomically; gzip it if ``compress``.

    Raises:
        ValueError: see :func:`idx_bytes`.
        OSError: the file cannot be written.
    """
    data = idx_bytes(array)
    if compress:
        data = gzip.compress(data, mtime=0)
    atomic_write(path, data)
