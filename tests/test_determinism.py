"""One tc.manual_seed(n) seeds every random source (initialisation, dropout, shuffling,
stochastic pooling, RBM sampling): same seed, same weights after training on the CPU."""
import ast
import os
from pathlib import Path

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import nn, functional as F
from tinyconv.data import DataLoader, TensorDataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data(n=40):
    rng = np.random.default_rng(0)  # fixed data: only the framework's randomness varies
    x = np.abs(rng.standard_normal((n, 1, 8, 8))).astype(np.float32)
    y = rng.integers(0, 3, n)
    return x, y


def train_everything(seed, reseed_after_building=False):
    """Train a CNN with dropout and stochastic pooling on a shuffled loader, and an RBM, with
    nothing but the default generator; return every learned array."""
    if not reseed_after_building:
        tc.manual_seed(seed)
    x, y = data()
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    rbm = tc.RBM(6, batch_size=10, n_iter=2)
    if reseed_after_building:  # holders of the default generator see a later seed too
        tc.manual_seed(seed)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.StochasticPool2d(2), nn.Flatten(),
                          nn.Dropout(0.3), nn.Linear(4 * 4 * 4, 3))
    opt = tc.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(2):
        for xb, yb in loader:
            loss = F.softmax_cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    rbm.fit((x.reshape(len(x), -1)[:, :16] > 0.5).astype(np.float32))
    arrays = {name: p.data.copy() for name, p in model.named_parameters()}
    arrays.update(rbm_W=rbm.components_.copy(), rbm_hidden_bias=rbm.intercept_hidden_.copy(), rbm_sample=rbm.sample(3, steps=5))
    return arrays


def assert_all_equal(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_same_seed_same_weights_after_training():
    first = train_everything(7)
    np.random.seed(12345)  # NumPy's global state must play no part
    second = train_everything(7)
    assert_all_equal(first, second)
    third = train_everything(8)
    for key in first:
        assert not np.array_equal(first[key], third[key]), key


def test_objects_built_before_the_seed_are_reseeded_too():
    assert_all_equal(train_everything(3, reseed_after_building=True),
                     train_everything(3, reseed_after_building=True))


def test_manual_seed_reseeds_the_default_generator_in_place():
    g = tc.default_rng()
    loader = DataLoader(TensorDataset(np.arange(20)), batch_size=20, shuffle=True)
    dropout = nn.Dropout(0.5)
    x = tc.Tensor(np.ones((4, 5), np.float32))
    assert tc.manual_seed(5) is g and tc.default_rng() is g
    first = ([b.data.tolist() for (b,) in loader], dropout(x).data.copy())
    tc.manual_seed(5)
    second = ([b.data.tolist() for (b,) in loader], dropout(x).data.copy())
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])


def _random_calls(path):
    """Calls in a source file that draw randomness from outside the framework's generators:
    NumPy's global functions, an unseeded default_rng(), Python's random module, CuPy's."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) or (isinstance(node, ast.ImportFrom) and node.level == 0):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [f"line {node.lineno}: import {n}" for n in names if n.split(".")[0] == "random"]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        chain, value = [node.func.attr], node.func.value
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name):
            chain.append(value.id)
        chain.reverse()
        if len(chain) >= 3 and chain[0] in ("np", "numpy", "cp", "cupy", "xp") and chain[1] == "random":
            seeded = node.args and not (isinstance(node.args[0], ast.Constant) and node.args[0].value is None)
            if chain[0] in ("cp", "cupy", "xp") or chain[2] not in ("default_rng", "Generator", "PCG64", "MT19937") \
                    or not seeded:
                found.append(f"line {node.lineno}: {'.'.join(chain)}")
    return found


def test_no_hidden_random_sources_in_the_library():
    offenders = {}
    for folder in ("tinyconv", "kernels"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
            for name in files:
                if name.endswith(".py"):
                    path = os.path.join(dirpath, name)
                    calls = _random_calls(path)
                    if calls:
                        offenders[os.path.relpath(path, ROOT)] = calls
    assert offenders == {}, ("draw randomness through tinyconv.random.resolve_rng(rng) (an explicit "
                             f"Generator or the default one), not from: {offenders}")


@pytest.mark.parametrize("source, bad", [
    ("import numpy as np\nnp.random.rand(3)", True),
    ("import numpy as np\nnp.random.default_rng()", True),
    ("import numpy as np\nnp.random.default_rng(None)", True),
    ("import random\n", True),
    ("from random import random\n", True),
    ("from .random import resolve_rng\n", False),
    ("import cupy as cp\ncp.random.random(3)", True),
    ("import numpy as np\nnp.random.default_rng(seed)", False),
    ("rng.random(3)", False),
])
def test_the_source_scan_itself(tmp_path, source, bad):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert bool(_random_calls(str(path))) == bad
