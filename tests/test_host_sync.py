"""No host-device synchronisation on the forward and backward path of a training step.

On the GPU, turning an array into a Python value (``bool``, ``float``, ``int``, ``item``,
``tolist``) or into a host array waits for every queued kernel. A NumPy subclass stands in
for a device array here: every such conversion is counted, and every array that the step
makes (tensors, kernel outputs, reductions) stays of that type, so a check that reads values
on the way shows up as a count, on the CPU, without a GPU."""
import importlib
import os
import sys

import numpy as np
import pytest

import tinyconv as tc
import tinyconv.functional as F
from tinyconv import backend, nn

tensor_module = importlib.import_module("tinyconv.tensor")  # tc.tensor is the function
loss_module = importlib.import_module("tinyconv.functional.loss")


class DeviceLike(np.ndarray):
    """A NumPy array that counts the conversions which would wait for a GPU."""

    syncs = []  # replaced per test by the fixture

    def _count(self, what):
        caller = sys._getframe(2)  # the line that converted (for the failure message)
        type(self).syncs.append(f"{what} at {os.path.basename(caller.f_code.co_filename)}:{caller.f_lineno}")

    def __array__(self, dtype=None, copy=None):
        self._count("to host")
        return np.asarray(self.view(np.ndarray), dtype=dtype)


def _counting(name):
    def method(self, *args, **kwargs):
        self._count(name.strip("_"))
        return getattr(super(DeviceLike, self), name)(*args, **kwargs)
    return method


for _name in ("__bool__", "__float__", "__int__", "__index__", "item", "tolist"):
    setattr(DeviceLike, _name, _counting(_name))


def _device_like(value):
    if isinstance(value, tuple):
        return tuple(_device_like(v) for v in value)
    return value.view(DeviceLike) if type(value) is np.ndarray else value


class _DeviceLikeKernels:
    """The selected kernel module, its outputs returned as DeviceLike arrays."""

    def __init__(self, module):
        self.module = module

    def __getattr__(self, name):
        kernel = getattr(self.module, name)
        return (lambda *a, **k: _device_like(kernel(*a, **k))) if callable(kernel) else kernel


@pytest.fixture
def device_like(monkeypatch):
    """Every Tensor made in the test holds a DeviceLike array; returns the list of syncs."""
    to_array, kernels = tensor_module.to_array, backend.kernels
    monkeypatch.setattr(tensor_module, "to_array", lambda *a, **k: _device_like(to_array(*a, **k)))
    monkeypatch.setattr(backend, "kernels", lambda array: _DeviceLikeKernels(kernels(array)))
    device_of = backend.device_of  # checks that are free on the CPU are made there only
    monkeypatch.setattr(loss_module, "device_of", lambda a: "cuda" if isinstance(a, DeviceLike) else device_of(a))
    monkeypatch.setattr(DeviceLike, "syncs", [])
    return DeviceLike.syncs


class LeNetLike(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 5, padding=2)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=1, padding=1)
        self.conv3 = nn.Conv2d(6, 8, 3, padding=1)
        self.fc1 = nn.Linear(8 * 2 * 2, 12)
        self.fc2 = nn.Linear(12, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 2)
        x = F.stochastic_pool2d(F.relu(self.conv3(x)), 2, training=self.training, rng=np.random.default_rng(0))
        return self.fc2(F.relu(self.fc1(x.reshape(x.shape[0], -1))))


def _inputs():
    x = tc.Tensor(np.random.default_rng(1).standard_normal((4, 1, 16, 16)).astype(np.float32))
    return x, tc.Tensor(np.array([0, 3, 9, 5]))


def _assert_no_sync(syncs, loss, tensors):
    assert not syncs, "host-device synchronisations:\n" + "\n".join(syncs)
    assert isinstance(loss.data, DeviceLike)  # the stand-in covered the step
    assert all(isinstance(t.grad.data, DeviceLike) for t in tensors)
    assert np.isfinite(loss.data.view(np.ndarray)).all()


@pytest.mark.parametrize("kernels", ["numba", "reference"])
@pytest.mark.parametrize("training", [True, False])
def test_a_lenet_step_forward_and_backward_never_waits_for_the_device(device_like, kernels, training):
    model = LeNetLike().train(training)  # parameters made inside the fixture: DeviceLike
    x, _ = _inputs()
    assert isinstance(x.data, DeviceLike) and all(isinstance(p.data, DeviceLike) for p in model.parameters())
    with backend.use_kernels(kernels):
        out = model(x)
        loss = (out * out).mean()
        loss.backward()
    _assert_no_sync(device_like, loss, model.parameters())


def test_cross_entropy_forward_and_backward_never_waits_for_the_device(device_like):
    logits = tc.Tensor(np.random.default_rng(2).standard_normal((4, 10)).astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(logits, _inputs()[1])
    loss.backward()
    _assert_no_sync(device_like, loss, [logits])


def test_a_target_out_of_range_on_the_device_makes_its_loss_nan_without_waiting(device_like):
    logits = tc.Tensor(np.zeros((2, 3), np.float32))
    losses = F.cross_entropy(logits, np.array([0, 3]), reduction="none").data.view(np.ndarray)
    assert device_like == []
    assert np.isfinite(losses[0]) and np.isnan(losses[1])


def test_the_stand_in_counts_a_check_that_reads_values(device_like):
    x = tc.Tensor(np.ones(3, np.float32))
    assert bool((x.data > 0).all()) and float(x.data.sum()) == 3.0
    assert [s.split()[0] for s in device_like] == ["bool", "float"]
