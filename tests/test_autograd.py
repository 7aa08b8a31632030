"""The backward engine: reuse, branches, broadcasting, deep graphs, accumulation, graph lifetime."""
import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, no_grad


def leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_tensor_used_twice_adds_both_gradients():
    x = leaf([-1.5, 0.0, 2.0, 3.25])
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)


def test_same_tensor_on_both_sides_of_one_op():
    x = leaf([0.5, -2.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data)


def test_branches_that_rejoin():
    # a feeds two branches of different depth that meet again: f = exp(a) * (a * 3 + 1) ** 2
    a = leaf([0.3, -0.7, 1.1])
    left = a.exp()
    right = (a * 3.0 + 1.0) ** 2
    (left * right).sum().backward()
    x = a.data
    expected = np.exp(x) * (3 * x + 1) ** 2 + np.exp(x) * 2 * (3 * x + 1) * 3
    np.testing.assert_allclose(a.grad, expected, rtol=1e-12)


def test_diamond_with_shared_intermediate():
    # b = 2a is used by two consumers whose results rejoin; d/da sum(b*b + b) = (2b + 1) * 2
    a = leaf([1.0, -3.0])
    b = a * 2.0
    c = b * b
    d = c + b
    d.sum().backward()
    np.testing.assert_allclose(a.grad, (2 * b.data + 1) * 2)


@pytest.mark.parametrize("op, grads", [
    ("add", lambda a, b: (np.full((3, 1), 4.0), np.full(4, 3.0))),
    ("sub", lambda a, b: (np.full((3, 1), 4.0), np.full(4, -3.0))),
    ("mul", lambda a, b: (np.full((3, 1), b.sum()), np.full(4, a.sum()))),
    ("div", lambda a, b: ((1 / b).sum() * np.ones((3, 1)), (-a.sum() / b ** 2))),
])
def test_broadcast_gradients_are_reduced_to_input_shapes(op, grads):
    a_data = np.array([[1.0], [2.0], [-0.5]])
    b_data = np.array([0.5, 1.5, -2.0, 4.0])
    a, b = leaf(a_data), leaf(b_data)
    y = getattr(tc.functional, op)(a, b)
    assert y.shape == (3, 4)
    y.sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,)
    ga, gb = grads(a_data, b_data)
    np.testing.assert_allclose(a.grad, ga, rtol=1e-12)
    np.testing.assert_allclose(b.grad, gb, rtol=1e-12)


def test_broadcast_scalar_tensor_and_middle_axis():
    s = leaf(2.0)                       # shape ()
    m = leaf(np.ones((2, 1, 3)))        # broadcast over the middle axis
    x = leaf(np.arange(120.0).reshape(4, 2, 5, 3))
    y = x * m + s
    g = np.random.default_rng(0).standard_normal(y.shape)
    y.backward(g)
    assert s.grad.shape == () and m.grad.shape == (2, 1, 3) and x.grad.shape == x.shape
    np.testing.assert_allclose(s.grad, g.sum())
    np.testing.assert_allclose(m.grad, (g * x.data).sum(axis=(0, 2), keepdims=True)[0])
    np.testing.assert_allclose(x.grad, g * m.data)


def test_ten_thousand_op_chain_backpropagates_without_recursion():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()  # a recursive engine would hit RecursionError here
    np.testing.assert_allclose(x.grad, np.full(2, 1.0001 ** 10_000), rtol=1e-9)


def test_long_chain_with_reuse_at_every_step():
    # y_{k+1} = y_k + 0.001 * y_k: every intermediate is used twice
    x = leaf([3.0])
    y = x
    for _ in range(3_000):
        y = y + y * 0.001
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [1.001 ** 3_000], rtol=1e-9)


def test_gradients_accumulate_across_backward_calls_on_leaves():
    x = leaf([1.0, -2.0, 0.5])
    (x * x).sum().backward()
    first = x.grad.clone()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(first, 2 * x.data)
    np.testing.assert_allclose(x.grad, 2 * x.data + 3.0)


