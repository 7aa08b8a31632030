"""Optimizers: updates checked by hand, Adam against Kingma & Ba's Algorithm 1, convergence, arguments."""
import numpy as np
import pytest

from tinyconv import Parameter, Tensor
from tinyconv.optim import SGD, Adam, AdamW, RMSprop, clip_grad_norm_

W0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.3, -0.1, 2.0]), np.array([-0.5, 0.4, 1.0]), np.array([0.2, 0.2, -3.0]),
         np.array([1.5, -0.7, 0.1]), np.array([-0.05, 0.9, 0.6])]


def run(optimizer_cls, grads, dtype=np.float64, **kw):
    """Apply ``optimizer_cls`` to a parameter starting at W0 with the given gradient sequence."""
    p = Parameter(W0.astype(dtype))
    opt = optimizer_cls([p], **kw)
    history = []
    for g in grads:
        p.grad = Tensor(g.astype(dtype))
        opt.step()
        history.append(p.data.copy())
    return history


# ---------------------------------------------------------------- SGD

def test_sgd_plain_step():
    (w1,) = run(SGD, GRADS[:1], lr=0.1)
    np.testing.assert_allclose(w1, W0 - 0.1 * GRADS[0], rtol=1e-15)


def test_sgd_plain_steps_are_independent_of_history():
    w = run(SGD, GRADS[:3], lr=0.05)
    np.testing.assert_allclose(w[2], W0 - 0.05 * (GRADS[0] + GRADS[1] + GRADS[2]), rtol=1e-14)


def test_sgd_momentum_two_steps():
    lr, mu = 0.1, 0.9
    w1, w2 = run(SGD, GRADS[:2], lr=lr, momentum=mu)
    v1 = GRADS[0]
    e1 = W0 - lr * v1
    v2 = mu * v1 + GRADS[1]
    e2 = e1 - lr * v2
    np.testing.assert_allclose(w1, e1, rtol=1e-14)
    np.testing.assert_allclose(w2, e2, rtol=1e-14)


def test_sgd_nesterov_two_steps():
    lr, mu = 0.1, 0.9
    w1, w2 = run(SGD, GRADS[:2], lr=lr, momentum=mu, nesterov=True)
    v1 = GRADS[0]
    e1 = W0 - lr * (GRADS[0] + mu * v1)
    v2 = mu * v1 + GRADS[1]
    e2 = e1 - lr * (GRADS[1] + mu * v2)
    np.testing.assert_allclose(w1, e1, rtol=1e-14)
    np.testing.assert_allclose(w2, e2, rtol=1e-14)


def test_sgd_weight_decay():
    lr, wd = 0.1, 0.01
    (w1,) = run(SGD, GRADS[:1], lr=lr, weight_decay=wd)
    np.testing.assert_allclose(w1, W0 - lr * (GRADS[0] + wd * W0), rtol=1e-14)


def test_sgd_weight_decay_with_momentum():
    lr, mu, wd = 0.05, 0.8, 0.1
    w1, w2 = run(SGD, GRADS[:2], lr=lr, momentum=mu, weight_decay=wd)
    v1 = GRADS[0] + wd * W0
    e1 = W0 - lr * v1
    v2 = mu * v1 + GRADS[1] + wd * e1
    e2 = e1 - lr * v2
    np.testing.assert_allclose(w1, e1, rtol=1e-14)
    np.testing.assert_allclose(w2, e2, rtol=1e-14)


def test_step_is_in_place_leaves_grad_alone_and_skips_params_without_grad():
    a, b = Parameter(W0.copy()), Parameter(W0.copy())
    data = a.data
    g = GRADS[0].copy()
    a.grad = Tensor(g)
    opt = SGD([a, b], lr=0.1, momentum=0.9, weight_decay=0.1)
    opt.step()
    assert a.data is data
    np.testing.assert_array_equal(g, GRADS[0])       # the gradient was not modified
    np.testing.assert_array_equal(b.data, W0)        # no gradient, no update
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_float32_parameters_stay_float32():
    for cls, kw in ((SGD, dict(lr=0.1, momentum=0.9)), (Adam, dict(lr=0.1))):
        p = Parameter(W0.astype(np.float32))
        p.grad = Tensor(GRADS[0].astype(np.float32))
        cls([p], **kw).step()
        assert p.dtype == np.float32


# ---------------------------------------------------------------- Adam

def adam_reference(w, grads, lr, b1, b2, eps, weight_decay=0.0):
    """Kingma & Ba (2015), Algorithm 1, written out directly."""
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    history = []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        history.append(w)
    return history


