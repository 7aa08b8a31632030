"""RandomShift: vectorised, seeded random translations."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tinyconv.data import Compose, Normalize, RandomShift


@given(seed=st.integers(0, 2**32 - 1), shift=st.integers(0, 3), n=st.integers(1, 5), c=st.integers(1, 3))
def test_each_image_is_a_shifted_copy_within_the_bound(seed, shift, n, c):
    x = np.random.default_rng(seed).random((n, c, 9, 7)).astype(np.float32) + 1  # no zeros inside
    out = RandomShift(shift, rng=np.random.default_rng(seed))(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    padded = np.pad(x, ((0, 0), (0, 0), (shift, shift), (shift, shift)))
    for i in range(n):
        matches = [(dy, dx) for dy in range(2 * shift + 1) for dx in range(2 * shift + 1)
                   if np.array_equal(out[i], padded[i, :, dy:dy + 9, dx:dx + 7])]
        assert matches, "not a crop of the padded image"


def test_same_seed_same_shifts_and_shifts_vary():
    x = np.random.default_rng(0).random((50, 1, 8, 8)).astype(np.float32)
    a = RandomShift(2, rng=np.random.default_rng(3))(x)
    b = RandomShift(2, rng=np.random.default_rng(3))(x)
    np.testing.assert_array_equal(a, b)
    assert sum(not np.array_equal(a[i], x[i]) for i in range(50)) > 30  # 24 of 25 offsets move


def test_zero_shift_is_the_identity_and_single_images_work():
    x = np.random.default_rng(0).random((1, 5, 5)).astype(np.float64)
    np.testing.assert_array_equal(RandomShift(0)(x), x)
    assert RandomShift(1)(x).shape == (1, 5, 5)
    composed = Compose([RandomShift(1, rng=np.random.default_rng(0)), Normalize(0.5, 0.25)])
    assert composed(x[None]).shape == (1, 1, 5, 5)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"max_shift: expected a non-negative int, got -1"):
        RandomShift(-1)
    with pytest.raises(ValueError, match=r"max_shift: expected a non-negative int, got 1.5"):
        RandomShift(1.5)
    with pytest.raises(ValueError, match=r"RandomShift: expected x of shape \(C, H, W\) or \(N, C, H, W\)"):
        RandomShift(1)(np.zeros((4, 4)))
