"""CIFAR-10 from the python-pickle batches of the canonical archive, found or fetched, verified.

CIFAR-10 (A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", technical
report, University of Toronto, 2009; https://www.cs.toronto.edu/~kriz/cifar.html): 60000 colour
images of 32x32 pixels in 10 classes, 50000 for training and 10000 for testing. The archive
``cifar-10-python.tar.gz`` holds the folder ``cifar-10-batches-py/`` with ``data_batch_1`` ...
``data_batch_5`` (training), ``test_batch`` and ``batches.meta``. Each batch is a pickle of a
dict: ``b"data"`` a numpy uint8 array (10000, 3072) whose rows are an image's red, green and
blue planes of 32x32 pixels, each in row-major order (so a row reshapes to (3, 32, 32)), and
``b"labels"`` a list of 10000 ints in 0..9; ``batches.meta``'s ``b"label_names"`` names the
classes.

The archive is cached unchanged as ``<root>/cifar-10/cifar-10-python.tar.gz`` and its SHA-256
(:data:`SHA256`, the value Keras' ``cifar10.load_data`` checks) is verified, through
:func:`tinyconv.data.datasets.ensure_files`, before anything is read from it. The batches are
read from the archive in memory by their exact names (nothing is extracted to disk, so no
member name can write outside the cache) and unpickled by :class:`RestrictedUnpickler`, which
refuses every global but the three that rebuild a numpy array.
"""
import io
import math
import pickle
import tarfile

import numpy as np

from .datasets import FileSet, HTTPMirror, ImageDataset, dataset_folder, ensure_files

ARCHIVE = "cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)

#: SHA-256 of cifar-10-python.tar.gz (MD5 c58f30108f718f92721af3b95e74349a).
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
#: Size of cifar-10-python.tar.gz in bytes: nothing larger is read or downloaded.
SIZE = 170_498_071

#: Sources of the archive, tried in order; replace or monkeypatch to change them.
SOURCES = [HTTPMirror("https://www.cs.toronto.edu/~kriz/", timeout=60, suffix="", deadline=3600)]

#: The most bytes an archive member may hold: the real batches are about 31 MB each.
MAX_MEMBER_BYTES = 32 * 2**20


def _ndarray(*args, **kwargs):
    """Stands for numpy.ndarray in a pickle: the class :func:`_reconstruct` is told to make; it
    may not be called (``ndarray(shape, dtype, buffer, offset)`` can read any memory)."""
    raise pickle.UnpicklingError(
        "refusing to call numpy.ndarray: arrays are rebuilt only from their pickled state "
        "(shape, dtype and data bytes)")


#: The numpy dtypes an array may have: booleans, integers and floats.
NUMERIC_DTYPES = frozenset(f"{kind}{size}" for kind, sizes in
                           (("b", "1"), ("i", "1248"), ("u", "1248"), ("f", "248")) for size in sizes)


class _PickledDtype:
    """What ``numpy.dtype(spec, align, copy)`` in a pickle makes: a numeric dtype, whose pickled
    state may only set the byte order."""

    def __init__(self, spec, align=False, copy=True):
        spec = spec.decode("latin-1") if isinstance(spec, bytes) else spec
        if spec not in NUMERIC_DTYPES:
            raise pickle.UnpicklingError(f"refusing the numpy dtype {spec!r}: expected one of "
                                         f"{', '.join(sorted(NUMERIC_DTYPES))}")
        self.dtype = np.dtype(spec)

    def __setstate__(self, state):
        order = state[1] if isinstance(state, tuple) and len(state) > 1 else None
        order = order.decode("latin-1") if isinstance(order, bytes) else order
        if order not in ("<", ">", "=", "|"):
            raise pickle.UnpicklingError(f"expected a dtype byte order '<', '>', '=' or '|', got {order!r}")
        if order != "|":
            self.dtype = self.dtype.newbyteorder(order)


