"""Checkpoints: save and restore models, optimizers, schedules, data loaders, random generators
and plain values (epoch, history) in one file, atomically, without pickle.

    tc.save({"model": model, "optimizer": opt, "loader": loader, "rng": tc.default_rng(),
             "epoch": 3, "history": history}, "run/checkpoint.npz")
    ckpt = tc.load("run/checkpoint.npz")                      # plain data: arrays, numbers, dicts
    ckpt = tc.load("run/checkpoint.npz", into={"model": model, "optimizer": opt,
                                               "loader": loader, "rng": tc.default_rng()})
    start = ckpt["epoch"] + 1                                 # objects above restored in place

What can be saved: dicts with str keys, lists, tuples, None, bools, ints, floats, strs,
NumPy arrays and scalars (not of object dtype), Tensors (saved as their array),
``numpy.random.Generator`` objects (their ``bit_generator.state``) and any object with
``state_dict()`` (Modules, optimizers, DataLoaders, learning-rate schedules...), whose
``state_dict()`` returns such data in turn. Anything else raises TypeError naming where it sits.

Writing is atomic (:func:`tinyconv.fileio.atomic_write`: a temporary file in the same folder,
flushed and fsynced, renamed over the target, the folder fsynced): a process killed while
saving leaves the previous checkpoint intact, and at most a hidden ``.<name>.*.tmp`` file that
nothing reads.

File format (version 1)
-----------------------
A checkpoint is a ZIP archive in NumPy's ``.npz`` layout (``numpy.load(path,
allow_pickle=False)`` opens it) holding:

* ``checkpoint.json``: UTF-8 JSON ``{"format": "tinyconv-checkpoint", "version": 1,
  "tinyconv": "<version>", "content": NODE}``;
* one ``<key>.npy`` member per array, in NumPy's ``.npy`` format (never object dtype), where
  ``<key>`` is the array's path in the content joined by ``/`` (``model/0.weight``,
  ``optimizer/state/3/m``), made unique with a ``#<n>`` suffix where needed.

A NODE is one of:

* ``null``, ``true``/``false``, a number (ints of any size; floats written so that they read
  back bit for bit), a string;
* a JSON list: a list of NODEs;
* a JSON object whose keys do not start with ``$``: a dict of NODEs;
* ``{"$array": key}``: the array in ``<key>.npy``; ``{"$scalar": key}``: a NumPy scalar, stored
  as a 0-d array;
* ``{"$float": "nan" | "inf" | "-inf"}``: a non-finite Python float;
* ``{"$tuple": [NODE, ...]}``: a tuple;
* ``{"$generator": NODE}``: a ``numpy.random.Generator``; NODE is its ``bit_generator.state``
  (for PCG64: ``{"bit_generator": "PCG64", "state": {"state": int, "inc": int},
  "has_uint32": int, "uinteger": int}``);
* ``{"$state": {"type": class name, "value": NODE}}``: the ``state_dict()`` of an object.

Loading reads the JSON and the ``.npy`` members with pickling disabled, so a checkpoint can
never run code. :func:`load` returns the content as plain data (``$state`` nodes become their
state dicts, ``$generator`` nodes new Generators). With ``into``, objects are restored in place
after every name, shape and dtype was checked, and every mismatch is reported at once.
"""
import io
import json
import math
import os
import zipfile

import numpy as np

from .backend import to_numpy
from .fileio import atomic_write

FORMAT, VERSION = "tinyconv-checkpoint", 1
META = "checkpoint.json"
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")


# --------------------------------------------------------------------------------------- save

def _where(path):
    return "obj" + "".join(f"[{p!r}]" for p in path)


class _Encoder:
    def __init__(self):
        self.arrays = {}

    def array(self, path, value, marker):
        value = np.asarray(value)
        if value.dtype.hasobject:
            raise TypeError(f"{_where(path)}: cannot save an array of dtype object (loading never unpickles)")
        key = "/".join(str(p) for p in path) or "root"
        base, n = key, 1
        while key in self.arrays:
            n += 1
            key = f"{base}#{n}"
        self.arrays[key] = value
        return {marker: key}

    def encode(self, value, path=()):
        from .tensor import Tensor
        if isinstance(value, np.generic):  # before float: numpy.float64 is a float
            return self.array(path, np.asarray(value), "$scalar")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else {"$float": repr(value)}
        if isinstance(value, np.random.Generator):
            return {"$generator": self.encode(value.bit_generator.state, path)}
        if isinstance(value, Tensor):
            return self.array(path, value.numpy(), "$array")
        if isinstance(value, np.ndarray) or hasattr(value, "__cuda_array_interface__"):
            return self.array(path, to_numpy(value), "$array")
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise TypeError(f"{_where(path)}: cannot save a dict key of type {type(k).__name__} "
                                    f"({k!r}): expected str keys")
                if k.startswith("$"):
                    raise ValueError(f"{_where(path)}: cannot save the dict key {k!r}: keys starting "
                                     f"with '$' are reserved by the checkpoint format")
                out[k] = self.encode(v, path + (k,))
            return out
        if isinstance(value, list):
            return [self.encode(v, path + (i,)) for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v, path + (i,)) for i, v in enumerate(value)]}
        if callable(getattr(value, "state_dict", None)):
            return {"$state": {"type": type(value).__name__, "value": self.encode(value.state_dict(), path)}}
        raise TypeError(f"{_where(path)}: cannot save a value of type {type(value).__name__}: expected a dict, list, tuple, "
                        f"number, str, None, array, Tensor, numpy.random.Generator or an object with "
                        f"state_dict()")


