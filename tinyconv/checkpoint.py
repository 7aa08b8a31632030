"""Checkpoints: save and restore models, optimizers, schedules, data loaders, random generators
and plain values (epoch, history) in one file, atomically, without pickle.

    tc.save({"model": model, "optimizer": opt, "loader": loader, "rng": tc.default_rng(),
             "epoch": 3, "history": history}, "run/checkpoint.npz")
    ckpt = tc.load("run/checkpoint.npz")                      # plain data: arrays, numbers, dicts
    ckpt = tc.load("run/checkpoint.npz", into={"model": model, "optimizer": opt,
                                               "loader": loader, "rng": tc.default_rng()})
    start = ckpt["epoch"] + 1                                 # objects above restored in place

``model.save(path)`` (:meth:`tinyconv.nn.Module.save`) is ``save(model, path)``: one format and
one writer for weights and checkpoints. ``model.load(path)`` reads it (:func:`load_weights`), and
also the archives of bare arrays that ``Module.save`` wrote before it wrote checkpoints.

What can be saved: dicts with str keys or with int keys (an optimizer's ``state``), lists, tuples, None, bools, ints, floats, strs,
NumPy arrays and scalars (not of object dtype), Tensors (saved as their array),
``numpy.random.Generator`` objects (their ``bit_generator.state``) and any object with
``state_dict()`` (Modules, optimizers, DataLoaders, learning-rate schedules...), whose
``state_dict()`` returns such data in turn. Anything else raises TypeError naming where it sits.

Limits (ValueError at save, naming where, before anything is written; the same at load):
dict keys hold no NUL, are valid UTF-8 and at most ``MAX_KEY_BYTES`` (65,535) bytes long; no
container holds itself; the content nests at most ``MAX_DEPTH`` (100) JSON levels (the root
is level 1; a tuple or an object's state takes two levels, a generator one); ints have at most
``MAX_INT_DIGITS`` (4,300) decimal digits; ``checkpoint.json`` takes at most
``MAX_META_BYTES`` (16 MiB): big data belong in arrays, which have no limit of their own.

Writing is atomic (:func:`tinyconv.fileio.atomic_write`: a temporary file in the same folder,
flushed and fsynced, renamed over the target, the folder fsynced): a process killed while
saving leaves the previous checkpoint intact, and at most a hidden ``.<name>.<pid>.*.tmp`` file
that nothing reads and that the next save to the same path removes. Saving over a checkpoint
keeps its permission bits; a new file gets those the umask allows.

File format (version 1)
-----------------------
A checkpoint is a ZIP archive in NumPy's ``.npz`` layout (``numpy.load(path,
allow_pickle=False)`` opens it) holding:

* ``checkpoint.json``: UTF-8 JSON ``{"format": "tinyconv-checkpoint", "version": 1,
  "tinyconv": "<version>", "content": NODE}``;
* one ``<key>.npy`` member per array, in NumPy's ``.npy`` format (version 1.0 or 2.0, never
  object dtype), where ``<key>`` is the array's path in the content joined by ``/``
  (``model/0.weight``, ``optimizer/state/3/m``), cut to 200 characters, with backslashes read
  as ``/`` and without empty, ``.`` or ``..`` parts (a key ``../x`` gives ``x``), made unique
  with a ``#<n>`` suffix where needed. The JSON names each member; the names carry no meaning.

Every member is stored, not compressed (``ZIP_STORED``).

A NODE is one of:

* ``null``, ``true``/``false``, a number (ints of up to 4,300 digits; finite floats written so
  that they read back bit for bit), a string;
* a JSON list: a list of NODEs;
* a JSON object whose keys do not start with ``$``: a dict of NODEs;
* ``{"$array": key}``: the array in ``<key>.npy``; ``{"$scalar": key}``: a NumPy scalar, stored
  as a 0-d array;
* ``{"$float": "nan" | "inf" | "-inf"}``: a non-finite Python float;
* ``{"$tuple": [NODE, ...]}``: a tuple;
* ``{"$intkeys": {"<int>": NODE, ...}}``: a dict whose keys are all ints, written in decimal;
* ``{"$generator": NODE}``: a ``numpy.random.Generator``; NODE is its ``bit_generator.state``
  (for PCG64: ``{"bit_generator": "PCG64", "state": {"state": int, "inc": int},
  "has_uint32": int, "uinteger": int}``);
* ``{"$state": {"type": class name, "value": NODE}}``: the ``state_dict()`` of an object.

Loading reads the JSON and the ``.npy`` members with pickling disabled, so a checkpoint can
never run code. It treats the file as untrusted: only a regular file is opened (never a FIFO
or a device), compressed or encrypted members are refused, every read has a size known in
advance (the members together no larger than the file, ``checkpoint.json`` within its limit,
each array exactly the size its ``.npy`` header declares, checked before anything is
allocated), and every node of the JSON is checked; whatever is wrong raises ValueError naming
it. :func:`load` returns the content as plain data (``$state`` nodes become their state dicts,
``$generator`` nodes new Generators). With ``into``, objects are restored in place after every
name, shape and dtype was checked, and every mismatch is reported at once; if restoring one
object still fails, those already restored are rolled back.
"""
import io
import json
import math
import os
import re
import stat
import zipfile

