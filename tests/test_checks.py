"""One behaviour per kind of bad argument: the same kind of bad value raises the same exception
type with the same message form ("<argument>: expected <what>, got <value>") in functional, nn,
optim, data and checkpoint."""
import re

import numpy as np
import pytest

import tinyconv as tc
import tinyconv.functional as F
from tinyconv import nn, optim, snn
from tinyconv.data import DataLoader, transforms
from tinyconv.distributed import DistributedSampler
from tinyconv.distributed.buckets import bucket_cap_arg
from tinyconv.metrics import top_k_accuracy
from tinyconv.optim import lr_scheduler
from tinyconv.rbm import RBM

X = tc.Tensor(np.ones((2, 3), np.float32))
CLASSES = tc.Tensor(np.array([0, 2]))


def _fit_rbm(**options):
    return RBM(**options).fit(np.zeros((2, 4)))


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
    "functional: bool negative_slope": (lambda v: F.leaky_relu(X, v), "negative_slope"),
    "functional: bool num_classes": (lambda v: F.one_hot(CLASSES, v), "num_classes"),
    "functional: bool num_groups": (lambda v: F.group_norm(X, v), "num_groups"),
    "functional: bool normalized_shape": (lambda v: F.layer_norm(X, v), "normalized_shape"),
    "nn: bool negative_slope": (lambda v: nn.LeakyReLU(v), "negative_slope"),
    "nn: bool start_dim": (lambda v: nn.Flatten(v), "start_dim"),
    "nn: bool unflattened_size": (lambda v: nn.Unflatten(1, (v, 3)), "unflattened_size"),
    "snn: bool beta": (lambda v: snn.LIF(beta=v), "beta"),
    "snn: bool v_rest": (lambda v: snn.Tempotron(2, 2, v_rest=v), "v_rest"),
    "distributed: bool seed": (lambda v: DistributedSampler(range(4), 1, 0, seed=v), "seed"),
    "distributed: bool bucket_cap_mb": (lambda v: bucket_cap_arg(v), "bucket_cap_mb"),
    "rbm: bool learning_rate": (lambda v: _fit_rbm(learning_rate=v), "learning_rate"),
    "rbm: bool weight_cost": (lambda v: _fit_rbm(weight_cost=v), "weight_cost"),
    "random: bool seed": (lambda v: tc.manual_seed(v), "seed"),  # refused before the generator changes
    "creation: bool high": (lambda v: tc.randint(v, size=(2,)), "high"),
}

BAD_PATH = {
    "checkpoint: save": lambda v: tc.save({}, v),
    "checkpoint: load": lambda v: tc.load(v),
}

# (call, argument, the int next below its bound)
BAD_INT = {
    "nn: in_features": (lambda v: nn.Linear(v, 2), "in_features", 0),
    "optim: step_size": (lambda v: lr_scheduler.StepLR(optim.SGD(_params(), lr=0.1), v), "step_size", 0),
    "data: batch_size": (lambda v: DataLoader(list(range(4)), batch_size=v), "batch_size", 0),
    "data: RandomCrop size": (lambda v: transforms.RandomCrop(v), "size", 0),
    "functional: one_hot num_classes": (lambda v: F.one_hot(CLASSES, v), "num_classes", -2),
    "functional: group_norm num_groups": (lambda v: F.group_norm(X, v), "num_groups", 0),
    "functional: layer_norm normalized_shape": (lambda v: F.layer_norm(X, (v,)), "normalized_shape", 0),
    "distributed: num_replicas": (lambda v: DistributedSampler(range(4), v, 0), "num_replicas", 0),
    "distributed: epoch": (lambda v: DistributedSampler(range(4), 1, 0).set_epoch(v), "epoch", -1),
    "rbm: n_iter": (lambda v: _fit_rbm(n_iter=v), "n_iter", -1),
    "rbm: momentum_switch": (lambda v: _fit_rbm(momentum_switch=v), "momentum_switch", -1),
    "random: seed": (lambda v: tc.manual_seed(v), "seed", -1),
    "creation: linspace steps": (lambda v: tc.linspace(0, 1, v), "steps", -1),
    "metrics: top_k_accuracy k": (lambda v: top_k_accuracy(np.array([0, 1]), np.ones((2, 3)), k=v), "k", 0),
}

BAD_POSITIVE_NUMBER = {
    "functional: eps": (lambda v: F.layer_norm(X, (3,), eps=v), "eps"),
    "nn: eps": (lambda v: nn.BatchNorm1d(3, eps=v), "eps"),
    "optim: max_norm": (lambda v: optim.clip_grad_norm_(_params(), max_norm=v), "max_norm"),
    "optim: gamma": (lambda v: lr_scheduler.StepLR(optim.SGD(_params(), lr=0.1), 1, gamma=v), "gamma"),
    "snn: threshold of LIF": (lambda v: snn.LIF(threshold=v), "threshold"),
    "distributed: bucket_cap_mb": (lambda v: bucket_cap_arg(v), "bucket_cap_mb"),
    "rbm: learning_rate": (lambda v: _fit_rbm(learning_rate=v), "learning_rate"),
}

# NaN is a bad value (ValueError), never a bad type
NAN = {
    "functional: negative_slope": (lambda v: F.leaky_relu(X, v), "negative_slope"),
    "nn: negative_slope": (lambda v: nn.LeakyReLU(v), "negative_slope"),
    "snn: beta": (lambda v: snn.LIF(beta=v), "beta"),
    "snn: threshold of Tempotron": (lambda v: snn.Tempotron(2, 2, threshold=v), "threshold"),
    "snn: v_rest": (lambda v: snn.Tempotron(2, 2, v_rest=v), "v_rest"),
    "rbm: weight_cost": (lambda v: _fit_rbm(weight_cost=v), "weight_cost"),
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
    call, name, _ = BAD_INT[case]
    _expect(lambda: call(2.5), TypeError, name, "float 2.5")


@pytest.mark.parametrize("case", sorted(BAD_INT))
def test_an_int_below_its_bound_raises_value_error(case):
    call, name, below = BAD_INT[case]
    _expect(lambda: call(below), ValueError, name, str(below))


@pytest.mark.parametrize("value", [0, -1.5, float("nan")])
@pytest.mark.parametrize("case", sorted(BAD_POSITIVE_NUMBER))
def test_a_number_out_of_range_raises_value_error(case, value):
    call, name = BAD_POSITIVE_NUMBER[case]
    _expect(lambda: call(value), ValueError, name, str(value))


@pytest.mark.parametrize("case", sorted(NAN))
def test_nan_raises_value_error(case):
    call, name = NAN[case]
    _expect(lambda: call(float("nan")), ValueError, name, "nan")


def test_non_finite_error_is_one_class_under_its_public_names():
    from tinyconv import anomaly, validation
    assert tc.NonFiniteError is validation.NonFiniteError is anomaly.NonFiniteError
    assert issubclass(tc.NonFiniteError, ValueError) and issubclass(tc.AnomalyError, tc.NonFiniteError)
