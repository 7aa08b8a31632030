"""Optimizers as PyTorch 2.x defines them: parameter groups, state_dict's layout, argument orders
and defaults, zero_grad(set_to_none), SGD dampening, Adam/AdamW amsgrad, RMSprop centered,
maximize; checked by hand and against PyTorch where installed."""
import inspect

import numpy as np
import pytest

import tinyconv
from tinyconv import Parameter, Tensor
from tinyconv.optim import SGD, Adam, AdamW, RMSprop

W0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.3, -0.1, 2.0]), np.array([-0.5, 0.4, 1.0]), np.array([0.2, 0.2, -3.0]),
         np.array([1.5, -0.7, 0.1]), np.array([-0.05, 0.9, 0.6])]
CLASSES = dict(SGD=SGD, Adam=Adam, AdamW=AdamW, RMSprop=RMSprop)


def run_groups(cls, groups, grads, **kw):
    """Step ``cls`` on one parameter per group (each starting at W0), feeding each parameter the
    gradients ``grads``; return the final parameter values."""
    ps = [Parameter(W0.copy()) for _ in groups]
    opt = cls([dict(g, params=[p]) for g, p in zip(groups, ps)], **kw)
    for g in grads:
        for p in ps:
            p.grad = Tensor(g.copy())
        opt.step()
    return [p.data.copy() for p in ps]


# ---------------------------------------------------------------- signatures

@pytest.mark.parametrize("name", sorted(CLASSES))
def test_signatures_match_pytorch(name):
    torch = pytest.importorskip("torch")
    ours = inspect.signature(CLASSES[name])
    theirs = inspect.signature(getattr(torch.optim, name))
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == \
        [(p.name, p.kind, p.default) for p in theirs.parameters.values()]


def test_positional_arguments_follow_pytorch_order():
    p = Parameter(W0.copy())
    sgd = SGD([p], 0.1, 0.9, 0.5, 0.01, False)
    assert sgd.param_groups[0]["dampening"] == 0.5 and sgd.param_groups[0]["weight_decay"] == 0.01
    rms = RMSprop([p], 0.1, 0.9, 1e-6, 0.01, 0.5, True)
    group = rms.param_groups[0]
    assert (group["weight_decay"], group["momentum"], group["centered"]) == (0.01, 0.5, True)


def test_defaults_are_pytorch_2s():
    p = Parameter(W0.copy())
    assert SGD([p]).defaults["lr"] == 1e-3
    assert AdamW([p]).defaults["weight_decay"] == 0.01
    assert Adam([p]).defaults["amsgrad"] is False


@pytest.mark.parametrize("cls, flag", [(SGD, "differentiable"), (Adam, "capturable"), (RMSprop, "differentiable")])
def test_unsupported_flags_raise_naming_them(cls, flag):
    with pytest.raises(NotImplementedError, match=flag):
        cls([Parameter(W0.copy())], **{flag: True})


# ---------------------------------------------------------------- parameter groups

def test_groups_take_their_own_settings_and_the_defaults_for_the_rest():
    a, b = Parameter(W0.copy()), Parameter(W0.copy())
    opt = SGD([{"params": [a]}, {"params": b, "lr": 0.5, "name": "head"}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["name"] == "head" and opt.param_groups[1]["params"] == [b]
    a.grad, b.grad = Tensor(GRADS[0].copy()), Tensor(GRADS[0].copy())
    opt.step()
    np.testing.assert_allclose(a.data, W0 - 0.1 * GRADS[0], rtol=1e-15)
    np.testing.assert_allclose(b.data, W0 - 0.5 * GRADS[0], rtol=1e-15)


def test_add_param_group():
    a, b = Parameter(W0.copy()), Parameter(W0.copy())
    opt = Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.01})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [Parameter(W0.copy())], "lr": -1.0})
    with pytest.raises(TypeError, match="param_group: expected a dict"):
        opt.add_param_group([Parameter(W0.copy())])
    with pytest.raises(TypeError, match="set"):
        SGD({a}, lr=0.1)
    assert len(opt.param_groups) == 2


