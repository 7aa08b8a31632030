"""The Tensor methods and module-level functions a PyTorch user types mean what they mean in
PyTorch: checked against NumPy references and hand-computed values here, and against PyTorch
itself in test_pytorch_tensor_vs_torch.py where it is installed."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinyconv as tc
from tinyconv import Tensor
from strategies import distinct, shapes, uniform

X = np.array([[3.0, 1.0, 4.0], [1.0, 5.0, 9.0]], dtype=np.float32)


# ---------------------------------------------------------------- sizes and dimensions

def test_size_dim_numel():
    x = tc.zeros(2, 3, 4)
    assert x.size() == (2, 3, 4) and isinstance(x.size(), tuple)
    assert x.size(1) == 3 and x.size(-1) == 4 and x.size(dim=0) == 2
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24
    assert x.size() == x.shape
    with pytest.raises(IndexError, match=r"dim: expected values in \[-3, 3\), got 3"):
        x.size(3)


def test_parameter_counts_use_numel():
    assert sum(p.numel() for p in tc.nn.Linear(3, 2).parameters()) == 8


# ---------------------------------------------------------------- reductions with dim/keepdim

def test_max_with_dim_returns_values_and_indices():
    x = Tensor(X)
    result = x.max(dim=1)
    values, indices = result
    np.testing.assert_array_equal(values.data, [4.0, 9.0])
    np.testing.assert_array_equal(indices.data, [2, 2])
    assert result.values is values and result.indices is indices and indices.dtype == np.int64
    values, indices = x.min(0, keepdim=True)
    np.testing.assert_array_equal(values.data, [[1.0, 1.0, 4.0]])
    np.testing.assert_array_equal(indices.data, [[1, 0, 0]])
    assert x.max().item() == 9.0 and x.min().item() == 1.0 and x.max().shape == ()


def test_max_with_dim_gives_the_gradient_to_the_index_returned():
    """PyTorch's max(dim) backpropagates to the returned (first) index only, even on ties."""
    x = Tensor(np.array([[2.0, 2.0, 1.0]]), requires_grad=True)
    values, indices = x.max(1)
    values.sum().backward()
    assert indices.item() == 0
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 0.0]])


def test_argmax_argmin():
    x = Tensor(X)
    assert x.argmax().item() == 5 and x.argmin().item() == 1
    np.testing.assert_array_equal(x.argmax(dim=1).data, [2, 2])
    np.testing.assert_array_equal(x.argmin(1, keepdim=True).data, [[1], [0]])
    np.testing.assert_array_equal(tc.argmax(x, dim=0).data, [0, 1, 1])
    assert x.argmax(1).dtype == np.int64


def test_sum_and_mean_take_dim_keepdim_and_the_axis_alias():
    x = Tensor(X)
    np.testing.assert_allclose(x.sum(dim=1).data, X.sum(1))
    np.testing.assert_allclose(x.sum(axis=1).data, X.sum(1))
    np.testing.assert_allclose(x.mean(dim=(0, 1), keepdim=True).data, X.mean(keepdims=True))
    np.testing.assert_allclose(x.max(axis=0).values.data, X.max(0))
    with pytest.raises(TypeError, match="dim and axis"):
        x.sum(dim=0, axis=1)


@given(data=st.data())
def test_max_min_with_dim_gradcheck(data):
    shape = data.draw(shapes(min_dims=1))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdim = data.draw(st.booleans())
    x = data.draw(distinct(shape))
    assert tc.gradcheck(lambda t: t.max(dim, keepdim).values, [x])
    assert tc.gradcheck(lambda t: t.min(dim, keepdim)[0], [x])


# ---------------------------------------------------------------- shapes

def test_transpose_swaps_two_dims_as_pytorch():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a)
    assert x.transpose(0, 2).shape == (4, 3, 2)
    np.testing.assert_array_equal(x.transpose(1, -1).data, a.swapaxes(1, 2))
    np.testing.assert_array_equal(tc.transpose(x, 0, 1).data, a.swapaxes(0, 1))
    with pytest.raises(TypeError):
        x.transpose(2, 0, 1)
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, a.transpose(2, 0, 1))
    np.testing.assert_array_equal(x.permute((2, 0, 1)).data, a.transpose(2, 0, 1))
    np.testing.assert_array_equal(Tensor(a[0]).T.data, a[0].T)


def test_view_unsqueeze_squeeze_flatten():
    x = Tensor(np.arange(6.0).reshape(2, 1, 3))
    assert x.view(3, 2).shape == (3, 2) and x.view(-1).shape == (6,) and x.view((6, 1)).shape == (6, 1)
    assert x.view_as(tc.zeros(6)).shape == (6,)
    assert x.unsqueeze(0).shape == (1, 2, 1, 3) and x.unsqueeze(-1).shape == (2, 1, 3, 1)
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3) and x.squeeze(0).shape == (2, 1, 3)
    assert x.flatten(1).shape == (2, 3) and tc.flatten(x).shape == (6,)
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 1, 3\)"):
        x.view(4, 2)
    with pytest.raises(RuntimeError, match="use reshape"):  # PyTorch refuses too: the data are not contiguous
        x.transpose(0, 2).view(6)
    assert x.transpose(0, 2).reshape(6).shape == (6,)


