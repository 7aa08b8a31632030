"""detect_anomaly(): the first NaN or Inf in a forward output or a gradient raises, naming the
Function and the user's line that created it; outside the block nothing is recorded."""
import inspect
import os
import re
import warnings

import numpy as np
import pytest

import tinyconv as tc
from tinyconv import Tensor, nn, functional as F

HERE = os.path.basename(__file__)


@pytest.fixture(autouse=True)
def quiet_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own warnings about log(-1) etc.
        yield


def line_of(marker):
    """Line number of the line in this file that holds ``marker`` (besides this call)."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()
    hits = [i + 1 for i, text in enumerate(lines) if marker in text and "line_of(" not in text]
    assert len(hits) == 1, hits
    return hits[0]


def test_forward_nan_names_the_function_and_the_user_line():
    x = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    with tc.detect_anomaly():
        with pytest.raises(tc.AnomalyError) as info:
            x.log()  # marker: forward-log
    message = str(info.value)
    assert message.startswith("detect_anomaly: Log.forward produced 1 NaN of 3 values (shape (3,)) in its output; "
                              "its inputs were finite.")
    assert f"Log was created at {__file__}:{line_of('marker: forward-log')} in " \
           "test_forward_nan_names_the_function_and_the_user_line" in message
    assert "\n    x.log()" in message  # the source line
    error = info.value
    assert isinstance(error, tc.NonFiniteError) and isinstance(error, ValueError)
    assert error.phase == "forward" and type(error.function).__name__ == "Log"
    assert error.site[0] == __file__ and error.site[1] == line_of("marker: forward-log")


def test_backward_inf_names_the_function_and_where_it_was_created():
    w = Tensor(np.array([0.0, 4.0]), requires_grad=True)
    with tc.detect_anomaly():
        root = w ** 0.5  # marker: sqrt
        loss = root.sum()
        with pytest.raises(tc.AnomalyError) as info:
            loss.backward()
    message = str(info.value)
    assert "Pow.backward produced 1 Inf of 2 values (shape (2,)) in the gradient of its input 0; " \
           "the gradient it received was finite" in message
    assert f"{HERE}:{line_of('marker: sqrt')}" in message
    assert info.value.phase == "backward"
    assert w.grad is None  # a failed backward leaves the leaves' gradients alone


def test_layers_show_the_user_line_and_the_path_through_tinyconv():
    tc.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model[2].weight.data[0, 0] = np.inf
    x = Tensor(np.ones((5, 3), np.float32))
    with tc.detect_anomaly():
        with pytest.raises(tc.AnomalyError) as info:
            model(x)  # marker: model-call
    message = str(info.value)
    assert "Linear.forward produced" in message
    assert "its input 1 already held NaN or Inf (data or parameters that came from outside the block)" in message
    assert f"{HERE}:{line_of('marker: model-call')}" in message
    assert re.search(r"through tinyconv: container\.py:\d+ forward -> linear\.py:\d+ forward", message), message


def test_a_nan_loss_in_a_training_step_is_caught_where_it_starts():
    tc.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2))
    x = Tensor(np.array([[1.0, 2.0]], np.float32))
    with tc.detect_anomaly():
        with pytest.raises(tc.AnomalyError, match=r"Div.forward produced .*NaN"):
            out = model(x)
            (out - out) / (out - out)  # marker: zero-over-zero


def test_finite_work_is_unchanged_inside_the_block():
    def step():
        tc.manual_seed(1)
        model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 3 * 3, 3))
        x = Tensor(np.random.default_rng(0).standard_normal((4, 1, 8, 8)).astype(np.float32))
        loss = F.softmax_cross_entropy(model(x), np.array([0, 1, 2, 0]))
        loss.backward()
        return loss.item(), [p.grad.clone() for p in model.parameters()]

    plain = step()
    with tc.detect_anomaly():
        checked = step()
    assert plain[0] == checked[0]
    for a, b in zip(plain[1], checked[1]):
        np.testing.assert_array_equal(a, b)


def test_outside_the_block_nothing_is_recorded_or_checked():
    assert not tc.is_anomaly_enabled()
    x = Tensor(np.array([-1.0]), requires_grad=True)
    y = x.log()
    assert y.creator.creation_site is None
    assert np.isnan(y.data).all()  # NumPy's answer, unchecked


def test_graph_built_outside_then_backward_inside():
    x = Tensor(np.array([0.0]), requires_grad=True)
    y = (x ** 0.5).sum()
    with tc.detect_anomaly():
        with pytest.raises(tc.AnomalyError, match=r"Pow was created outside detect_anomaly\(\), so its origin is "
                                                  r"unknown: run the forward pass inside the block too"):
            y.backward()


def test_nan_gradient_passed_to_backward():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with tc.detect_anomaly():
        y = x * 2
        with pytest.raises(tc.AnomalyError, match=r"the gradient passed to backward\(\) holds 1 NaN of 2 values"):
            y.backward(np.array([np.nan, 1.0]))


def test_nesting_switching_off_and_restoring_the_flag():
    with tc.detect_anomaly():
        assert tc.is_anomaly_enabled()
        with tc.detect_anomaly(enabled=False):
            assert not tc.is_anomaly_enabled()
            Tensor(np.array([-1.0])).log()  # not checked here
        assert tc.is_anomaly_enabled()
    assert not tc.is_anomaly_enabled()
    with pytest.raises(tc.AnomalyError):
        with tc.detect_anomaly():
            Tensor(np.array([-1.0])).log()
    assert not tc.is_anomaly_enabled()


def test_integer_outputs_are_not_checked():
    with tc.detect_anomaly():
        y = Tensor(np.array([1, 2])) * 3
    assert y.data.tolist() == [3, 6]


def test_non_finite_input_to_conv2d_is_a_non_finite_error_inside_detect_anomaly():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 1] = np.nan
    with tc.detect_anomaly(), pytest.raises(tc.NonFiniteError, match="x: expected finite values, got NaN or Inf"):
        F.conv2d(Tensor(x), Tensor(np.ones((1, 1, 3, 3), np.float32)))
    assert np.isnan(F.conv2d(Tensor(x), Tensor(np.ones((1, 1, 3, 3), np.float32))).data).all()  # outside: propagates
