"""PyTorch's nn idioms: containers, Module methods, layers and nn.init, checked against NumPy
references, hand-computed cases and (where installed) PyTorch itself."""
import math

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, nn


def grad_of(t):
    """The gradient of ``t`` as a NumPy array (whether ``.grad`` is an array or a Tensor)."""
    return t.grad.numpy() if hasattr(t.grad, "numpy") else np.asarray(t.grad)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.heads = nn.ModuleList([nn.Linear(4, 2), nn.Linear(4, 1)])
        self.extra = nn.ModuleDict({"a": nn.Linear(2, 2)})

    def forward(self, x):
        h = self.features(x)
        return [head(h) for head in self.heads]


def test_module_list_registers_its_members_and_acts_as_a_list():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["features.0.weight", "features.0.bias", "heads.0.weight", "heads.0.bias",
                     "heads.1.weight", "heads.1.bias", "extra.a.weight", "extra.a.bias"]
    heads = net.heads
    first, second, third = heads[0], heads[1], nn.Linear(4, 3)
    heads.append(third)
    assert len(heads) == 3 and heads[-1] is third and list(heads) == [first, second, third]
    assert isinstance(heads[1:], nn.ModuleList) and list(heads[1:]) == [second, third]
    heads.insert(0, nn.Identity())
    del heads[0]
    heads[1] = nn.Identity()
    assert [type(m).__name__ for m in heads] == ["Linear", "Identity", "Linear"] and heads[0] is first
    assert [n for n, _ in heads.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(IndexError, match="index"):
        heads[3]
    with pytest.raises(TypeError, match="expected a Module"):
        heads.append(3)


def test_module_dict_registers_and_acts_as_a_dict():
    d = nn.ModuleDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU())])
    assert list(d) == ["conv", "act"] and "conv" in d and len(d) == 2
    d["fc"] = nn.Linear(2, 2)
    assert [n for n, _ in d.named_parameters()] == ["conv.weight", "conv.bias", "fc.weight", "fc.bias"]
    assert isinstance(d.pop("conv"), nn.Conv2d) and d.keys() == ["act", "fc"]
    d.clear()
    assert len(d) == 0 and d.parameters() == []
    with pytest.raises(KeyError):
        d["missing"]
    with pytest.raises(TypeError, match="key"):
        d[1] = nn.ReLU()


def test_identity_and_unflatten():
    x = Tensor(np.arange(24.0).reshape(2, 12))
    assert nn.Identity(54, unused="x")(x) is x
    np.testing.assert_array_equal(nn.Unflatten(1, (3, 4))(x).data, x.data.reshape(2, 3, 4))
    np.testing.assert_array_equal(nn.Unflatten(-1, (2, -1))(x).data, x.data.reshape(2, 2, 6))
    with pytest.raises(ValueError, match="unflattened_size"):
        nn.Unflatten(1, (5, 2))(x)


def test_named_modules_children_and_apply_follow_pytorch_order():
    net = Net()
    assert [n for n, _ in net.named_modules()] == ["", "features", "features.0", "features.1", "heads", "heads.0",
                                                   "heads.1", "extra", "extra.a"]
    assert [n for n, _ in net.named_children()] == ["features", "heads", "extra"]
    assert list(net.children()) == [net.features, net.heads, net.extra]
    visited = []
    assert net.apply(lambda m: visited.append(m)) is net
    assert visited[-1] is net and visited[:3] == [net.features[0], net.features[1], net.features]


def test_named_modules_yields_a_shared_module_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert [n for n, _ in seq.named_modules()] == ["", "0"]
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1"]


def test_requires_grad_freezes_the_parameters():
    net = Net()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.heads.requires_grad_()
    assert [p.requires_grad for p in net.parameters()] == [False, False, True, True, True, True, False, False]
    with pytest.raises(TypeError, match="requires_grad"):
        net.requires_grad_(1)


def test_double_and_float_cast_floating_state_in_place():
    bn = nn.BatchNorm2d(3)
    weight = bn.weight
    assert bn.double() is bn and bn.weight is weight
    assert {p.dtype for p in bn.parameters()} == {np.dtype(np.float64)}
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    y = bn(Tensor(np.random.default_rng(0).normal(size=(4, 3, 2, 2))))
    assert y.dtype == np.float64
    assert bn.float().weight.dtype == np.float32 and bn.running_var.dtype == np.float32


