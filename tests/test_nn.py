"""Modules: registration, modes, dropout, state dicts, saving, layer shapes and initialisation."""
import io
import math
import os
import threading
import zipfile

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Parameter, Tensor, nn
from tinyconv.nn import init


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.scale = Parameter(np.ones(2, dtype=np.float32))
        self.drop = nn.Dropout(0.5)
        self.note = "not a parameter"

    def forward(self, x):
        return self.drop(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))

    def forward(self, x):
        return self.head(self.block(x))


def small_cnn(rng=None):
    return nn.Sequential(nn.Conv2d(1, 2, 3, rng=rng), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(2 * 3 * 3, 3, rng=rng))


# ---------------------------------------------------------------- registration

def test_module_registers_parameters_and_submodules_by_attribute():
    b = Block()
    assert list(b._parameters) == ["scale"]
    assert list(b._modules) == ["fc", "drop"]
    names = [n for n, _ in b.named_parameters()]
    assert names == ["scale", "fc.weight", "fc.bias"]
    assert b.parameters()[0] is b.scale and b.parameters()[1] is b.fc.weight
    assert b.note == "not a parameter"


def test_nested_names_and_sequential_indices():
    names = [n for n, _ in Net().named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias",
                     "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1, bias=False))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight"]
    assert len(seq) == 3 and isinstance(seq[1], nn.Tanh) and list(seq)[2] is seq[2]


def test_reassigning_an_attribute_updates_registration():
    b = Block()
    b.scale = None
    b.fc = nn.Linear(3, 5, bias=False)
    assert [n for n, _ in b.named_parameters()] == ["fc.weight"]
    b.extra = Parameter(np.zeros(1))
    assert [n for n, _ in b.named_parameters()] == ["extra", "fc.weight"]


def test_shared_parameters_are_listed_once():
    # a layer applied twice must not be updated twice per optimizer step
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert seq.parameters() == [shared.weight, shared.bias]
    w0 = shared.weight.data.copy()
    out = seq(Tensor(np.ones((1, 2), dtype=np.float32))).sum()
    out.backward()
    tc.optim.SGD(seq.parameters(), lr=0.1).step()
    np.testing.assert_allclose(shared.weight.data, w0 - 0.1 * shared.weight.grad, rtol=1e-6)


def test_assigning_before_super_init_raises():
    class Broken(nn.Module):
        def __init__(self):
            self.w = Parameter(np.zeros(1))

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match=r"modules\[1\]"):
        nn.Sequential(nn.ReLU(), lambda x: x)


def test_module_call_runs_forward():
    net = Net().eval()
    x = Tensor(np.ones((5, 3), dtype=np.float32))
    assert net(x).shape == (5, 1)


# ---------------------------------------------------------------- modes and dropout

def test_train_and_eval_propagate_to_every_submodule():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net.train(False)
    assert not net.block.drop.training


def test_modules_lists_every_module_once_depth_first():
    net = Net()
    kinds = [type(m).__name__ for m in net.modules()]
    assert kinds == ["Net", "Block", "Linear", "Dropout", "Sequential", "Linear", "ReLU", "Linear"]


def test_dropout_is_identity_in_eval():
    drop = nn.Dropout(0.7).eval()
    x = Tensor(np.random.default_rng(0).standard_normal((50, 40)).astype(np.float32))
    np.testing.assert_array_equal(drop(x).data, x.data)
    np.testing.assert_array_equal(tc.functional.dropout(x, 0.7, training=False).data, x.data)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_in_training_zeroes_about_p_and_rescales(p):
    drop = nn.Dropout(p, rng=np.random.default_rng(42))
    x = Tensor(np.full((400, 250), 2.0, dtype=np.float32))
    y = drop(x).data
    zero_fraction = float((y == 0).mean())
    # binomial with n = 100,000: std of the fraction is at most 0.0016
    assert abs(zero_fraction - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 2.0 / (1 - p), rtol=1e-6)
    assert abs(float(y.mean()) - 2.0) < 0.05  # inverted dropout keeps the expectation


