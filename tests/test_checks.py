"""One behaviour per kind of bad argument: the same kind of bad value raises the same exception
type with the same message form ("<argument>: expected <what>, got <value>") in functional, nn,
optim, data and checkpoint."""
import re

import numpy as np
import pytest

import tinyconv as tc
import tinyconv.functional as F
from tinyconv import nn, optim
from tinyconv.data import DataLoader, transforms
from tinyconv.optim import lr_scheduler

X = tc.Tensor(np.ones((2, 3), np.float32))


def _params():
    return nn.Linear(2, 2).parameters()


# (call, exception, argument, what the message says came)
BAD_TYPE = {
    "functional: bool eps": (lambda v: F.batch_norm(X, None, None, training=True, eps=v), "eps"),
    "functional: bool label_smoothing": (lambda v: F.cross_entropy(X, np.array([0, 1]), label_smoothing=v),
                                         "label_smoothing"),
    "nn: bool eps": (lambda v: nn.BatchNorm1d(3, eps=v), "eps"),
    "nn: bool eps of LayerNorm": (lambda v: nn.LayerNorm(3, eps=v), "eps"),
    "optim: bool lr": (lambda v: optim.SGD(_params(), lr=v), "lr"),
    "optim: bool max_norm": (lambda v: optim.clip_grad_norm_(_params(), max_norm=v), "max_norm"),
    "optim: bool gamma": (lambda v: lr_scheduler.StepLR(optim.SGD(_params(), lr=0.1), 1, gamma=v), "gamma"),
    "data: bool max_degrees": (lambda v: transforms.RandomRotation(v), "max_degrees"),
    "data: bool batch_size": (lambda v: DataLoader(list(range(4)), batch_size=v), "batch_size"),
}

BAD_PATH = {
    "checkpoint: save": lambda v: tc.save({}, v),
    "checkpoint: load": lambda v: tc.load(v),
}

BAD_INT = {
    "nn: in_features": (lambda v: nn.Linear(v, 2), "in_features"),
    "optim: step_size": (lambda v: lr_scheduler.StepLR(optim.SGD(_params(), lr=0.1), v), "step_size"),
    "data: batch_size": (lambda v: DataLoader(list(range(4)), batch_size=v), "batch_size"),
    "data: RandomCrop size": (lambda v: transforms.RandomCrop(v), "size"),
}

BAD_POSITIVE_NUMBER = {
    "functional: eps": (lambda v: F.layer_norm(X, (3,), eps=v), "eps"),
    "nn: eps": (lambda v: nn.BatchNorm1d(3, eps=v), "eps"),
    "optim: max_norm": (lambda v: optim.clip_grad_norm_(_params(), max_norm=v), "max_norm"),
    "optim: gamma": (lambda v: lr_scheduler.StepLR(optim.SGD(_params(), lr=0.1), 1, gamma=v), "gamma"),
}


def _expect(call, exception, name, got):
    with pytest.raises(exception) as info:
        call()
    message = str(info.value)
    assert re.fullmatch(rf"{re.escape(name)}: expected [^:]+, got {re.escape(got)}", message), message


@pytest.mark.parametrize("value, got", [(True, "bool True"), ("1", "str '1'")])
@pytest.mark.parametrize("case", sorted(BAD_TYPE))
def test_a_value_of_the_wrong_type_raises_type_error_naming_the_argument(case, value, got):
    call, name = BAD_TYPE[case]
    _expect(lambda: call(value), TypeError, name, got)


@pytest.mark.parametrize("value, got", [(True, "bool True"), (2.5, "float 2.5"), (None, "NoneType None")])
@pytest.mark.parametrize("case", sorted(BAD_PATH))
def test_a_path_that_is_not_a_path_raises_type_error(case, value, got):
    _expect(lambda: BAD_PATH[case](value), TypeError, "path", got)


@pytest.mark.parametrize("case", sorted(BAD_INT))
def test_a_float_where_an_int_is_expected_raises_type_error(case):
    call, name = BAD_INT[case]
    _expect(lambda: call(2.5), TypeError, name, "float 2.5")


@pytest.mark.parametrize("case", sorted(BAD_INT))
def test_an_int_below_its_bound_raises_value_error(case):
    call, name = BAD_INT[case]
    _expect(lambda: call(0), ValueError, name, "0")


@pytest.mark.parametrize("value", [0, -1.5, float("nan")])
@pytest.mark.parametrize("case", sorted(BAD_POSITIVE_NUMBER))
def test_a_number_out_of_range_raises_value_error(case, value):
    call, name = BAD_POSITIVE_NUMBER[case]
    _expect(lambda: call(value), ValueError, name, str(value))


def test_non_finite_error_is_one_class_under_its_public_names():
    from tinyconv import anomaly, validation
    assert tc.NonFiniteError is validation.NonFiniteError is anomaly.NonFiniteError
    assert issubclass(tc.NonFiniteError, ValueError) and issubclass(tc.AnomalyError, tc.NonFiniteError)
