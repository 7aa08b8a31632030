"""The same Tensor idioms in tinyconv and in PyTorch give the same values, dtypes, shapes and
gradients (skipped where PyTorch is not installed)."""
import numpy as np
import pytest

import tinyconv as tc

torch = pytest.importorskip("torch")

A = np.array([[0.3, -1.2, 2.5, 2.5], [1.0, 0.0, -0.7, 4.0], [-2.0, 3.5, 0.1, -0.2]])


def pair(values=A, dtype=np.float64):
    """The same leaf in both frameworks, requiring grad."""
    return (tc.Tensor(values.astype(dtype), requires_grad=True),
            torch.tensor(values.astype(dtype), requires_grad=True))


def same(ours, theirs):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.data, theirs, rtol=1e-6, atol=1e-12)


IDIOMS = {
    "max()": lambda t: t.max(),
    "max(dim)": lambda t: t.max(1)[0] * 1.5,
    "max(dim=0, keepdim=True).values": lambda t: t.max(dim=0, keepdim=True).values,
    "min(1)": lambda t: t.min(1).values,
    "sum(dim, keepdim)": lambda t: t.sum(dim=1, keepdim=True),
    "sum(axis=)": lambda t: t.sum(axis=0),
    "mean((0, 1))": lambda t: t.mean((0, 1)),
    "transpose(0, 1)": lambda t: t.transpose(0, 1) * t.T,
    "permute": lambda t: t.view(3, 2, 2).permute(2, 0, 1),
    "unsqueeze/squeeze": lambda t: t.unsqueeze(1).squeeze().unsqueeze(-1).squeeze(-1),
    "flatten/view_as": lambda t: t.unsqueeze(0).flatten(1).view_as(t) * 2,
    "clamp": lambda t: t.clamp(-1, 1) + t.clamp(min=0.2) + t.clamp(max=0.0),
    "abs/sqrt": lambda t: (t.abs() + 0.1).sqrt(),
    "clone": lambda t: t.clone() * t,
    "double": lambda t: t.float().double() * 3,
    "activations": lambda t: t.tanh() + t.sigmoid() + t.relu() + t.softmax(1) + t.log_softmax(dim=0),
}


