"""Small synthetic CIFAR-10 archives in the format of cifar-10-python.tar.gz, for the tests.

The real batches were pickled by Python 2 (protocol 2, strings as Python 2 ``str``, which load
as bytes, numpy arrays rebuilt by ``numpy.core.multiarray._reconstruct``); :func:`python2_pickle`
writes the same opcodes, so the loader is tested on what it meets in the real archive.
"""
import io
import pickle
import struct
import tarfile

import numpy as np

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class _Python2Pickler(pickle._Pickler):
    """Protocol 2 with bytes and str written as Python 2 strings (SHORT_BINSTRING, BINSTRING),
    as numpy's dtype codes were."""
    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    def save_str(self, obj):
        self.save_bytes(obj.encode("latin-1"))

    dispatch[bytes], dispatch[str] = save_bytes, save_str


def python2_pickle(obj):
    """The bytes of ``obj`` pickled as Python 2's cPickle with numpy 1.x wrote them."""
    f = io.BytesIO()
    _Python2Pickler(f, protocol=2).dump(obj)
    return f.getvalue().replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def images(labels, rng):
    """uint8 rows (N, 3072) of noise whose class shows as a bright band of rows in channel
    ``label % 3``, so that a network can learn it."""
    x = rng.integers(0, 100, (len(labels), 3, 32, 32), dtype=np.uint8)
    for image, label in zip(x, labels):
        image[label % 3, 3 * label:3 * label + 3] = 255
    return x.reshape(len(labels), -1)


def batches(n=4, seed=0):
    """``{member name: unpickled dict}`` of the six batches (``n`` images each) and batches.meta."""
    rng = np.random.default_rng(seed)
    out = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        labels = rng.integers(0, 10, n).tolist()
        out[name] = {b"batch_label": f"batch {i + 1}".encode(), b"labels": labels,
                     b"data": images(labels, rng), b"filenames": [b"image_%d.png" % j for j in range(n)]}
    out["batches.meta"] = {b"num_cases_per_batch": n, b"label_names": [c.encode() for c in CLASSES],
                           b"num_vis": 3072}
    return out


def tar_gz(members):
    """The bytes of a tar.gz holding ``{path: bytes}``; a ``tarfile.TarInfo`` value is added as is."""
    f = io.BytesIO()
    with tarfile.open(fileobj=f, mode="w:gz") as tar:
        for path, data in members.items():
            if isinstance(data, tarfile.TarInfo):
                tar.addfile(data)
                continue
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return f.getvalue()


def archive(content=None, extra=None):
    """A cifar-10-python.tar.gz of ``content`` (default :func:`batches`), each pickled like the
    real batches (a bytes value is taken as a pickle already), plus ``extra`` members
    ``{path: bytes or TarInfo}``."""
    content = batches() if content is None else content
    members = {f"cifar-10-batches-py/{name}": data if isinstance(data, bytes) else python2_pickle(data)
               for name, data in content.items()}
    return tar_gz({**members, **(extra or {})})
