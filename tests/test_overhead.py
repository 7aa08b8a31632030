"""Per-op overhead budgets: the Python calls that one small operation, its backward and an
optimizer's step and zero_grad make. Counted, never timed (benchmarks/overhead.py has the times)."""
import sys

import numpy as np
import pytest

import tinyconv as tc
from tinyconv.tensor import wrap


def python_calls(function):
    """The number of Python function calls made while ``function()`` runs."""
    calls, previous = [0], sys.getprofile()

    def count(frame, event, arg):
        if event == "call":
            calls[0] += 1
    sys.setprofile(count)
    try:
        function()
    finally:
        sys.setprofile(previous)
    return calls[0]


@pytest.fixture
def pair():
    return [tc.Tensor(np.ones(1, np.float32), requires_grad=True) for _ in range(2)]


def test_a_recorded_op_makes_few_python_calls(pair):
    a, b = pair
    assert python_calls(lambda: a + b) <= 24  # 36 before the per-op overhead was cut


def test_a_backward_makes_few_python_calls(pair):
    a, b = pair
    y = a + b
    assert python_calls(y.backward) <= 32  # 45 before
    np.testing.assert_array_equal(a.grad.numpy(), [1])


@pytest.fixture
def ten_parameters():
    params = [tc.nn.Parameter(np.ones(3, np.float32)) for _ in range(10)]
    for p in params:
        p.grad = tc.Tensor(np.ones(3, np.float32))
    return params


def test_zero_grad_makes_no_python_call_per_parameter(ten_parameters):
    optimizer = tc.optim.Adam(ten_parameters)
    assert python_calls(optimizer.zero_grad) <= 2  # 13 before: a property call per parameter
    assert all(p.grad is None for p in ten_parameters)


def test_an_optimizer_step_makes_few_python_calls_per_parameter(ten_parameters):
    optimizer = tc.optim.Adam(ten_parameters)
    optimizer.step()  # the state is created at the first step
    assert python_calls(optimizer.step) <= 70  # 88 before
    assert all(p._version == 2 for p in ten_parameters)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_resets_only_gradients_that_exist(set_to_none):
    with_grad, without = tc.nn.Parameter(np.ones(3, np.float32)), tc.nn.Parameter(np.ones(2, np.float32))
    with_grad.grad = tc.Tensor(np.full(3, 2, np.float32))
    tc.optim.SGD([with_grad, without], lr=0.1).zero_grad(set_to_none=set_to_none)
    assert without.grad is None
    if set_to_none:
        assert with_grad.grad is None
    else:
        np.testing.assert_array_equal(with_grad.grad.numpy(), [0, 0, 0])


@pytest.mark.parametrize("data, requires_grad", [
    (np.ones((2, 3), np.float32), True), (np.arange(3), False), (np.float32(2.5), False),
    (np.float64(2.5), True), (np.ones((2, 3))[:, 1], False)])
def test_wrap_is_the_constructor(data, requires_grad):
    wrapped, constructed = wrap(data, requires_grad), tc.Tensor(data, requires_grad=requires_grad)
    for name in ("shape", "dtype", "requires_grad", "creator", "generation", "grad", "_version"):
        assert getattr(wrapped, name) == getattr(constructed, name)
    assert type(wrapped._data) is type(constructed._data)
    np.testing.assert_array_equal(wrapped.numpy(), constructed.numpy())


def test_wrap_refuses_requires_grad_on_integers_as_the_constructor():
    with pytest.raises(TypeError, match="requires_grad"):
        wrap(np.arange(3), True)
