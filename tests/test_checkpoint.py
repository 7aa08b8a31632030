"""Checkpoints: round trips, the file format, mismatch reports, atomic writes under SIGKILL, and
resuming in a new process bit for bit."""
import glob
import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, nn, functional as F
from tinyconv.data import DataLoader, TensorDataset
from tinyconv.fileio import atomic_write
from tinyconv.optim import SGD, Adam

import checkpoint_worker as worker

WORKER = os.path.join(os.path.dirname(__file__), "checkpoint_worker.py")


def run_worker(*args, **kw):
    return subprocess.Popen([sys.executable, WORKER, *map(str, args)], stdout=subprocess.PIPE, text=True, **kw)


def small_model(hidden=5, seed=0):
    tc.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, hidden), nn.Tanh(),
                         nn.Linear(hidden, 3))


def train_steps(model, optimizer, steps, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = Tensor(rng.standard_normal((4, 1, 6, 6)).astype(np.float32))
        loss = F.softmax_cross_entropy(model(x), rng.integers(0, 3, 4))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def assert_same_parameters(a, b):
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data, err_msg=name)


# ---------------------------------------------------------------- plain values

def test_plain_values_round_trip_exactly(tmp_path):
    value = {
        "int": 3, "big": 2**100 + 1, "neg": -7, "float": 0.1 + 0.2, "tiny": 5e-324, "zero": -0.0,
        "nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "none": None, "bools": [True, False],
        "str": "épreuve \u2713", "tuple": (1, (2.5, "x")), "nested": {"a": [{"b": []}], "c": {}},
        "f32": np.float32(0.1), "i8": np.int8(-3), "bool_": np.bool_(True),
        "arrays": [np.arange(6, dtype=np.int64).reshape(2, 3), np.zeros((0, 3), np.float32),
                   np.array(2.5), np.linspace(0, 1, 7, dtype=np.float16), np.array([1 + 2j]),
                   np.array([True, False]), np.arange(12.0).reshape(3, 4)[:, ::2]],
        "tensor": Tensor(np.ones((2, 2), np.float64)),
    }
    tc.save(value, tmp_path / "c.npz")
    got = tc.load(tmp_path / "c.npz")
    assert set(got) == set(value)
    for key in ("int", "big", "neg", "float", "tiny", "inf", "-inf", "none", "bools", "str", "tuple", "nested"):
        assert got[key] == value[key] and type(got[key]) is type(value[key]), key
    assert str(got["zero"]) == "-0.0" and np.isnan(got["nan"])
    for key in ("f32", "i8", "bool_"):
        assert type(got[key]) is type(value[key]) and got[key] == value[key]
    for a, b in zip(got["arrays"], value["arrays"]):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    assert isinstance(got["tensor"], np.ndarray) and got["tensor"].dtype == np.float64


@pytest.mark.parametrize("kind", ["PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"])
def test_generators_round_trip_and_continue_the_same_stream(tmp_path, kind):
    g = np.random.Generator(getattr(np.random, kind)(5))
    g.random(3)
    g.integers(0, 10, 1, dtype=np.int32)  # leaves a cached half-word in some bit generators
    tc.save({"g": g}, tmp_path / "g.npz")
    restored = tc.load(tmp_path / "g.npz")["g"]
    assert isinstance(restored, np.random.Generator) and restored is not g
    np.testing.assert_array_equal(restored.random(5), g.random(5))
    np.testing.assert_array_equal(restored.integers(0, 2**31, 5), g.integers(0, 2**31, 5))


