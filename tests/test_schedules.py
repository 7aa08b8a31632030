"""Learning-rate schedules against their closed forms, ReduceLROnPlateau's patience, cooldown and
floor, checkpoints of schedules, and PyTorch where installed."""
import json
import math

import numpy as np
import pytest

import tinyconv
from tinyconv import Parameter
from tinyconv.optim import SGD, Adam, CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR

LR0 = 0.1


def optimizer(lr=LR0):
    return SGD([Parameter(np.zeros(2))], lr=lr)


def lrs(schedule, epochs):
    out = []
    for _ in range(epochs):
        schedule.step()
        out.append(schedule.optimizer.lr)
        assert schedule.get_last_lr() == [schedule.optimizer.lr]
    return out


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (7, 0.9)])
def test_step_lr_closed_form(step_size, gamma):
    s = StepLR(optimizer(), step_size, gamma)
    assert s.get_last_lr() == [LR0]
    got = lrs(s, 20)
    expected = [LR0 * gamma ** math.floor(t / step_size) for t in range(1, 21)]
    np.testing.assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize("gamma", [0.5, 0.95, 1.0])
def test_exponential_lr_closed_form(gamma):
    got = lrs(ExponentialLR(optimizer(), gamma), 15)
    np.testing.assert_allclose(got, [LR0 * gamma ** t for t in range(1, 16)], rtol=1e-14)


@pytest.mark.parametrize("T_max, eta_min", [(10, 0.0), (4, 0.01), (1, 0.05)])
def test_cosine_annealing_closed_form(T_max, eta_min):
    got = lrs(CosineAnnealingLR(optimizer(), T_max, eta_min), 3 * T_max)
    expected = [eta_min + (LR0 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2 for t in range(1, 3 * T_max + 1)]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    assert got[T_max - 1] == pytest.approx(eta_min, abs=1e-15)


def test_plateau_reduces_after_patience_bad_epochs():
    s = ReduceLROnPlateau(optimizer(), factor=0.5, patience=2)
    for metric in [1.0, 0.5, 0.25]:  # improving
        s.step(metric)
    assert s.get_last_lr() == [LR0]
    s.step(10.0)
    s.step(10.0)
    assert s.get_last_lr() == [LR0]          # two bad epochs: still within patience
    s.step(10.0)
    assert s.get_last_lr() == [LR0 * 0.5]    # the third exceeds it
    s.step(10.0)
    s.step(10.0)
    assert s.get_last_lr() == [LR0 * 0.5]    # counting starts again after a reduction
    s.step(10.0)
    assert s.get_last_lr() == [LR0 * 0.25]


def test_plateau_threshold_is_relative():
    s = ReduceLROnPlateau(optimizer(), patience=0, threshold=0.1)
    s.step(1.0)
    s.step(0.95)  # not 10% better than 1.0: a bad epoch, and patience 0
    assert s.get_last_lr() == [pytest.approx(LR0 * 0.1)]
    assert s.best == 1.0


def test_plateau_mode_max():
    s = ReduceLROnPlateau(optimizer(), mode="max", factor=0.5, patience=1)
    for metric in [0.5, 0.6, 0.7, 0.7]:
        s.step(metric)
    assert s.get_last_lr() == [LR0]
    s.step(0.69)
    assert s.get_last_lr() == [LR0 * 0.5]


def test_plateau_cooldown():
    s = ReduceLROnPlateau(optimizer(), factor=0.5, patience=0, cooldown=2)
    s.step(1.0)
    s.step(2.0)
    assert s.get_last_lr() == [LR0 * 0.5]
    s.step(2.0)
    s.step(2.0)
    assert s.get_last_lr() == [LR0 * 0.5]    # two epochs of cooldown: bad epochs not counted
    s.step(2.0)
    assert s.get_last_lr() == [LR0 * 0.25]


def test_plateau_min_lr():
    s = ReduceLROnPlateau(optimizer(), factor=0.1, patience=0, min_lr=0.005)
    s.step(1.0)
    for _ in range(5):
        s.step(1.0)
    assert s.get_last_lr() == [0.005]
    assert s.optimizer.lr == 0.005


def test_plateau_accepts_a_scalar_tensor():
    s = ReduceLROnPlateau(optimizer())
    s.step(tinyconv.Tensor(np.array(0.5)))
    assert s.best == 0.5


def make_all(opt):
    return {"step": StepLR(opt, 3, 0.5), "exp": ExponentialLR(opt, 0.9), "cos": CosineAnnealingLR(opt, 5, 0.01),
            "plateau": ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1)}


