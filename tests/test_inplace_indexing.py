"""``Tensor.clamp_`` and ``x[index] = v`` (``__setitem__``): in place, as PyTorch's, with the
version counter and the in-place rules of ``add_`` (a leaf that requires grad changes only
inside ``no_grad``; a change PyTorch would record in a graph raises)."""
import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor


def test_clamp_changes_the_data_in_place_and_bumps_the_version():
    x = Tensor(np.array([-2.0, 0.5, 3.0], dtype=np.float32))
    data = x.data
    assert x.clamp_(-1, 1) is x
    assert x.data is data and x.dtype == np.float32
    np.testing.assert_array_equal(x.data, [-1.0, 0.5, 1.0])
    assert x._version == 1


def test_clamp_with_one_bound_and_min_above_max():
    x = Tensor(np.array([-2.0, 0.5, 3.0]))
    np.testing.assert_array_equal(x.clone().clamp_(min=0).data, [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(x.clone().clamp_(max=0).data, [-2.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.clone().clamp_(2, 1).data, [1.0, 1.0, 1.0])  # PyTorch: all max


def test_clamp_checks_its_bounds_before_writing():
    x = Tensor(np.array([1, 5]))
    with pytest.raises(TypeError, match="min: a float bound on a tensor of dtype int64"):
        x.clamp_(min=1.5)
    with pytest.raises(ValueError, match="clamp: expected at least one of min and max"):
        x.clamp_()
    np.testing.assert_array_equal(x.data, [1, 5])
    assert x._version == 0


def test_clamp_on_a_leaf_that_requires_grad_needs_no_grad():
    w = tc.Parameter(np.array([-2.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"clamp_\(\): a leaf Variable that requires grad .*no_grad"):
        w.clamp_(-1, 1)
    with tc.no_grad():
        w.clamp_(-1, 1)
    np.testing.assert_array_equal(w.data, [-1.0, 1.0])


def test_clamp_in_a_graph_raises_naming_the_out_of_place_spelling():
    y = Tensor(np.array([-2.0, 2.0]), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"clamp_\(\): in-place operations on tensors in a graph .* x = x.clamp"):
        y.clamp_(-1, 1)


def test_setitem_with_a_mask_and_a_number():
    x = Tensor(np.array([[-1.0, 2.0], [3.0, -4.0]], dtype=np.float32))
    data = x.data
    x[x < 0] = 0
    np.testing.assert_array_equal(x.data, [[0.0, 2.0], [3.0, 0.0]])
    assert x.data is data and x.dtype == np.float32 and x._version == 1


def test_setitem_with_ints_slices_and_tensor_values():
    x = tc.zeros(3, 4)
    x[0] = 1.0
    x[1:, 2] = Tensor(np.array([5.0, 6.0], dtype=np.float32))
    x[2, [0, 1]] = np.array([7.0, 8.0])
    x[tc.tensor([1]), 3] = 9
    expected = np.array([[1, 1, 1, 1], [0, 0, 5, 9], [7, 8, 6, 0]], dtype=np.float32)
    np.testing.assert_array_equal(x.data, expected)
    assert x.dtype == np.float32 and x._version == 4


def test_setitem_casts_the_value_to_the_tensor_dtype():
    x = Tensor(np.array([1, 2, 3]))
    x[0] = 2.7  # PyTorch: 2
    np.testing.assert_array_equal(x.data, [2, 2, 3])
    assert x.dtype == np.int64


def test_setitem_bad_values_and_indices_raise_and_change_nothing():
    x = tc.zeros(2, 3)
    with pytest.raises(ValueError, match=r"value: expected a shape that broadcasts to \(3,\), got \(2,\)"):
        x[0] = np.ones(2)
    with pytest.raises(IndexError, match=r"index: .* \(a tensor of shape \(2, 3\)\)"):
        x[5] = 1.0
    with pytest.raises(TypeError, match="index: expected ints, slices"):
        x["a"] = 1.0
    with pytest.raises(TypeError, match="value: expected numbers"):
        x[0] = "a"
    np.testing.assert_array_equal(x.data, np.zeros((2, 3)))
    assert x._version == 0


def test_setitem_on_a_leaf_that_requires_grad_needs_no_grad():
    w = tc.Parameter(np.zeros(3))
    with pytest.raises(RuntimeError, match=r"__setitem__\(\): a leaf Variable that requires grad .*no_grad"):
        w[0] = 1.0
    with tc.no_grad():
        w[0] = 1.0
    np.testing.assert_array_equal(w.data, [1.0, 0.0, 0.0])


def test_setitem_in_a_graph_or_with_a_value_that_requires_grad_raises():
    y = Tensor(np.zeros(3), requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"__setitem__\(\): in-place operations on tensors in a graph"):
        y[0] = 1.0
    x, v = tc.zeros(3, dtype=tc.float64), Tensor(np.ones(1), requires_grad=True)
    with pytest.raises(RuntimeError, match="value requires grad"):
        x[0] = v


def test_setitem_after_the_tensor_was_saved_makes_backward_raise():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    with tc.no_grad():
        x[0] = 5.0
    with pytest.raises(RuntimeError, match="is at version 1; expected version 0"):
        y.backward()


def test_clamp_and_setitem_match_pytorch():
    torch = pytest.importorskip("torch")
    values = np.random.default_rng(0).normal(size=(4, 5)).astype(np.float32)
    x, t = Tensor(values.copy()), torch.tensor(values)
    x.clamp_(-0.5, 0.7)
    t.clamp_(-0.5, 0.7)
    x[x > 0.2] = -3.0
    t[t > 0.2] = -3.0
    x[1:3, [0, 4]] = 2.5
    t[1:3, [0, 4]] = 2.5
    x[:, 1] = Tensor(np.arange(4, dtype=np.float32))
    t[:, 1] = torch.arange(4, dtype=torch.float32)
    np.testing.assert_array_equal(x.data, t.numpy())
    assert x._version == t._version == 4