def test_view_shares_the_data():
    x = tc.zeros(2, 3)
    v = x.view(6)
    v.data[1] = 5.0
    assert x.data[0, 1] == 5.0


@given(data=st.data())
def test_shape_methods_gradcheck(data):
    x = data.draw(uniform((2, 1, 3)))
    assert tc.gradcheck(lambda t: t.transpose(0, 2).unsqueeze(1).squeeze(2).view(3, -1), [x])
    assert tc.gradcheck(lambda t: t.permute(1, 2, 0), [x])


# ---------------------------------------------------------------- dtypes, values, conversions

def test_dtype_conversions():
    x = Tensor(np.array([1.7, -2.2], dtype=np.float32))
    assert x.double().dtype == np.float64 and x.float().dtype == np.float32
    np.testing.assert_array_equal(x.long().data, [1, -2])
    assert x.long().dtype == tc.int64 and x.int().dtype == tc.int32 and x.bool().dtype == tc.bool
    assert x.to(tc.float64).dtype == np.float64 and x.to(dtype=tc.float16).dtype == np.float16
    assert x.to("cpu") is x and x.to("cpu", tc.float32) is x
    assert x.type_as(tc.zeros(1, dtype=tc.float64)).dtype == np.float64
    assert x.cpu() is x


def test_float_conversion_keeps_the_graph():
    x = Tensor(np.array([1.5, 2.0], dtype=np.float32), requires_grad=True)
    (x.double() * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert x.grad.dtype == np.float32


def test_clamp_abs_sqrt_clone():
    x = Tensor(np.array([-2.0, 0.5, 3.0]), requires_grad=True)
    np.testing.assert_array_equal(x.clamp(-1, 1).data, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(x.clamp(min=0).data, [0.0, 0.5, 3.0])
    np.testing.assert_array_equal(tc.clamp(x, max=0).data, [-2.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.abs().data, [2.0, 0.5, 3.0])
    np.testing.assert_allclose(x.abs().sqrt().data, np.sqrt([2.0, 0.5, 3.0]))
    y = x.clone()
    assert y.data is not x.data and y.creator is not None
    with pytest.raises(ValueError, match="clamp"):
        x.clamp()


@given(data=st.data())
def test_elementwise_gradcheck(data):
    shape = data.draw(shapes(min_dims=0))
    x = data.draw(distinct(shape))
    away = x + np.sign(x) * 0.5 + (x == 0)  # away from 0 for abs and sqrt
    assert tc.gradcheck(lambda t: t.clamp(-0.05, 0.05), [x + 0.01])
    assert tc.gradcheck(lambda t: t.abs(), [away])
    assert tc.gradcheck(lambda t: t.abs().sqrt(), [away])
    assert tc.gradcheck(lambda t: t.clone() * 2, [x])


def test_python_numbers_and_lists():
    x = Tensor(np.array([[2.5]], dtype=np.float32))
    assert float(x) == 2.5 and int(x) == 2 and x.item() == 2.5
    assert Tensor(X).tolist() == X.tolist()
    with pytest.raises(RuntimeError, match="only one element"):
        float(Tensor(X))


def test_grad_fn_and_requires_grad_():
    x = tc.ones(2).requires_grad_()
    assert x.requires_grad and x.grad_fn is None and x.is_leaf
    y = x * 2
    assert y.grad_fn is y.creator and not y.is_leaf


# ---------------------------------------------------------------- module-level functions

def test_factories():
    assert tc.zeros(2, 3).dtype == np.float32 and tc.zeros((2, 3)).shape == (2, 3)
    assert tc.ones(2, dtype=tc.int64).dtype == np.int64
    np.testing.assert_array_equal(tc.full((2,), 7.0).data, [7.0, 7.0])
    assert tc.full((2,), 7).dtype == np.int64 and tc.full((1,), True).dtype == np.bool_
    assert tc.empty(3, 2).shape == (3, 2)
    x = tc.zeros(2, 3, dtype=tc.float64)
    assert tc.ones_like(x).dtype == np.float64 and tc.zeros_like(x).shape == (2, 3)
    assert tc.full_like(x, 3).data.tolist() == [[3, 3, 3]] * 2 and tc.empty_like(x).shape == (2, 3)
    assert tc.rand_like(x).dtype == np.float64 and tc.randn_like(x).shape == (2, 3)
    assert tc.ones(2, requires_grad=True).requires_grad
    np.testing.assert_array_equal(tc.eye(2, 3).data, np.eye(2, 3))
    assert tc.eye(3).dtype == np.float32


def test_ranges():
    np.testing.assert_array_equal(tc.arange(5).data, np.arange(5))
    assert tc.arange(5).dtype == np.int64 and tc.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_allclose(tc.arange(1, 2, 0.25).data, [1.0, 1.25, 1.5, 1.75])
    np.testing.assert_allclose(tc.linspace(0, 1, steps=5).data, [0.0, 0.25, 0.5, 0.75, 1.0])
    assert tc.linspace(0, 1, 3).dtype == np.float32


def test_random_factories_follow_the_seed():
    tc.manual_seed(3)
    a = (tc.rand(2, 3), tc.randn(4), tc.randint(0, 10, (5,)), tc.randint(3, size=(2,)))
    tc.manual_seed(3)
    b = (tc.rand(2, 3), tc.randn(4), tc.randint(0, 10, (5,)), tc.randint(3, size=(2,)))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.data, y.data)
    assert a[0].dtype == np.float32 and a[2].dtype == np.int64
    assert 0 <= a[0].data.min() and a[0].data.max() < 1 and 0 <= a[2].data.min() and a[2].data.max() < 10
    g = np.random.default_rng(1)
    assert tc.rand(2, generator=g).shape == (2,)


def test_tensor_copies_and_from_numpy_shares():
    a = np.zeros(3, dtype=np.float64)
    t, f = tc.tensor(a), tc.from_numpy(a)
    a[0] = 1.0
    assert t.data[0] == 0.0 and f.data[0] == 1.0 and t.dtype == np.float64
    assert tc.tensor([1, 2]).dtype == np.int64 and tc.tensor([1.0]).dtype == np.float32
    assert tc.tensor(True).dtype == np.bool_
    with pytest.raises(TypeError, match="ndarray"):
        tc.from_numpy([1, 2])


def test_cat_stack_where():
    a, b = Tensor(np.ones((2, 2))), Tensor(np.zeros((1, 2)))
    assert tc.cat([a, b]).shape == (3, 2) and tc.cat((a, a), dim=1).shape == (2, 4)
    assert tc.stack([a, a], dim=1).shape == (2, 2, 2)
    x = Tensor(np.array([-1.0, 2.0]), requires_grad=True)
    y = tc.where(x > 0, x, tc.zeros(2, dtype=tc.float64))
    np.testing.assert_array_equal(y.data, [0.0, 2.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])
    np.testing.assert_array_equal(tc.where(x > 0, x, 0.5).data, [0.5, 2.0])


@given(data=st.data())
def test_where_gradcheck(data):
    shape = data.draw(shapes())
    cond = np.random.default_rng(data.draw(st.integers(0, 99))).random(shape) > 0.5
    assert tc.gradcheck(lambda a, b: tc.where(Tensor(cond), a, b), [data.draw(uniform(shape)), data.draw(uniform(shape))])


def test_elementwise_module_functions():
    x = Tensor(np.array([[0.5, -1.0]]))
    np.testing.assert_allclose(tc.exp(x).data, np.exp(x.data))
    np.testing.assert_allclose(tc.log(tc.abs(x)).data, np.log(np.abs(x.data)))
    np.testing.assert_allclose(tc.sigmoid(x).data, 1 / (1 + np.exp(-x.data)))
    np.testing.assert_allclose(tc.tanh(x).data, np.tanh(x.data))
    np.testing.assert_allclose(tc.relu(x).data, [[0.5, 0.0]])
    np.testing.assert_allclose(tc.softmax(x, dim=1).data.sum(), 1.0)
    np.testing.assert_allclose(tc.matmul(x, x.T).data, [[1.25]])
    np.testing.assert_allclose(tc.sqrt(tc.abs(x)).data, np.sqrt([[0.5, 1.0]]))


def test_dtypes_and_devices():
    assert tc.float32 == np.float32 and tc.float == tc.float32 and tc.double == tc.float64
    assert tc.long == tc.int64 and tc.int == tc.int32 and tc.bool == np.bool_ and tc.uint8 == np.uint8
    assert tc.device("cpu").type == "cpu" and str(tc.device("cuda:0")) == "cuda:0"
    assert tc.device("cuda:0").index == 0 and tc.device("cuda", 0) == tc.device("cuda:0")
    x = tc.zeros(1)
    assert x.device == "cpu" and x.device == tc.device("cpu") and x.device.type == "cpu"
    assert x.to(tc.device("cpu")) is x and tc.zeros(1, device="cpu").device.type == "cpu"
    with pytest.raises(ValueError, match="cuda:1"):
        tc.device("cuda:1")


# ---------------------------------------------------------------- autograd.grad

def test_autograd_grad_returns_gradients_without_touching_grad():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    h = x * w
    y = (h * h).sum()
    gx, gh = tc.autograd.grad(y, [x, h], retain_graph=True)
    np.testing.assert_allclose(gx.data, 2 * (x.data * w.data) * w.data)
    np.testing.assert_allclose(gh.data, 2 * h.data)
    assert x.grad is None and w.grad is None
    (gx2,) = tc.autograd.grad([h], x, grad_outputs=[Tensor(np.array([1.0, 10.0]))])
    np.testing.assert_allclose(gx2.data, [3.0, 40.0])
    with pytest.raises(RuntimeError, match="freed"):
        tc.autograd.grad(h.sum(), x) and tc.autograd.grad(y, x)


def test_autograd_grad_of_an_unused_input_raises_unless_allowed():
    x, z = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        tc.autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = tc.autograd.grad(y, [x, z], allow_unused=True)
    assert gz is None and gx.data.tolist() == [2.0, 2.0]