import numpy as np

from .backend import to_numpy
from .fileio import atomic_write
from .validation import path_arg

FORMAT, VERSION = "tinyconv-checkpoint", 1
META = "checkpoint.json"
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")

MAX_DEPTH = 100                # JSON nesting levels of the content (the root is level 1)
MAX_KEY_BYTES = 65_535         # UTF-8 bytes of a dict key (the ZIP format's limit on a name)
MAX_INT_DIGITS = 4_300         # decimal digits of an int (Python's int/str conversion limit)
MAX_META_BYTES = 16 * 2 ** 20  # bytes of checkpoint.json
_INT_LIMIT = 10 ** MAX_INT_DIGITS
_NAME_CHARS = 200              # member names are cut to this length (then made unique)
_CHUNK = 2 ** 20               # array data is read in chunks of this many bytes
_MARKERS = {"$array": "an array", "$scalar": "a NumPy scalar", "$float": "a float", "$tuple": "a tuple",
            "$intkeys": "a dict with int keys",
            "$generator": "a random generator", "$state": "the state of an object"}


# --------------------------------------------------------------------------------------- save

def _where(path, root="obj"):
    return root + "".join(f"[{p!r}]" for p in path)


def _check_depth(path, depth):
    if depth > MAX_DEPTH:
        raise ValueError(f"{_where(path)}: nested deeper than {MAX_DEPTH} levels")


def _int_key(key):
    return isinstance(key, (int, np.integer)) and not isinstance(key, bool) and abs(key) < _INT_LIMIT


def _check_key(key, path):
    """Raise unless ``key`` can be a dict key in a checkpoint; ``path`` is the dict's."""
    if not isinstance(key, str):
        raise TypeError(f"{_where(path)}: cannot save a dict key of type {type(key).__name__} ({key!r}): "
                        f"expected str keys (or only int keys)")
    if key.startswith("$"):
        raise ValueError(f"{_where(path)}: cannot save the dict key {key!r}: keys starting with '$' are "
                         f"reserved by the checkpoint format")
    if "\0" in key:
        raise ValueError(f"{_where(path)}: cannot save the dict key {key!r}: keys cannot hold NUL")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError(f"{_where(path)}: cannot save the dict key {key!r}: not encodable as UTF-8") from None
    if size > MAX_KEY_BYTES:
        raise ValueError(f"{_where(path)}: cannot save a dict key of {size} bytes: at most {MAX_KEY_BYTES} "
                         f"UTF-8 bytes")


def _member_name(path):
    """The name of the member holding the array at ``path``: its keys joined by ``/``, cut to
    200 characters, without empty, ``.`` or ``..`` parts or backslashes ("root" if nothing is
    left), so that no name is absolute or climbs out of a folder it is extracted to."""
    joined = "/".join(str(p) for p in path)[:_NAME_CHARS]
    return "/".join(part for part in re.split(r"[/\\]", joined) if part not in ("", ".", "..")) or "root"


def _plain(value):
    """Whether ``value`` is stored as itself in the JSON: None, bool, int, str, finite float."""
    return not isinstance(value, np.generic) and (
        value is None or isinstance(value, (bool, int, str)) or (isinstance(value, float) and math.isfinite(value)))