def test_dropout_gradient_uses_the_same_mask():
    x = Tensor(np.ones((20, 30)), requires_grad=True)
    y = tc.functional.dropout(x, 0.5, rng=np.random.default_rng(3))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # x is ones: y is exactly the scaled mask


def test_dropout_is_reproducible_with_seeded_generators():
    x = Tensor(np.ones((30, 30), dtype=np.float32))
    a = nn.Dropout(0.5, rng=np.random.default_rng(7))(x).data
    b = nn.Dropout(0.5, rng=np.random.default_rng(7))(x).data
    c = nn.Dropout(0.5, rng=np.random.default_rng(8))(x).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    tc.manual_seed(5)
    d = nn.Dropout(0.5)(x).data
    tc.manual_seed(5)
    e = nn.Dropout(0.5)(x).data
    np.testing.assert_array_equal(d, e)


def test_dropout_p_zero_is_identity_in_training():
    x = Tensor(np.arange(6.0))
    np.testing.assert_array_equal(nn.Dropout(0.0)(x).data, x.data)


# ---------------------------------------------------------------- gradients and state

def test_zero_grad_clears_every_parameter():
    net = Net().eval()
    out = net(Tensor(np.ones((4, 3), dtype=np.float32))).sum()
    out.backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_is_a_copy_in_registration_order():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == [n for n, _ in net.named_parameters()]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    before = net.head[0].weight.data.copy()
    sd["head.0.weight"][...] = 123.0
    np.testing.assert_array_equal(net.head[0].weight.data, before)


def test_state_dict_round_trip():
    a, b = Net(), Net()
    assert not np.array_equal(a.block.fc.weight.data, b.block.fc.weight.data)
    ids = [id(p.data) for p in b.parameters()]
    b.load_state_dict(a.state_dict())
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data, err_msg=name)
    assert [id(p.data) for p in b.parameters()] == ids  # loaded in place


def test_load_state_dict_reports_every_mismatch_at_once_and_changes_nothing():
    net = Net()
    before = {n: p.data.copy() for n, p in net.named_parameters()}
    sd = net.state_dict()
    del sd["block.scale"]                                        # missing
    sd["head.9.weight"] = np.zeros(3, dtype=np.float32)          # unexpected
    sd["head.0.weight"] = np.zeros((5, 2), dtype=np.float32)     # wrong shape
    sd["head.2.bias"] = sd["head.2.bias"].astype(np.float64)     # wrong dtype
    sd["head.0.bias"] = sd["head.0.bias"] + 1.0                  # valid, must not be applied
    with pytest.raises(ValueError) as info:
        net.load_state_dict(sd)
    message = str(info.value)
    assert "missing: block.scale" in message
    assert "unexpected: head.9.weight" in message
    assert "head.0.weight" in message and "(4, 2)" in message and "(5, 2)" in message
    assert "head.2.bias" in message and "float64" in message and "float32" in message
    for name, p in net.named_parameters():
        np.testing.assert_array_equal(p.data, before[name], err_msg=name)


def test_save_and_load_npz_round_trip(tmp_path):
    a, b = Net(), Net()
    path = tmp_path / "model.npz"
    a.save(path)
    with np.load(path) as f:  # a checkpoint: its metadata, then one member per array
        assert sorted(f.files) == sorted(["checkpoint.json", *a.state_dict()])
    b.load(path)
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data, err_msg=name)
        assert pb.dtype == pa.dtype
    a.save(str(path))  # str paths work and overwrite
    b.load(str(path))


def test_module_save_writes_the_checkpoint_of_tinyconv_save(tmp_path):
    """One format: model.save(path) is tc.save(model, path), so tc.load reads it (into the model,
    or as its state dict) and model.load reads what tc.save wrote."""
    a, b, c = Net(), Net(), Net()
    a.save(tmp_path / "model.npz")
    saved = tc.load(tmp_path / "model.npz")
    assert list(saved) == list(a.state_dict())
    tc.load(tmp_path / "model.npz", into=b)
    tc.save(a, tmp_path / "checkpoint.npz")
    c.load(tmp_path / "checkpoint.npz")
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(saved[name], value, err_msg=name)
        for model in (b, c):
            np.testing.assert_array_equal(model.state_dict()[name], value, err_msg=name)