def dumps(obj):
    """Return the bytes of a checkpoint of ``obj`` (see the module docstring for the format).

    Raises:
        TypeError: something in ``obj`` cannot be saved (the message says where, e.g.
            ``obj['history'][3]``), or a dict key is not a str.
        ValueError: a dict key starts with ``$``.
    """
    from . import __version__
    encoder = _Encoder()
    content = encoder.encode(obj)
    meta = {"format": FORMAT, "version": VERSION, "tinyconv": __version__, "content": content}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(META, json.dumps(meta, indent=1, allow_nan=False))
        for key, array in encoder.arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, array, allow_pickle=False)
    return buffer.getvalue()


def save(obj, path):
    """Write a checkpoint of ``obj`` to ``path`` atomically.

    Args:
        obj: a dict (usually) of Modules, optimizers, DataLoaders, Generators, arrays and plain
            values; see the module docstring for what can be saved and the file format.
        path: target file (``.npz`` by convention); its folder must exist.

    Raises:
        TypeError, ValueError: as :func:`dumps`; nothing is written then.
        OSError: the file cannot be written; a previous checkpoint at ``path`` is left intact.
    """
    atomic_write(path, dumps(obj))


# --------------------------------------------------------------------------------------- load

def _read(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        raise ValueError(f"path: expected a checkpoint file, got the folder {os.fspath(path)!r}") from None
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"{os.fspath(path)}: not a readable tinyconv checkpoint (not a ZIP/.npz archive: {e})") from None
    if META not in zf.namelist():
        raise ValueError(f"{os.fspath(path)}: not a tinyconv checkpoint (no {META}; a file written by "
                         f"Module.save is read by Module.load)")
    try:
        meta = json.loads(zf.read(META).decode("utf-8"))
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, EOFError) as e:
        raise ValueError(f"{os.fspath(path)}: not a readable tinyconv checkpoint ({META} is damaged: {e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)}: not a tinyconv checkpoint (no {FORMAT!r} header in {META})")
    if meta.get("version") != VERSION:
        raise ValueError(f"{os.fspath(path)}: checkpoint format version {meta.get('version')!r}, "
                         f"this tinyconv reads version {VERSION}")
    return zf, meta


class _Decoder:
    def __init__(self, zf, path):
        self.zf, self.path, self.cache = zf, os.fspath(path), {}

    def array(self, key):
        if key not in self.cache:
            try:
                with self.zf.open(key + ".npy") as f:
                    self.cache[key] = np.lib.format.read_array(f, allow_pickle=False)
            except (KeyError, ValueError, zipfile.BadZipFile, EOFError) as e:
                raise ValueError(f"{self.path}: array {key!r} is missing or damaged "
                                 f"({type(e).__name__}: {e})") from None
        return self.cache[key]

    def decode(self, node):
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (marker, value), = node.items()
            if marker == "$array":
                return self.array(value)
            if marker == "$scalar":
                return self.array(value)[()]
            if marker == "$float":
                return float(value)
            if marker == "$tuple":
                return tuple(self.decode(v) for v in value)
            if marker == "$generator":
                return _new_generator(self.decode(value))
            if marker == "$state":
                return self.decode(value["value"])
        if any(k.startswith("$") for k in node):
            raise ValueError(f"{self.path}: unknown checkpoint node {sorted(node)}")
        return {k: self.decode(v) for k, v in node.items()}


def _new_generator(state):
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(f"generator: expected the state of one of {_BIT_GENERATORS}, got {name!r}")
    generator = np.random.Generator(getattr(np.random, name)())
    generator.bit_generator.state = state
    return generator


def _kind(node):
    if isinstance(node, dict) and len(node) == 1:
        marker = next(iter(node))
        if marker.startswith("$"):
            return {"$state": "the state of an object", "$generator": "a random generator",
                    "$array": "an array", "$scalar": "a NumPy scalar", "$tuple": "a tuple",
                    "$float": "a float"}.get(marker, marker)
    return type(node).__name__ if not isinstance(node, dict) else "a dict"


