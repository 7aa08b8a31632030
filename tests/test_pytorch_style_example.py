"""examples/pytorch_style.py (PyTorch's classic MNIST program on tinyconv) trains and tests on a
synthetic stand-in for MNIST, and saves a state dict that loads back into a new Net."""
import tinyconv as tc
from example_driver import load_example, synthetic_data


def test_the_pytorch_program_learns_and_saves_a_loadable_state_dict(tmp_path, monkeypatch):
    example = load_example("pytorch_style")
    train, test = synthetic_data(None, train=512, test=128)
    monkeypatch.setattr(example, "load_data", lambda args, transform: (train, test))
    monkeypatch.chdir(tmp_path)
    accuracy = example.main(["--epochs", "3", "--batch-size", "32", "--test-batch-size", "64", "--save-model"])
    assert accuracy > 0.5  # ten classes: chance is 0.1
    fresh = example.Net()
    fresh.load_state_dict(tc.load(tmp_path / "mnist_cnn.pt"))
    loader = tc.utils.data.DataLoader(test, batch_size=64)
    assert example.test(fresh, tc.device("cpu"), loader) == accuracy  # the saved weights are the trained ones