def test_load_reads_the_bare_arrays_older_versions_saved(tmp_path):
    """Module.save wrote numpy.savez archives (no checkpoint.json) before it wrote checkpoints;
    Module.load still reads them, through the same bounded reader."""
    a, b = Net(), Net()
    np.savez(tmp_path / "old.npz", **a.state_dict())
    b.load(tmp_path / "old.npz")
    for name, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[name], value, err_msg=name)


def test_load_checks_the_file_like_load_state_dict(tmp_path):
    path = tmp_path / "cnn.npz"
    small_cnn().save(path)
    net = Net()
    before = {n: p.data.copy() for n, p in net.named_parameters()}
    with pytest.raises(ValueError, match="missing: block.scale"):
        net.load(path)
    for name, p in net.named_parameters():
        np.testing.assert_array_equal(p.data, before[name])


def test_save_is_atomic(tmp_path, monkeypatch):
    net = Net()
    path = tmp_path / "model.npz"
    net.save(path)
    original = path.read_bytes()
    saved = net.state_dict()
    for p in net.parameters():
        p.data[...] = 7.0

    def failing_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        net.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == original
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind
    fresh = Net()
    fresh.load(path)
    for name, p in fresh.named_parameters():
        np.testing.assert_array_equal(p.data, saved[name])


def test_failed_first_save_leaves_no_file(tmp_path, monkeypatch):
    def failing_fsync(fd):
        raise OSError("io error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        Net().save(tmp_path / "new.npz")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- layer shapes

@pytest.mark.parametrize("kw, in_hw, out_hw", [
    (dict(kernel_size=3), (9, 9), (7, 7)),
    (dict(kernel_size=3, padding=1), (9, 9), (9, 9)),
    (dict(kernel_size=3, stride=2, padding=1), (9, 9), (5, 5)),
    (dict(kernel_size=(3, 5), stride=(1, 2)), (8, 11), (6, 4)),
    (dict(kernel_size=3, dilation=2), (10, 10), (6, 6)),
    (dict(kernel_size=5), (5, 5), (1, 1)),
])
def test_conv2d_output_shapes(kw, in_hw, out_hw):
    conv = nn.Conv2d(3, 8, **kw)
    y = conv(Tensor(np.zeros((2, 3, *in_hw), dtype=np.float32)))
    assert y.shape == (2, 8, *out_hw) and y.dtype == np.float32
    k = conv.kernel_size
    assert conv.weight.shape == (8, 3, *k) and conv.bias.shape == (8,)


@pytest.mark.parametrize("layer, kw, expected", [
    (nn.Conv2d, dict(stride=2, padding=1), dict(stride=(2, 2), padding=(1, 1), dilation=(1, 1))),
    (nn.Conv2d, dict(padding="same", dilation=(2, 1)), dict(stride=(1, 1), padding="same", dilation=(2, 1))),
    (nn.ConvTranspose2d, dict(stride=2, output_padding=1), dict(stride=(2, 2), padding=(0, 0), output_padding=(1, 1))),
])
def test_conv_layers_keep_their_sizes_as_pytorch_does(layer, kw, expected):
    # normalised once when the layer is made (as PyTorch's tuples), not at every forward
    conv = layer(2, 4, 3, **kw)
    assert {name: getattr(conv, name) for name in expected} == expected
    assert "stride=(" in repr(conv)


def test_conv2d_without_bias_and_float64():
    conv = nn.Conv2d(2, 4, 3, bias=False, dtype=np.float64)
    assert conv.bias is None and [n for n, _ in conv.named_parameters()] == ["weight"]
    y = conv(Tensor(np.ones((1, 2, 5, 5))))
    assert y.shape == (1, 4, 3, 3) and y.dtype == np.float64


def test_linear_output_shape_and_value():
    lin = nn.Linear(10, 5)
    assert lin.weight.shape == (5, 10) and lin.bias.shape == (5,)
    x = np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32)
    y = lin(Tensor(x))
    assert y.shape == (4, 5)
    np.testing.assert_allclose(y.data, x @ lin.weight.data.T + lin.bias.data, rtol=1e-5, atol=1e-6)


