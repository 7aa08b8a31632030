"""Changing a tensor after a Function saved it for backward never gives silently wrong
gradients: tracked changes (optimizer steps, ``copy_``, assigning ``.data``) bump
``tensor._version`` and backward through the stale graph raises RuntimeError, as PyTorch's;
a raw write through ``.data`` of a tensor that a live graph saved is refused (read-only view)."""
import re

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Parameter, Tensor
from tinyconv.optim import SGD, Adam, clip_grad_norm_


def squared():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    return x, (x * x).sum()


def test_writing_x_data_after_it_was_saved_never_gives_wrong_gradients():
    """The issue's reproducer: a write through x.data before backward gave [-2, -4]."""
    x, y = squared()
    with pytest.raises(ValueError, match="read-only"):
        x.data[...] = np.array([-1.0, -2.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_optimizer_step_between_two_backward_passes_raises():
    """The issue's reproducer: step() between two backward(retain_graph=True) gave wrong gradients."""
    w = Parameter(np.array([1.0, 2.0]))
    loss = (w * w).sum()
    opt = SGD([w], lr=1.0)
    loss.backward(retain_graph=True)
    opt.step()
    assert w._version == 1
    grad_before = w.grad.clone()
    message = ("one of the variables needed for gradient computation has been modified by an inplace operation: "
               "[float64 Parameter of shape (2,)], input 0 of <Mul>, is at version 1; expected version 0")
    with pytest.raises(RuntimeError, match=re.escape(message)):
        loss.backward()
    np.testing.assert_array_equal(w.grad, grad_before)  # nothing changed on that error


def test_copy_under_no_grad_bumps_the_version_and_backward_raises():
    x, y = squared()
    with tc.no_grad():
        assert x.copy_(np.array([-1.0, -2.0])) is x
    assert x._version == 1
    np.testing.assert_array_equal(x.data, [-1.0, -2.0])
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.backward()


def test_copy_on_a_tensor_that_requires_grad_needs_no_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"copy_\(\): .* inside tinyconv.no_grad\(\)"):
        x.copy_(np.zeros(2))
    assert x._version == 0
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


def test_copy_checks_the_shape():
    x = Tensor(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"src: expected a shape that broadcasts to \(2,\), got \(3,\)"):
        x.copy_(np.zeros(3))
    assert x._version == 0


def test_assigning_data_bumps_the_version_and_backward_raises():
    x, y = squared()
    x.data = np.array([5.0, 6.0])
    assert x._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_reading_data_between_forward_and_backward_is_fine():
    x, y = squared()
    assert x.data.sum() == 3.0 and y.data == 5.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_data_is_writable_again_once_the_graph_is_freed():
    x, y = squared()
    y.backward()
    x.data[...] = 0.0  # no graph needs it any more
    np.testing.assert_array_equal(x.data, [0.0, 0.0])
    del y
    z = Tensor(np.ones(2), requires_grad=True)
    (z * z).sum()  # a graph that nobody keeps
    z.data[0] = 3.0
    assert z.data[0] == 3.0


def test_an_ordinary_training_loop_runs_and_bumps_once_per_step():
    w = Parameter(np.array([1.0, -1.0]))
    opt = Adam([w], lr=0.1)
    for step in range(1, 4):
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        clip_grad_norm_([w], 1.0)  # scales .grad, not the data: no bump
        opt.step()
        assert w._version == step


def test_detach_shares_the_version_counter():
    x, y = squared()
    d = x.detach()
    with tc.no_grad():
        d.copy_(np.zeros(2))
    assert x._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
