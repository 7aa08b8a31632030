"""Tensor construction, properties and operators, compared with NumPy."""
import operator

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Parameter, Tensor


# ---------------------------------------------------------------- construction

@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[0.5], [0.25]], (1.0, 2.0, 3.0)])
def test_python_floats_become_float32(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.data, np.asarray(data, dtype=np.float32))


def test_numpy_arrays_keep_their_dtype():
    for dtype in (np.float64, np.float32, np.float16, np.int32, np.int64, np.uint8):
        assert Tensor(np.zeros(3, dtype=dtype)).dtype == dtype
    assert Tensor(np.float64(2.5)).dtype == np.float64


def test_python_ints_become_integers():
    assert Tensor([1, 2, 3]).dtype.kind == "i"


def test_explicit_dtype_converts():
    t = Tensor([1, 2], dtype=np.float64)
    assert t.dtype == np.float64
    assert Tensor(np.ones(2, dtype=np.float32), dtype=np.float64).dtype == np.float64


def test_tensor_function_and_as_tensor():
    t = tc.tensor([1.0, 2.0], requires_grad=True)
    assert isinstance(t, Tensor) and t.requires_grad and t.dtype == np.float32
    assert tc.as_tensor(t) is t
    u = tc.as_tensor(np.arange(3.0))
    assert isinstance(u, Tensor) and not u.requires_grad and u.dtype == np.float64


def test_tensor_from_tensor_shares_data():
    a = Tensor(np.arange(3.0))
    b = Tensor(a)
    assert b.data is a.data and not b.requires_grad


@pytest.mark.parametrize("data", [[1, 2, 3], np.arange(4), np.array([True, False])])
def test_requires_grad_on_a_non_float_tensor_raises_type_error(data):
    with pytest.raises(TypeError, match="requires_grad.*floating-point.*dtype"):
        Tensor(data, requires_grad=True)


def test_parameter_requires_grad_by_default():
    p = Parameter(np.zeros((2, 2)))
    assert isinstance(p, Tensor) and p.requires_grad and p.grad is None and p.creator is None
    with pytest.raises(TypeError):
        Parameter(np.zeros(2, dtype=np.int64))


# ---------------------------------------------------------------- properties

def test_properties():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = Tensor(a)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.numel() == 24 and t.size() == (2, 3, 4) and len(t) == 2
    assert t.dtype == np.float64 and t.device == "cpu"
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.requires_grad is False and t.grad is None and t.creator is None


def test_item():
    assert Tensor(2.5).item() == 2.5
    assert isinstance(Tensor(np.array([7], dtype=np.int64)).item(), int)
    assert Tensor(np.array([[3.0]])).item() == 3.0
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError):
        Tensor(np.zeros((0,))).item()


def test_detach_shares_data_without_graph():
    x = Tensor(np.arange(3.0), requires_grad=True)
    y = x * 2.0
    d = y.detach()
    assert d.requires_grad is False and d.creator is None
    assert np.shares_memory(d.data, y.data)
    np.testing.assert_array_equal(d.numpy(), [0.0, 2.0, 4.0])


def test_repr_mentions_requires_grad():
    assert "requires_grad=True" in repr(Tensor([1.0], requires_grad=True))
    assert "requires_grad" not in repr(Tensor([1.0]))


# ---------------------------------------------------------------- operators against NumPy

RNG = np.random.default_rng(1234)
A = RNG.uniform(0.5, 2.0, (3, 4))
B = RNG.uniform(0.5, 2.0, (3, 4))
ROW = RNG.uniform(0.5, 2.0, (4,))
M = RNG.uniform(-1, 1, (4, 5))

BINARY = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("b", [B, ROW], ids=["same", "broadcast"])
def test_binary_tensor_tensor(op, b):
    out = op(Tensor(A), Tensor(b))
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, op(A, b), rtol=1e-14)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("scalar", [3, 0.5, -2.25])
def test_binary_with_python_scalars_both_sides(op, scalar):
    t = Tensor(A)
    np.testing.assert_allclose(op(t, scalar).data, op(A, scalar), rtol=1e-14)
    reflected = op(scalar, t)
    assert isinstance(reflected, Tensor)
    np.testing.assert_allclose(reflected.data, op(scalar, A), rtol=1e-14)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_python_scalars_keep_float32(op):
    t = Tensor(A.astype(np.float32))
    assert op(t, 1.1).dtype == np.float32
    assert op(1.1, t).dtype == np.float32
    np.testing.assert_allclose(op(1.1, t).data, op(np.float32(1.1), A.astype(np.float32)), rtol=1e-6)


@pytest.mark.parametrize("op", BINARY, ids=lambda f: f.__name__)
def test_binary_with_numpy_arrays_both_sides(op):
    t = Tensor(A)
    left, right = op(t, ROW), op(ROW, t)
    assert isinstance(left, Tensor) and isinstance(right, Tensor)
    np.testing.assert_allclose(left.data, op(A, ROW), rtol=1e-14)
    np.testing.assert_allclose(right.data, op(ROW, A), rtol=1e-14)


