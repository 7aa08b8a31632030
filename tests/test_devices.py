"""Devices: moving tensors, modules, optimizers and batches; the one error for a missing GPU;
and the Functions run on each device (``device`` fixture: "cuda" is skipped without a GPU)
against the CPU, forward and backward, with float64 gradient checks."""
import subprocess
import sys
import types

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import backend, functional as F, nn
from tinyconv.data import DataLoader, TensorDataset


# ------------------------------------------------------------------ without a GPU

@pytest.fixture
def no_cupy(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", lambda: None)


@pytest.fixture
def cupy_without_gpu(monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=no_device)),
                                 ndarray=type("ndarray", (), {}))
    monkeypatch.setattr(backend, "_cupy", lambda: fake)


MOVES = {
    "Tensor.to": lambda: tc.Tensor([1.0, 2.0]).to("cuda"),
    "Tensor(device=)": lambda: tc.Tensor(np.ones(3), device="cuda"),
    "tensor(device=)": lambda: tc.tensor([1.0], device="cuda"),
    "Parameter(device=)": lambda: tc.Parameter(np.ones(3), device="cuda"),
    "Module.to": lambda: nn.Linear(2, 3).to("cuda"),
    "DataLoader(device=)": lambda: DataLoader(TensorDataset(np.ones((4, 2))), device="cuda"),
    "gradcheck(device=)": lambda: tc.gradcheck(F.relu, [np.ones(2)], device="cuda"),
    "backend.to_device": lambda: backend.to_device(np.ones(2), "cuda"),
}


@pytest.mark.parametrize("move", MOVES.values(), ids=MOVES.keys())
def test_cuda_without_cupy_raises_the_one_clear_error(no_cupy, move):
    assert not tc.cuda.is_available()
    with pytest.raises(tc.cuda.DeviceUnavailableError,
                       match=r"device 'cuda' is not available: CuPy is not installed \(pip install 'tinyconv\[gpu\]'"):
        move()


@pytest.mark.parametrize("move", MOVES.values(), ids=MOVES.keys())
def test_cuda_without_a_gpu_raises_the_one_clear_error(cupy_without_gpu, move):
    assert not tc.cuda.is_available()
    with pytest.raises(tc.cuda.DeviceUnavailableError,
                       match=r"device 'cuda' is not available: CuPy found no usable GPU \(RuntimeError: cudaErrorNoDevice"):
        move()


def test_the_error_is_a_runtime_error():
    assert issubclass(tc.cuda.DeviceUnavailableError, RuntimeError)


def test_a_failed_module_move_leaves_the_parameters_where_they_were(no_cupy):
    model = nn.Linear(2, 3)
    with pytest.raises(tc.cuda.DeviceUnavailableError):
        model.to("cuda")
    assert all(isinstance(p.data, np.ndarray) for p in model.parameters())


@pytest.mark.parametrize("bad, error, message", [
    ("gpu", ValueError, "device: expected 'cpu', 'cuda' or 'cuda:0' \\(tinyconv drives one GPU\\), got 'gpu'"),
    ("cuda:1", ValueError, "device: expected 'cpu', 'cuda' or 'cuda:0' \\(tinyconv drives one GPU\\), got 'cuda:1'"),
    (0, TypeError, "device: expected 'cpu', 'cuda' or 'cuda:0', got int 0"),
])
def test_bad_device_names(bad, error, message):
    for move in (lambda: tc.Tensor([1.0]).to(bad), lambda: tc.Tensor([1.0], device=bad),
                 lambda: nn.Linear(1, 1).to(bad), lambda: DataLoader(TensorDataset(np.ones((2, 1))), device=bad)):
        with pytest.raises(error, match=message):
            move()


def test_moving_to_the_cpu_keeps_everything_in_place():
    t = tc.Tensor([1.0, 2.0], requires_grad=True)
    assert t.to("cpu") is t and t.device == "cpu"
    model = nn.Linear(2, 3)
    params = model.parameters()
    data = [p.data for p in params]
    assert model.to("cpu") is model
    assert all(p is q and p.data is d for p, q, d in zip(model.parameters(), params, data))


