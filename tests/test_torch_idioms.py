"""Two PyTorch idioms that ran without error and gave wrong results: ``pred == y`` was Python's
identity test (always False), and ``p -= lr * p.grad`` under no_grad rebound the loop variable
and left every weight unchanged. Comparisons now work elementwise and in-place operators change
the tensor, with PyTorch's rules (checked against NumPy semantics: PyTorch is not a dependency)."""
import operator

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Parameter, Tensor

COMPARISONS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


@pytest.mark.parametrize("op", COMPARISONS)
def test_comparisons_are_elementwise_bool_tensors_that_broadcast(op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    b = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    x = Tensor(a, requires_grad=True)
    for left, right in [(x, Tensor(b)), (x, b), (a, Tensor(b)), (x, 2.0), (2.0, x), (x, np.float32(2.0))]:
        result = op(left, right)
        assert isinstance(result, Tensor), (left, right)
        assert result.dtype == np.bool_ and not result.requires_grad and result.creator is None
        expected = op(left.data if isinstance(left, Tensor) else left, right.data if isinstance(right, Tensor) else right)
        np.testing.assert_array_equal(result.data, expected)


def test_pred_equals_y_counts_correct_predictions():
    """The issue's reproducer: ``(pred == y)`` was just False."""
    pred = Tensor(np.array([0, 1, 2, 1, 0]))
    y = Tensor(np.array([0, 1, 1, 1, 2]))
    correct = (pred == y).sum()
    assert correct.dtype == np.int64 and correct.item() == 3
    assert (pred.data == y).sum().item() == 3  # ndarray == Tensor goes to the Tensor too


@pytest.mark.parametrize("name, op", [("eq", operator.eq), ("ne", operator.ne), ("lt", operator.lt),
                                      ("le", operator.le), ("gt", operator.gt), ("ge", operator.ge)])
def test_comparison_methods_match_the_operators(name, op):
    pred = Tensor(np.array([[3], [1], [2], [2]]))
    target = Tensor(np.array([3, 0, 2, 1]))
    got = getattr(pred, name)(target.view_as(pred))
    np.testing.assert_array_equal(got.data, op(pred.data, target.data.reshape(4, 1)))
    if name == "eq":
        assert got.sum().item() == 2  # the classic MNIST example's count of correct predictions
    with pytest.raises(TypeError, match=rf"{name}\(\): expected a Tensor, array or number, got NoneType"):
        getattr(pred, name)(None)


def test_comparison_with_a_non_broadcasting_shape_names_both_shapes():
    with pytest.raises(ValueError, match=r"other: shape \(3,\) does not broadcast with the tensor's shape \(2,\)"):
        Tensor(np.zeros(2)) == np.zeros(3)


def test_comparison_with_other_objects_falls_back_to_python():
    x = Tensor(np.zeros(2))
    assert (x == None) is False and (x != "a") is True  # noqa: E711  (PyTorch: NotImplemented)
    with pytest.raises(TypeError):
        x < "a"


def test_tensors_stay_hashable_by_identity():
    x, y = Tensor(np.zeros(1)), Tensor(np.zeros(1))
    assert len({x, y, x}) == 2 and {x: 1}[x] == 1 and hash(x) == object.__hash__(x)


def test_bool_of_a_tensor_is_its_value_or_ambiguous():
    assert bool(Tensor(np.array([2.0]))) and not bool(Tensor(np.float32(0.0)))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(Tensor(np.zeros(2)))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(Tensor(np.zeros(0)))


def test_mean_of_a_bool_tensor_raises_instead_of_returning_the_count():
    """``(pred == y).mean()`` returned the number of matches (divided by True)."""
    with pytest.raises(TypeError, match="mean: expected a floating-point tensor, got dtype bool"):
        (Tensor(np.array([1, 2])) == 1).mean()


def test_manual_sgd_loop_under_no_grad_changes_the_weights():
    """The issue's reproducer: ``p -= lr * p.grad`` left every weight unchanged."""
    model = tc.nn.Linear(3, 2, rng=np.random.default_rng(0))
    x = Tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    (model(x) ** 2).sum().backward()
    lr = 0.1
    arrays = [p.data for p in model.parameters()]
    expected = [p.data - lr * p.grad for p in model.parameters()]
    with tc.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    for p, array, want in zip(model.parameters(), arrays, expected):
        assert p.data is array and p._version == 1  # the same array, changed in place
        np.testing.assert_array_equal(p.data, want)


@pytest.mark.parametrize("name, op", [("add_", np.add), ("sub_", np.subtract), ("mul_", np.multiply),
                                      ("div_", np.divide)])
def test_inplace_methods_match_numpy_and_keep_the_dtype(name, op):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    for other in [2.0, np.array([2.0, 4.0]), Tensor(np.array([[0.5], [2.0]], dtype=np.float32))]:
        x = Tensor(a.copy())
        data = x.data
        assert getattr(x, name)(other) is x
        raw = other.data if isinstance(other, Tensor) else other
        np.testing.assert_array_equal(x.data, op(a, raw).astype(np.float32))
        assert x.data is data and x.dtype == np.float32 and x._version == 1


@pytest.mark.parametrize("iop, op", [(operator.iadd, np.add), (operator.isub, np.subtract),
                                     (operator.imul, np.multiply), (operator.itruediv, np.divide)])
def test_augmented_assignment_changes_the_tensor_itself(iop, op):
    x = Tensor(np.array([1.0, 2.0]))
    alias = x
    result = iop(x, 4.0)
    assert result is alias
    np.testing.assert_array_equal(alias.data, op(np.array([1.0, 2.0]), 4.0))


def test_add_and_sub_take_alpha():
    x = Tensor(np.array([1.0, 2.0]))
    x.add_(np.array([1.0, 1.0]), alpha=3)
    np.testing.assert_array_equal(x.data, [4.0, 5.0])
    x.sub_(Tensor(np.array([1.0, 2.0])), alpha=0.5)
    np.testing.assert_array_equal(x.data, [3.5, 4.0])


def test_zero_and_fill():
    x = Tensor(np.array([1, 2, 3]))
    assert x.fill_(2.7) is x  # PyTorch casts the value to the tensor's dtype
    np.testing.assert_array_equal(x.data, [2, 2, 2])
    assert x.zero_() is x and x._version == 2
    np.testing.assert_array_equal(x.data, [0, 0, 0])
    with pytest.raises(ValueError, match=r"value: expected a number or a 0-dimensional tensor, got shape \(2,\)"):
        x.fill_(np.zeros(2))


def test_inplace_result_that_cannot_be_cast_raises():
    x = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"div_: the result can't be cast to the tensor's dtype int64 .*float64"):
        x /= 2
    with pytest.raises(TypeError, match=r"add_: the result can't be cast to the tensor's dtype int64 .*float64"):
        x.add_(1.5)
    np.testing.assert_array_equal(x.data, [1, 2])
    assert x._version == 0
    x += 3  # int into int is fine
    np.testing.assert_array_equal(x.data, [4, 5])