@pytest.mark.parametrize("lr, betas, eps", [
    (1e-3, (0.9, 0.999), 1e-8),
    (0.1, (0.8, 0.99), 1e-2),   # a large eps so that its placement matters
    (0.05, (0.0, 0.5), 1e-4),
])
def test_adam_matches_algorithm_1(lr, betas, eps):
    got = run(Adam, GRADS, lr=lr, betas=betas, eps=eps)
    expected = adam_reference(W0, GRADS, lr, *betas, eps)
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15, err_msg=f"step {step}")


def test_adam_first_step_moves_each_weight_by_about_lr():
    # with bias correction, the first step is lr * g / (|g| + eps') = lr * sign(g)
    (w1,) = run(Adam, GRADS[:1], lr=0.01)
    np.testing.assert_allclose(w1, W0 - 0.01 * np.sign(GRADS[0]), rtol=1e-6)


def test_adam_weight_decay():
    got = run(Adam, GRADS, lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    expected = adam_reference(W0, GRADS, 0.01, 0.9, 0.999, 1e-8, weight_decay=0.1)
    np.testing.assert_allclose(got[-1], expected[-1], rtol=1e-12)


def test_adam_float32_close_to_float64():
    got = run(Adam, GRADS, dtype=np.float32, lr=0.01)
    expected = adam_reference(W0, GRADS, 0.01, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(got[-1], expected[-1], rtol=1e-5)


def test_adam_keeps_separate_state_per_parameter():
    a, b = Parameter(W0.copy()), Parameter(W0[:2].copy())
    opt = Adam([a, b], lr=0.1)
    for g in GRADS:
        a.grad, b.grad = Tensor(g), Tensor(g[:2] * 10)
        opt.step()
    np.testing.assert_allclose(a.data, adam_reference(W0, GRADS, 0.1, 0.9, 0.999, 1e-8)[-1], rtol=1e-12)
    np.testing.assert_allclose(b.data, adam_reference(W0[:2], [g[:2] * 10 for g in GRADS], 0.1, 0.9, 0.999, 1e-8)[-1],
                               rtol=1e-12)


# ---------------------------------------------------------------- convergence

TARGET = np.array([3.0, -1.0, 0.25, 2.0])
SCALES = np.array([1.0, 4.0, 0.5, 2.0])


@pytest.mark.parametrize("cls, kw, steps", [
    (SGD, dict(lr=0.1), 200),
    (SGD, dict(lr=0.05, momentum=0.9), 200),
    (SGD, dict(lr=0.05, momentum=0.9, nesterov=True), 200),
    (Adam, dict(lr=0.1), 400),
], ids=["sgd", "momentum", "nesterov", "adam"])
def test_optimizers_minimise_a_quadratic(cls, kw, steps):
    w = Parameter(np.zeros(4))
    opt = cls([w], **kw)
    initial = None
    for _ in range(steps):
        opt.zero_grad()
        loss = (Tensor(SCALES) * (w - Tensor(TARGET)) ** 2).sum()
        initial = loss.item() if initial is None else initial
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.data, TARGET, atol=1e-3)
    final = (SCALES * (w.data - TARGET) ** 2).sum()
    assert final < 1e-5 * initial


# ---------------------------------------------------------------- arguments

def params():
    return [Parameter(np.zeros(2))]


@pytest.mark.parametrize("make, match", [
    (lambda: SGD(params(), lr=-0.1), "lr"),
    (lambda: SGD(params(), lr=float("nan")), "lr"),
    (lambda: Adam(params(), lr=-1e-3), "lr"),
    (lambda: SGD([], lr=0.1), "params"),
    (lambda: Adam(iter([]), lr=0.1), "params"),
    (lambda: SGD(params() * 2, lr=0.1), "params"),
    (lambda: SGD(params(), lr=0.1, nesterov=True), "nesterov"),
    (lambda: SGD(params(), lr=0.1, momentum=-0.5), "momentum"),
    (lambda: SGD(params(), lr=0.1, weight_decay=-1e-4), "weight_decay"),
    (lambda: Adam(params(), betas=(1.0, 0.999)), "betas"),
    (lambda: Adam(params(), betas=(0.9, 1.0)), "betas"),
    (lambda: Adam(params(), betas=(-0.1, 0.999)), "betas"),
    (lambda: Adam(params(), eps=-1e-8), "eps"),
    (lambda: Adam(params(), weight_decay=-0.1), "weight_decay"),
], ids=["lr-neg", "lr-nan", "adam-lr-neg", "empty", "empty-iter", "duplicate", "nesterov",
        "momentum", "sgd-wd", "beta1", "beta2", "beta1-neg", "eps", "adam-wd"])
def test_bad_arguments_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_generator_of_parameters_is_accepted():
    ps = params() + params()
    opt = SGD((p for p in ps), lr=0.1)
    for p in ps:
        p.grad = Tensor(np.ones(2))
    opt.step()
    for p in ps:
        np.testing.assert_allclose(p.data, [-0.1, -0.1])


# ---------------------------------------------------------------- PyTorch, where installed

@pytest.mark.parametrize("name, kw", [
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.5)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-3, momentum=0.9, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01)),
    ("AdamW", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.1)),
])
def test_matches_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    tp = torch.nn.Parameter(torch.tensor(W0, dtype=torch.float64))
    topt = getattr(torch.optim, name)([tp], **kw)
    for g in GRADS:
        topt.zero_grad()
        tp.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
    got = run(dict(SGD=SGD, Adam=Adam, RMSprop=RMSprop, AdamW=AdamW)[name], GRADS, **kw)
    np.testing.assert_allclose(got[-1], tp.detach().numpy(), rtol=1e-10)