def test_file_is_an_npz_with_a_json_header(tmp_path):
    model = small_model()
    tc.save({"model": model, "epoch": 4}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as f:
        assert "model/0.weight" in f.files
        np.testing.assert_array_equal(f["model/0.weight"], model[0].weight.data)
    with zipfile.ZipFile(tmp_path / "c.npz") as z:
        meta = json.loads(z.read("checkpoint.json"))
    assert meta["format"] == "tinyconv-checkpoint" and meta["version"] == 1
    assert meta["content"]["epoch"] == 4
    assert meta["content"]["model"]["$state"]["type"] == "Sequential"
    assert meta["content"]["model"]["$state"]["value"]["0.weight"] == {"$array": "model/0.weight"}


def test_array_keys_stay_unique():
    data = tc.checkpoint.dumps({"a/b": np.zeros(1), "a": {"b": np.ones(1)}})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sorted(z.namelist()) == ["a/b#2.npy", "a/b.npy", "checkpoint.json"]


# ---------------------------------------------------------------- objects

def test_model_optimizer_loader_and_generator_restore_in_place(tmp_path):
    model = small_model()
    opt = Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    train_steps(model, opt, 3)
    opt.lr = 0.0042
    saved = {"model": model, "optimizer": opt, "rng": tc.default_rng(), "epoch": 7}
    tc.save(saved, tmp_path / "c.npz")
    expected_next = tc.default_rng().random(3)

    fresh = small_model(seed=1)
    fresh_opt = Adam(fresh.parameters(), lr=0.5)
    tc.manual_seed(99)
    got = tc.load(tmp_path / "c.npz", into={"model": fresh, "optimizer": fresh_opt, "rng": tc.default_rng()})
    assert got["epoch"] == 7
    assert_same_parameters(fresh, model)
    assert fresh_opt.lr == 0.0042 and fresh_opt.betas == (0.8, 0.9)
    np.testing.assert_array_equal(tc.default_rng().random(3), expected_next)
    # the restored optimizer continues exactly like the original
    train_steps(model, opt, 2, seed=5)
    train_steps(fresh, fresh_opt, 2, seed=5)
    assert_same_parameters(fresh, model)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
                                  lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps, lr=0.01, weight_decay=0.1)],
                         ids=["sgd-nesterov", "sgd-plain", "adam"])
def test_optimizer_state_dict_resumes_exactly(make):
    a, b = small_model(), small_model()
    opt_a, opt_b = make(a.parameters()), make(b.parameters())
    train_steps(a, opt_a, 3)
    state = opt_a.state_dict()
    assert set(state["state"]) <= set(range(len(a.parameters())))
    assert [g["params"] for g in state["param_groups"]] == [list(range(len(a.parameters())))]
    b.load_state_dict(a.state_dict())
    opt_b.load_state_dict(state)
    state["state"].clear()  # the optimizer holds copies
    train_steps(a, opt_a, 3, seed=1)
    train_steps(b, opt_b, 3, seed=1)
    assert_same_parameters(a, b)


def test_optimizer_state_with_unstepped_parameters():
    a = small_model()
    opt = Adam(a.parameters())
    a[0].weight.grad = Tensor(np.ones_like(a[0].weight.data))
    opt.step()
    state = opt.state_dict()
    assert state["state"][0]["step"] == 1 and list(state["state"]) == [0]
    b = small_model()
    Adam(b.parameters()).load_state_dict(state)


def test_optimizer_load_reports_every_mismatch_and_changes_nothing():
    model = small_model()
    opt = Adam(model.parameters(), lr=0.01)
    train_steps(model, opt, 1)
    state = opt.state_dict()
    state["state"][0]["exp_avg"] = state["state"][0]["exp_avg"][:1]
    state["state"][1]["exp_avg_sq"] = state["state"][1]["exp_avg_sq"].astype(np.float64)
    del state["state"][2]["step"]
    state["state"][3]["extra"] = np.zeros(1)
    state["state"][9] = {}
    state["param_groups"][0]["lr"] = -1.0
    other = small_model()
    target = Adam(other.parameters(), lr=0.5)
    with pytest.raises(ValueError) as info:
        target.load_state_dict(state)
    message = str(info.value)
    for expected in [r"state[0].exp_avg: expected float32 (2, 1, 3, 3) like its parameter, got float32 (1, 1, 3, 3)",
                     r"state[1].exp_avg_sq: expected float32 (2,) like its parameter, got float64 (2,)",
                     "state[2]: missing: step", "state[3]: unexpected: extra",
                     "state: expected parameter indices 0..5, got 9",
                     "param_groups[0]: lr: expected a non-negative number, got -1.0"]:
        assert expected in message, (expected, message)
    assert target.lr == 0.5 and not target.state
    state = opt.state_dict()
    state["param_groups"].append(dict(state["param_groups"][0]))
    with pytest.raises(ValueError, match=r"param_groups: expected 1 groups, got 2"):
        target.load_state_dict(state)
    state["param_groups"] = [dict(state["param_groups"][0], params=[0, 1])]
    with pytest.raises(ValueError, match=r"param_groups\[0\]: expected a dict with 6 params, got 2"):
        target.load_state_dict(state)
    with pytest.raises(TypeError, match="state_dict: expected a dict, got list"):
        target.load_state_dict([])