@pytest.mark.parametrize("name", sorted(IDIOMS))
def test_values_and_gradients_match_pytorch(name):
    ours, theirs = pair()
    out, want = IDIOMS[name](ours), IDIOMS[name](theirs)
    same(out, want)
    seed = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(seed.astype(out.dtype))
    want.backward(torch.tensor(seed, dtype=want.dtype))
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("dim", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_argmax_argmin_and_indices_match_pytorch(dim, keepdim):
    ours, theirs = tc.Tensor(A), torch.tensor(A)
    for name in ("argmax", "argmin"):
        same(getattr(ours, name)(dim=dim, keepdim=keepdim), getattr(theirs, name)(dim=dim, keepdim=keepdim))
    if dim is not None:
        for name in ("max", "min"):
            got, want = getattr(ours, name)(dim, keepdim), getattr(theirs, name)(dim, keepdim)
            same(got.values, want.values)
            same(got.indices, want.indices)


def test_conversions_match_pytorch():
    values = np.array([[1.7, -2.2], [0.0, 3.5]], dtype=np.float32)
    ours, theirs = tc.Tensor(values), torch.tensor(values)
    for name in ("float", "double", "long", "int", "bool", "abs", "clone"):
        same(getattr(ours, name)(), getattr(theirs, name)())
    assert ours.tolist() == theirs.tolist()
    assert float(ours[1, 1]) == float(theirs[1, 1]) and int(ours[0, 1]) == int(theirs[0, 1])
    assert ours.size() == tuple(theirs.size()) and ours.size(-1) == theirs.size(-1)
    assert ours.dim() == theirs.dim() and ours.numel() == theirs.numel()


def test_factories_match_pytorch():
    pairs = [
        (tc.zeros(2, 3), torch.zeros(2, 3)), (tc.ones((2,), dtype=tc.int64), torch.ones((2,), dtype=torch.int64)),
        (tc.full((2, 2), 3), torch.full((2, 2), 3)), (tc.full((2,), 1.5), torch.full((2,), 1.5)),
        (tc.full((1,), True), torch.full((1,), True)),
        (tc.arange(5), torch.arange(5)), (tc.arange(1, 2, 0.25), torch.arange(1, 2, 0.25)),
        (tc.arange(0, 10, 3), torch.arange(0, 10, 3)), (tc.arange(5, 0, -2), torch.arange(5, 0, -2)),
        (tc.linspace(-1, 1, 5), torch.linspace(-1, 1, 5)), (tc.linspace(0, 1, steps=1), torch.linspace(0, 1, steps=1)),
        (tc.eye(3), torch.eye(3)), (tc.eye(2, 4), torch.eye(2, 4)),
        (tc.tensor([1, 2]), torch.tensor([1, 2])), (tc.tensor([1.0, 2]), torch.tensor([1.0, 2])),
        (tc.tensor([[True]]), torch.tensor([[True]])),
        (tc.zeros_like(tc.ones(2, dtype=tc.float64)), torch.zeros_like(torch.ones(2, dtype=torch.float64))),
    ]
    for ours, theirs in pairs:
        same(ours, theirs)
    assert tc.randint(0, 10, (3, 2)).dtype == np.dtype(str(torch.randint(0, 10, (3, 2)).dtype).split(".")[1])
    assert tc.rand(2, 3).dtype == np.float32 and torch.rand(2, 3).dtype == torch.float32


def test_module_functions_match_pytorch():
    ours, theirs = pair()
    pairs = [
        (tc.cat([ours, ours * 2], dim=1), torch.cat([theirs, theirs * 2], dim=1)),
        (tc.stack([ours, ours], 0), torch.stack([theirs, theirs], 0)),
        (tc.where(ours > 0, ours, ours * 0.5), torch.where(theirs > 0, theirs, theirs * 0.5)),
        (tc.where(ours > 0, ours, 0.0), torch.where(theirs > 0, theirs, 0.0)),
        (tc.clamp(ours, min=-0.5), torch.clamp(theirs, min=-0.5)),
        (tc.flatten(ours), torch.flatten(theirs)),
        (tc.exp(ours), torch.exp(theirs)), (tc.log(tc.abs(ours) + 1), torch.log(torch.abs(theirs) + 1)),
        (tc.sigmoid(ours), torch.sigmoid(theirs)), (tc.tanh(ours), torch.tanh(theirs)), (tc.relu(ours), torch.relu(theirs)),
        (tc.softmax(ours, dim=1), torch.softmax(theirs, dim=1)), (tc.log_softmax(ours, 0), torch.log_softmax(theirs, 0)),
        (tc.matmul(ours, ours.T), torch.matmul(theirs, theirs.T)), (tc.transpose(ours, 0, 1), torch.transpose(theirs, 0, 1)),
        (tc.argmax(ours, dim=1), torch.argmax(theirs, dim=1)), (tc.max(ours, 0).values, torch.max(theirs, 0).values),
        (tc.sum(ours, 1), torch.sum(theirs, 1)), (tc.mean(ours), torch.mean(theirs)),
        (tc.amax(ours, (0, 1)), torch.amax(theirs, (0, 1))), (tc.unsqueeze(ours, 1), torch.unsqueeze(theirs, 1)),
    ]
    for got, want in pairs:
        same(got, want)
    total = sum((got.sum() if got.dtype.kind == "f" else 0) for got, _ in pairs)
    expected = sum((want.sum() if want.dtype.is_floating_point else 0) for _, want in pairs)
    total.backward()
    expected.backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_autograd_grad_matches_pytorch():
    (x, tx), (w, tw) = pair(), pair(A[::-1].copy())
    y, ty = ((x * w).tanh().sum(1) ** 2), ((tx * tw).tanh().sum(1) ** 2)
    seed = np.array([1.0, -2.0, 0.5])
    got = tc.autograd.grad(y, (x, w), grad_outputs=tc.Tensor(seed))
    want = torch.autograd.grad(ty, (tx, tw), grad_outputs=torch.tensor(seed))
    for g, t in zip(got, want):
        same(g, t)
    assert x.grad is None and tx.grad is None


def test_devices_match_pytorch():
    assert str(tc.device("cuda:0")) == str(torch.device("cuda:0"))
    assert tc.device("cuda", 0) == tc.device("cuda:0") and torch.device("cuda", 0) == torch.device("cuda:0")
    assert tc.device("cpu").type == torch.device("cpu").type and tc.device("cuda:0").index == torch.device("cuda:0").index
    assert tc.zeros(1).device.type == torch.zeros(1).device.type