class _PickledArray(np.ndarray):
    """What numpy's ``_reconstruct`` in a pickle makes: an array set only from a shape of
    non-negative ints, a :class:`_PickledDtype` and bytes of exactly the right length.
    ``np.asarray`` turns it into a plain array."""

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) != 5:
            got = f"tuple of {len(state)}" if isinstance(state, tuple) else type(state).__name__
            raise pickle.UnpicklingError(
                f"expected numpy's array state (version, shape, dtype, fortran, data), got {got}")
        _, shape, dtype, fortran, data = state
        if not isinstance(shape, tuple) or not all(type(d) is int and d >= 0 for d in shape):
            raise pickle.UnpicklingError(f"expected a shape of non-negative ints, got {shape!r}")
        if not isinstance(dtype, _PickledDtype):
            raise pickle.UnpicklingError(f"expected a pickled numpy dtype, got {type(dtype).__name__}")
        expected = math.prod(shape) * dtype.dtype.itemsize
        if not isinstance(data, bytes) or len(data) != expected:
            got = len(data) if isinstance(data, bytes) else type(data).__name__
            raise pickle.UnpicklingError(f"expected {expected} bytes of data for shape {shape} and "
                                         f"dtype {dtype.dtype}, got {got}")
        super().__setstate__((shape, dtype.dtype, bool(fortran), data))


def _reconstruct(cls, shape, typecode):
    """Stands for numpy's ``_reconstruct``: an empty array, to be set by its pickled state."""
    if cls is not _ndarray:
        raise pickle.UnpicklingError(f"expected numpy.ndarray to reconstruct, got {cls!r}")
    return np.ndarray.__new__(_PickledArray, (0,), np.uint8)


