"""``.grad`` is a Tensor (requires_grad False) or None, as PyTorch's: its methods work, it can be
assigned None or a Tensor, and every reader in the library follows."""
import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Parameter, Tensor
from tinyconv.optim import SGD, clip_grad_norm_


def backward_once(w):
    (w * w).sum().backward()  # gradient 2 * w


def test_grad_is_a_tensor_without_grad():
    w = Parameter(np.array([1.0, -2.0], dtype=np.float32))
    assert w.grad is None
    backward_once(w)
    assert isinstance(w.grad, Tensor)
    assert not w.grad.requires_grad and w.grad.is_leaf
    assert w.grad.dtype == np.float32 and w.grad.shape == (2,)
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, -4.0])
    np.testing.assert_array_equal(w.grad.data, [2.0, -4.0])
    assert w.grad is w.grad


def test_grad_zero_zeroes_in_place():
    w = Parameter(np.array([1.0, -2.0]))
    backward_once(w)
    grad = w.grad
    array = grad.data
    assert grad.zero_() is grad
    assert w.grad is grad
    np.testing.assert_array_equal(array, [0.0, 0.0])  # the same array, zeroed


def test_manual_sgd_update_under_no_grad():
    w = Parameter(np.array([1.0, -2.0]))
    backward_once(w)
    with tc.no_grad():
        w -= 0.25 * w.grad
    np.testing.assert_array_equal(w.numpy(), [0.5, -1.0])
    assert w.requires_grad and w.is_leaf


def test_accumulation_over_two_backward_passes_adds():
    w = Parameter(np.array([1.0, -2.0]))
    backward_once(w)
    first = w.grad
    backward_once(w)
    np.testing.assert_array_equal(w.grad.numpy(), [4.0, -8.0])
    np.testing.assert_array_equal(first.numpy(), [2.0, -4.0])  # a gradient read before is not changed


def test_grad_of_a_leaf_used_twice_sums_in_one_backward():
    w = Parameter(np.array([3.0]))
    (w * 2 + w * 5).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [7.0])


def test_assigning_none_or_a_tensor():
    w = Parameter(np.array([1.0, 2.0]))
    w.grad = Tensor(np.array([0.5, 0.5]))
    backward_once(w)
    np.testing.assert_array_equal(w.grad.numpy(), [2.5, 4.5])
    w.grad = None
    assert w.grad is None


@pytest.mark.parametrize("value", [np.zeros(2), [0.0, 0.0], 0.0])
def test_assigning_a_non_tensor_raises_type_error(value):
    w = Parameter(np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"grad: expected a Tensor or None, got " + type(value).__name__):
        w.grad = value
    assert w.grad is None


@pytest.mark.parametrize("value, message", [
    (Tensor(np.zeros(3)), r"grad: expected shape \(2,\) like the tensor, got \(3,\)"),
    (Tensor(np.zeros(2, dtype=np.float32)), r"grad: expected dtype float64 like the tensor, got float32"),
])
def test_assigning_a_tensor_of_another_shape_or_dtype_raises(value, message):
    w = Parameter(np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=message):
        w.grad = value
    assert w.grad is None


def test_optimizer_zero_grad_without_set_to_none_zeroes_the_same_tensor():
    w = Parameter(np.array([1.0, 2.0]))
    backward_once(w)
    grad = w.grad
    SGD([w], lr=0.1).zero_grad(set_to_none=False)
    assert w.grad is grad
    np.testing.assert_array_equal(grad.numpy(), [0.0, 0.0])


def test_clip_grad_norm_scales_the_grad_tensors_in_place():
    w = Parameter(np.array([3.0, 4.0], dtype=np.float32))
    w.grad = Tensor(np.array([3.0, 4.0], dtype=np.float32))
    grad = w.grad
    assert clip_grad_norm_([w], 1.0) == pytest.approx(5.0)
    assert w.grad is grad and w.grad.dtype == np.float32
    np.testing.assert_allclose(grad.numpy(), [0.6, 0.8], rtol=1e-5)


def test_module_double_casts_the_grad_tensor():
    model = tc.nn.Linear(2, 1)
    model(Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    model.double()
    assert isinstance(model.weight.grad, Tensor) and model.weight.grad.dtype == np.float64


def test_step_reads_the_grad_tensor():
    w = Parameter(np.array([1.0, 2.0]))
    w.grad = Tensor(np.array([1.0, 1.0]))
    SGD([w], lr=0.5).step()
    np.testing.assert_array_equal(w.numpy(), [0.5, 1.5])


def test_same_values_and_types_as_torch():
    torch = pytest.importorskip("torch")
    values = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    w, tw = Parameter(values.copy()), torch.nn.Parameter(torch.tensor(values))
    for _ in range(2):
        (w * w * w).sum().backward()
        (tw * tw * tw).sum().backward()
    assert isinstance(tw.grad, torch.Tensor) and isinstance(w.grad, Tensor)
    assert w.grad.requires_grad == tw.grad.requires_grad
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    with pytest.raises(TypeError):
        tw.grad = np.zeros((2, 2), dtype=np.float32)
    with pytest.raises(RuntimeError):
        tw.grad = torch.zeros(3)


def test_numpy_functions_accept_a_tensor_as_its_array():
    t = Tensor(np.array([1.0, 4.0], dtype=np.float32))
    assert np.asarray(t).dtype == np.float32  # not an object array of 0-d tensors
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.asarray(Tensor(np.array(3.0))).dtype == np.float64
    np.testing.assert_array_equal(np.sqrt(t), [1.0, 2.0])


def test_np_array_of_a_tensor_is_a_copy_and_np_asarray_is_not():
    t = Tensor(np.array([1.0, 4.0]))
    copied = np.array(t)
    copied[0] = 9.0
    np.testing.assert_array_equal(t.numpy(), [1.0, 4.0])
    assert np.shares_memory(np.asarray(t), t.numpy())


def test_all_reduce_gradients_averages_into_the_grad_tensors(monkeypatch):
    """One rank that sees its own gradients doubled by the reduction (as if two ranks held
    them): the average lands in the same grad Tensors; a parameter without one stays None."""
    from tinyconv.distributed import buckets

    monkeypatch.setattr(buckets, "all_reduce", lambda flat, op: flat.__imul__(2))
    monkeypatch.setattr(buckets, "get_world_size", lambda: 2)
    w, spare = Parameter(np.array([1.0, -2.0])), Parameter(np.zeros(3))
    backward_once(w)
    grad = w.grad
    buckets.all_reduce_gradients([w, spare])
    assert w.grad is grad and spare.grad is None
    np.testing.assert_array_equal(grad.numpy(), [2.0, -4.0])