def test_lr_attribute_reads_and_sets_every_group():
    a, b = Parameter(W0.copy()), Parameter(W0.copy())
    opt = SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    opt.lr *= 0.5
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.05] and opt.lr == 0.05
    opt.param_groups[1]["lr"] = 0.2
    with pytest.raises(AttributeError, match=r"param_groups\[i\]\['lr'\]"):
        opt.lr


def test_state_is_keyed_by_parameter():
    a, b = Parameter(W0.copy()), Parameter(W0.copy())
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    a.grad = Tensor(GRADS[0].copy())
    opt.step()
    np.testing.assert_array_equal(opt.state[a]["momentum_buffer"], GRADS[0])
    assert b not in opt.state and opt.state[b] == {}


def test_step_takes_a_closure_and_returns_its_loss():
    p = Parameter(W0.copy())
    opt = SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == pytest.approx((W0 ** 2).sum())
    np.testing.assert_allclose(p.data, W0 - 0.1 * 2 * W0)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_set_to_none(set_to_none):
    p = Parameter(W0.copy())
    p.grad = Tensor(GRADS[0].copy())
    opt = SGD([p], lr=0.1)
    opt.zero_grad() if set_to_none else opt.zero_grad(set_to_none=False)
    if set_to_none:
        assert p.grad is None
    else:
        np.testing.assert_array_equal(np.asarray(p.grad), np.zeros(3))


# ---------------------------------------------------------------- new options, by hand

def test_sgd_dampening_by_hand():
    lr, mu, d = 0.1, 0.9, 0.3
    (w,) = run_groups(SGD, [{}], GRADS[:3], lr=lr, momentum=mu, dampening=d)
    b = GRADS[0]                         # the first step copies the gradient
    e = W0 - lr * b
    for g in GRADS[1:3]:
        b = mu * b + (1 - d) * g
        e = e - lr * b
    np.testing.assert_allclose(w, e, rtol=1e-14)


def test_adam_amsgrad_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    (w,) = run_groups(Adam, [{}], GRADS, lr=lr, amsgrad=True)
    m = v = vmax = np.zeros(3)
    e = W0
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        e = e - lr * (m / (1 - b1 ** t)) / (np.sqrt(vmax / (1 - b2 ** t)) + eps)
    np.testing.assert_allclose(w, e, rtol=1e-12)


def test_rmsprop_centered_by_hand():
    lr, alpha, eps = 0.01, 0.9, 1e-6
    (w,) = run_groups(RMSprop, [{}], GRADS, lr=lr, alpha=alpha, eps=eps, centered=True)
    v = mean = np.zeros(3)
    e = W0
    for g in GRADS:
        v = alpha * v + (1 - alpha) * g * g
        mean = alpha * mean + (1 - alpha) * g
        e = e - lr * g / (np.sqrt(v - mean * mean) + eps)
    np.testing.assert_allclose(w, e, rtol=1e-12)


def test_maximize_ascends():
    (w,) = run_groups(SGD, [{}], GRADS[:1], lr=0.1, maximize=True)
    np.testing.assert_allclose(w, W0 + 0.1 * GRADS[0], rtol=1e-15)


# ---------------------------------------------------------------- state_dict

def stepped(cls, **kw):
    a, b, c = Parameter(W0.copy()), Parameter(W0[:2].copy()), Parameter(W0.copy())
    opt = cls([{"params": [a, b]}, {"params": [c], "lr": 0.05}], **kw)
    for g in GRADS[:2]:
        a.grad, c.grad = Tensor(g.copy()), Tensor(g.copy())
        opt.step()
    return opt, (a, b, c)


