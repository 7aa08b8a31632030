"""Subset: indexing through a list of indices, and its argument checks."""
import numpy as np
import pytest

from tinyconv.data import DataLoader, Subset, TensorDataset


def test_subset_indexes_through_its_indices():
    x, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    subset = Subset(TensorDataset(x, y), [7, 2, 2, 9])
    assert len(subset) == 4
    a, b = subset[1]
    np.testing.assert_array_equal(a, x[2])
    assert b == 2
    a, b = subset[np.array([3, 0])]
    np.testing.assert_array_equal(b, [9, 7])
    np.testing.assert_array_equal(subset[1:3][1], [2, 2])
    batches = [batch[1].data.tolist() for batch in DataLoader(subset, batch_size=3)]
    assert batches == [[7, 2, 2], [9]]


def test_subset_errors():
    ds = TensorDataset(np.arange(5))
    with pytest.raises(ValueError, match=r"indices: expected values in \[0, 5\), got \[0, 5\]"):
        Subset(ds, [0, 5])
    with pytest.raises(ValueError, match=r"indices: expected values in \[0, 5\), got \[-1, 2\]"):
        Subset(ds, [-1, 2])
    with pytest.raises(ValueError, match="indices: expected 1-D integers, got float64"):
        Subset(ds, [0.5])
    with pytest.raises(TypeError, match="dataset: expected an object with len"):
        Subset(3, [0])
    assert len(Subset(ds, [])) == 0