def test_pool_flatten_and_activation_layer_shapes():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 8, 6)).astype(np.float32))
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 3)
    assert nn.AvgPool2d(3, stride=1, padding=1)(x).shape == (2, 3, 8, 6)
    assert nn.Flatten()(x).shape == (2, 144)
    for layer in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.LeakyReLU(0.2)):
        assert layer(x).shape == x.shape
    assert small_cnn()(Tensor(np.zeros((4, 1, 8, 8), dtype=np.float32))).shape == (4, 3)


# ---------------------------------------------------------------- initialisation

def big(shape):
    return Parameter(np.empty(shape, dtype=np.float32))


def test_fans():
    assert init.fans((6, 3, 5, 5)) == (75, 150)
    assert init.fans((10, 20)) == (20, 10)
    with pytest.raises(ValueError):
        init.fans((5,))


def test_kaiming_normal_std():
    p = init.kaiming_normal_(big((256, 64, 3, 3)), generator=np.random.default_rng(0))
    std = math.sqrt(2.0 / (64 * 9))
    assert abs(float(p.data.std()) / std - 1) < 0.01
    assert abs(float(p.data.mean())) < 0.01 * std


def test_kaiming_uniform_bounds_and_std():
    p = init.kaiming_uniform_(big((512, 300)), generator=np.random.default_rng(1))
    bound = math.sqrt(2.0) * math.sqrt(3.0 / 300)
    assert float(np.abs(p.data).max()) <= bound
    assert float(np.abs(p.data).max()) > 0.999 * bound
    assert abs(float(p.data.std()) / (bound / math.sqrt(3)) - 1) < 0.01


def test_xavier_uniform_bounds_and_std():
    p = init.xavier_uniform_(big((400, 200)), generator=np.random.default_rng(2))
    bound = math.sqrt(6.0 / 600)
    assert float(np.abs(p.data).max()) <= bound
    assert float(np.abs(p.data).max()) > 0.999 * bound
    assert abs(float(p.data.std()) / (bound / math.sqrt(3)) - 1) < 0.01


def test_xavier_normal_std_with_gain():
    p = init.xavier_normal_(big((128, 64, 3, 3)), gain=2.0, generator=np.random.default_rng(3))
    std = 2.0 * math.sqrt(2.0 / (64 * 9 + 128 * 9))
    assert abs(float(p.data.std()) / std - 1) < 0.01


def test_layer_default_init_is_uniform_within_one_over_sqrt_fan_in():
    lin = nn.Linear(400, 300, rng=np.random.default_rng(4))
    bound = 1 / math.sqrt(400)
    for p in (lin.weight, lin.bias):
        assert float(np.abs(p.data).max()) <= bound
    assert abs(float(lin.weight.data.std()) / (bound / math.sqrt(3)) - 1) < 0.02
    conv = nn.Conv2d(8, 16, 3, rng=np.random.default_rng(4))
    assert float(np.abs(conv.weight.data).max()) <= 1 / math.sqrt(72)


def test_init_is_in_place_and_keeps_dtype():
    p = Parameter(np.zeros((30, 20), dtype=np.float64))
    data = p.data
    assert init.xavier_uniform_(p, generator=np.random.default_rng(0)) is p
    assert p.data is data and p.dtype == np.float64 and np.any(p.data != 0)
    init.zeros_(p)
    assert not np.any(p.data)


@pytest.mark.parametrize("fn", [init.kaiming_normal_, init.kaiming_uniform_, init.xavier_uniform_,
                                init.xavier_normal_], ids=lambda f: f.__name__)