def _restore_plan(target, node, decoder, where, plan, problems):
    """Walk ``target`` beside the stored ``node``; queue (where, restore, undo) actions in
    ``plan`` and append every mismatch found to ``problems``."""
    from .tensor import Tensor
    if isinstance(target, np.random.Generator):
        if not (isinstance(node, dict) and set(node) == {"$generator"}):
            problems.append(f"{where}: expected a random generator, got {_kind(node)}")
            return
        state = decoder.decode(node["$generator"])
        kind = target.bit_generator.state["bit_generator"]
        if not isinstance(state, dict) or state.get("bit_generator") != kind:
            got = state.get("bit_generator") if isinstance(state, dict) else state
            problems.append(f"{where}: expected the state of a {kind} bit generator, got {got!r}")
            return
        snapshot = target.bit_generator.state

        def restore(state=state, target=target):
            target.bit_generator.state = state
        plan.append((where, restore, lambda: setattr(target.bit_generator, "state", snapshot)))
    elif isinstance(target, Tensor):
        if not (isinstance(node, dict) and set(node) == {"$array"}):
            problems.append(f"{where}: expected an array, got {_kind(node)}")
            return
        value = decoder.decode(node)
        if value.shape != target.shape or value.dtype != target.dtype:
            problems.append(f"{where}: expected {target.dtype} {tuple(target.shape)}, got {value.dtype} {value.shape}")
            return
        snapshot = target.numpy().copy()

        def restore(value=value, target=target):
            target.data[...] = _like(target.data, value)
        plan.append((where, restore, lambda: target.data.__setitem__(Ellipsis, _like(target.data, snapshot))))
    elif callable(getattr(target, "load_state_dict", None)):
        if not (isinstance(node, dict) and set(node) == {"$state"}):
            problems.append(f"{where}: expected the state of {type(target).__name__}, got {_kind(node)}")
            return
        stored_type = node["$state"].get("type")
        if stored_type != type(target).__name__:
            problems.append(f"{where}: expected the state of {type(target).__name__}, got that of {stored_type}")
            return
        value = decoder.decode(node["$state"]["value"])
        snapshot = target.state_dict() if callable(getattr(target, "state_dict", None)) else None
        plan.append((where, lambda: target.load_state_dict(value),
                     None if snapshot is None else (lambda: target.load_state_dict(snapshot))))
    elif isinstance(target, dict):
        if not isinstance(node, dict) or any(k.startswith("$") for k in node):
            problems.append(f"{where}: expected a dict, got {_kind(node)}")
            return
        for key, sub in target.items():
            if key not in node:
                if _restorable(sub):
                    problems.append(f"{where}[{key!r}]: missing from the checkpoint")
            else:
                _restore_plan(sub, node[key], decoder, f"{where}[{key!r}]", plan, problems)
    # Anything else (an epoch number, a history list) is not restored in place: the returned
    # content holds its stored value.


def _restorable(target):
    from .tensor import Tensor
    return isinstance(target, (np.random.Generator, Tensor, dict)) or \
        callable(getattr(target, "load_state_dict", None))


def _like(reference, value):
    from .backend import get_array_module
    return get_array_module(reference).asarray(value)


def load(path, into=None):
    """Read a checkpoint written by :func:`save`.

    Args:
        path: the checkpoint file.
        into: optional; the objects to restore in place, shaped like what was saved (usually
            the same dict): Modules, optimizers, DataLoaders and other objects with
            ``load_state_dict``, ``numpy.random.Generator`` objects (e.g.
            ``tc.default_rng()``: restored in place, so every holder sees it), Tensors, and
            dicts of these. Plain values in ``into`` are ignored. Saved entries that ``into``
            does not name are only returned.

    Returns:
        The saved content as plain data: dicts, lists, tuples, numbers, strs, NumPy arrays,
        the state dicts of saved objects, and new Generators for saved generators.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is not a readable tinyconv checkpoint (or another version), or
            ``into`` does not match it: every mismatch (missing entries, another class,
            parameter names, shapes and dtypes, optimizer state, generator kinds) is listed at
            once, and then no object is changed.
    """
    zf, meta = _read(path)
    decoder = _Decoder(zf, path)
    content = meta["content"]
    if into is not None:
        plan, problems = [], []
        _restore_plan(into, content, decoder, "into", plan, problems)
        done = []  # each load_state_dict checks everything before it changes anything
        for where, restore, undo in plan:
            try:
                restore()
            except (ValueError, TypeError, KeyError) as e:
                problems.append(f"{where}: " + str(e).replace("\n", "\n    "))
            else:
                done.append(undo)
        if problems:
            for undo in reversed(done):
                if undo is not None:
                    undo()
            raise ValueError(f"checkpoint {os.fspath(path)} does not match:\n  " + "\n  ".join(sorted(problems)))
    return decoder.decode(content)
