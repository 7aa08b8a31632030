"""End to end: a tiny CNN learns a synthetic task, and training is deterministic on the CPU."""
import numpy as np

import tinyconv as tc
from tinyconv import Tensor, nn
from tinyconv.functional import softmax_cross_entropy


def quadrant_data(n=96, size=8, seed=0):
    """Noisy images whose class (0..3) is the quadrant that is bright."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 4
    rng.shuffle(labels)
    x = rng.normal(0.0, 0.3, (n, 1, size, size))
    h = size // 2
    for i, label in enumerate(labels):
        r, c = divmod(label, 2)
        x[i, 0, r * h:(r + 1) * h, c * h:(c + 1) * h] += 1.0
    return x.astype(np.float32), labels


def make_model():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4 * 4 * 4, 4))


def train(seed, steps=40, batch=32):
    tc.manual_seed(seed)
    model = make_model()
    x, y = quadrant_data()
    opt = tc.optim.Adam(model.parameters(), lr=0.02)
    order = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        idx = order.choice(len(x), batch, replace=False)
        opt.zero_grad()
        loss = softmax_cross_entropy(model(Tensor(x[idx])), y[idx])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


def full_loss_and_accuracy(model):
    x, y = quadrant_data()
    with tc.no_grad():
        logits = model(Tensor(x))
        loss = softmax_cross_entropy(logits, y).item()
    return loss, float((logits.data.argmax(axis=1) == y).mean())


def test_tiny_cnn_learns_the_quadrant_task():
    tc.manual_seed(1)
    initial_loss, initial_acc = full_loss_and_accuracy(make_model())
    model, losses = train(seed=1)
    final_loss, accuracy = full_loss_and_accuracy(model)
    assert np.isfinite(losses).all()
    assert final_loss < 0.5 * initial_loss, (initial_loss, final_loss)
    assert accuracy >= 0.95, accuracy
    assert initial_acc < 0.6  # the task is not solved before training
    assert all(p.dtype == np.float32 for p in model.parameters())


def test_training_is_deterministic_for_a_seed():
    a, losses_a = train(seed=3, steps=10)
    b, losses_b = train(seed=3, steps=10)
    assert losses_a == losses_b
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.data, pb.data, err_msg=name)
    c, _ = train(seed=4, steps=10)
    assert not np.array_equal(a[0].weight.data, c[0].weight.data)
