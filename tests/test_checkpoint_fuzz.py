"""Fuzzing tc.load with malformed checkpoints: random checkpoint.json content (wrong types,
missing keys, unknown or malformed markers, huge numbers, deep nesting) and random damage to
the bytes of a valid file. Every load must either succeed or raise ValueError; with ``into``,
a failed load must leave every object as it was."""
import functools
import io
import json
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinyconv as tc
from tinyconv import nn
from tinyconv.data import DataLoader, TensorDataset

fuzz = settings(max_examples=max(200, settings.default.max_examples), deadline=None)
MARKERS = ["$array", "$scalar", "$float", "$tuple", "$generator", "$state", "$other"]
GOOD = {"format": "tinyconv-checkpoint", "version": 1, "tinyconv": "0"}

scalars = (st.none() | st.booleans() | st.integers(-2 ** 300, 2 ** 300) | st.floats(allow_nan=False)
           | st.sampled_from(["a", "b", "nan", "-inf", "PCG64", "MT19937", "Linear", ""]) | st.text(max_size=4))


def with_children(children):
    keys = st.sampled_from(["a", "b", "state", "inc", "type", "value", "bit_generator", "has_uint32", "uinteger",
                            "weight", "bias", "rng", "order", "position"]) | st.sampled_from(MARKERS)
    return (st.lists(children, max_size=4)
            | st.dictionaries(keys, children, max_size=4)
            | st.builds(lambda marker, value: {marker: value}, st.sampled_from(MARKERS), children)
            | st.builds(lambda kind, value: {"$state": {"type": kind, "value": value}},
                        st.sampled_from(["Linear", "DataLoader", 3]), children)
            | st.builds(lambda name, state, inc: {"$generator": {"bit_generator": name, "state": {"state": state,
                                                                                                   "inc": inc},
                                                                 "has_uint32": 0, "uinteger": 0}},
                        st.sampled_from(["PCG64", "MT19937", "x"]), st.integers(-1, 2 ** 300), st.integers(0, 2 ** 200)))


nodes = st.recursive(scalars, with_children, max_leaves=24)
metas = st.builds(lambda header, content: {**header, "content": content}, st.just(GOOD), nodes) | \
    st.dictionaries(st.sampled_from(["format", "version", "content", "tinyconv"]), nodes | st.just(GOOD["format"]))


def archive(meta_text, members=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("checkpoint.json", meta_text)
        for name, data in members:
            z.writestr(name, data)
    return buffer.getvalue()


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


MEMBERS = [("a.npy", npy(np.arange(4.0))), ("b.npy", npy(np.float32(2.5))), ("c.npy", npy(np.arange(3))[:-4])]


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz") / "c.npz"


def targets():
    tc.manual_seed(0)
    return {"a": nn.Linear(2, 2), "rng": np.random.default_rng(1),
            "loader": DataLoader(TensorDataset(np.arange(5)), batch_size=2, shuffle=True, rng=np.random.default_rng(2))}


def snapshot(into):
    return (into["a"].state_dict(), into["rng"].bit_generator.state, into["loader"].state_dict())


def assert_same(before, after):
    (a0, g0, l0), (a1, g1, l1) = before, after
    for name in a0:
        np.testing.assert_array_equal(a0[name], a1[name], err_msg=name)
    assert g0 == g1 and l0["rng"] == l1["rng"] and l0["position"] == l1["position"]


def load_or_value_error(path, into=None):
    """Load; a ValueError with a message is the only way to fail."""
    try:
        tc.load(path, into=into)
    except ValueError as e:
        assert str(e)
        return False
    return True


@fuzz
@given(meta=metas)
def test_malformed_metadata_raises_only_value_error(path, meta):
    path.write_bytes(archive(json.dumps(meta), MEMBERS))
    load_or_value_error(path)
    into = targets()
    before = snapshot(into)
    if not load_or_value_error(path, into=into):
        assert_same(before, snapshot(into))


@fuzz
@given(depth=st.integers(1, 3000), opener=st.sampled_from(["[", '{"a":']))
def test_deep_metadata_raises_value_error(path, depth, opener):
    closer = "]" if opener == "[" else "}"
    text = '{"format": "tinyconv-checkpoint", "version": 1, "content": ' + opener * depth + "0" + closer * depth + "}"
    path.write_bytes(archive(text))
    assert load_or_value_error(path) == (depth <= tc.checkpoint.MAX_DEPTH)


@functools.lru_cache(maxsize=None)
def valid_bytes():
    model = nn.Linear(3, 2, rng=np.random.default_rng(0))
    return tc.checkpoint.dumps({"model": model, "rng": np.random.default_rng(0), "epoch": 3,
                                "history": [0.5, float("inf"), (1, "x")], "s": np.float32(1)})


@fuzz
@given(data=st.data())
def test_damaged_bytes_raise_only_value_error(path, data):
    raw = bytearray(valid_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.none() | st.integers(0, len(raw)))
    path.write_bytes(bytes(raw[:cut]))
    into = targets()
    before = snapshot(into)
    if not load_or_value_error(path, into={"model": into["a"], "rng": into["rng"]}):
        assert_same(before, snapshot(into))