class _Encoder:
    def __init__(self):
        self.arrays = {}
        self.active = set()  # ids of the containers being encoded: one met again holds itself

    def array(self, path, value, marker):
        value = np.asarray(value)
        if value.dtype.hasobject:
            raise TypeError(f"{_where(path)}: cannot save an array of dtype object (loading never unpickles)")
        key = base = _member_name(path)
        n = 1
        while key in self.arrays:
            n += 1
            key = f"{base}#{n}"
        self.arrays[key] = value
        return {marker: key}

    def encode(self, value, path=(), depth=1):
        """Return the JSON node of ``value``, found at ``path``; ``depth`` is the node's
        nesting level (the root's is 1)."""
        from .tensor import Tensor
        if _plain(value):
            if isinstance(value, int) and not isinstance(value, bool):
                if abs(value) >= _INT_LIMIT:
                    raise ValueError(f"{_where(path)}: cannot save an int of more than {MAX_INT_DIGITS} decimal digits")
                return int(value)
            return value
        _check_depth(path, depth)
        if isinstance(value, np.generic):
            return self.array(path, np.asarray(value), "$scalar")
        if isinstance(value, float):
            return {"$float": repr(value)}
        if isinstance(value, np.random.Generator):
            return {"$generator": self.encode(value.bit_generator.state, path, depth + 1)}
        if isinstance(value, Tensor):
            return self.array(path, value.numpy(), "$array")
        if isinstance(value, np.ndarray) or hasattr(value, "__cuda_array_interface__"):
            return self.array(path, to_numpy(value), "$array")
        if isinstance(value, (dict, list, tuple)):
            return self.container(value, path, depth)
        if callable(getattr(value, "state_dict", None)):
            _check_depth(path, depth + 1)
            state = self.encode(value.state_dict(), path, depth + 2)
            return {"$state": {"type": type(value).__name__, "value": state}}
        raise TypeError(f"{_where(path)}: cannot save a value of type {type(value).__name__}: expected a dict, list, tuple, "
                        f"number, str, None, array, Tensor, numpy.random.Generator or an object with "
                        f"state_dict()")

    def container(self, value, path, depth):
        if id(value) in self.active:
            raise ValueError(f"{_where(path)}: cannot save a {type(value).__name__} that holds itself")
        self.active.add(id(value))
        try:
            if isinstance(value, dict) and value and all(_int_key(k) for k in value):
                _check_depth(path, depth + 1)
                items = {str(int(k)): self.encode(v, path + (k,), depth + 2) for k, v in value.items()}
                return {"$intkeys": items}
            if isinstance(value, dict):
                for k in value:
                    _check_key(k, path)
                return {k: self.encode(v, path + (k,), depth + 1) for k, v in value.items()}
            if isinstance(value, list):
                return [self.encode(v, path + (i,), depth + 1) for i, v in enumerate(value)]
            _check_depth(path, depth + 1)
            return {"$tuple": [self.encode(v, path + (i,), depth + 2) for i, v in enumerate(value)]}
        finally:
            self.active.discard(id(value))


def dumps(obj):
    """Return the bytes of a checkpoint of ``obj`` (see the module docstring for the format).

    Raises:
        TypeError: something in ``obj`` cannot be saved (the message says where, e.g.
            ``obj['history'][3]``), or a dict key is not a str.
        ValueError: a dict key starts with ``$``, holds NUL, is not encodable as UTF-8 or is
            longer than ``MAX_KEY_BYTES``; a container holds itself; the content is nested
            deeper than ``MAX_DEPTH`` levels; an int has more than ``MAX_INT_DIGITS`` digits;
            the metadata would exceed ``MAX_META_BYTES``.
    """
    from . import __version__
    encoder = _Encoder()
    content = encoder.encode(obj)
    meta = {"format": FORMAT, "version": VERSION, "tinyconv": __version__, "content": content}
    text = json.dumps(meta, indent=1, allow_nan=False).encode("utf-8")
    if len(text) > MAX_META_BYTES:
        raise ValueError(f"obj: the metadata would take {len(text)} bytes, more than the limit of {MAX_META_BYTES} "
                         f"(MAX_META_BYTES); store big data as arrays")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr(META, text)
        for key, array in encoder.arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, array, allow_pickle=False)
    return buffer.getvalue()