def test_load_into_reports_every_mismatch_at_once_and_changes_nothing(tmp_path):
    model = small_model()
    opt = Adam(model.parameters())
    train_steps(model, opt, 1)
    tc.save({"model": model, "optimizer": opt, "rng": tc.default_rng(), "epoch": 1}, tmp_path / "c.npz")

    tc.manual_seed(3)
    other = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 5), nn.Tanh(),
                          nn.Linear(5, 3, dtype=np.float64))
    before = other.state_dict()
    rng = tc.default_rng()
    rng_state = rng.bit_generator.state
    into = {"model": other, "optimizer": SGD(other.parameters(), lr=1.0), "rng": rng,
            "scheduler": Adam(other.parameters()), "epoch": None}
    with pytest.raises(ValueError) as info:
        tc.load(tmp_path / "c.npz", into=into)
    message = str(info.value)
    for expected in ["0.weight: expected float32 (4, 1, 3, 3), got float32 (2, 1, 3, 3)",
                     "0.bias: expected float32 (4,), got float32 (2,)",
                     "3.weight: expected float32 (5, 64), got float32 (5, 32)",
                     "5.weight: expected float64 (3, 5), got float32 (3, 5)",
                     "into['optimizer']: expected the state of SGD, got that of Adam",
                     "into['scheduler']: missing from the checkpoint"]:
        assert expected in message, (expected, message)
    for name, array in other.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)
    assert rng.bit_generator.state == rng_state


def test_failed_restore_of_one_object_rolls_back_the_others(tmp_path):
    a, b = small_model(seed=0), small_model(seed=1)
    tc.save({"a": a, "b": b}, tmp_path / "c.npz")
    x, y = small_model(seed=2), small_model(hidden=6, seed=3)  # y does not fit b
    x_before = x.state_dict()
    with pytest.raises(ValueError, match=r"into\['b'\]"):
        tc.load(tmp_path / "c.npz", into={"a": x, "b": y})
    for name, array in x.state_dict().items():
        np.testing.assert_array_equal(array, x_before[name], err_msg=name)


def test_load_into_kind_mismatches(tmp_path):
    tc.save({"m": np.zeros(3), "g": np.random.default_rng(0), "t": np.zeros(2, np.float32), "d": 5}, tmp_path / "c.npz")
    with pytest.raises(ValueError) as info:
        tc.load(tmp_path / "c.npz", into={"m": small_model(), "g": np.random.Generator(np.random.MT19937(0)),
                                          "t": Tensor(np.zeros(3, np.float32)), "d": {"x": small_model()}})
    message = str(info.value)
    assert "into['m']: expected the state of Sequential, got an array" in message
    assert "into['g']: expected the state of a MT19937 bit generator, got 'PCG64'" in message
    assert "into['t']: expected float32 (3,), got float32 (2,)" in message
    assert "into['d']: expected a dict, got int" in message
    t = Tensor(np.ones(2, np.float32))
    got = tc.load(tmp_path / "c.npz", into={"t": t, "d": None, "not saved": 3})  # plain values are not restored
    np.testing.assert_array_equal(t.data, [0, 0])
    assert got["d"] == 5 and "not saved" not in got


def test_data_loader_resumes_mid_epoch_and_in_later_epochs(tmp_path):
    def loader():
        return DataLoader(TensorDataset(np.arange(23)), batch_size=4, shuffle=True, rng=np.random.default_rng(2))

    def batches(ld, count=None):
        out = []
        for (b,) in ld:
            out.append(b.data.tolist())
            if count is not None and len(out) == count:
                break
        return out

    reference = loader()
    epochs = [batches(reference) for _ in range(3)]

    interrupted = loader()
    assert batches(interrupted) == epochs[0]
    partial = batches(interrupted, count=2)
    assert partial == epochs[1][:2]
    tc.save({"loader": interrupted}, tmp_path / "c.npz")
    assert tc.load(tmp_path / "c.npz")["loader"]["position"] == 8

    resumed = loader()
    tc.load(tmp_path / "c.npz", into={"loader": resumed})
    assert batches(resumed) == epochs[1][2:]
    assert batches(resumed) == epochs[2]

    between = loader()
    batches(between)
    state = between.state_dict()
    assert state["order"] is None and state["position"] == 0


def test_data_loader_state_mismatch():
    ld = DataLoader(TensorDataset(np.arange(10)), batch_size=3, shuffle=True)
    state = DataLoader(TensorDataset(np.arange(12)), batch_size=3, shuffle=True).state_dict()
    state["order"], state["position"] = np.arange(12), 13
    state["rng"] = np.random.Generator(np.random.MT19937(0)).bit_generator.state
    with pytest.raises(ValueError) as info:
        ld.load_state_dict(state)
    message = str(info.value)
    assert "order: expected a permutation of the 10 dataset indices, got int64 (12,)" in message
    assert "position: expected an int in [0, 10], got 13" in message
    assert "rng: expected the state of a PCG64 generator, got MT19937" in message


