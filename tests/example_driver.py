"""What the example tests share: :func:`load_example` imports any examples/<name>.py, and
:func:`synthetic_data` is a small stand-in for MNIST (no download). Run as a script
(``python example_driver.py ARGS...``) it runs examples/mnist_lenet.py on that stand-in in a
child process (the LeNet resume and MPI tests)."""
import importlib.util
import os
import sys

import numpy as np

from tinyconv.data import TensorDataset

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load_example(name="mnist_lenet"):
    """Import examples/<name>.py as a new module, its folder on the import path as when it runs
    as a script (the examples import ``common`` and each other from beside them)."""
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def synthetic_data(args, train=192, test=64):
    """Images (N, 1, 28, 28) float32 whose class is the brightest of ten bands, and labels."""
    rng = np.random.default_rng(5)

    def make(n):
        labels = rng.integers(0, 10, n)
        x = rng.normal(0, 0.5, (n, 1, 28, 28)).astype(np.float32)
        for i, label in enumerate(labels):
            x[i, 0, 2 * label + 4:2 * label + 6] += 2.0
        return TensorDataset(x, labels.astype(np.int64))
    return make(train), make(test)


def run(argv):
    example = load_example()
    example.load_data = synthetic_data
    return example.main(argv)


if __name__ == "__main__":  # as examples/mnist_lenet.py runs as a script
    load_example("common").run_script(lambda: run(sys.argv[1:]))