def test_training_on_the_cpu_imports_neither_cupy_nor_numba_cuda():
    code = ("import sys, numpy as np, tinyconv as tc\n"
            "from tinyconv import functional as F, nn\n"
            "m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(18, 3))\n"
            "opt = tc.optim.Adam(m.parameters())\n"
            "F.softmax_cross_entropy(m(np.ones((2, 1, 8, 8), np.float32)), np.array([0, 1])).backward()\n"
            "opt.step()\n"
            "print(sorted(k for k in sys.modules if k.split('.')[0] == 'cupy' or k.startswith('numba.cuda')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------ per device

def test_tensor_to_makes_a_leaf_on_the_device(device):
    t = tc.Tensor(np.arange(3.0), requires_grad=True)
    (t * 2).sum().backward()
    moved = t.to(device)
    assert tc.Tensor([1.0], device=device).device == device
    if device == "cpu":
        assert moved is t  # already there
        return
    assert moved.device == device and moved.requires_grad and moved.creator is None
    np.testing.assert_array_equal(moved.numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(moved.grad.numpy(), [2.0, 2.0, 2.0])
    (moved * moved).sum().backward()  # a leaf of its own: the gradient stays on it
    np.testing.assert_array_equal(moved.grad.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(t.grad, [2.0, 2.0, 2.0])


def _model():
    tc.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Dropout(0.25), nn.Linear(3 * 4 * 4, 4))


def _train(device, steps=3):
    rng = np.random.default_rng(5)
    data = TensorDataset(rng.standard_normal((12, 1, 8, 8)).astype(np.float32), rng.integers(0, 4, 12))
    model = _model()
    optimizer = tc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # updates proportional to gradients
    model.to(device)  # after the optimizer: its state follows the parameters
    loader = DataLoader(data, batch_size=4, shuffle=True, rng=np.random.default_rng(1), device=device)
    losses = []
    for _, (x, y) in zip(range(steps), loader):
        assert x.device == device and y.device == device
        loss = F.softmax_cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, optimizer, losses


def test_training_on_the_device_matches_the_cpu(device):
    model, optimizer, losses = _train(device)
    cpu_model, _, cpu_losses = _train("cpu")
    np.testing.assert_allclose(losses, cpu_losses, rtol=1e-4)  # dropout masks: the same host draws
    assert all(p.device == device for p in model.parameters())
    assert all(type(optimizer.state[p]["momentum_buffer"]) is type(p.data) for p in model.parameters())
    state = model.state_dict()
    assert all(type(a) is np.ndarray for a in state.values())  # checkpoints hold host arrays
    for name, a in cpu_model.state_dict().items():
        np.testing.assert_allclose(state[name], a, rtol=1e-3, atol=1e-5)
    opt_state = optimizer.state_dict()["state"]
    assert all(type(s["momentum_buffer"]) is np.ndarray for s in opt_state.values())


def test_state_moves_back_and_forth(device, tmp_path):
    model, optimizer, _ = _train(device)
    tc.save({"model": model, "optimizer": optimizer}, tmp_path / "run.npz")
    fresh = _model().to(device)
    fresh_opt = tc.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
    tc.load(tmp_path / "run.npz", into={"model": fresh, "optimizer": fresh_opt})
    assert all(p.device == device for p in fresh.parameters())
    for a, b in zip(fresh.parameters(), model.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    model.to("cpu")
    x = tc.Tensor(np.ones((2, 1, 8, 8), np.float32))
    F.softmax_cross_entropy(model(x), np.array([0, 1])).backward()
    optimizer.step()  # the state follows the parameters back to the host
    assert all(isinstance(s["momentum_buffer"], np.ndarray) for s in optimizer.state.values())


def _on(device, *arrays):
    return [tc.Tensor(a, requires_grad=a.dtype.kind == "f", device=device) for a in arrays]


rng = np.random.default_rng(3)
X = rng.standard_normal((2, 3, 7, 6))
W = rng.standard_normal((4, 3, 3, 2))
POOL_X = (rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) - 126) * 0.01  # distinct: no ties
FEATURES = rng.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 1, 2])
SEQUENCE = rng.standard_normal((2, 2, 4))  # (L, N, H_in), or (N, L, H_in) batch first
STATE = rng.standard_normal((1, 2, 3))  # (num_layers, N, H)

