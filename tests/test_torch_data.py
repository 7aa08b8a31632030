"""torch.utils.data idioms: Dataset, TensorDataset, random_split, default_collate and a DataLoader
over per-sample datasets, with PyTorch's arguments; compared with PyTorch where it is installed."""
import collections

import numpy as np
import pytest

import tinyconv as tc
from tinyconv.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler, SequentialSampler,
                                 Subset, TensorDataset, default_collate, default_convert, random_split)


class Squares(Dataset):
    """A per-sample dataset, as PyTorch users write them: __getitem__ takes one int."""

    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if not isinstance(i, int):
            raise TypeError(f"index must be an int, got {type(i).__name__}")
        return np.full((2,), i, dtype=np.float32), i * i


def values(batch):
    return [b.data.tolist() for b in batch]


def test_per_sample_dataset_batches_like_pytorch():
    batches = list(DataLoader(Squares(), batch_size=3))
    assert len(batches) == 3 and isinstance(batches[0], list)
    x, y = batches[0]
    assert x.data.dtype == np.float32 and x.data.shape == (3, 2) and y.data.dtype == np.int64
    assert values(batches[2]) == [[[6.0, 6.0]], [36]]


def test_batch_size_defaults_to_one():
    loader = DataLoader(Squares(4))
    assert loader.batch_size == 1 and len(loader) == 4
    assert [values(b)[1] for b in loader] == [[0], [1], [4], [9]]


def test_arguments_are_pytorchs_positional_order():
    sampler = [3, 1]
    loader = DataLoader(Squares(), 2, False, sampler, None, 0, lambda s: s, False, False)
    assert [sample[1] for sample in next(iter(loader))] == [9, 1]


def test_collate_fn_gets_the_list_of_samples():
    seen = []
    loader = DataLoader(Squares(5), batch_size=2, collate_fn=lambda samples: seen.append(samples) or len(samples))
    assert list(loader) == [2, 2, 1]
    assert [s[1] for s in seen[0]] == [0, 1]


def test_batch_size_none_gives_single_samples_converted():
    out = list(DataLoader(Squares(3), batch_size=None))
    x, y = out[1]
    assert type(x).__name__ == "Tensor" and x.data.tolist() == [1.0, 1.0] and y == 1


def test_batch_sampler_sets_the_batches():
    loader = DataLoader(Squares(), batch_sampler=[[0, 5], [6]])
    assert len(loader) == 2 and [values(b)[1] for b in loader] == [[0, 25], [36]]


def test_fast_path_matches_per_sample_path():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((11, 3)).astype(np.float32), rng.integers(0, 5, 11)
    fast = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, generator=np.random.default_rng(3))
    slow = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, generator=np.random.default_rng(3),
                      collate_fn=default_collate)
    for a, b in zip(fast, slow, strict=True):
        assert isinstance(a, list) and [t.data.dtype for t in a] == [t.data.dtype for t in b]
        for s, t in zip(a, b):
            np.testing.assert_array_equal(s.data, t.data)


@pytest.mark.parametrize("kwargs, match", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with batch_size"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
    (dict(generator=np.random.default_rng(0), rng=np.random.default_rng(0)), "generator: .*rng"),
    (dict(generator=3), "generator: expected a numpy.random.Generator"),
])
def test_bad_arguments_raise_pytorchs_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        DataLoader(Squares(), **kwargs)


def test_pin_memory_is_accepted():
    assert values(next(iter(DataLoader(Squares(2), batch_size=2, pin_memory=True)))) == [[[0, 0], [1, 1]], [0, 1]]


def test_iterable_dataset_is_refused_by_name():
    with pytest.raises(TypeError, match="map-style dataset"):
        DataLoader(iter(range(3)))


def test_default_collate_structures():
    Point = collections.namedtuple("Point", "x y")
    out = default_collate([{"a": 1, "b": (2.5, np.int64(3))}, {"a": 4, "b": (5.0, np.int64(6))}])
    assert out["a"].data.dtype == np.int64 and out["a"].data.tolist() == [1, 4]
    assert isinstance(out["b"], list) and out["b"][0].data.dtype == np.float64
    assert out["b"][1].data.tolist() == [3, 6]
    p = default_collate([Point(np.zeros(2), "u"), Point(np.ones(2), "v")])
    assert isinstance(p, Point) and p.x.data.shape == (2, 2) and p.y == ("u", "v")
    t = default_collate([tc.Tensor(np.ones(3)), tc.Tensor(np.zeros(3))])
    assert t.data.shape == (2, 3)
    assert default_collate([[1, 2], [3, 4]])[1].data.tolist() == [2, 4]


@pytest.mark.parametrize("batch, error, match", [
    ([np.zeros(2), np.zeros(3)], RuntimeError, r"stack expects each tensor to be equal size, but got \[2\] at entry 0 and \[3\] at entry 1"),
    ([[1, 2], [3]], RuntimeError, "each element in list of batch should be of equal size"),
    ([object(), object()], TypeError, "default_collate: batch must contain tensors, numpy arrays, numbers"),
])
def test_default_collate_errors(batch, error, match):
    with pytest.raises(error, match=match):
        default_collate(batch)