#: The globals a pickle may name, as (module, name), and what stands for them: what rebuilds a
#: numpy array from its state, never numpy's own functions. The batches were written by
#: Python 2 with numpy.core; numpy 2 writes numpy._core.
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): _ndarray,
    ("numpy", "dtype"): _PickledDtype,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only the builtin containers and scalars (dict, list, tuple,
    bytes, str, int, float, bool, None) and numpy arrays of numbers (:data:`ALLOWED_GLOBALS`).

    A pickle runs code only through the globals it names (classes and functions called while
    loading); any global outside :data:`ALLOWED_GLOBALS` raises ``pickle.UnpicklingError`` naming
    it, before it is imported or called. Arrays are rebuilt only from a shape, a dtype of
    :data:`NUMERIC_DTYPES` and data bytes of exactly the right length (anything else raises
    ``pickle.UnpicklingError``), as an ndarray subclass that ``np.asarray`` makes plain.
    Persistent ids are refused as well (the base class's default). Python 2 strings load as
    bytes (``encoding="bytes"``).
    """

    def __init__(self, file):
        super().__init__(file, encoding="bytes")

    def find_class(self, module, name):
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load the global {module}.{name}: only numpy arrays and builtin "
                f"types are allowed in CIFAR-10 batches") from None


def read_batches(archive, names):
    """Unpickle ``cifar-10-batches-py/<name>`` for each of ``names`` from the bytes of a tar.gz.

    The archive is read in one pass, up to the last member wanted; only regular-file members
    with exactly those names, and of at most :data:`MAX_MEMBER_BYTES`, are read.

    Returns:
        ``{name: unpickled object}``.

    Raises:
        ValueError: the archive is not a tar.gz, lacks a member, or a member is not a regular file
            or is larger than :data:`MAX_MEMBER_BYTES` (the message names it).
        pickle.UnpicklingError: a member is not a pickle, or names a global outside
            :data:`ALLOWED_GLOBALS` (the message names the member).
    """
    wanted = {f"{FOLDER}/{name}": name for name in names}
    raw = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            for member in tar:
                name = wanted.get(member.name)
                if name is None:
                    continue
                if not member.isfile():
                    raise ValueError(f"CIFAR-10 archive: {member.name} is not a regular file")
                if member.size > MAX_MEMBER_BYTES:
                    raise ValueError(f"CIFAR-10 archive: expected {member.name} of at most "
                                     f"{MAX_MEMBER_BYTES} bytes, got {member.size}")
                raw[name] = tar.extractfile(member).read()
                if len(raw) == len(wanted):
                    break
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ValueError(f"CIFAR-10 archive: not a readable tar.gz ({e})") from None
    missing = [path for path, name in wanted.items() if name not in raw]
    if missing:
        raise ValueError(f"CIFAR-10 archive: expected {', '.join(missing)}, not found")
    return {name: _unpickle(data, f"{FOLDER}/{name}") for name, data in raw.items()}


def _unpickle(raw, path):
    try:
        return RestrictedUnpickler(io.BytesIO(raw)).load()
    except Exception as e:  # a refused global, or a pickle cut short or garbled
        raise pickle.UnpicklingError(f"CIFAR-10 archive: {path}: {e}") from None


def _images_and_labels(batch, name):
    """The images uint8 (N, 3, 32, 32) and labels int64 (N,) of one unpickled batch."""
    if not isinstance(batch, dict):
        raise ValueError(f"CIFAR-10 {name}: expected a dict, got {type(batch).__name__}")
    data, labels = batch.get(b"data"), np.asarray(batch.get(b"labels", ()))
    data = np.asarray(data) if isinstance(data, np.ndarray) else data
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.shape[1:] != (3 * 32 * 32,) \
            or labels.shape != data.shape[:1] or labels.dtype.kind not in "iu":
        raise ValueError(f"CIFAR-10 {name}: expected b'data' uint8 (N, 3072) and b'labels' (N,) "
                         f"integers, got {type(data).__name__} {getattr(data, 'dtype', '')} "
                         f"{getattr(data, 'shape', '')} and {labels.dtype} {labels.shape}")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def _class_names(meta):
    """The class names (str) listed by the unpickled batches.meta."""
    names = meta.get(b"label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, bytes) for n in names):
        raise ValueError(f"CIFAR-10 batches.meta: expected b'label_names', a list of byte strings, "
                         f"got {type(names).__name__}")
    return [n.decode("utf-8") for n in names]


class CIFAR10(ImageDataset):
    """CIFAR-10: 50000 train / 10000 test colour images of 32x32 pixels, 10 classes.

    Args:
        root: data folder (default :func:`~tinyconv.data.default_data_dir`; a leading ``~`` is
            expanded); the archive goes to ``<root>/cifar-10/``.
        train: the training split (data_batch_1 ... data_batch_5, in order) if True, else the test
            split (test_batch).
        download: fetch a missing archive from :data:`SOURCES`; if False, only the cache is used.
        transform: callable applied to the float32 image array returned by ``__getitem__``.

    Attributes:
        data: uint8 (N, 3, 32, 32), channels red, green, blue. targets: int64 (N,).
        classes: the 10 class names from batches.meta ("airplane", ..., "truck").

    ``ds[index]`` returns float32 images in [0, 1], (3, 32, 32) for an int and (B, 3, 32, 32)
    otherwise, and int64 labels.

    Raises:
        TypeError: ``transform`` is not callable.
        RuntimeError: the archive is not in the cache and no source provides one with the right
            SHA-256 (the message lists every source tried); nothing partial is left in the cache.
        ValueError: the archive's content is not in the format above (names the member).
        pickle.UnpicklingError: a batch is not a pickle, or names a global other than numpy's array
            rebuilding (the message names the member).
    """
    folder, label = "cifar-10", "CIFAR-10"

    def __init__(self, root=None, train=True, download=True, transform=None):
        self.transform = self._check_transform(transform)
        self.root = dataset_folder(root, self.folder, [ARCHIVE])
        files = FileSet({ARCHIVE: SHA256}, {ARCHIVE: SIZE}, SOURCES, label=self.label, gunzip=False,
                        checksums_name="tinyconv.data.cifar.SHA256")
        archive = ensure_files(self.root, [ARCHIVE], files, download=download)
        names = TRAIN_BATCHES if train else TEST_BATCHES
        batches = read_batches(archive[ARCHIVE], names + ("batches.meta",))
        self.classes = _class_names(batches.pop("batches.meta"))
        parts = [_images_and_labels(batches[name], name) for name in names]
        self.data = np.concatenate([images for images, _ in parts])
        self.targets = np.concatenate([labels for _, labels in parts])
        if self.targets.size and not 0 <= self.targets.min() <= self.targets.max() < len(self.classes):
            raise ValueError(f"CIFAR-10: expected labels in [0, {len(self.classes)}), "
                             f"got [{self.targets.min()}, {self.targets.max()}]")
