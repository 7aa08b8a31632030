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


# --- RandomCrop, RandomHorizontalFlip, RandomRotation, ElasticDistortion ---------------------

from tinyconv.data import RandomCrop, RandomHorizontalFlip, RandomRotation, ElasticDistortion  # noqa: E402
from tinyconv.data.transforms import _rotate  # noqa: E402


def _augmenters(rng):
    return [RandomCrop(8, padding=2, rng=rng), RandomHorizontalFlip(rng=rng),
            RandomRotation(30, rng=rng), ElasticDistortion(alpha=8.0, sigma=2.0, rng=rng)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("batched", [True, False])
def test_augmenters_keep_shape_and_dtype(dtype, batched):
    x = np.random.default_rng(0).random((3, 2, 8, 8) if batched else (2, 8, 8)).astype(dtype)
    for t in _augmenters(np.random.default_rng(1)):
        out = t(x)
        assert out.shape == x.shape and out.dtype == x.dtype, repr(t)


def test_augmenters_same_seed_same_output_different_seed_differs():
    x = np.random.default_rng(0).random((6, 1, 8, 8)).astype(np.float32)
    for i in range(4):
        a, b, c = (_augmenters(np.random.default_rng(seed))[i] for seed in (3, 3, 4))
        out = a(x)
        assert np.array_equal(out, b(x)), repr(a)
        assert not np.array_equal(out, c(x)), repr(a)


def test_crop_output_size_and_identity():
    x = np.random.default_rng(0).random((2, 1, 7, 7)).astype(np.float32)
    assert RandomCrop(5, padding=1)(x).shape == (2, 1, 5, 5)
    assert np.array_equal(RandomCrop(7)(x), x)


def test_flip_p0_identity_p1_mirror():
    x = np.random.default_rng(0).random((4, 2, 5, 6)).astype(np.float32)
    assert np.array_equal(RandomHorizontalFlip(p=0)(x), x)
    assert np.array_equal(RandomHorizontalFlip(p=1)(x), x[..., ::-1])
    assert np.array_equal(RandomHorizontalFlip(p=1)(x[0]), x[0, ..., ::-1])


def test_rotation_zero_identity_and_90_matches_rot90():
    x = np.random.default_rng(0).random((2, 1, 7, 7))
    assert np.allclose(RandomRotation(0)(x), x)
    assert np.allclose(_rotate(x, [90, 90]), np.rot90(x, axes=(2, 3)), atol=1e-9)


def test_elastic_alpha_zero_identity():
    x = np.random.default_rng(0).random((2, 1, 9, 9)).astype(np.float32)
    assert np.allclose(ElasticDistortion(alpha=0)(x), x)


@pytest.mark.parametrize("make, match", [
    (lambda: RandomCrop(0), "size"), (lambda: RandomCrop(3, padding=-1), "padding"),
    (lambda: RandomHorizontalFlip(p=1.5), "p"), (lambda: RandomRotation(-1), "max_degrees"),
    (lambda: ElasticDistortion(alpha=-1), "alpha"), (lambda: ElasticDistortion(sigma=0), "sigma"),
    (lambda: RandomRotation(10, rng=3), "rng")])
def test_augmenters_bad_arguments(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_augmenters_bad_input():
    with pytest.raises(ValueError, match="expected x of shape"):
        RandomRotation(5)(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="RandomCrop"):
        RandomCrop(9)(np.zeros((1, 4, 4)))


def test_gaussian_blur_is_the_zero_padded_convolution():
    from tinyconv.data.transforms import _gaussian_blur
    fields = np.random.default_rng(0).uniform(-1, 1, (2, 3, 9, 11))
    sigma, r = 1.5, 6
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(fields, ((0, 0), (0, 0), (r, r), (r, r)))
    expected = np.zeros_like(fields)
    for a in range(2 * r + 1):
        for b in range(2 * r + 1):
            expected += k[a] * k[b] * padded[..., a:a + 9, b:b + 11]
    np.testing.assert_allclose(_gaussian_blur(fields, sigma), expected, rtol=0, atol=1e-14)


def test_bilinear_sample_whole_and_half_pixel_shifts():
    from tinyconv.data.transforms import _bilinear_sample
    x = np.random.default_rng(0).random((2, 3, 6, 7))
    yy, xx = np.meshgrid(np.arange(6.0), np.arange(7.0), indexing="ij")
    ys, xs = np.broadcast_to(yy + 1, (2, 6, 7)), np.broadcast_to(xx - 2, (2, 6, 7))
    shifted = np.full_like(x, 0.25)  # output (i, j) reads input (i + 1, j - 2); outside reads fill
    shifted[:, :, :5, 2:] = x[:, :, 1:, :5]
    np.testing.assert_allclose(_bilinear_sample(x, ys, xs, fill=0.25), shifted, atol=1e-15)
    half = _bilinear_sample(x, np.broadcast_to(yy, (2, 6, 7)), np.broadcast_to(xx + 0.5, (2, 6, 7)))
    np.testing.assert_allclose(half[..., :6], (x[..., :6] + x[..., 1:]) / 2, atol=1e-15)
    np.testing.assert_allclose(half[..., 6], x[..., 6] / 2, atol=1e-15)
    middle = _bilinear_sample(x, np.broadcast_to(yy + 0.5, (2, 6, 7)), np.broadcast_to(xx + 0.5, (2, 6, 7)))
    corners = (x[..., :5, :6] + x[..., :5, 1:] + x[..., 1:, :6] + x[..., 1:, 1:]) / 4
    np.testing.assert_allclose(middle[..., :5, :6], corners, atol=1e-15)


def test_random_apply_transforms_each_image_with_probability_p():
    from tinyconv.data import Lambda, RandomApply
    x = np.random.default_rng(0).random((400, 1, 4, 4)).astype(np.float32)
    flip = Lambda(lambda b: b[..., ::-1])
    assert np.array_equal(RandomApply([flip], p=0)(x), x)
    assert np.array_equal(RandomApply([flip], p=1)(x), x[..., ::-1])
    out = RandomApply([flip], p=0.25, rng=np.random.default_rng(1))(x)
    flipped = np.array([np.array_equal(o, i[..., ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert (flipped ^ kept).all() and 70 < flipped.sum() < 130
    assert np.array_equal(RandomApply([flip], p=1)(x[0]), x[0, ..., ::-1])
    assert out.dtype == x.dtype and repr(RandomApply([flip], p=0.25)) == "RandomApply([Lambda()], p=0.25)"


@pytest.mark.parametrize("make, error, match", [
    (lambda: __import__("tinyconv").data.RandomApply([1]), TypeError, r"transforms\[0\]: expected a callable"),
    (lambda: __import__("tinyconv").data.RandomApply([], p=1.5), ValueError, r"p: expected .*, got 1.5"),
    (lambda: __import__("tinyconv").data.RandomApply([], p="x"), TypeError, "p: expected")])
def test_random_apply_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