def test_inplace_with_a_shape_that_does_not_broadcast_to_the_tensor_raises():
    x = Tensor(np.zeros(2))
    with pytest.raises(ValueError, match=r"other: expected a shape that broadcasts to \(2,\), got \(2, 2\)"):
        x += np.ones((2, 2))
    with pytest.raises(TypeError, match="other: expected"):
        x.mul_(None)


@pytest.mark.parametrize("method", [lambda p: p.add_(1.0), lambda p: p.zero_(), lambda p: p.fill_(1.0),
                                    lambda p: p.copy_(np.zeros(2))])
def test_inplace_on_a_leaf_that_requires_grad_needs_no_grad(method):
    p = Parameter(np.array([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        method(p)
    np.testing.assert_array_equal(p.data, [1.0, 2.0])
    with tc.no_grad():
        method(p)
    assert p._version == 1


def test_inplace_in_a_graph_raises_naming_the_out_of_place_spelling():
    w = Parameter(np.array([1.0, 2.0]))
    y = w * 2.0
    with pytest.raises(RuntimeError, match=r"mul_\(\): in-place operations on tensors in a graph are not supported.*x = x \* other"):
        y *= 3.0
    x = Tensor(np.zeros(2))  # would need to become part of w's graph
    with pytest.raises(RuntimeError, match=r"add_\(\): in-place operations on tensors in a graph are not supported.*x = x \+ other"):
        x += w
    np.testing.assert_array_equal(x.data, [0.0, 0.0])


def test_inplace_change_of_a_saved_tensor_makes_backward_raise():
    w = Parameter(np.array([1.0, 2.0]))
    x = Tensor(np.array([3.0, 4.0]))
    loss = (w * x).sum()
    x += 1.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
