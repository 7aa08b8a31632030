"""Deep belief networks: stacking, conversion to autograd networks, fine-tuning."""
import numpy as np
import pytest

import tinyconv as tc
from tinyconv import functional as F, nn


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    prototypes = (rng.random((3, 20)) < 0.5).astype(np.float32)
    labels = rng.integers(0, 3, 300)
    X = np.abs(prototypes[labels] - (rng.random((300, 20)) < 0.05)).astype(np.float32)
    return X, labels


@pytest.fixture(scope="module")
def dbn(data):
    return tc.DBN([20, 12, 8, 5], n_iter=20, batch_size=10, rng=np.random.default_rng(0)).fit(data[0])


def test_stack_shapes(dbn, data):
    assert [(r.n_features_in_, r.n_components) for r in dbn.rbms] == [(20, 12), (12, 8), (8, 5)]
    assert [r.visible for r in dbn.rbms] == ["bernoulli"] * 3
    assert dbn.transform(data[0]).shape == (300, 5)
    assert all(len(r.history_) == 20 for r in dbn.rbms)
    # the DBN's defaults are Hinton's recipe, not BernoulliRBM's
    assert all(not r.persistent and r.momentum == (0.5, 0.9) and r.weight_cost == 1e-4 for r in dbn.rbms)


def test_each_rbm_models_the_features_below(dbn, data):
    # the top features separate the three prototypes: each class has its own mean code
    codes = dbn.transform(data[0])
    means = np.array([codes[data[1] == c].mean(axis=0) for c in range(3)])
    assert min(np.abs(means[i] - means[j]).max() for i in range(3) for j in range(i)) > 0.3
    below = dbn.rbms[0].transform(data[0])
    np.testing.assert_allclose(dbn.rbms[2].transform(dbn.rbms[1].transform(below)), dbn.transform(data[0]), rtol=1e-6)


def test_classifier_encoder_equals_the_up_pass(dbn, data):
    model = dbn.to_classifier(3, rng=np.random.default_rng(0))
    assert isinstance(model, nn.Sequential) and len(model) == 2 * 3 + 1
    encoder = nn.Sequential(*list(model)[:-1])
    np.testing.assert_allclose(encoder(tc.Tensor(data[0])).data, dbn.transform(data[0]), rtol=1e-5, atol=1e-6)
    assert model(tc.Tensor(data[0])).shape == (300, 3)


def test_autoencoder_is_the_stack_and_its_transpose(dbn, data):
    autoencoder = dbn.to_autoencoder()
    encoder, decoder = autoencoder[0], autoencoder[1]
    np.testing.assert_allclose(encoder(tc.Tensor(data[0])).data, dbn.transform(data[0]), rtol=1e-5, atol=1e-6)
    linears = [m for m in decoder if isinstance(m, nn.Linear)]
    for layer, rbm in zip(linears, reversed(dbn.rbms)):
        np.testing.assert_array_equal(layer.weight.data, rbm.components_.T)
        np.testing.assert_array_equal(layer.bias.data, rbm.intercept_visible_)
    assert autoencoder(tc.Tensor(data[0])).shape == (300, 20)
    # the copies are independent of the RBMs
    linears[0].weight.data[...] = 0
    assert np.any(dbn.rbms[-1].components_ != 0)


def test_gaussian_visible_autoencoder_ends_linear():
    X = np.random.default_rng(0).normal(size=(100, 6)).astype(np.float32)
    dbn = tc.DBN([6, 4], visible="gaussian", learning_rate=0.01, n_iter=2, batch_size=20, rng=np.random.default_rng(0)).fit(X)
    assert isinstance(dbn.to_autoencoder()[1][-1], nn.Linear)


def test_short_fine_tune_lowers_the_loss(dbn, data):
    X, y = data
    model = dbn.to_classifier(3, rng=np.random.default_rng(0))
    optimizer = tc.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    losses = []
    for _ in range(30):
        loss = F.softmax_cross_entropy(model(tc.Tensor(X)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses
    assert (model(tc.Tensor(X)).data.argmax(axis=1) == y).mean() > 0.95


def test_bad_sizes():
    with pytest.raises(ValueError, match=r"layer_sizes: expected at least 2 sizes"):
        tc.DBN([10])
    with pytest.raises(TypeError, match="layer_sizes: expected a positive int, got float 2.5"):
        tc.DBN([4, 2.5])
    with pytest.raises(ValueError, match=r"X: expected an array \(N, 4\), got shape \(2, 5\)"):
        tc.DBN([4, 3]).fit(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="not fitted"):
        tc.DBN([4, 3]).to_classifier(2)