@pytest.mark.parametrize("name", ["step", "exp", "cos", "plateau"])
def test_state_dict_round_trip_through_a_checkpoint(name, tmp_path):
    metrics = [1.0, 0.9, 0.95, 0.97, 0.99, 0.98, 0.5, 0.6, 0.7, 0.8]
    opt_a = Adam([Parameter(np.zeros(2))], lr=LR0)
    a = make_all(opt_a)[name]

    def advance(s, metric):
        s.step(metric) if isinstance(s, ReduceLROnPlateau) else s.step()

    for m in metrics[:5]:
        advance(a, m)
    state = a.state_dict()
    json.dumps(state)  # plain data (ReduceLROnPlateau's best may be inf, which checkpoints store too)
    tinyconv.save({"optimizer": opt_a, "schedule": a}, tmp_path / "ckpt.npz")
    opt_b = Adam([Parameter(np.zeros(2))], lr=LR0)
    b = make_all(opt_b)[name]
    tinyconv.load(tmp_path / "ckpt.npz", into={"optimizer": opt_b, "schedule": b})
    assert b.state_dict() == state
    assert b.get_last_lr() == a.get_last_lr() and opt_b.lr == opt_a.lr
    for m in metrics[5:]:
        advance(a, m)
        advance(b, m)
        assert b.get_last_lr() == a.get_last_lr()
        assert opt_b.lr == opt_a.lr


def test_plateau_state_dict_with_infinite_best_survives_a_checkpoint(tmp_path):
    s = ReduceLROnPlateau(optimizer())
    tinyconv.save({"s": s}, tmp_path / "c.npz")
    t = ReduceLROnPlateau(optimizer(), mode="min")
    t.best = 0.0
    tinyconv.load(tmp_path / "c.npz", into={"s": t})
    assert t.best == math.inf


def test_load_state_dict_reports_problems_and_changes_nothing():
    s = StepLR(optimizer(), 2)
    with pytest.raises(ValueError, match="missing: gamma") as e:
        s.load_state_dict({"base_lrs": [1.0], "last_epoch": 3, "step_size": 2, "_step_count": 1, "_last_lr": [1.0],
                           "bogus": 1})
    assert "unexpected: bogus" in str(e.value)
    with pytest.raises(ValueError, match="base_lrs: expected a list, got a number"):
        s.load_state_dict(dict(s.state_dict(), base_lrs=1.0))
    assert s.last_epoch == 0 and s.base_lrs == [LR0]
    with pytest.raises(TypeError, match="state_dict"):
        s.load_state_dict([1, 2])


@pytest.mark.parametrize("make, exc, match", [
    (lambda o: StepLR(o, 0), ValueError, "step_size"),
    (lambda o: StepLR(o, 1.5), TypeError, "step_size"),
    (lambda o: StepLR(o, 2, gamma=0.0), ValueError, "gamma"),
    (lambda o: ExponentialLR(o, -0.5), ValueError, "gamma"),
    (lambda o: CosineAnnealingLR(o, 0), ValueError, "T_max"),
    (lambda o: CosineAnnealingLR(o, 5, eta_min=-1.0), ValueError, "eta_min"),
    (lambda o: ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode"),
    (lambda o: ReduceLROnPlateau(o, factor=1.0), ValueError, "factor"),
    (lambda o: ReduceLROnPlateau(o, patience=-1), ValueError, "patience"),
    (lambda o: ReduceLROnPlateau(o, cooldown=-1), ValueError, "cooldown"),
    (lambda o: ReduceLROnPlateau(o, min_lr=-1.0), ValueError, "min_lr"),
    (lambda o: StepLR("sgd", 2), TypeError, "optimizer"),
])
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make(optimizer())


def test_plateau_rejects_nan_and_non_numbers():
    s = ReduceLROnPlateau(optimizer())
    with pytest.raises(ValueError, match="metric"):
        s.step(float("nan"))
    with pytest.raises(TypeError, match="metric"):
        s.step("0.5")


@pytest.mark.parametrize("name, kw", [
    ("StepLR", dict(step_size=3, gamma=0.5)), ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001)),
])
def test_matches_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    tp = torch.nn.Parameter(torch.zeros(2))
    topt = torch.optim.SGD([tp], lr=LR0)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    ours = getattr(tinyconv.optim, name)(optimizer(), **kw)
    for _ in range(14 if name != "CosineAnnealingLR" else 7):
        topt.step()
        ts.step()
        ours.step()
        np.testing.assert_allclose(ours.get_last_lr(), ts.get_last_lr(), rtol=1e-10)


def test_plateau_matches_pytorch():
    torch = pytest.importorskip("torch")
    tp = torch.nn.Parameter(torch.zeros(2))
    topt = torch.optim.SGD([tp], lr=LR0)
    kw = dict(factor=0.5, patience=2, threshold=0.01, cooldown=1, min_lr=0.01)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    ours = ReduceLROnPlateau(optimizer(), **kw)
    metrics = np.random.default_rng(1).uniform(0.5, 1.0, size=40)
    for m in metrics:
        topt.step()
        ts.step(float(m))
        ours.step(float(m))
        assert ours.optimizer.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-12)


# ---------------------------------------------------------------- PyTorch's schedules, per group

from tinyconv.optim import lr_scheduler  # noqa: E402  (the import path PyTorch users type)


def two_groups(cls=SGD, lrs=(0.1, 0.01), **kw):
    return cls([{"params": [Parameter(np.zeros(2))], "lr": lr} for lr in lrs], **kw)