# ---------------------------------------------------------------- RMSprop and AdamW

def rmsprop_reference(w, grads, lr, alpha, eps, momentum=0.0, weight_decay=0.0):
    """Tieleman & Hinton's RMSprop with PyTorch's momentum and L2 terms, written out directly."""
    v = np.zeros_like(w)
    b = np.zeros_like(w)
    history = []
    for g in grads:
        g = g + weight_decay * w
        v = alpha * v + (1 - alpha) * g * g
        step = g / (np.sqrt(v) + eps)
        if momentum:
            b = momentum * b + step
            step = b
        w = w - lr * step
        history.append(w)
    return history


def adamw_reference(w, grads, lr, b1, b2, eps, weight_decay):
    """Loshchilov & Hutter (2019), Algorithm 2: decay the weights, then Adam on the raw gradient."""
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    history = []
    for t, g in enumerate(grads, start=1):
        w = w - lr * weight_decay * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        history.append(w)
    return history


@pytest.mark.parametrize("kw", [
    dict(lr=0.01, alpha=0.99, eps=1e-8),
    dict(lr=0.05, alpha=0.9, eps=1e-2, momentum=0.9),
    dict(lr=0.02, alpha=0.5, eps=1e-6, momentum=0.5, weight_decay=0.1),
    dict(lr=0.02, alpha=0.0, eps=1e-6, weight_decay=0.01),
])
def test_rmsprop_matches_reference(kw):
    got = run(RMSprop, GRADS, **kw)
    expected = rmsprop_reference(W0, GRADS, **kw)
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15, err_msg=f"step {step}")


@pytest.mark.parametrize("kw", [
    dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01),
    dict(lr=0.1, betas=(0.8, 0.99), eps=1e-2, weight_decay=0.5),
])
def test_adamw_matches_algorithm_2(kw):
    got = run(AdamW, GRADS, **kw)
    expected = adamw_reference(W0, GRADS, kw["lr"], *kw["betas"], kw["eps"], kw["weight_decay"])
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15, err_msg=f"step {step}")


def test_adamw_differs_from_adam_with_l2_and_equals_it_without_decay():
    assert not np.allclose(run(AdamW, GRADS, lr=0.1, weight_decay=0.5)[-1],
                           run(Adam, GRADS, lr=0.1, weight_decay=0.5)[-1])
    np.testing.assert_array_equal(run(AdamW, GRADS, lr=0.1, weight_decay=0.0)[-1], run(Adam, GRADS, lr=0.1)[-1])
    assert issubclass(AdamW, Adam)


def test_rmsprop_and_adamw_float32_stay_float32():
    for cls in (RMSprop, AdamW):
        p = Parameter(W0.astype(np.float32))
        opt = cls([p], lr=0.01, **({"momentum": 0.9} if cls is RMSprop else {}))
        for g in GRADS:
            p.grad = Tensor(g.astype(np.float32))
            opt.step()
        assert p.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype"))


@pytest.mark.parametrize("cls, kw", [(RMSprop, dict(lr=0.01, momentum=0.9)), (RMSprop, dict(lr=0.01)),
                                     (AdamW, dict(lr=0.01))], ids=["rmsprop-momentum", "rmsprop", "adamw"])