def test_leaf_gradients_do_not_alias_each_other_or_the_seed():
    # a + b sends the same upstream array to both inputs; in-place edits of one leaf's grad
    # (e.g. clipping) must not show up in the other's, nor in the array passed to backward
    a, b = leaf(np.ones(3)), leaf(np.ones(3))
    seed = np.full(3, 2.0)
    (a + b).backward(seed)
    assert a.grad is not b.grad
    a.grad *= 0.5
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(seed, [2.0, 2.0, 2.0])
    c = leaf(np.ones(2))
    seed2 = np.array([1.0, 5.0])
    c.backward(seed2)
    c.grad += 1
    np.testing.assert_array_equal(seed2, [1.0, 5.0])


def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with no_grad():
        assert not tc.is_grad_enabled()
        y = x * 2.0 + 1.0
        z = tc.functional.relu(y).sum()
    assert tc.is_grad_enabled()
    for t in (y, z):
        assert t.requires_grad is False and t.creator is None
    np.testing.assert_allclose(y.data, [3.0, 5.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        z.backward()


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("boom")
    assert tc.is_grad_enabled()
    assert (leaf([1.0]) * 2.0).requires_grad


def test_ops_on_constants_record_nothing():
    y = Tensor(np.ones(3)) * 2.0
    assert y.requires_grad is False and y.creator is None


def test_backward_twice_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_backward_twice_with_retain_graph_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x + x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * (2 * x.data + 1))
    with pytest.raises(RuntimeError):
        y.backward()  # the second call did not retain the graph


def test_non_scalar_backward_without_grad_raises():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        (x * 2.0).backward()


def test_single_element_non_scalar_backward_without_grad_is_allowed():
    x = leaf([[3.0]])
    (x * x).backward()
    np.testing.assert_allclose(x.grad, [[6.0]])


def test_backward_with_wrong_shaped_grad_raises_value_error():
    x = leaf(np.ones((2, 3)))
    y = x * 2.0
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(3, 2\)"):
        y.backward(np.ones((3, 2)))
    with pytest.raises(ValueError):
        y.backward(np.ones(6))
    assert x.grad is None


def test_backward_with_an_explicit_grad_scales_the_result():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x
    y.backward(Tensor(np.array([1.0, 0.0, -2.0])))
    np.testing.assert_allclose(x.grad, [2.0, 0.0, -12.0])


def test_detach_cuts_the_graph():
    x = leaf([1.0, 2.0])
    d = (x * 3.0).detach()
    assert d.requires_grad is False and d.creator is None
    np.testing.assert_allclose(d.data, [3.0, 6.0])
    w = leaf([0.5, 0.5])
    (d * w + x).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0])  # only the direct path, not through d
    np.testing.assert_allclose(w.grad, [3.0, 6.0])


def test_intermediate_tensors_do_not_keep_grad():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    y = (h * h).sum()
    y.backward()
    assert h.grad is None and y.grad is None
    np.testing.assert_allclose(x.grad, 8 * x.data)


def test_leaf_without_requires_grad_gets_no_grad():
    x = leaf([1.0, 2.0])
    c = Tensor(np.array([4.0, 5.0]))
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad, c.data)


def test_unused_output_of_a_branch_gets_zero_contribution():
    # only one of the two branches reaches the loss; the other contributes nothing
    x = leaf([1.0, 2.0])
    _unused = x * 100.0
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 2.0])


def test_generation_order_handles_late_joins():
    # a deep branch and a shallow branch from the same tensor; the shallow one must wait
    # until every gradient of the shared tensor has arrived
    x = leaf([2.0])
    h = x * 1.0
    deep = h
    for _ in range(50):
        deep = deep * 1.0
    y = deep + h * 5.0
    y.backward(np.ones(1))
    np.testing.assert_allclose(x.grad, [6.0])


def test_float32_gradients_stay_float32():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    ((x * 2.0 + 1.0) ** 2).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, 4 * (2 * x.data + 1), rtol=1e-6)