# ---------------------------------------------------------------- bad saves and bad files

def nested_lists(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


SELF_LIST, SELF_DICT = {"l": []}, {"d": {}}
SELF_LIST["l"].append(SELF_LIST["l"])
SELF_DICT["d"]["again"] = SELF_DICT["d"]


@pytest.mark.parametrize("value, error, match", [
    ({"a": object()}, TypeError, r"obj\['a'\]: cannot save a value of type object"),
    ({"a": [1, {2: 3, "b": 4}]}, TypeError,
         r"obj\['a'\]\[1\]: cannot save a dict key of type int \(2\): expected str keys \(or only int keys\)"),
    ({"$array": 1}, ValueError, r"obj: cannot save the dict key '\$array'"),
    ({"a": np.array([None, 1])}, TypeError, r"obj\['a'\]: cannot save an array of dtype object"),
    ({"f": lambda: 0}, TypeError, r"obj\['f'\]: cannot save a value of type function"),
    ({"a": {"x\x00y": 1}}, ValueError, r"obj\['a'\]: cannot save the dict key 'x\\x00y': keys cannot hold NUL"),
    ({"k" * 70000: 1}, ValueError, r"obj: cannot save a dict key of 70000 bytes: at most 65535"),
    ({"\udc80": 1}, ValueError, r"obj: cannot save the dict key '\\udc80': not encodable as UTF-8"),
    (SELF_LIST, ValueError, r"obj\['l'\]\[0\]: cannot save a list that holds itself"),
    (SELF_DICT, ValueError, r"obj\['d'\]\['again'\]: cannot save a dict that holds itself"),
    ({"deep": nested_lists(100)}, ValueError,
     r"obj\['deep'\](\[0\])+: nested deeper than 100 levels"),
    ({"n": [10 ** 4300]}, ValueError, r"obj\['n'\]\[0\]: cannot save an int of more than 4300 decimal digits"),
])
def test_unsavable_values_raise_and_keep_the_previous_file(tmp_path, value, error, match):
    path = tmp_path / "c.npz"
    tc.save({"epoch": 1}, path)
    with pytest.raises(error, match=match):
        tc.save(value, path)
    assert tc.load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["c.npz"]


def test_unreadable_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        tc.load(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match=r"junk.npz: not a readable tinyconv checkpoint \(not a ZIP/.npz archive"):
        tc.load(tmp_path / "junk.npz")
    np.savez(tmp_path / "weights.npz", **small_model().state_dict())  # as Module.save wrote before
    with pytest.raises(ValueError, match=r"weights.npz: not a tinyconv checkpoint \(no checkpoint.json; bare "
                                         r"arrays \(what Module.save wrote before it wrote checkpoints\) are read "
                                         r"by Module.load\)"):
        tc.load(tmp_path / "weights.npz")
    with pytest.raises(ValueError, match="path: expected a regular checkpoint file, got the folder"):
        tc.load(tmp_path)
    full = tc.checkpoint.dumps({"a": np.arange(1000.0)})
    (tmp_path / "cut.npz").write_bytes(full[: len(full) // 2])
    with pytest.raises(ValueError, match="cut.npz: not a readable tinyconv checkpoint"):
        tc.load(tmp_path / "cut.npz")
    central = full.rindex(b"PK\x01\x02")  # a central directory record asking for ZIP version 14.9
    (tmp_path / "new.npz").write_bytes(full[:central + 6] + bytes([149, 0]) + full[central + 8:])
    with pytest.raises(ValueError, match=r"new.npz: not a readable tinyconv checkpoint \(not a ZIP/.npz archive: zip "
                                         r"file version 14.9"):
        tc.load(tmp_path / "new.npz")


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)


def test_other_versions_and_damaged_members(tmp_path):
    header = {"format": "tinyconv-checkpoint", "version": 2, "content": None}
    _zip(tmp_path / "v2.npz", {"checkpoint.json": json.dumps(header)})
    with pytest.raises(ValueError, match="checkpoint format version 2, this tinyconv reads version 1"):
        tc.load(tmp_path / "v2.npz")
    header.update(version=1, content={"a": {"$array": "a"}})
    _zip(tmp_path / "missing.npz", {"checkpoint.json": json.dumps(header)})
    with pytest.raises(ValueError, match="array 'a' is missing or damaged"):
        tc.load(tmp_path / "missing.npz")
    _zip(tmp_path / "other.npz", {"checkpoint.json": json.dumps({"format": "something else"})})
    with pytest.raises(ValueError, match="not a tinyconv checkpoint"):
        tc.load(tmp_path / "other.npz")


def test_loading_never_unpickles(tmp_path):
    """An object array in a checkpoint (which could run code when unpickled) is refused."""
    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([Boom()], dtype=object), allow_pickle=True)
    header = {"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$array": "a"}}}
    _zip(tmp_path / "evil.npz", {"checkpoint.json": json.dumps(header), "a.npy": buffer.getvalue()})
    with pytest.raises(ValueError, match="array 'a' is missing or damaged"):
        tc.load(tmp_path / "evil.npz")
    assert not (tmp_path / "pwned").exists()


