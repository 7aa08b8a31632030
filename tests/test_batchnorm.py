"""Batch normalisation: equal to PyTorch's (outputs, gradients, running statistics) in training
and evaluation, the train/eval switch, the buffers in state_dict and checkpoints, and errors.
(Gradients are checked against central differences in test_gradcheck.py.)"""
import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, functional as F, nn

SHAPES = [(5, 3), (4, 3, 6), (3, 3, 4, 5)]


def batches(shape, count, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(1.5, 2.0, shape) for _ in range(count)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", ["none", "weight", "bias", "both"])
def test_functional_matches_torch(shape, training, affine):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    c = shape[1]
    x, grad = rng.standard_normal(shape), rng.standard_normal(shape)
    stats = [rng.standard_normal(c), rng.uniform(0.5, 2, c)]
    params = {"weight": rng.standard_normal(c) if affine in ("weight", "both") else None,
              "bias": rng.standard_normal(c) if affine in ("bias", "both") else None}
    ours = {k: Tensor(v, requires_grad=True) for k, v in params.items() if v is not None}
    xt = Tensor(x, requires_grad=True)
    running = [s.copy() for s in stats]
    y = F.batch_norm(xt, *running, training=training, momentum=0.2, eps=1e-3, **ours)
    y.backward(grad)
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in params.items() if v is not None}
    xp = torch.tensor(x, requires_grad=True)
    peer_running = [torch.tensor(s) for s in stats]
    peer = torch.nn.functional.batch_norm(xp, *peer_running, training=training, momentum=0.2, eps=1e-3, **theirs)
    peer.backward(torch.tensor(grad))
    np.testing.assert_allclose(y.data, peer.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xt.grad, xp.grad.numpy(), rtol=1e-10, atol=1e-12)
    for k in ours:
        np.testing.assert_allclose(ours[k].grad, theirs[k].grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=k)
    for a, e in zip(running, peer_running):
        np.testing.assert_allclose(a, e.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_layer_matches_torch_over_steps_then_in_eval(shape):
    """Three training steps (running statistics and a trained affine), then evaluation."""
    torch = pytest.importorskip("torch")
    layer = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(shape[1], dtype=np.float64)
    peer = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(shape[1], dtype=torch.float64)
    ours, theirs = tc.optim.SGD(layer.parameters(), lr=0.5), torch.optim.SGD(peer.parameters(), lr=0.5)
    for x in batches(shape, 3):
        for model, opt, tensor in ((layer, ours, Tensor), (peer, theirs, torch.tensor)):
            opt.zero_grad()
            out = model(tensor(x))
            (out * out * tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))).sum().backward()
            opt.step()
    state = layer.state_dict()
    for name, value in peer.state_dict().items():
        np.testing.assert_allclose(state[name], value.numpy(), rtol=1e-10, err_msg=name)
    assert int(state["num_batches_tracked"]) == 3
    layer.eval(), peer.eval()
    x = batches(shape, 1, seed=9)[0]
    np.testing.assert_allclose(layer(Tensor(x)).data, peer(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-12)


def test_training_normalises_each_channel_and_eval_uses_the_running_statistics():
    layer = nn.BatchNorm2d(3, dtype=np.float64)
    x = batches((8, 3, 5, 5), 1)[0] * np.array([1.0, 10.0, 0.1])[:, None, None]
    y = layer(Tensor(x)).data
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-3)  # var / (var + eps)
    m = x.size // 3
    np.testing.assert_allclose(layer.running_mean.data, 0.1 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(layer.running_var.data, 0.9 + 0.1 * x.var(axis=(0, 2, 3)) * m / (m - 1))
    stats = [layer.running_mean.data.copy(), layer.running_var.data.copy()]
    layer.eval()
    z = layer(Tensor(x[:1])).data  # one image: its own statistics do not matter
    expected = (x[:1] - stats[0][:, None, None]) / np.sqrt(stats[1][:, None, None] + layer.eps)
    np.testing.assert_allclose(z, expected, rtol=1e-12)
    np.testing.assert_array_equal(layer.running_mean.data, stats[0])  # eval leaves the statistics alone
    assert int(layer.num_batches_tracked.data) == 1
    layer.train()
    layer(Tensor(x))
    assert int(layer.num_batches_tracked.data) == 2 and not np.array_equal(layer.running_mean.data, stats[0])


def test_without_running_statistics_eval_uses_the_batch():
    layer = nn.BatchNorm1d(2, track_running_stats=False, affine=False).eval()
    assert layer.running_mean is None and list(layer.state_dict()) == []
    y = layer(Tensor(np.array([[1.0, 5.0], [3.0, 9.0]], np.float32))).data
    np.testing.assert_allclose(y, [[-1, -1], [1, 1]], rtol=1e-4)


def test_buffers_in_state_dict_save_load_and_checkpoints(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 4),
                          nn.BatchNorm1d(4))
    buffers = {f"{i}.{name}" for i in (1, 4) for name in ("running_mean", "running_var", "num_batches_tracked")}
    assert {name for name, _ in model.named_buffers()} == buffers
    assert set(model.state_dict()) == buffers | {name for name, _ in model.named_parameters()}
    for x in batches((6, 1, 5, 5), 2):
        model(Tensor(x.astype(np.float32)))
    saved = model.state_dict()
    model.save(tmp_path / "model.npz")
    tc.save({"model": model}, tmp_path / "checkpoint.npz")
    for path, restore in (("model.npz", lambda m, p: m.load(p)),
                          ("checkpoint.npz", lambda m, p: tc.load(p, into={"model": m}))):
        fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 4),
                              nn.BatchNorm1d(4))
        restore(fresh, tmp_path / path)
        for name, value in fresh.state_dict().items():
            np.testing.assert_array_equal(value, saved[name], err_msg=f"{path}: {name}")
            assert value.dtype == saved[name].dtype
    assert int(saved["1.num_batches_tracked"]) == 2


