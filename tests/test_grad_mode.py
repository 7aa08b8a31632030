"""Grad mode and anomaly mode are per thread, as in PyTorch: a no_grad() or detect_anomaly()
in one thread leaves every other thread alone, and a new thread starts with gradients on and
anomaly detection off."""
import threading

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor


def run_in_thread(fn):
    """Run ``fn`` in a new thread and return its result (re-raising what it raised)."""
    result = {}

    def target():
        try:
            result["value"] = fn()
        except BaseException as e:  # handed back to the test
            result["error"] = e

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the thread did not finish"
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_no_grad_in_one_thread_leaves_another_thread_recording():
    inside, recorded = threading.Event(), threading.Event()

    def evaluator():
        with tc.no_grad():
            inside.set()
            assert recorded.wait(timeout=60)
            return tc.is_grad_enabled()

    def trainer():
        assert inside.wait(timeout=60)  # the other thread is inside no_grad() now
        try:
            w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
            y = (w * w).sum()
            if y.requires_grad:
                y.backward()
            return tc.is_grad_enabled(), y.requires_grad, w.grad
        finally:
            recorded.set()

    results = {}
    threads = [threading.Thread(target=lambda: results.__setitem__("eval", evaluator())),
               threading.Thread(target=lambda: results.__setitem__("train", trainer()))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert results["eval"] is False
    enabled, requires_grad, grad = results["train"]
    assert enabled and requires_grad
    np.testing.assert_array_equal(grad, [2.0, 4.0])


def test_a_new_thread_starts_with_grad_enabled_and_anomaly_off():
    with tc.no_grad(), tc.detect_anomaly():
        assert run_in_thread(lambda: (tc.is_grad_enabled(), tc.anomaly.is_anomaly_enabled())) == (True, False)
        assert not tc.is_grad_enabled() and tc.anomaly.is_anomaly_enabled()


def test_detect_anomaly_in_another_thread_does_not_check_this_one():
    inside, done = threading.Event(), threading.Event()

    def other():
        with tc.detect_anomaly():
            inside.set()
            assert done.wait(timeout=60)
            return tc.anomaly.is_anomaly_enabled()

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert inside.wait(timeout=60)  # the other thread is inside detect_anomaly() now
        enabled = tc.anomaly.is_anomaly_enabled()
        x = Tensor(np.array([-1.0]), requires_grad=True)
        with np.errstate(invalid="ignore"):
            y = x.log()  # NaN, but no AnomalyError in this thread
    finally:
        done.set()
        thread.join(timeout=60)
    assert not enabled
    assert np.isnan(y.data).all()


def test_enable_grad_inside_no_grad():
    w = Tensor(np.array([3.0]), requires_grad=True)
    with tc.no_grad():
        with tc.enable_grad():
            assert tc.is_grad_enabled()
            y = w * w
        assert not tc.is_grad_enabled()
    assert y.requires_grad


def test_set_grad_enabled_as_a_context_manager_restores_the_mode():
    with tc.set_grad_enabled(False):
        assert not tc.is_grad_enabled()
        with tc.set_grad_enabled(True):
            assert tc.is_grad_enabled()
        assert not tc.is_grad_enabled()
    assert tc.is_grad_enabled()


def test_set_grad_enabled_as_a_function_sets_the_mode_at_once():
    try:
        tc.set_grad_enabled(False)
        assert not tc.is_grad_enabled()
        assert not (Tensor(np.array([1.0]), requires_grad=True) * 2).requires_grad
    finally:
        tc.set_grad_enabled(True)
    assert tc.is_grad_enabled()


def test_set_grad_enabled_restores_the_mode_after_an_exception():
    with pytest.raises(KeyError):
        with tc.set_grad_enabled(False):
            raise KeyError("boom")
    assert tc.is_grad_enabled()


@pytest.mark.parametrize("mode", [1, "False", None])
def test_set_grad_enabled_refuses_a_mode_that_is_not_a_bool(mode):
    with pytest.raises(TypeError, match=r"mode: expected a bool, got " + type(mode).__name__):
        tc.set_grad_enabled(mode)
    assert tc.is_grad_enabled()