def test_nesting_up_to_the_limit_round_trips(tmp_path):
    assert tc.checkpoint.MAX_DEPTH == 100
    value = {"deep": nested_lists(99)}  # the root dict and 99 lists: 100 levels
    tc.save(value, tmp_path / "c.npz")
    assert tc.load(tmp_path / "c.npz") == value


def test_keys_that_look_like_paths_never_become_such_member_names(tmp_path):
    value = {"../x": np.zeros(1), "/abs": np.ones(1), "..": np.full(1, 2.0), "a\\..\\..\\b": np.full(1, 3.0),
             "x": {"..": {"": np.full(1, 4.0)}}, "y" * 5000: np.full(1, 5.0)}
    tc.save(value, tmp_path / "c.npz")
    with zipfile.ZipFile(tmp_path / "c.npz") as z:
        names = z.namelist()
    for name in names:
        parts = name.split("/")
        assert not name.startswith("/") and "\\" not in name and len(name) <= 300, name
        assert all(part not in ("", ".", "..") for part in parts), name
    assert len(names) == len(set(names)) == 7
    got = tc.load(tmp_path / "c.npz")
    for key in value:
        np.testing.assert_array_equal(got[key] if key != "x" else got["x"][".."][""],
                                      value[key] if key != "x" else value["x"][".."][""])


def _rewrite(path, edit):
    """Rewrite the checkpoint at ``path`` with ``edit(meta)`` applied to its checkpoint.json."""
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    meta = json.loads(members["checkpoint.json"])
    edit(meta)
    members["checkpoint.json"] = json.dumps(meta)
    _zip(path, members)


def test_load_into_rolls_back_when_a_generator_state_overflows(tmp_path):
    path = tmp_path / "c.npz"
    tc.save({"model": small_model(seed=0), "rng": np.random.default_rng(0)}, path)
    _rewrite(path, lambda meta: meta["content"]["rng"]["$generator"]["state"].update(state=2 ** 300))
    model, rng = small_model(seed=1), np.random.default_rng(1)
    before, rng_state = model.state_dict(), rng.bit_generator.state
    with pytest.raises(ValueError, match=r"content\['rng'\]: not a valid PCG64 state \(OverflowError"):
        tc.load(path, into={"model": model, "rng": rng})
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)
    assert rng.bit_generator.state == rng_state


def test_load_into_rolls_back_when_a_loader_state_overflows(tmp_path):
    def loader():
        return DataLoader(TensorDataset(np.arange(10)), batch_size=3, shuffle=True, rng=np.random.default_rng(2))

    path = tmp_path / "c.npz"
    tc.save({"model": small_model(seed=0), "loader": loader()}, path)
    _rewrite(path, lambda meta: meta["content"]["loader"]["$state"]["value"]["rng"]["state"].update(inc=2 ** 300))
    model, ld = small_model(seed=1), loader()
    before, rng_state = model.state_dict(), ld.rng.bit_generator.state
    with pytest.raises(ValueError, match=r"into\['loader'\]"):
        tc.load(path, into={"model": model, "loader": ld})
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)
    assert ld.rng.bit_generator.state == rng_state


class Exploding:
    """An object whose load_state_dict fails with an unexpected exception after a change."""
    def __init__(self):
        self.value = 0

    def state_dict(self):
        return {"value": self.value}

    def load_state_dict(self, state):
        self.value = state["value"]
        raise RuntimeError("boom")


def test_load_into_rolls_back_on_any_exception(tmp_path):
    tc.save({"a": small_model(seed=0), "z": Exploding()}, tmp_path / "c.npz")
    model, target = small_model(seed=1), Exploding()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"into\['z'\]: RuntimeError: boom"):
        tc.load(tmp_path / "c.npz", into={"a": model, "z": target})
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name], err_msg=name)
    assert target.value == 0