def save(obj, path):
    """Write a checkpoint of ``obj`` to ``path`` atomically.

    Args:
        obj: a dict (usually) of Modules, optimizers, DataLoaders, Generators, arrays and plain
            values; see the module docstring for what can be saved and the file format.
        path: target file (``.npz`` by convention); its folder must exist. An existing file
            keeps its permission bits; temporaries of ``path`` left by killed saves are removed
            (:func:`tinyconv.fileio.atomic_write`).

    Raises:
        TypeError, ValueError: as :func:`dumps`, or ``path`` is not a str or os.PathLike;
            nothing is written then.
        OSError: the file cannot be written; a previous checkpoint at ``path`` is left intact.
    """
    atomic_write(path_arg("path", path), dumps(obj))


# --------------------------------------------------------------------------------------- load

_FILE_KINDS = ((stat.S_ISDIR, "the folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _check_regular(mode, path):
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "a special file")
        raise ValueError(f"path: expected a regular checkpoint file, got {kind} {path!r}")


def _open(path):
    """Open ``path`` for reading if it is a regular file (checked before opening, and again on
    the open file, which a FIFO cannot block: O_NONBLOCK); return (file, size in bytes)."""
    where = os.fspath(path)
    _check_regular(os.stat(where).st_mode, where)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        _check_regular(info.st_mode, where)
        return os.fdopen(fd, "rb"), info.st_size
    except BaseException:
        os.close(fd)
        raise


def _archive(f, size, where):
    """The ZIP archive in ``f``; every member must be stored (not compressed), unencrypted,
    and all of them together no larger than the file, so nothing read can exceed its size."""
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as e:
        raise ValueError(f"{where}: not a readable tinyconv checkpoint (not a ZIP/.npz archive: {e})") from None
    for info in zf.infolist():
        if info.compress_type != zipfile.ZIP_STORED:
            method = {zipfile.ZIP_DEFLATED: "deflate", zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "lzma"}
            raise ValueError(f"{where}: member {info.filename!r} is compressed "
                             f"({method.get(info.compress_type, info.compress_type)}): a checkpoint holds stored "
                             f"members only")
        if info.flag_bits & 0x1:
            raise ValueError(f"{where}: member {info.filename!r} is encrypted")
    total = sum(info.file_size for info in zf.infolist())
    if total > size:
        raise ValueError(f"{where}: not a readable tinyconv checkpoint (its members declare {total} bytes, more "
                         f"than the file's {size})")
    return zf


def _parse_int(text):
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an int of more than {MAX_INT_DIGITS} decimal digits")
    return int(text)


def _parse_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text} is out of range")
    return value


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _too_deep(node):
    """Whether the JSON tree ``node`` nests containers deeper than MAX_DEPTH (iteratively)."""
    stack = [(node, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, (dict, list)):
            if level > MAX_DEPTH:
                return True
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def _metadata(zf, where):
    """Read and check checkpoint.json (at most MAX_META_BYTES); return its content node."""
    try:
        info = zf.getinfo(META)
    except KeyError:
        raise ValueError(f"{where}: not a tinyconv checkpoint (no {META}; bare arrays (what Module.save wrote "
                         f"before it wrote checkpoints) are read by Module.load)") from None
    if info.file_size > MAX_META_BYTES:
        raise ValueError(f"{where}: {META} holds {info.file_size} bytes, more than the limit of {MAX_META_BYTES} "
                         f"(MAX_META_BYTES)")
    try:
        with zf.open(info) as f:
            text = f.read(info.file_size).decode("utf-8")
        meta = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError(f"{where}: {META}: nested deeper than {MAX_DEPTH} levels") from None
    except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError, ValueError) as e:  # JSONDecodeError...
        raise ValueError(f"{where}: not a readable tinyconv checkpoint ({META} is damaged: {e})") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{where}: {META}: expected a JSON object, got {type(meta).__name__}")
    if _too_deep(meta.get("content")):
        raise ValueError(f"{where}: {META}: nested deeper than {MAX_DEPTH} levels")
    if meta.get("format") != FORMAT:
        raise ValueError(f"{where}: not a tinyconv checkpoint (no {FORMAT!r} header in {META})")
    version = meta.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"{where}: checkpoint format version {version!r}, this tinyconv reads version {VERSION}")
    if "content" not in meta:
        raise ValueError(f"{where}: {META}: missing 'content'")
    return meta["content"]


