"""Sequential.append, Module.to(dtype) / half(), nn.init.orthogonal_ and trunc_normal_, as PyTorch's."""
import math

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, nn
from tinyconv.nn import init


def test_sequential_append_adds_the_next_numbered_layer_and_returns_self():
    net = nn.Sequential(nn.Linear(2, 3))
    assert net.append(nn.ReLU()) is net
    net.append(nn.Linear(3, 1))
    assert [name for name, _ in net.named_children()] == ["0", "1", "2"]
    assert [n for n, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert net(tc.zeros(4, 2)).shape == (4, 1)
    with pytest.raises(TypeError, match="module: expected a Module, got int"):
        net.append(3)
    assert len(net) == 3


def test_module_to_dtype_casts_floating_state_in_place():
    bn = nn.BatchNorm1d(3)
    weight = bn.weight
    assert bn.to(tc.float64) is bn and bn.weight is weight
    assert bn.weight.dtype == np.float64 and bn.running_mean.dtype == np.float64
    assert bn.num_batches_tracked.dtype == np.int64
    bn.to(dtype=np.float32)
    assert bn.weight.dtype == np.float32
    bn.to("cpu", tc.float64)
    assert bn.running_var.dtype == np.float64
    bn.to(Tensor(np.zeros(1, dtype=np.float32)))  # a tensor's dtype and device
    assert bn.weight.dtype == np.float32
    bn.to(device="cpu")
    assert bn.weight.dtype == np.float32


def test_module_to_refuses_non_float_dtypes_and_half_precision():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="dtype: expected a floating-point dtype .* got int64"):
        lin.to(tc.int64)
    with pytest.raises(NotImplementedError, match=r"half\(\): tinyconv has no float16 .* float32 or float64"):
        lin.half()
    with pytest.raises(NotImplementedError, match="tinyconv has no float16"):
        lin.to(np.float16)
    assert lin.weight.dtype == np.float32


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3, 3), (6, 6)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    w = Tensor(np.empty(shape))
    assert init.orthogonal_(w, gain=2.0, generator=np.random.default_rng(0)) is w
    flat = w.data.reshape(shape[0], -1) / 2.0
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)


def test_orthogonal_is_reproducible_and_checks_the_shape():
    a, b = (init.orthogonal_(Tensor(np.empty((3, 3), dtype=np.float32)), generator=np.random.default_rng(1))
            for _ in range(2))
    np.testing.assert_array_equal(a.data, b.data)
    assert a.dtype == np.float32
    with pytest.raises(ValueError, match=r"tensor: expected at least 2 dimensions, got shape \(3,\)"):
        init.orthogonal_(Tensor(np.empty(3)))


def truncated_moments(mean, std, a, b):
    """Mean and standard deviation of N(mean, std^2) truncated to [a, b]."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(beta) - cdf(alpha)
    m = (pdf(alpha) - pdf(beta)) / z
    var = 1 + (alpha * pdf(alpha) - beta * pdf(beta)) / z - m * m
    return mean + std * m, std * math.sqrt(var)


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.0, 0.02, -0.04, 0.04), (1.0, 2.0, 0.0, 5.0)])
def test_trunc_normal_stays_inside_and_has_the_truncated_moments(mean, std, a, b):
    w = Tensor(np.empty((200, 500), dtype=np.float32))
    assert init.trunc_normal_(w, mean, std, a, b, generator=np.random.default_rng(0)) is w
    assert w.dtype == np.float32 and w.data.min() >= a and w.data.max() <= b
    expected_mean, expected_std = truncated_moments(mean, std, a, b)
    assert abs(w.data.mean() - expected_mean) < 0.01 * std
    assert abs(w.data.std() - expected_std) < 0.01 * std


def test_trunc_normal_defaults_and_bad_bounds():
    w = init.trunc_normal_(Tensor(np.empty(1000)), generator=np.random.default_rng(0))
    assert w.data.min() >= -2 and w.data.max() <= 2 and w.data.min() < -1.5
    with pytest.raises(ValueError, match="a: expected a < b, got a=1.0 and b=-1.0"):
        init.trunc_normal_(Tensor(np.empty(3)), a=1.0, b=-1.0)
    with pytest.raises(ValueError, match="std: expected a positive number, got -1"):
        init.trunc_normal_(Tensor(np.empty(3)), std=-1)


def test_orthogonal_and_trunc_normal_match_pytorch_properties():
    torch = pytest.importorskip("torch")
    import inspect
    for name in ("orthogonal_", "trunc_normal_"):
        ours = list(inspect.signature(getattr(init, name)).parameters)
        assert ours == list(inspect.signature(getattr(torch.nn.init, name)).parameters)
    t = torch.nn.init.trunc_normal_(torch.empty(200, 500), 0.5, 1.0, -1.0, 1.5)
    w = init.trunc_normal_(Tensor(np.empty((200, 500))), 0.5, 1.0, -1.0, 1.5, generator=np.random.default_rng(0))
    assert abs(w.data.mean() - t.mean().item()) < 0.02 and abs(w.data.std() - t.std().item()) < 0.02
    t = torch.nn.init.orthogonal_(torch.empty(4, 2, 3, 3), gain=3.0).reshape(4, -1)
    w = init.orthogonal_(Tensor(np.empty((4, 2, 3, 3))), gain=3.0).data.reshape(4, -1)
    np.testing.assert_allclose(w @ w.T, (t @ t.T).numpy(), atol=1e-5)


def test_module_to_and_sequential_append_match_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Sequential(nn.Linear(2, 2)), torch.nn.Sequential(torch.nn.Linear(2, 2))
    ours.append(nn.Tanh()).to(tc.float64)
    theirs.append(torch.nn.Tanh()).to(torch.float64)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert str(ours.state_dict()["0.weight"].dtype) == str(theirs.state_dict()["0.weight"].dtype).replace("torch.", "")