def _npy(array=None, header=None, extra=b""):
    buffer = io.BytesIO()
    if header is None:
        np.lib.format.write_array(buffer, array, allow_pickle=False)
    else:
        np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + extra


ARRAY_META = json.dumps({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$array": "a"}}})


@pytest.mark.parametrize("npy, match", [
    (_npy(header={"descr": "<f8", "fortran_order": False, "shape": (10 ** 12,)}),
     r"its header declares 8000000000000 bytes of data, the member holds 0"),
    (_npy(header={"descr": "<f8", "fortran_order": False, "shape": (10 ** 6, 10 ** 6)}),
     r"its header declares 8000000000000 bytes"),
    (_npy(np.zeros(10), extra=b"\0" * 8000), r"its header declares 80 bytes of data, the member holds 8080"),
    (_npy(np.zeros(10))[:-8], r"its header declares 80 bytes of data, the member holds 72"),
    (b"\x93NUMPY\x01\x00\xff\xff", r""),
])
def test_array_members_must_hold_what_their_header_declares(tmp_path, npy, match):
    _zip(tmp_path / "c.npz", {"checkpoint.json": ARRAY_META, "a.npy": npy})
    with pytest.raises(ValueError, match=r"c.npz: content\['a'\]: array 'a' is missing or damaged: " + match):
        tc.load(tmp_path / "c.npz")


def test_compressed_members_are_refused(tmp_path):
    """A 16 MB array deflates to a few kB: loading it would allocate 1,000 times the file's size."""
    with zipfile.ZipFile(tmp_path / "c.npz", "w") as z:
        z.writestr("checkpoint.json", ARRAY_META)
        z.writestr("a.npy", _npy(np.zeros(2 * 2 ** 20)), compress_type=zipfile.ZIP_DEFLATED)
    assert os.path.getsize(tmp_path / "c.npz") < 100_000
    with pytest.raises(ValueError, match=r"c.npz: member 'a.npy' is compressed \(deflate\): a checkpoint holds "
                                         r"stored members only"):
        tc.load(tmp_path / "c.npz")


def test_metadata_size_is_capped_at_save_and_at_load(tmp_path, monkeypatch):
    monkeypatch.setattr(tc.checkpoint, "MAX_META_BYTES", 1000)
    path = tmp_path / "c.npz"
    _zip(path, {"checkpoint.json": json.dumps({"format": "tinyconv-checkpoint", "version": 1, "content": "x" * 1000})})
    with pytest.raises(ValueError, match=r"c.npz: checkpoint.json holds 10\d\d bytes, more than the limit of 1000"):
        tc.load(path)
    with pytest.raises(ValueError, match=r"obj: the metadata would take \d+ bytes, more than the limit of 1000"):
        tc.save({"history": list(range(300))}, path)
    tc.save({"history": list(range(100)), "big": np.zeros(1000)}, path)  # arrays do not count


def test_load_refuses_what_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    outcome = []

    def target():
        try:
            tc.load(fifo)
        except Exception as e:
            outcome.append(e)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(60)  # a deadline, not a timing: the load must not block
    if thread.is_alive():  # unblock the reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], ValueError), outcome
    assert re.search(r"path: expected a regular checkpoint file, got a FIFO '.*fifo'", str(outcome[0]))
    with pytest.raises(ValueError, match=r"path: expected a regular checkpoint file, got a character device "
                                         r"'/dev/zero'"):
        tc.load("/dev/zero")


@pytest.mark.parametrize("meta, match", [
    ([], r"checkpoint.json: expected a JSON object, got list"),
    ({"format": "tinyconv-checkpoint", "version": 1}, r"checkpoint.json: missing 'content'"),
    ({"format": "tinyconv-checkpoint", "version": True, "content": 1}, r"checkpoint format version True"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$state": 5}}},
     r"content\['a'\]: expected \{\"\$state\": \{\"type\": str, \"value\": NODE\}\}, got int"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$state": {"type": 1, "value": 2}}}},
     r"content\['a'\]: expected \{\"\$state\": \{\"type\": str, \"value\": NODE\}\}"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$array": 5}}},
     r"content\['a'\]: expected the name of an array member, got int"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$scalar": "b"}}},
     r"content\['a'\]: array 'b' is missing"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$tuple": 5}}},
     r"content\['a'\]: expected a list of tuple items, got int"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": [{"$float": "x"}]}},
     r"content\['a'\]\[0\]: expected 'nan', 'inf' or '-inf', got 'x'"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$generator": 5}}},
     r"content\['a'\]: expected the state of one of"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$generator": {"bit_generator": "PCG64"}}}},
     r"content\['a'\]: not a valid PCG64 state"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$generator": {"x": {"$float": 1}}}}},
     r"^\S*c.npz: content\['a'\]\['x'\]: expected 'nan', 'inf' or '-inf', got 1$"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$what": 1}}},
     r"content\['a'\]: unknown checkpoint node \['\$what'\]"),
    ({"format": "tinyconv-checkpoint", "version": 1, "content": {"a": {"$array": "a", "b": 1}}},
     r"content\['a'\]: unknown checkpoint node \['\$array', 'b'\]"),
])
def test_malformed_metadata_raises_value_error_naming_what_is_wrong(tmp_path, meta, match):
    _zip(tmp_path / "c.npz", {"checkpoint.json": json.dumps(meta)})
    with pytest.raises(ValueError, match=match):
        tc.load(tmp_path / "c.npz")


@pytest.mark.parametrize("text, match", [
    ('{"format": "tinyconv-checkpoint", "version": 1, "content": ' + "[" * 5000 + "]" * 5000 + "}",
     r"checkpoint.json: nested deeper than 100 levels"),
    ('{"format": "tinyconv-checkpoint", "version": 1, "content": ' + "[" * 101 + "]" * 101 + "}",
     r"checkpoint.json: nested deeper than 100 levels"),
    ('{"format": "tinyconv-checkpoint", "version": 1, "content": ' + "9" * 5000 + "}",
     r"checkpoint.json is damaged: an int of more than 4300 decimal digits"),
    ('{"format": "tinyconv-checkpoint", "version": 1, "content": 1e999}',
     r"checkpoint.json is damaged: the number 1e999 is out of range"),
    ('{"format": "tinyconv-checkpoint", "version": 1, "content": NaN}',
     r"checkpoint.json is damaged: NaN is not JSON"),
])
def test_malformed_metadata_text(tmp_path, text, match):
    _zip(tmp_path / "c.npz", {"checkpoint.json": text})
    with pytest.raises(ValueError, match=match):
        tc.load(tmp_path / "c.npz")


# ---------------------------------------------------------------- file modes and leftovers

@pytest.fixture
def umask():
    """Set the process umask for one test and restore it afterwards."""
    old = os.umask(0o022)
    try:
        yield os.umask
    finally:
        os.umask(old)


def test_saving_keeps_the_mode_of_an_existing_file(tmp_path, umask):
    path = tmp_path / "c.npz"
    tc.save({"epoch": 1}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    os.chmod(path, 0o600)
    tc.save({"epoch": 2}, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    small_model().save(path)  # Module.save writes through the same atomic_write
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    umask(0o077)
    tc.save({"epoch": 3}, tmp_path / "new.npz")
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o600
    umask(0o002)
    atomic_write(tmp_path / "shared", b"x")
    assert stat.S_IMODE(os.stat(tmp_path / "shared").st_mode) == 0o664


def temporaries(folder, name):
    return [f for f in os.listdir(folder) if f.startswith(f".{name}.") and f.endswith(".tmp")]


def test_a_save_removes_temporaries_left_by_killed_saves(tmp_path):
    """Kill processes in the middle of saving (while their temporary file exists), 20 times;
    one more save to the same path leaves no temporary file."""
    path = tmp_path / "ckpt.npz"
    for _ in range(20):
        seen = set(temporaries(tmp_path, "ckpt.npz"))
        child = run_worker(path, *KILL_TASK, "--forever")
        child.stdout.readline()
        deadline = time.monotonic() + 60
        while not set(temporaries(tmp_path, "ckpt.npz")) - seen and time.monotonic() < deadline:
            time.sleep(0.001)
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
    tc.save({"epoch": 0}, path)
    assert temporaries(tmp_path, "ckpt.npz") == []


def test_stale_temporaries_of_live_processes_and_other_paths_are_kept(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    names = {f".c.npz.{dead}.abc123.tmp": False,      # a killed save of c.npz: removed
             f".c.npz.{os.getpid()}.abc123.tmp": True,  # a save under way in this process: kept
             f".c.npz.5.{dead}.abc123.tmp": True,       # a save of c.npz.5: kept
             ".c.npz.notes.tmp": True}                    # not a temporary of a save: kept
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    tc.save({"epoch": 1}, tmp_path / "c.npz")
    assert sorted(os.listdir(tmp_path)) == sorted(["c.npz"] + [n for n, kept in names.items() if kept])


# ---------------------------------------------------------------- resuming in a new process

def test_resume_in_a_new_process_equals_an_uninterrupted_run(tmp_path):
    """3 epochs in one go == 1 epoch, save, then 2 more in a fresh interpreter (bit for bit):
    initialisation, dropout masks, shuffling, Adam's moments and the lr decay all resume."""
    uninterrupted = worker.build()
    for _ in range(3):
        worker.train_epoch(uninterrupted)
    rng_state = tc.default_rng().bit_generator.state

    path = tmp_path / "c.npz"
    first = worker.build()
    worker.train_epoch(first)
    tc.save(first, path)
    child = run_worker(path, "--until", 3)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0 and out.startswith("resumed 1")

    resumed = worker.build()
    assert worker.resume(resumed, path) == 3
    assert_same_parameters(resumed["model"], uninterrupted["model"])
    assert resumed["optimizer"].lr == uninterrupted["optimizer"].lr
    for p, q in zip(resumed["model"].parameters(), uninterrupted["model"].parameters()):
        s, t = resumed["optimizer"].state[p], uninterrupted["optimizer"].state[q]
        assert s["step"] == t["step"]
        np.testing.assert_array_equal(s["exp_avg"], t["exp_avg"])
    assert tc.default_rng().bit_generator.state == rng_state


KILL_TASK = ("--hidden", 12000, "--samples", 32)  # 3 MB checkpoints, one batch per epoch


def test_sigkill_while_saving_never_loses_the_last_checkpoint(tmp_path):
    """Kill a process that saves a 3 MB checkpoint after every short epoch, at random moments,
    many times. Every time, the file under the checkpoint's name must load completely, the next
    process must resume from it, and the run must end where an uninterrupted one ends."""
    path = tmp_path / "ckpt.npz"
    rng = np.random.default_rng(0)
    last_epoch, kills, mid_write, epochs_seen = 0, 0, 0, set()
    while kills < 25 or (mid_write == 0 and kills < 60):
        child = run_worker(path, *KILL_TASK, "--forever")
        line = child.stdout.readline()
        assert line == f"resumed {last_epoch}\n", line
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        kills += 1
        leftovers = glob.glob(str(tmp_path / ".ckpt.npz.*.tmp"))
        mid_write += bool(leftovers)  # killed between the temporary file's creation and the rename
        for leftover in leftovers:
            os.unlink(leftover)
        if not path.exists():
            continue
        ckpt = tc.load(path)  # complete and readable, never a torn file
        assert set(ckpt) == {"model", "optimizer", "loader", "rng", "epoch"}
        assert ckpt["epoch"] >= last_epoch and ckpt["model"]["0.weight"].shape == (12000, 16)
        assert len(ckpt["optimizer"]["state"]) == 4
        assert all(s["step"] > 0 for s in ckpt["optimizer"]["state"].values())
        last_epoch = ckpt["epoch"]
        epochs_seen.add(last_epoch)
    assert mid_write > 0, "no kill landed inside a write"
    assert len(epochs_seen) > 3, epochs_seen

    final = last_epoch + 2
    child = run_worker(path, *KILL_TASK, "--until", final)
    out, _ = child.communicate(timeout=120)
    assert child.returncode == 0 and out == f"resumed {last_epoch}\n"
    uninterrupted = worker.build(12000, 32)
    while uninterrupted["epoch"] < final:
        worker.train_epoch(uninterrupted)
    resumed = worker.build(12000, 32)
    assert worker.resume(resumed, path) == final
    assert_same_parameters(resumed["model"], uninterrupted["model"])


def test_load_takes_pytorch_s_map_location_and_weights_only(tmp_path):
    """``torch.load(path, map_location="cpu")`` and ``weights_only=True`` run unchanged (a
    checkpoint holds host arrays and never a pickle); a device tinyconv cannot map to raises."""
    path = tmp_path / "c.npz"
    tc.save({"w": np.arange(3.0)}, path)
    for location in (None, "cpu", tc.device("cpu")):
        np.testing.assert_array_equal(tc.load(path, location)["w"], np.arange(3.0))
    np.testing.assert_array_equal(tc.load(path, map_location="cpu", weights_only=True)["w"], np.arange(3.0))
    with pytest.raises(NotImplementedError, match=r"map_location: tinyconv loads into host memory.*got 'cuda'"):
        tc.load(path, map_location="cuda")
    with pytest.raises(NotImplementedError, match=r"weights_only=False: a tinyconv checkpoint never holds pickles"):
        tc.load(path, weights_only=False)