def test_new_optimizers_state_dict_round_trip(cls, kw, tmp_path):
    import tinyconv
    a, b = Parameter(W0.copy()), Parameter(W0.copy())
    opt_a, opt_b = cls([a], **kw), cls([b], **kw)
    for g in GRADS[:3]:
        a.grad = Tensor(g)
        opt_a.step()
    tinyconv.save({"optimizer": opt_a, "w": a}, tmp_path / "ckpt.npz")
    tinyconv.load(tmp_path / "ckpt.npz", into={"optimizer": opt_b, "w": b})
    for g in GRADS[3:]:
        a.grad, b.grad = Tensor(g), Tensor(g.copy())
        opt_a.step()
        opt_b.step()
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("make, match", [
    (lambda: RMSprop(params(), alpha=1.5), "alpha"),
    (lambda: RMSprop(params(), eps=-1.0), "eps"),
    (lambda: RMSprop(params(), momentum=-0.1), "momentum"),
    (lambda: RMSprop(params(), weight_decay=-0.1), "weight_decay"),
    (lambda: RMSprop(params(), lr=-0.1), "lr"),
    (lambda: AdamW(params(), weight_decay=-0.1), "weight_decay"),
    (lambda: AdamW(params(), betas=(1.0, 0.9)), "betas"),
], ids=["alpha", "eps", "momentum", "wd", "lr", "adamw-wd", "adamw-betas"])
def test_new_optimizers_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_rmsprop_rejects_non_numbers():
    with pytest.raises(TypeError, match="alpha"):
        RMSprop(params(), alpha="0.9")


# ---------------------------------------------------------------- gradient clipping

def test_clip_grad_norm_scales_to_max_norm_and_returns_the_norm_before():
    a, b, c = Parameter(np.zeros(3)), Parameter(np.zeros((2, 2))), Parameter(np.zeros(1))
    a.grad, b.grad = Tensor(np.array([3.0, 0.0, 0.0])), Tensor(np.array([[0.0, 4.0], [0.0, 0.0]]))
    total = clip_grad_norm_([a, b, c], max_norm=1.0)
    assert total == pytest.approx(5.0)
    assert c.grad is None
    np.testing.assert_allclose(a.grad, [0.6, 0, 0], rtol=1e-5)
    np.testing.assert_allclose(b.grad, [[0, 0.8], [0, 0]], rtol=1e-5)
    new = np.sqrt((a.grad ** 2).sum() + (b.grad ** 2).sum())
    assert new == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_alone():
    p = Parameter(np.zeros(2, dtype=np.float32))
    p.grad = Tensor(np.array([0.3, 0.4], dtype=np.float32))
    before = p.grad.clone()
    assert clip_grad_norm_(p, 2.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(p.grad, before)
    assert p.grad.dtype == np.float32


def test_clip_grad_norm_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=s) for s in [(3, 4), (5,), (2, 2, 2)]]
    ours = [Parameter(np.zeros_like(g)) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = Tensor(g.copy()), torch.tensor(g)
    total = clip_grad_norm_(ours, 0.5)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 0.5)
    assert total == pytest.approx(float(expected), rel=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("max_norm, exc", [(0.0, ValueError), (-1.0, ValueError), ("1", TypeError)])
def test_clip_grad_norm_bad_max_norm(max_norm, exc):
    with pytest.raises(exc, match="max_norm"):
        clip_grad_norm_(params(), max_norm)


# ---------------------------------------------------------------- load_state_dict checks settings

@pytest.mark.parametrize("cls, key, value, match", [
    (SGD, "lr", float("nan"), r"lr: expected a non-negative number, got nan"),
    (SGD, "lr", -1, r"lr: expected a non-negative number, got -1"),
    (Adam, "lr", "0.1", r"lr: expected a non-negative number, got str"),
    (Adam, "betas", "xx", r"betas: expected a pair of numbers in \[0, 1\), got 'xx'"),
    (AdamW, "eps", -1.0, r"eps"),
    (RMSprop, "alpha", 1.5, r"alpha: expected a number in \[0, 1\], got 1.5"),
    (SGD, "momentum", -0.5, r"momentum"),
], ids=["sgd-lr-nan", "sgd-lr-neg", "adam-lr-str", "adam-betas-str", "adamw-eps", "rmsprop-alpha",
        "sgd-momentum"])
def test_load_state_dict_refuses_settings_the_constructor_refuses_and_changes_nothing(cls, key, value, match):
    p = Parameter(W0.copy())
    opt = cls([p], lr=0.1)
    p.grad = Tensor(GRADS[0].copy())
    opt.step()
    before = opt.state_dict()
    bad = opt.state_dict()
    bad["param_groups"][0][key] = value
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    assert after["state"].keys() == before["state"].keys()
    for i, s_after in after["state"].items():
        assert s_after.keys() == before["state"][i].keys()
        for k in s_after:
            np.testing.assert_array_equal(s_after[k], before["state"][i][k])
    w = p.data.copy()
    opt.step()  # still the old, finite settings
    assert np.isfinite(p.data).all() and not np.array_equal(p.data, w)


def test_load_state_dict_accepts_good_settings_as_the_constructor_does():
    p = Parameter(W0.copy())
    opt = Adam([p], lr=0.1)
    state = opt.state_dict()
    state["param_groups"][0].update(lr=0.5, betas=[0.5, 0.6])
    opt.load_state_dict(state)
    assert opt.lr == 0.5 and opt.betas == (0.5, 0.6)
