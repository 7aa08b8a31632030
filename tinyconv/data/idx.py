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
import os

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


def decompress(raw):
    """Return ``raw`` gunzipped if it starts with the gzip magic bytes, else unchanged."""
    return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw


def parse_idx(raw, name="<bytes>"):
    """Parse the bytes of an IDX file (raw or gzip) into an array.

    Args:
        raw: the file's bytes.
        name: how error messages name the source (usually the file name).

    Returns:
        np.ndarray of shape (d0, ..., d_{ndim-1}) in native byte order; dtype uint8, int8,
        int16, int32, float32 or float64 per the type code. The array owns its memory.

    Raises:
        ValueError: the header is short, bytes 0-1 are not zero, the type code is unknown,
            ndim is 0, or the payload is not exactly prod(dims) * itemsize bytes; the message
            names ``name``, what was expected and what came.
    """
    try:
        data = decompress(bytes(raw))
    except (OSError, EOFError) as e:
        raise ValueError(f"{name}: expected valid gzip data, got error: {e}") from None
    if len(data) < 4:
        raise ValueError(f"{name}: expected a 4-byte IDX header, got {len(data)} bytes")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(
            f"{name}: expected an IDX magic number starting with two zero bytes, "
            f"got {data[:4].hex(' ')}")
    code, ndim = data[2], data[3]
    if code not in DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in DTYPES)
        raise ValueError(f"{name}: expected an IDX data type code in {{{known}}}, got 0x{code:02X}")
    if ndim < 1:
        raise ValueError(f"{name}: expected at least 1 dimension, got {ndim}")
    head = 4 + 4 * ndim
    if len(data) < head:
        raise ValueError(
            f"{name}: expected {head} header bytes for {ndim} dimensions, got {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, 4))
    dtype = DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(data) - head
    if got != expected:
        raise ValueError(
            f"{name}: expected {expected} bytes of data for shape {shape}, got {got}")
    return np.frombuffer(data, dtype, offset=head).reshape(shape).astype(
        dtype.newbyteorder("="))


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
        raw = f.read()
    return parse_idx(raw, os.path.basename(os.fspath(path)))


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