def test_numpy_scalar_on_the_left_gives_a_tensor():
    t = Tensor(A.astype(np.float32))
    out = np.float32(2.0) * t
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, 2.0 * A.astype(np.float32), rtol=1e-6)


def test_integer_tensor_with_python_float_matches_numpy():
    i = np.array([1, 2, 3])
    np.testing.assert_allclose((Tensor(i) * 0.5).data, i * 0.5)
    np.testing.assert_allclose((Tensor(i) + 1.5).data, i + 1.5)


def test_integer_tensor_with_python_int():
    i = np.array([1, 2, 3])
    for op in (operator.add, operator.sub, operator.mul):
        np.testing.assert_array_equal(op(Tensor(i), 4).data, op(i, 4))
        np.testing.assert_array_equal(op(4, Tensor(i)).data, op(4, i))


def test_matmul_and_reflected_matmul():
    np.testing.assert_allclose((Tensor(A) @ Tensor(M)).data, A @ M, rtol=1e-14)
    np.testing.assert_allclose((Tensor(A) @ M).data, A @ M, rtol=1e-14)
    out = A @ Tensor(M)
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, A @ M, rtol=1e-14)
    v = RNG.standard_normal(4)
    np.testing.assert_allclose((Tensor(A) @ Tensor(v)).data, A @ v, rtol=1e-14)
    np.testing.assert_allclose((Tensor(v) @ Tensor(M)).data, v @ M, rtol=1e-14)
    batch = RNG.standard_normal((2, 3, 4))
    np.testing.assert_allclose((Tensor(batch) @ Tensor(M)).data, batch @ M, rtol=1e-13)


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1, -1.5, 0])
def test_pow(exponent):
    np.testing.assert_allclose((Tensor(A) ** exponent).data, A ** exponent, rtol=1e-14)


def test_neg():
    np.testing.assert_array_equal((-Tensor(A)).data, -A)


def test_chained_expression():
    a, b = Tensor(A), Tensor(B)
    out = (a * 2 - b / 3) ** 2 + 1 / a - -b
    np.testing.assert_allclose(out.data, (A * 2 - B / 3) ** 2 + 1 / A + B, rtol=1e-13)


@pytest.mark.parametrize("index", [
    0, -1, (1, 2), slice(1, None), (slice(None), 1), (Ellipsis, 0), (None, 0),
    ([0, 2],), ([0, 0, 2],), (np.array([2, 0]), slice(1, 3)), (slice(None, None, -1),),
], ids=repr)
def test_indexing_matches_numpy(index):
    np.testing.assert_array_equal(Tensor(A)[index].data, A[index])


def test_boolean_mask_and_tensor_index():
    mask = A > 1.0
    np.testing.assert_array_equal(Tensor(A)[mask].data, A[mask])
    idx = Tensor(np.array([2, 1]))
    np.testing.assert_array_equal(Tensor(A)[idx].data, A[np.array([2, 1])])


def test_shape_methods_match_numpy():
    x = RNG.standard_normal((2, 3, 4))
    t = Tensor(x)
    np.testing.assert_array_equal(t.reshape(6, 4).data, x.reshape(6, 4))
    np.testing.assert_array_equal(t.reshape((4, -1)).data, x.reshape(4, -1))
    np.testing.assert_array_equal(t.permute(2, 1, 0).data, x.transpose())
    np.testing.assert_array_equal(t.permute(1, 0, 2).data, x.transpose(1, 0, 2))
    np.testing.assert_array_equal(t.transpose(0, 2).data, x.swapaxes(0, 2))  # PyTorch's: swap two dims
    np.testing.assert_array_equal(t.T.data, x.T)
    np.testing.assert_array_equal(t.flatten().data, x.reshape(-1))
    np.testing.assert_array_equal(t.flatten(1).data, x.reshape(2, 12))


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_match_numpy(axis, keepdims):
    x = RNG.standard_normal((2, 3, 4))
    t = Tensor(x)
    np.testing.assert_allclose(t.sum(axis, keepdims).data, x.sum(axis=axis, keepdims=keepdims), rtol=1e-13)
    np.testing.assert_allclose(t.mean(axis, keepdims).data, x.mean(axis=axis, keepdims=keepdims), rtol=1e-13)
    np.testing.assert_array_equal(t.amax(axis, keepdims).data, x.max(axis=axis, keepdims=keepdims))


def test_exp_log_match_numpy():
    np.testing.assert_allclose(Tensor(A).exp().data, np.exp(A), rtol=1e-14)
    np.testing.assert_allclose(Tensor(A).log().data, np.log(A), rtol=1e-14)


def test_operators_do_not_modify_operands():
    a_copy, b_copy = A.copy(), B.copy()
    a, b = Tensor(A), Tensor(B)
    _ = (a + b, a - b, a * b, a / b, a @ Tensor(M), -a, a ** 2, a[0])
    np.testing.assert_array_equal(A, a_copy)
    np.testing.assert_array_equal(B, b_copy)