FUNCTIONS = {  # name: (fn, inputs)
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
               (X, W, rng.standard_normal(4))),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, stride=2, padding=1), (POOL_X,)),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, (2, 3), stride=(1, 2), padding=1), (X,)),
    "stochastic_pool2d eval": (lambda x: F.stochastic_pool2d(x, 2, training=False), (np.abs(POOL_X) + 0.1,)),
    "stochastic_pool2d": (lambda x: F.stochastic_pool2d(x, 2, rng=np.random.default_rng(0)), (np.abs(POOL_X) + 0.1,)),
    "linear": (F.linear, (FEATURES, rng.standard_normal((3, 4)), rng.standard_normal(3))),
    "relu": (F.relu, (FEATURES,)),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), (FEATURES,)),
    "sigmoid": (F.sigmoid, (FEATURES,)),
    "tanh": (F.tanh, (FEATURES,)),
    "softmax": (lambda x: F.softmax(x, axis=1), (FEATURES,)),
    "log_softmax": (lambda x: F.log_softmax(x, axis=0), (FEATURES,)),
    "softmax_cross_entropy": (F.softmax_cross_entropy, (FEATURES, LABELS)),
    "mse_loss": (F.mse_loss, (FEATURES, rng.standard_normal((5, 4)))),
    "multi_margin_loss": (F.multi_margin_loss, (FEATURES, LABELS)),
    "crammer_singer_loss": (F.crammer_singer_loss, (FEATURES, LABELS)),
    "binary_cross_entropy_with_logits": (F.binary_cross_entropy_with_logits, (FEATURES, rng.uniform(0, 1, (5, 4)))),
    "dropout": (lambda x: F.dropout(x, 0.5, rng=np.random.default_rng(0)), (FEATURES,)),
    "add, mul, div (broadcast)": (lambda a, b: (a + b) * a / (b * b + 1), (FEATURES, rng.standard_normal(4))),
    "matmul": (F.matmul, (FEATURES, rng.standard_normal((4, 2)))),
    "exp, log, pow": (lambda x: F.log(F.exp(x) + 1) ** 1.5, (FEATURES,)),
    "sum, mean, max": (lambda x: x.sum(axis=0) + x.mean(axis=0) * x.amax(axis=0), (FEATURES,)),
    "reshape, transpose, flatten": (lambda x: x.reshape(2, 5, 2).permute(2, 0, 1).flatten(), (FEATURES,)),
    "getitem": (lambda x: x[1:, ::2] * x[np.array([0, 2, 2]), 1:3].sum(), (FEATURES,)),
    "concat": (lambda a, b: F.concat([a, b], axis=1), (FEATURES, rng.standard_normal((5, 2)))),
    "stack, unbind": (lambda x: F.stack(F.unbind(x, 1)[::-1], axis=0), (FEATURES,)),
    "lstm": (lambda x, h, c, *w: F.concat([s.reshape(-1) for s in F.lstm(x, (h, c), [w])[1]]),
             (SEQUENCE, STATE, STATE) + tuple(rng.uniform(-0.5, 0.5, s) for s in [(12, 4), (12, 3), (12,), (12,)])),
    "gru": (lambda x, h, *w: F.gru(x, h, [w], batch_first=True)[0],
            (SEQUENCE, STATE) + tuple(rng.uniform(-0.5, 0.5, s) for s in [(9, 4), (9, 3), (9,), (9,)])),
    "rnn": (lambda x, *w: F.rnn(x, None, [w])[0], (SEQUENCE, rng.uniform(-0.5, 0.5, (3, 4)), rng.uniform(-0.5, 0.5, (3, 3)))),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_forward_and_backward_match_the_cpu(device, name, dtype):
    fn, inputs = FUNCTIONS[name]
    inputs = [a.astype(dtype) if a.dtype.kind == "f" else a for a in inputs]
    results = []
    for where in ("cpu", device):
        tensors = _on(where, *inputs)
        y = fn(*tensors)
        assert y.device == where and y.dtype == dtype
        y.backward(tc.Tensor(np.linspace(-1, 1, y.numel()).reshape(y.shape).astype(dtype), device=where))
        results.append([y.numpy()] + [t.grad.numpy() for t in tensors if t.requires_grad])
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for got, expected in zip(results[1], results[0]):
        np.testing.assert_allclose(got, expected, **tolerance)


@pytest.mark.parametrize("name", [n for n in FUNCTIONS if n != "stochastic_pool2d"])
def test_gradcheck_on_the_device(device, name):
    fn, inputs = FUNCTIONS[name]
    assert tc.gradcheck(fn, list(inputs), device=device)


def test_the_lenet_example_refuses_cuda_without_a_gpu_before_loading_data(no_cupy):
    from example_driver import load_example
    example = load_example()
    example.load_data = lambda args: pytest.fail("loaded the data before checking the device")
    with pytest.raises(SystemExit, match="--device cuda: device 'cuda' is not available: CuPy is not installed"):
        example.main(["--device", "cuda", "--epochs", "1"])