def _read_npy(zf, info):
    """Read the .npy member ``info``: its header, then exactly the bytes the header declares,
    which must be all the member holds (checked before anything is allocated)."""
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version not in readers:
            raise ValueError(f".npy format version {version} is not supported")
        shape, fortran, dtype = readers[version](f)
        if dtype.hasobject:
            raise ValueError("it holds Python objects, which loading never unpickles")
        count = math.prod(shape)
        held, declared = info.file_size - f.tell(), count * dtype.itemsize
        if held != declared:
            raise ValueError(f"its header declares {declared} bytes of data, the member holds {held}")
        array = np.empty(count, dtype)
        data = memoryview(array.view(np.uint8)) if declared else memoryview(b"")
        for start in range(0, declared, _CHUNK):
            part = data[start:start + _CHUNK]
            if f.readinto(part) != len(part):
                raise ValueError("the member ends before its data")
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


class _Decoder:
    """Turns the checkpoint's JSON content into plain data, checking every node."""

    def __init__(self, zf, path):
        self.zf, self.path, self.cache = zf, path, {}

    def fail(self, where, message):
        raise ValueError(f"{self.path}: {where}: {message}")

    def array(self, key, where):
        if not isinstance(key, str):
            self.fail(where, f"expected the name of an array member, got {type(key).__name__}")
        if key not in self.cache:
            try:
                self.cache[key] = _read_npy(self.zf, self.zf.getinfo(key + ".npy"))
            except KeyError:
                self.fail(where, f"array {key!r} is missing or damaged (not in the archive)")
            except (ValueError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as e:
                self.fail(where, f"array {key!r} is missing or damaged: {e}")
        return self.cache[key]

    def decode(self, node, where="content"):
        if isinstance(node, list):
            return [self.decode(v, f"{where}[{i}]") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        if not any(k.startswith("$") for k in node):
            return {k: self.decode(v, f"{where}[{k!r}]") for k, v in node.items()}
        marker = next(iter(node))
        if len(node) != 1 or marker not in _MARKERS:
            self.fail(where, f"unknown checkpoint node {sorted(node)}")
        return getattr(self, "decode_" + marker[1:])(node[marker], where)

    def decode_array(self, key, where):
        return self.array(key, where)

    def decode_scalar(self, key, where):
        array = self.array(key, where)
        if array.ndim != 0:
            self.fail(where, f"expected a 0-d array for a NumPy scalar, got shape {array.shape}")
        return array[()]

    def decode_float(self, value, where):
        if value not in ("nan", "inf", "-inf"):
            self.fail(where, f"expected 'nan', 'inf' or '-inf', got {value!r}")
        return float(value)

    def decode_tuple(self, items, where):
        if not isinstance(items, list):
            self.fail(where, f"expected a list of tuple items, got {type(items).__name__}")
        return tuple(self.decode(v, f"{where}[{i}]") for i, v in enumerate(items))

    def decode_intkeys(self, items, where):
        if not isinstance(items, dict):
            self.fail(where, f"expected a dict of int keys, got {type(items).__name__}")
        decoded = {}
        for k, v in items.items():
            if not re.fullmatch(r"-?[0-9]{1,%d}" % MAX_INT_DIGITS, k):
                self.fail(where, f"expected a decimal int key, got {k!r}")
            decoded[int(k)] = self.decode(v, f"{where}[{k}]")
        return decoded

    def decode_generator(self, state, where):
        state = self.decode(state, where)
        try:
            return _new_generator(state)
        except ValueError as e:
            self.fail(where, str(e))

    def decode_state(self, value, where):
        if not (isinstance(value, dict) and set(value) == {"type", "value"} and isinstance(value["type"], str)):
            self.fail(where, f'expected {{"$state": {{"type": str, "value": NODE}}}}, got {_kind(value)}')
        return self.decode(value["value"], where)


def _new_generator(state):
    """A new Generator with the bit generator state ``state``; ValueError if it is not one."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if not isinstance(name, str) or name not in _BIT_GENERATORS:
        raise ValueError(f"expected the state of one of {_BIT_GENERATORS}, got {name!r}")
    generator = np.random.Generator(getattr(np.random, name)())
    try:
        generator.bit_generator.state = state
    except Exception as e:  # TypeError, KeyError, OverflowError...: whatever a malformed state raises
        raise ValueError(f"not a valid {name} state ({type(e).__name__}: {e})") from None
    return generator


def _kind(node):
    if isinstance(node, dict):
        return _MARKERS.get(next(iter(node)), "a dict") if len(node) == 1 else "a dict"
    return type(node).__name__


class _Plan:
    """Walks the objects to restore beside the stored content: queues (where, restore, undo)
    in ``actions`` and every mismatch found in ``problems``, restoring nothing yet."""

    def __init__(self, decoder):
        self.decoder, self.actions, self.problems = decoder, [], []

    def walk(self, target, node, where):
        """Plan the restoring of ``target`` from the stored ``node``. Anything that is not
        restorable (an epoch number, a history list) is skipped: the returned content holds
        its stored value."""
        step = _restorable_as(target)
        if step is None:
            return
        problem = getattr(self, step)(target, node, where)
        if problem:
            self.problems.append(f"{where}: {problem}")

    def generator(self, target, node, where):
        if not _is_node(node, "$generator"):
            return f"expected a random generator, got {_kind(node)}"
        state = self.decoder.decode(node["$generator"], where)
        kind = target.bit_generator.state["bit_generator"]
        if not isinstance(state, dict) or state.get("bit_generator") != kind:
            got = state.get("bit_generator") if isinstance(state, dict) else state
            return f"expected the state of a {kind} bit generator, got {got!r}"
        snapshot = target.bit_generator.state
        self.actions.append((where, lambda: setattr(target.bit_generator, "state", state),
                             lambda: setattr(target.bit_generator, "state", snapshot)))

    def tensor(self, target, node, where):
        if not _is_node(node, "$array"):
            return f"expected an array, got {_kind(node)}"
        value = self.decoder.decode(node, where)
        if value.shape != target.shape or value.dtype != target.dtype:
            return f"expected {target.dtype} {tuple(target.shape)}, got {value.dtype} {value.shape}"
        snapshot = target.numpy().copy()
        self.actions.append((where, lambda: _fill(target, value), lambda: _fill(target, snapshot)))

    def state(self, target, node, where):
        name = type(target).__name__
        if not _is_node(node, "$state"):
            return f"expected the state of {name}, got {_kind(node)}"
        stored_type = node["$state"].get("type")
        if stored_type != name:
            return f"expected the state of {name}, got that of {stored_type}"
        value = self.decoder.decode(node["$state"]["value"], where)
        snapshot = target.state_dict() if callable(getattr(target, "state_dict", None)) else None
        self.actions.append((where, lambda: target.load_state_dict(value),
                             None if snapshot is None else (lambda: target.load_state_dict(snapshot))))

    def mapping(self, target, node, where):
        if not isinstance(node, dict) or any(k.startswith("$") for k in node):
            return f"expected a dict, got {_kind(node)}"
        for key, sub in target.items():
            if key in node:
                self.walk(sub, node[key], f"{where}[{key!r}]")
            elif _restorable_as(sub):
                self.problems.append(f"{where}[{key!r}]: missing from the checkpoint")


def _restorable_as(target):
    """The :class:`_Plan` step that restores ``target`` in place, or None if it is not restored."""
    from .tensor import Tensor
    if isinstance(target, np.random.Generator):
        return "generator"
    if isinstance(target, Tensor):
        return "tensor"
    if callable(getattr(target, "load_state_dict", None)):
        return "state"
    return "mapping" if isinstance(target, dict) else None


def _is_node(node, marker):
    return isinstance(node, dict) and set(node) == {marker}


def _fill(tensor, value):
    """Copy the host array ``value`` into ``tensor``'s array, on its device."""
    from .backend import get_array_module
    tensor.data[...] = get_array_module(tensor.data).asarray(value)


def load(path, map_location=None, *, into=None, weights_only=True):
    """Read a checkpoint written by :func:`save`.

    Args:
        path: the checkpoint file.
        map_location: as PyTorch's, for the programs that pass it: None, "cpu" or
            ``tinyconv.device("cpu")`` (arrays are always loaded into host memory; move a model
            with ``model.to(device)``).
        weights_only: True, as PyTorch's default: a checkpoint never holds pickled objects.
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
        TypeError: ``path`` is not a str or os.PathLike.
        FileNotFoundError: no file at ``path``.
        ValueError: ``path`` is not a regular file (a folder, FIFO, device...); the file is not
            a readable tinyconv checkpoint (not a ZIP archive, another version, compressed
            members, an array whose data do not match its header, a malformed or oversized
            ``checkpoint.json``: the message names the node, e.g. ``content['rng']``); or
            ``into`` does not match it: every mismatch (missing entries, another class,
            parameter names, shapes and dtypes, optimizer state, generator kinds) is listed at
            once, and then no object is changed (any exception raised while restoring rolls
            back the objects already restored and is reported the same way).
    """
    if map_location is not None and str(map_location) != "cpu":
        raise NotImplementedError(f"map_location: tinyconv loads into host memory (None or 'cpu'), got "
                                  f"{str(map_location)!r}; move a model with model.to(device)")
    if weights_only is not True:
        raise NotImplementedError("weights_only=False: a tinyconv checkpoint never holds pickles, so there is "
                                  "nothing more to load; leave weights_only at True")
    return _read(path, lambda zf, where: _content(zf, where, into))


def load_weights(path):
    """Read the state dict that :meth:`tinyconv.nn.Module.save` wrote: a checkpoint (read as
    :func:`load` reads it, returning its content), or an archive of bare arrays without
    ``checkpoint.json`` (what ``Module.save`` wrote before it wrote checkpoints, and what
    ``numpy.savez`` writes), returned as a dict name -> NumPy array. Both are read with the
    checks of :func:`load`: only a regular file, stored (uncompressed) members, each array
    exactly as large as its ``.npy`` header declares (checked before allocating), never a
    pickle.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a regular file, not a ZIP archive, a damaged checkpoint (as
            :func:`load`), or bare arrays with a member that is not ``<name>.npy``, compressed
            or encrypted, or whose data do not match its header (named).
    """
    return _read(path, _weights)


def _read(path, read):
    """Open ``path`` as an untrusted archive (:func:`_open`, :func:`_archive`) and return
    ``read(zip file, path as a str)``."""
    where = path_arg("path", path)
    f, size = _open(path)
    with f:
        return read(_archive(f, size, where), where)


def _content(zf, where, into=None):
    """The checkpoint's content as plain data, after checking every node and reading every
    array; then, with ``into``, the objects in it restored."""
    decoder = _Decoder(zf, where)
    content = _metadata(zf, where)
    result = decoder.decode(content)
    if into is not None:
        _restore(into, content, decoder, where)
    return result


def _weights(zf, where):
    """The content of a checkpoint, or the arrays of an archive without ``checkpoint.json``."""
    return _content(zf, where) if META in zf.namelist() else _bare_arrays(zf, where)


def _bare_arrays(zf, where):
    """An archive holding only ``<name>.npy`` members, as a dict name -> array."""
    arrays = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"{where}: member {info.filename!r}: expected only <name>.npy array members")
        try:
            arrays[info.filename[:-4]] = _read_npy(zf, info)
        except (ValueError, zipfile.BadZipFile, EOFError, OSError, NotImplementedError) as e:
            raise ValueError(f"{where}: member {info.filename!r}: {e}") from None
    return arrays


def _restore(into, content, decoder, where):
    """Restore the objects in ``into`` from ``content``, all or none: any failure (a mismatch
    found beforehand, or any exception of a ``load_state_dict``) rolls back those restored."""
    plan = _Plan(decoder)
    plan.walk(into, content, "into")
    problems, done = plan.problems, []
    for target, restore, undo in plan.actions:
        try:
            restore()
        except Exception as e:
            message = str(e) if isinstance(e, ValueError) else f"{type(e).__name__}: {e}"
            problems.append(f"{target}: " + message.replace("\n", "\n    "))
        else:
            done.append(undo)
    if problems:
        for undo in reversed(done):
            if undo is not None:
                undo()
        raise ValueError(f"checkpoint {where} does not match:\n  " + "\n  ".join(sorted(problems)))