def test_state_dict_has_pytorchs_layout():
    opt, _ = stepped(Adam, lr=0.1, amsgrad=True)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert [g["lr"] for g in sd["param_groups"]] == [0.1, 0.05]
    assert set(sd["state"]) == {0, 2}               # the parameter without a gradient has no state
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"] == 2


def test_state_dict_keys_match_pytorch():
    torch = pytest.importorskip("torch")
    for name, kw in [("SGD", dict(momentum=0.9)), ("Adam", dict(amsgrad=True)), ("AdamW", {}),
                     ("RMSprop", dict(momentum=0.5, centered=True))]:
        tp = torch.nn.Parameter(torch.tensor(W0))
        topt = getattr(torch.optim, name)([tp], **kw)
        tp.grad = torch.tensor(GRADS[0])
        topt.step()
        opt, _ = stepped(CLASSES[name], **kw)
        ours, theirs = opt.state_dict(), topt.state_dict()
        assert set(ours["state"][0]) == set(theirs["state"][0]), name
        assert set(ours["param_groups"][0]) == set(theirs["param_groups"][0]), name


@pytest.mark.parametrize("cls, kw", [(SGD, dict(momentum=0.9, dampening=0.1)), (Adam, dict(amsgrad=True)),
                                     (AdamW, {}), (RMSprop, dict(momentum=0.5, centered=True))])
def test_state_dict_round_trip_through_a_checkpoint_resumes_exactly(cls, kw, tmp_path):
    opt_a, (a, b, c) = stepped(cls, lr=0.1, **kw)
    tinyconv.save({"optimizer": opt_a}, tmp_path / "c.npz")
    assert tinyconv.load(tmp_path / "c.npz")["optimizer"]["state"].keys() == {0, 2}
    a2, b2, c2 = (Parameter(p.data.copy()) for p in (a, b, c))
    opt_b = cls([{"params": [a2, b2]}, {"params": [c2]}], lr=0.7, **kw)
    tinyconv.load(tmp_path / "c.npz", into={"optimizer": opt_b})
    assert [g["lr"] for g in opt_b.param_groups] == [0.1, 0.05]
    for g in GRADS[2:]:
        for p in (a, c, a2, c2):
            p.grad = Tensor(g.copy())
        opt_a.step()
        opt_b.step()
    for p, q in ((a, a2), (c, c2)):
        np.testing.assert_array_equal(p.data, q.data)


def test_load_state_dict_refuses_mismatched_groups_and_the_old_format():
    opt, _ = stepped(Adam, lr=0.1)
    sd = opt.state_dict()
    other = Adam([Parameter(W0.copy())], lr=0.1)
    with pytest.raises(ValueError, match=r"param_groups: expected 1 groups?, got 2"):
        other.load_state_dict(sd)
    sd["state"][0]["exp_avg"] = sd["state"][0]["exp_avg"][:1]
    with pytest.raises(ValueError, match=r"state\[0\]\.exp_avg: expected float64 \(3,\)"):
        opt.load_state_dict(sd)
    with pytest.raises(ValueError, match="format of tinyconv 0.1"):
        opt.load_state_dict({"hyperparameters": {"lr": 0.1}, "state": [{}, {}, {}]})


# ---------------------------------------------------------------- against PyTorch

@pytest.mark.parametrize("name, kw", [
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.05, amsgrad=True, maximize=True)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
])
def test_groups_and_options_match_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    groups = [{}, {"lr": kw["lr"] / 3, "weight_decay": 0.1}]
    tps = [torch.nn.Parameter(torch.tensor(W0)) for _ in groups]
    topt = getattr(torch.optim, name)([dict(g, params=[p]) for g, p in zip(groups, tps)], **kw)
    for g in GRADS:
        for p in tps:
            p.grad = torch.tensor(g)
        topt.step()
    got = run_groups(CLASSES[name], groups, GRADS, **kw)
    for ours, theirs in zip(got, tps):
        np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=1e-10)