def group_lrs(opt):
    return [g["lr"] for g in opt.param_groups]


def test_schedules_set_every_group_from_its_own_base_lr():
    opt = two_groups()
    s = lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    assert s.base_lrs == [0.1, 0.01] and [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    for _ in range(4):
        s.step()
    assert s.get_last_lr() == group_lrs(opt)
    np.testing.assert_allclose(group_lrs(opt), [0.025, 0.0025], rtol=1e-15)


def test_multistep_lambda_linear_by_hand():
    opt = two_groups()
    s = lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.1)
    got = [s.get_last_lr()[0]] + [(s.step(), s.get_last_lr()[0])[1] for _ in range(6)]
    np.testing.assert_allclose(got, [0.1, 0.1, 0.01, 0.01, 0.01, 0.001, 0.001], rtol=1e-12)
    opt = two_groups()
    s = lr_scheduler.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 2.0])
    s.step()
    np.testing.assert_allclose(s.get_last_lr(), [0.05, 0.02], rtol=1e-15)
    opt = two_groups()
    s = lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
    got = [s.get_last_lr()[0]] + [(s.step(), s.get_last_lr()[0])[1] for _ in range(4)]
    np.testing.assert_allclose(got, [0.025, 0.05, 0.075, 0.1, 0.1], rtol=1e-12)


def test_one_cycle_by_hand():
    opt = two_groups(momentum=0.9)
    s = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=12, pct_start=0.5, anneal_strategy="linear",
                                div_factor=10.0, final_div_factor=100.0)
    got = [s.get_last_lr()[0]] + [(s.step(), s.get_last_lr()[0])[1] for _ in range(11)]
    up = np.linspace(0.1, 1.0, 6)
    np.testing.assert_allclose(got, list(up) + list(np.linspace(1.0, 0.001, 7)[1:]), rtol=1e-12)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)  # back to max_momentum at the end


def test_plateau_stops_cutting_below_eps():
    # the case: from 2e-5 with factor 0.5 a cut is skipped once it would change lr by <= eps
    s = lr_scheduler.ReduceLROnPlateau(optimizer(2e-5), factor=0.5, patience=0)
    for _ in range(40):
        s.step(1.0)
    assert s.get_last_lr() == [2e-5 * 0.5 ** 10]  # 1.95e-8: halving it would change lr by < 1e-8


def test_plateau_threshold_mode_abs_and_min_lr_per_group():
    opt = two_groups()
    s = lr_scheduler.ReduceLROnPlateau(opt, patience=0, threshold=0.1, threshold_mode="abs", min_lr=[0.05, 0.0])
    s.step(1.0)
    s.step(0.95)  # not 0.1 better in absolute terms
    np.testing.assert_allclose(s.get_last_lr(), [0.05, 0.001], rtol=1e-15)
    with pytest.raises(ValueError, match="threshold_mode"):
        lr_scheduler.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="min_lr"):
        lr_scheduler.ReduceLROnPlateau(opt, min_lr=[0.1])


SCHEDULES = [
    ("StepLR", dict(step_size=3, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 3, 7], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=4, eta_min=0.001)),
    ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=6)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e + 0.01 * e)),
    ("OneCycleLR", dict(max_lr=[0.5, 0.2], total_steps=13)),
    ("OneCycleLR", dict(max_lr=0.3, epochs=2, steps_per_epoch=6, three_phase=True, anneal_strategy="linear")),
]


@pytest.mark.parametrize("name, kw", SCHEDULES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULES)])
def test_schedules_match_pytorch(name, kw):
    torch = pytest.importorskip("torch")
    tps = [torch.nn.Parameter(torch.zeros(2)) for _ in range(2)]
    topt = torch.optim.SGD([{"params": [tps[0]], "lr": 0.1}, {"params": [tps[1]], "lr": 0.01}], momentum=0.9)
    theirs = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    opt = two_groups(momentum=0.9)
    ours = getattr(lr_scheduler, name)(opt, **kw)
    for _ in range(12):
        np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-12)
        np.testing.assert_allclose([g["momentum"] for g in opt.param_groups],
                                   [g["momentum"] for g in topt.param_groups], rtol=1e-12)
        topt.step()
        theirs.step()
        ours.step()


@pytest.mark.parametrize("kw", [dict(factor=0.5, patience=1, cooldown=2, min_lr=1e-4),
                                dict(mode="max", threshold=0.05, threshold_mode="abs", patience=0),
                                dict(factor=0.5, patience=0)])
def test_plateau_per_group_matches_pytorch(kw):
    torch = pytest.importorskip("torch")
    metrics = [1.0, 0.9, 0.95, 0.97, 0.9, 0.9, 0.5, 0.6, 0.7, 0.8] + [0.8] * 30
    topt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in (0.1, 2e-5)])
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    ours = lr_scheduler.ReduceLROnPlateau(two_groups(lrs=(0.1, 2e-5)), **kw)
    for m in metrics:
        theirs.step(m)
        ours.step(m)
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12)