def test_default_convert():
    out = default_convert((np.arange(3), 2, "s"))
    assert isinstance(out, list) and out[0].data.tolist() == [0, 1, 2] and out[1:] == [2, "s"]


def test_tensor_dataset_items_and_tensors():
    x, y = tc.Tensor(np.arange(6.0).reshape(3, 2)), tc.Tensor(np.array([7, 8, 9]))
    ds = TensorDataset(x, y)
    a, b = ds[1]
    assert a.data.tolist() == [2.0, 3.0] and b.item() == 8
    assert len(ds.tensors) == 2 and ds.tensors[1].data.tolist() == [7, 8, 9]


def test_random_split_lengths_and_fractions():
    parts = random_split(range(10), [3, 7], generator=np.random.default_rng(0))
    assert [len(p) for p in parts] == [3, 7] and all(isinstance(p, Subset) for p in parts)
    assert sorted(int(p[i]) for p in parts for i in range(len(p))) == list(range(10))
    assert [len(p) for p in random_split(range(10), [0.25, 0.25, 0.5])] == [3, 2, 5]   # remainder round-robin
    same = [list(p.indices) for p in random_split(range(10), [3, 7], generator=np.random.default_rng(0))]
    assert same == [list(p.indices) for p in parts]


@pytest.mark.parametrize("lengths, match", [
    ([3, 3], "Sum of input lengths does not equal the length of the input dataset!"),
    ([0.5, 0.6], "Sum of input lengths does not equal the length of the input dataset!"),
    ([-1, 11], "lengths"),
])
def test_random_split_bad_lengths(lengths, match):
    with pytest.raises(ValueError, match=match):
        random_split(range(10), lengths)


def test_dataset_add_concatenates():
    both = Squares(2) + Squares(3)
    assert isinstance(both, ConcatDataset) and len(both) == 5 and both[3][1] == 1 and both[-1][1] == 4
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_samplers():
    assert list(SequentialSampler(range(3))) == [0, 1, 2]
    order = list(RandomSampler(range(5), generator=np.random.default_rng(1)))
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False)) == [[0, 1], [2, 3], [4]]
    assert len(BatchSampler(range(5), 2, drop_last=True)) == 2
    loader = DataLoader(Squares(5), sampler=RandomSampler(range(5), generator=np.random.default_rng(1)))
    assert [values(b)[1][0] for b in loader] == [i * i for i in order]


def test_torch_and_tinyconv_give_the_same_batches():
    torch = pytest.importorskip("torch")
    tdata = torch.utils.data

    class Pairs:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.arange(3, dtype=np.float32) + i, "y": i, "w": float(i) / 2}, (i, "s")

    for ours, theirs in zip(DataLoader(Pairs(), batch_size=2), tdata.DataLoader(Pairs(), batch_size=2), strict=True):
        assert type(ours) is type(theirs) and type(ours[1]) is type(theirs[1])
        for key in ("x", "y", "w"):
            assert str(ours[0][key].data.dtype) == str(theirs[0][key].dtype).replace("torch.", "")
            np.testing.assert_array_equal(ours[0][key].data, theirs[0][key].numpy())
        assert ours[1][1] == theirs[1][1]
    assert [len(p) for p in random_split(range(10), [0.3, 0.3, 0.4])] == \
        [len(p) for p in tdata.random_split(range(10), [0.3, 0.3, 0.4])]
    assert [len(p) for p in random_split(range(7), [0.5, 0.5])] == [len(p) for p in tdata.random_split(range(7), [0.5, 0.5])]


def test_to_tensor_scales_uint8_images_to_chw_floats():
    from tinyconv.data import transforms
    hw = np.array([[0, 255], [51, 102]], dtype=np.uint8)
    out = transforms.ToTensor()(hw)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2)
    np.testing.assert_allclose(out[0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    hwc = np.arange(24, dtype=np.uint8).reshape(2, 4, 3)
    np.testing.assert_array_equal(transforms.ToTensor()(hwc), hwc.transpose(2, 0, 1).astype(np.float32) / 255)
    chw = np.random.default_rng(0).random((1, 4, 4)).astype(np.float32)   # a tinyconv dataset's image
    assert transforms.ToTensor()(chw) is chw
    with pytest.raises(TypeError, match="pic: expected"):
        transforms.ToTensor()("image.png")


def test_mnist_style_pipeline_runs_on_a_dataset_image():
    from tinyconv.data import transforms
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,)),
                                   transforms.Lambda(lambda x: x * 2)])
    x = np.full((1, 2, 2), 0.5, dtype=np.float32)
    np.testing.assert_allclose(pipeline(x), np.full((1, 2, 2), 2 * (0.5 - 0.1307) / 0.3081), rtol=1e-6)


def test_normalize_per_channel_and_inplace():
    from tinyconv.data import transforms
    x = np.ones((3, 2, 2), dtype=np.float32)
    norm = transforms.Normalize([0.5, 0.0, 1.0], [0.5, 2.0, 1.0], inplace=True)
    out = norm(x)
    assert out is x and out[:, 0, 0].tolist() == [1.0, 0.5, 0.0]
    y = np.ones((3, 2, 2), dtype=np.float32)
    transforms.Normalize([0.5, 0.0, 1.0], [0.5, 2.0, 1.0])(y)
    assert y.tolist() == np.ones((3, 2, 2)).tolist()