def test_load_state_dict_not_strict_returns_missing_and_unexpected_keys():
    a, b = Net(), Net()
    sd = a.state_dict()
    del sd["heads.1.bias"]
    sd["other.weight"] = np.zeros(3, dtype=np.float32)
    result = b.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["heads.1.bias"] and result.unexpected_keys == ["other.weight"]
    missing, unexpected = result
    assert missing == ["heads.1.bias"]
    np.testing.assert_array_equal(b.heads[1].weight.data, a.heads[1].weight.data)
    assert not np.array_equal(b.heads[1].bias.data, a.heads[1].bias.data)
    assert tuple(b.load_state_dict(a.state_dict())) == ([], [])
    with pytest.raises(RuntimeError, match="missing: heads.1.bias"):
        b.load_state_dict(sd)


def test_load_state_dict_not_strict_still_refuses_a_shape_mismatch():
    net = Net()
    sd = net.state_dict()
    sd["heads.0.weight"] = np.zeros((5, 4), dtype=np.float32)
    with pytest.raises(RuntimeError, match="heads.0.weight"):
        net.load_state_dict(sd, strict=False)


def test_nn_parameter_and_clip_grad_norm_import_paths():
    from tinyconv.nn.utils import clip_grad_norm_
    p = nn.Parameter(np.ones(4, dtype=np.float32))
    assert isinstance(p, tc.Parameter) and p.requires_grad
    p.grad = Tensor(np.full(4, 2.0, dtype=np.float32))
    norm = clip_grad_norm_([p], max_norm=1.0)
    assert isinstance(norm, Tensor) and math.isclose(norm.item(), 4.0)
    np.testing.assert_allclose(grad_of(p), 0.5, rtol=1e-5)
    assert nn.utils.clip_grad_norm_ is clip_grad_norm_


from tinyconv.nn import init  # noqa: E402