def test_load_state_dict_names_a_missing_buffer():
    layer = nn.BatchNorm1d(3)
    state = layer.state_dict()
    del state["running_var"]
    before = layer.running_mean.data.copy()
    state["running_mean"] += 1
    with pytest.raises(ValueError, match="missing: running_var"):
        layer.load_state_dict(state)
    np.testing.assert_array_equal(layer.running_mean.data, before)


def test_buffers_move_with_the_module(device):
    layer = nn.BatchNorm2d(2).to(device)
    assert all(b.device == device for b in layer.buffers()) and len(layer.buffers()) == 3
    layer(Tensor(np.ones((2, 2, 3, 3), np.float32), device=device))
    assert int(layer.state_dict()["num_batches_tracked"]) == 1


@pytest.mark.parametrize("layer, shape, match", [
    (nn.BatchNorm1d(3), (2, 3, 4, 4), r"x: expected a 2-D \(N, C\) or 3-D \(N, C, L\) tensor, got shape \(2, 3, 4, 4\)"),
    (nn.BatchNorm2d(3), (2, 3, 4), r"x: expected a 4-D tensor \(N, C, H, W\), got shape \(2, 3, 4\)"),
    (nn.BatchNorm2d(3), (2, 4, 3, 3), r"x: expected 3 channels \(axis 1\), got shape \(2, 4, 3, 3\)"),
    (nn.BatchNorm1d(3), (1, 3), r"x: expected more than 1 value per channel in training, got shape \(1, 3\)"),
])
def test_layer_errors(layer, shape, match):
    with pytest.raises(ValueError, match=match):
        layer(Tensor(np.ones(shape, np.float32)))
    assert int(layer.num_batches_tracked.data) == 0


X = Tensor(np.ones((4, 3)))
C = np.ones(3)


@pytest.mark.parametrize("args, kw, error, match", [
    ((X, None, None), {}, ValueError, "running_mean, running_var: expected both outside training, got None"),
    ((X, np.ones(2), C), dict(training=True), ValueError, r"running_mean: expected shape \(3,\) for x of shape \(4, 3\)"),
    ((X, C, C), dict(weight=np.ones(3, np.float32)), TypeError, "weight: expected dtype float64 like x"),
    ((X, C, C), dict(momentum=1.5), ValueError, r"momentum: expected a number in \[0, 1\], got 1.5"),
    ((X, C, C), dict(eps=0), ValueError, "eps: expected a positive number, got 0"),
    ((Tensor(np.ones(4)), None, None), dict(training=True), ValueError, "x: expected a tensor .* at least 2 dimensions"),
    ((Tensor(np.ones((4, 3), np.int64)), C, C), {}, TypeError, "x: expected a floating-point tensor"),
])
def test_functional_errors(args, kw, error, match):
    with pytest.raises(error, match=match):
        F.batch_norm(*args, **kw)


def test_non_finite_input_is_refused_inside_detect_anomaly_only():
    x = Tensor(np.full((4, 3), np.nan))
    with tc.detect_anomaly(), pytest.raises(tc.NonFiniteError, match="x: expected finite values"):
        F.batch_norm(x, C, C)
    assert np.isnan(F.batch_norm(x, C, C).data).all()  # outside: propagates, as in PyTorch


@pytest.mark.parametrize("kw, error, match", [
    (dict(num_features=0), ValueError, "num_features: expected a positive int, got 0"),
    (dict(num_features=3, momentum=-0.1), ValueError, r"momentum: expected a number in \[0, 1\]"),
    (dict(num_features=3, eps=-1.0), ValueError, "eps: expected a positive number"),
    (dict(num_features=3, dtype=np.int32), TypeError, "dtype: expected float32 or float64"),
])
def test_constructor_errors(kw, error, match):
    with pytest.raises(error, match=match):
        nn.BatchNorm2d(**kw)
