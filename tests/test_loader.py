"""DataLoader: batching, shuffling and argument checks."""
import numpy as np
import pytest

from tinyconv.data import DataLoader, TensorDataset


def make(n=10, **kw):
    ds = TensorDataset(np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n))
    return DataLoader(ds, **kw)


def labels(loader):
    return [batch[1].data.tolist() for batch in loader]


@pytest.mark.parametrize("n, b, drop_last, sizes", [
    (10, 3, False, [3, 3, 3, 1]), (10, 3, True, [3, 3, 3]), (9, 3, False, [3, 3, 3]),
    (9, 3, True, [3, 3, 3]), (2, 5, False, [2]), (2, 5, True, []), (0, 4, False, [])])
def test_batch_count(n, b, drop_last, sizes):
    loader = make(n, batch_size=b, drop_last=drop_last)
    assert len(loader) == len(sizes)
    assert [len(l) for l in labels(loader)] == sizes


def test_batches_are_tensors_in_order():
    batches = list(make(5, batch_size=2))
    x, y = batches[0]
    assert type(x).__name__ == "Tensor" and not x.requires_grad
    assert x.data.shape == (2, 2) and x.data.dtype == np.float32 and y.data.dtype.kind == "i"
    assert labels(make(5, batch_size=2)) == [[0, 1], [2, 3], [4]]


class Recorder:
    def __init__(self):
        self.seen = []

    def __len__(self):
        return 7

    def __getitem__(self, index):
        self.seen.append(index)
        return np.asarray(index) * 10


def test_dataset_indexed_with_python_ints():
    ds = Recorder()
    batches = list(DataLoader(ds, batch_size=3))
    assert ds.seen == list(range(7)) and all(type(i) is int for i in ds.seen)
    assert batches[2].data.tolist() == [60]


def test_get_batch_called_once_per_batch_with_int64_array():
    class Batched(Recorder):
        get_batch = Recorder.__getitem__

    ds = Batched()
    batches = list(DataLoader(ds, batch_size=3))
    assert len(ds.seen) == 3 and all(i.dtype == np.int64 and i.ndim == 1 for i in ds.seen)
    assert batches[2].data.tolist() == [60]


def test_shuffle_covers_every_index_once_per_epoch():
    loader = make(23, batch_size=4, shuffle=True, rng=np.random.default_rng(1))
    epochs = [sum(labels(loader), []) for _ in range(3)]
    for order in epochs:
        assert sorted(order) == list(range(23))
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2]
    assert epochs[0] != list(range(23))


def test_shuffle_same_seed_same_orders():
    a = make(50, batch_size=8, shuffle=True, rng=np.random.default_rng(7))
    b = make(50, batch_size=8, shuffle=True, rng=np.random.default_rng(7))
    c = make(50, batch_size=8, shuffle=True, rng=np.random.default_rng(8))
    assert [labels(a), labels(a)] == [labels(b), labels(b)]
    assert labels(a) != labels(c)


def test_shuffle_default_rng_is_seeded():
    from tinyconv.random import manual_seed
    manual_seed(3)
    a = labels(make(30, batch_size=30, shuffle=True))
    manual_seed(3)
    assert labels(make(30, batch_size=30, shuffle=True)) == a


@pytest.mark.parametrize("bad, err", [(0, ValueError), (-2, ValueError), (2.0, TypeError),
                                      (True, TypeError), ("4", TypeError)])
def test_bad_batch_size(bad, err):
    with pytest.raises(err, match="batch_size: expected a positive int or None, got"):
        make(batch_size=bad)


def test_bad_rng():
    with pytest.raises(TypeError, match="rng"):
        make(rng=42)