@pytest.mark.parametrize("nonlinearity, param, gain", [
    ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", 0.2, math.sqrt(2 / 1.04)), ("selu", None, 0.75)])
def test_calculate_gain_matches_pytorch_table(nonlinearity, param, gain):
    assert math.isclose(init.calculate_gain(nonlinearity, param), gain)


def test_calculate_gain_refuses_unknown_names():
    with pytest.raises(ValueError, match="nonlinearity"):
        init.calculate_gain("swish")


def big(shape, dtype=np.float32):
    return tc.Parameter(np.empty(shape, dtype=dtype))


@pytest.mark.parametrize("mode, fan", [("fan_in", 64 * 9), ("fan_out", 32 * 9)])
def test_kaiming_normal_takes_pytorch_arguments(mode, fan):
    p = init.kaiming_normal_(big((32, 64, 3, 3)), 0.1, mode, "leaky_relu", generator=np.random.default_rng(0))
    std = math.sqrt(2 / (1 + 0.1 ** 2)) / math.sqrt(fan)
    assert abs(float(p.data.std()) / std - 1) < 0.02


def test_kaiming_uniform_relu_bound():
    p = init.kaiming_uniform_(big((300, 200)), mode="fan_out", nonlinearity="relu", generator=np.random.default_rng(1))
    bound = math.sqrt(2) * math.sqrt(3 / 300)
    assert float(np.abs(p.data).max()) <= bound and float(np.abs(p.data).max()) > 0.99 * bound


def test_kaiming_refuses_a_bad_mode():
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(big((3, 3)), mode="fan_avg")


def test_constant_ones_zeros_uniform_normal():
    p = big((4, 5))
    assert init.constant_(p, 0.3) is p and np.all(p.data == np.float32(0.3))
    assert np.all(init.ones_(p).data == 1) and not np.any(init.zeros_(p).data)
    u = init.uniform_(big((1000,)), -2.0, -1.0, generator=np.random.default_rng(0)).data
    assert u.min() >= -2 and u.max() <= -1
    assert np.all(init.uniform_(big((100,))).data >= 0)  # PyTorch's default U(0, 1)
    n = init.normal_(big((4000,)), 3.0, 0.5, np.random.default_rng(0)).data
    assert abs(n.mean() - 3) < 0.05 and abs(n.std() - 0.5) < 0.05


def test_init_inside_apply_as_pytorch_users_write_it():
    def init_weights(m):
        if isinstance(m, nn.Linear):
            init.xavier_uniform_(m.weight, gain=init.calculate_gain("relu"))
            init.constant_(m.bias, 0.01)

    net = Net().apply(init_weights)
    assert np.all(net.heads[0].bias.data == np.float32(0.01))


def test_gelu_matches_its_definition():
    x = np.array([-3.0, -1.0, -0.1, 0.0, 0.5, 2.0])
    exact = x * 0.5 * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    np.testing.assert_allclose(nn.GELU()(Tensor(x)).data, exact, rtol=1e-12)
    tanh = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(nn.GELU("tanh")(Tensor(x)).data, tanh, rtol=1e-12)
    assert nn.GELU()(Tensor(x.astype(np.float32))).dtype == np.float32
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("sigmoid")


def test_softmax_layers_take_dim_and_pytorch_implicit_choice():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(nn.Softmax(dim=1)(Tensor(x)).data, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(1)(Tensor(x)).data, np.log(e / e.sum(axis=1, keepdims=True)), rtol=1e-12)
    np.testing.assert_allclose(tc.functional.softmax(Tensor(x), dim=2).data,
                               tc.functional.softmax(Tensor(x), axis=-1).data)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        implicit = nn.Softmax()(Tensor(x))  # PyTorch: dim 0 for a 3-D input
    np.testing.assert_allclose(implicit.data.sum(axis=0), 1.0)
    with pytest.raises(TypeError, match="alias"):
        tc.functional.softmax(Tensor(x), 1, axis=1)


ACTIVATIONS = [("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("Softmax", (1,), {}),
               ("LogSoftmax", (-1,), {})]


@pytest.mark.parametrize("name, args, kwargs", ACTIVATIONS)
def test_activation_layers_match_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(3, 5)) * 2
    g = np.random.default_rng(2).normal(size=(3, 5))
    ours = Tensor(x, requires_grad=True)
    y = getattr(nn, name)(*args, **kwargs)(ours)
    y.backward(g)
    theirs = torch.tensor(x, requires_grad=True)
    yt = getattr(torch.nn, name)(*args, **kwargs)(theirs)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_of(ours), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_layer_norm_against_numpy():
    x = np.random.default_rng(3).normal(size=(2, 3, 4))
    ln = nn.LayerNorm((3, 4), dtype=np.float64)
    ln.weight.data[...] = 2.0
    ln.bias.data[...] = 0.5
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(ln(Tensor(x)).data, 2 * (x - mean) / np.sqrt(var + 1e-5) + 0.5, rtol=1e-12)
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"] and ln.weight.shape == (3, 4)
    assert nn.LayerNorm(4, elementwise_affine=False).parameters() == []
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(Tensor(np.zeros((2, 4, 3))))


def test_group_norm_against_numpy():
    x = np.random.default_rng(4).normal(size=(2, 6, 5))
    gn = nn.GroupNorm(3, 6, dtype=np.float64)
    groups = x.reshape(2, 3, 10)
    expected = ((groups - groups.mean(axis=2, keepdims=True)) / np.sqrt(groups.var(axis=2, keepdims=True) + 1e-5))
    np.testing.assert_allclose(gn(Tensor(x)).data, expected.reshape(x.shape), rtol=1e-12)
    with pytest.raises(ValueError, match="num_channels"):
        nn.GroupNorm(4, 6)


NORMS = [("LayerNorm", ((4, 5),), (2, 3, 4, 5)), ("LayerNorm", (5,), (3, 5)), ("GroupNorm", (2, 4), (3, 4, 5, 2)),
         ("GroupNorm", (4, 4), (2, 4, 3))]


@pytest.mark.parametrize("name, args, shape", NORMS)
def test_norm_layers_match_pytorch(name, args, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, g = rng.normal(size=shape), rng.normal(size=shape)
    ours, theirs = getattr(nn, name)(*args, dtype=np.float64), getattr(torch.nn, name)(*args, dtype=torch.float64)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        p.data[...] = rng.normal(size=p.shape)
        q.data.copy_(torch.tensor(p.data))
    xs, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours(xs).backward(g)
    theirs(xt).backward(torch.tensor(g))
    np.testing.assert_allclose(ours(xs).data, theirs(xt).detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_of(xs), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(grad_of(p), q.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_dropout2d_drops_whole_channels():
    x = Tensor(np.ones((8, 16, 3, 3)))
    y = nn.Dropout2d(0.5, rng=np.random.default_rng(0))(x).data
    per_channel = y.reshape(8, 16, 9)
    assert np.all((per_channel == 0).all(axis=2) | (per_channel == 2).all(axis=2))
    assert 0.3 < (per_channel[:, :, 0] == 0).mean() < 0.7
    drop = nn.Dropout2d(0.5).eval()
    assert drop(x) is x or np.array_equal(drop(x).data, x.data)
    with pytest.raises(NotImplementedError, match="inplace"):
        nn.Dropout2d(0.5, True)
    with pytest.raises(ValueError, match="input"):
        nn.Dropout2d()(Tensor(np.ones((2, 3))))


def test_dropout2d_gradient_uses_the_same_mask():
    x = Tensor(np.ones((4, 6, 2, 2)), requires_grad=True)
    y = nn.Dropout2d(0.25, rng=np.random.default_rng(1))(x)
    y.sum().backward()
    np.testing.assert_array_equal(grad_of(x), y.data)


def test_embedding_looks_up_rows_and_skips_the_padding_row():
    emb = nn.Embedding(5, 3, padding_idx=1, dtype=np.float64)
    assert not np.any(emb.weight.data[1])
    idx = np.array([[0, 1, 4], [4, 4, 2]])
    y = emb(Tensor(idx))
    np.testing.assert_array_equal(y.data, emb.weight.data[idx])
    y.sum().backward()
    np.testing.assert_array_equal(grad_of(emb.weight)[:, 0], [1, 0, 1, 0, 3])
    with pytest.raises(IndexError, match="index 5"):
        emb(Tensor(np.array([5])))
    with pytest.raises(TypeError, match="integer"):
        emb(Tensor(np.array([1.0])))
    with pytest.raises(NotImplementedError, match="max_norm"):
        nn.Embedding(5, 3, max_norm=1.0)
    with pytest.raises(ValueError, match="_weight"):
        nn.Embedding(5, 3, _weight=np.zeros((3, 5)))


def test_embedding_matches_pytorch():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(6).normal(size=(6, 4))
    idx = np.array([[1, 2, 2], [5, 0, 1]])
    g = np.random.default_rng(7).normal(size=(2, 3, 4))
    ours = nn.Embedding(6, 4, padding_idx=2, _weight=w, dtype=np.float64)
    theirs = torch.nn.Embedding(6, 4, padding_idx=2, _weight=torch.tensor(w))
    ours(Tensor(idx)).backward(g)
    theirs(torch.tensor(idx)).backward(torch.tensor(g))
    np.testing.assert_allclose(grad_of(ours.weight), theirs.weight.grad.numpy(), rtol=1e-12)


def test_adaptive_avg_pool2d_bins_by_hand():
    x = Tensor(np.arange(5.0).reshape(1, 1, 1, 5))
    # width 5 into 3 bins: [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((1, 3))(x).data.ravel(), [0.5, 2.0, 3.5])
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((None, 1))(x).data.ravel(), [2.0])
    assert nn.AdaptiveAvgPool2d(1)(Tensor(np.ones((3, 4, 4)))).shape == (3, 1, 1)


@pytest.mark.parametrize("shape, out", [((2, 3, 7, 5), (3, 2)), ((1, 2, 4, 4), 1), ((2, 1, 5, 9), (None, 4))])
def test_adaptive_avg_pool2d_matches_pytorch(shape, out):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x = rng.normal(size=shape)
    ours, theirs = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = nn.AdaptiveAvgPool2d(out)(ours), torch.nn.AdaptiveAvgPool2d(out)(theirs)
    g = rng.normal(size=y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_of(ours), theirs.grad.numpy(), rtol=1e-12)


CONVS = [dict(groups=2), dict(groups=4, stride=2, padding=1), dict(padding="same"), dict(padding="same", dilation=2),
         dict(padding="valid", groups=2), dict(padding="same", groups=2)]


@pytest.mark.parametrize("options", CONVS, ids=str)
@pytest.mark.parametrize("kernel", [3, (2, 3)])
def test_conv2d_groups_and_padding_strings_match_pytorch(options, kernel):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    ours = nn.Conv2d(4, 8, kernel, dtype=np.float64, **options)
    theirs = torch.nn.Conv2d(4, 8, kernel, dtype=torch.float64, **options)
    assert ours.weight.shape == tuple(theirs.weight.shape)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        q.data.copy_(torch.tensor(p.data))
    x = rng.normal(size=(2, 4, 7, 6))
    xs, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = ours(xs), theirs(xt)
    assert y.shape == tuple(yt.shape)
    g = rng.normal(size=y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grad_of(xs), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(grad_of(p), q.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv2d_same_padding_by_hand():
    # kernel 2 (total padding 1): PyTorch puts the extra zero at the end
    x = Tensor(np.arange(1.0, 5.0).reshape(1, 1, 1, 4))
    w = Tensor(np.array([1.0, 10.0]).reshape(1, 1, 1, 2))
    np.testing.assert_array_equal(tc.functional.conv2d(x, w, padding="same").data.ravel(), [21, 32, 43, 4])


def test_conv2d_groups_by_hand_and_errors():
    x = Tensor(np.ones((1, 2, 1, 1)))
    x.data[0, 1] = 3.0
    w = Tensor(np.array([2.0, 5.0]).reshape(2, 1, 1, 1))
    np.testing.assert_array_equal(tc.functional.conv2d(x, w, groups=2).data.ravel(), [2.0, 15.0])
    with pytest.raises(ValueError, match="groups"):
        nn.Conv2d(3, 4, 1, groups=2)
    with pytest.raises(ValueError, match="strided"):
        tc.functional.conv2d(x, w, stride=2, padding="same", groups=2)
    with pytest.raises(ValueError, match="padding"):
        tc.functional.conv2d(x, Tensor(np.ones((1, 2, 1, 1))), padding="full")
    with pytest.raises(NotImplementedError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="reflect")


POOLS = [("MaxPool2d", dict(kernel_size=2, ceil_mode=True)), ("MaxPool2d", dict(kernel_size=3, stride=2, padding=1,
                                                                                ceil_mode=True)),
         ("MaxPool2d", dict(kernel_size=2, dilation=2)), ("MaxPool2d", dict(kernel_size=(2, 3), dilation=(2, 1),
                                                                            padding=1, stride=1)),
         ("AvgPool2d", dict(kernel_size=2, ceil_mode=True)), ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1,
                                                                                count_include_pad=False)),
         ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
         ("AvgPool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)),
         ("AvgPool2d", dict(kernel_size=2, divisor_override=3)), ("MaxPool2d", dict(kernel_size=2))]


@pytest.mark.parametrize("name, options", POOLS, ids=str)
def test_pooling_options_match_pytorch(name, options):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    x = rng.permutation(2 * 3 * 7 * 8).reshape(2, 3, 7, 8) / 10.0  # distinct: no ties in a window
    xs, xt = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    y, yt = getattr(nn, name)(**options)(xs), getattr(torch.nn, name)(**options)(xt)
    assert y.shape == tuple(yt.shape)
    g = rng.normal(size=y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y.data, yt.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_of(xs), xt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_pooling_ceil_mode_by_hand():
    x = Tensor(np.arange(5.0).reshape(1, 1, 1, 5))
    np.testing.assert_array_equal(nn.MaxPool2d((1, 2), ceil_mode=True)(x).data.ravel(), [1, 3, 4])
    np.testing.assert_array_equal(nn.AvgPool2d((1, 2), ceil_mode=True)(x).data.ravel(), [0.5, 2.5, 4])
    np.testing.assert_array_equal(nn.MaxPool2d((1, 2))(x).data.ravel(), [1, 3])
    with pytest.raises(NotImplementedError, match="return_indices"):
        nn.MaxPool2d(2, return_indices=True)