def test_init_is_deterministic_under_a_seeded_generator(fn):
    a = fn(big((20, 10)), generator=np.random.default_rng(11)).data
    b = fn(big((20, 10)), generator=np.random.default_rng(11)).data
    c = fn(big((20, 10)), generator=np.random.default_rng(12)).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_manual_seed_gives_identical_model_initialisation():
    tc.manual_seed(0)
    a = small_cnn()
    tc.manual_seed(0)
    b = small_cnn()
    c = small_cnn()  # the generator moved on: a different model
    for (name, pa), (_, pb), (_, pc) in zip(a.named_parameters(), b.named_parameters(), c.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data, err_msg=name)
        assert not np.array_equal(pa.data, pc.data), name


def test_manual_seed_rejects_bad_seeds():
    with pytest.raises(TypeError, match="seed"):
        tc.manual_seed(1.5)
    with pytest.raises(ValueError, match="seed.*-1"):
        tc.manual_seed(-1)
    assert tc.manual_seed(3) is tc.default_rng()


# ---------------------------------------------------------------- buffers

def test_register_buffer_keeps_state_out_of_the_parameters():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter(np.ones(2, np.float32))
            self.register_buffer("count", Tensor(np.zeros(2, np.float32)))
            self.register_buffer("unused", None)

    model = nn.Sequential(Counter())
    assert [n for n, _ in model.named_parameters()] == ["0.scale"]
    assert [n for n, _ in model.named_buffers()] == ["0.count"]
    assert list(model.state_dict()) == ["0.scale", "0.count"]
    replacement = Tensor(np.full(2, 3.0, np.float32))
    model[0].count = replacement  # assigning a Tensor replaces the buffer
    assert model.buffers() == [replacement] and model.state_dict()["0.count"].tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="count: expected a Tensor or None for the buffer, got list"):
        model[0].count = [1.0, 2.0]


@pytest.mark.parametrize("name, tensor, error, match", [
    ("a.b", None, KeyError, "expected a non-empty name without '.'"),
    ("weight", None, KeyError, "'weight' is already an attribute of Linear"),
    (3, None, TypeError, "name: expected a str, got int"),
    ("stats", np.zeros(2), TypeError, "tensor: expected a Tensor \\(not a Parameter\\) or None, got ndarray"),
    ("stats", Parameter(np.zeros(2)), TypeError, "got Parameter"),
])
def test_register_buffer_errors(name, tensor, error, match):
    with pytest.raises(error, match=match):
        nn.Linear(2, 2).register_buffer(name, tensor)


def _npz(path, members, compress=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compress) as z:
        for name, data in members.items():
            z.writestr(name, data)


def _npy_bytes(array=None, header=None):
    buffer = io.BytesIO()
    if header is None:
        np.lib.format.write_array(buffer, array)
    else:
        np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


@pytest.mark.parametrize("members, compress, match", [
    ({"w.npy": _npy_bytes(header={"descr": "<f8", "fortran_order": False, "shape": (10 ** 12,)})},
     zipfile.ZIP_STORED, r"'w.npy': its header declares 8000000000000 bytes of data, the member holds 0"),
    ({"w.npy": _npy_bytes(np.zeros(4 * 2 ** 20))}, zipfile.ZIP_DEFLATED,
     r"member 'w.npy' is compressed \(deflate\)"),
])
def test_load_reads_weight_files_as_untrusted(tmp_path, members, compress, match):
    """Module.load reads through the checkpoint's bounded reader: a header claiming 10^12
    elements or a deflated member (a zip bomb) is refused before anything is allocated."""
    path = tmp_path / "w.npz"
    _npz(path, members, compress)
    with pytest.raises(ValueError, match=match):
        Net().load(path)


def test_load_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    outcome = []
    thread = threading.Thread(target=lambda: outcome.append(pytest.raises(ValueError, Net().load, fifo)),
                              daemon=True)
    thread.start()
    thread.join(60)  # a deadline, not a timing: the load must not block
    if thread.is_alive():  # unblock the reader before failing
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(60)
    assert len(outcome) == 1 and "expected a regular checkpoint file, got a FIFO" in str(outcome[0].value)
