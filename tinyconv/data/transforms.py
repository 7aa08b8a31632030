"""Transforms applied by datasets to float image arrays of shape (..., C, H, W).

The vision-style transforms' import path, as ``torchvision.transforms``:
``from tinyconv.data import transforms`` then ``transforms.Compose([transforms.ToTensor(),
transforms.Normalize((0.1307,), (0.3081,))])``. tinyconv's image datasets hand each transform
float32 arrays (C, H, W) (or (N, C, H, W) for a batch) already scaled to [0, 1], where
torchvision's hand over PIL images; the transforms return NumPy arrays, and the DataLoader
makes the Tensors.
"""
import numpy as np

from ..random import resolve_rng
from ..validation import integer, number, positive_real

#: Mean and standard deviation of the MNIST training pixels scaled to [0, 1].
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class Normalize:
    """``(x - mean) / std`` per channel, on arrays of shape (..., C, H, W); keeps x's dtype.

    Args:
        mean, std: a number (all channels) or a sequence of C numbers.
        inplace: write the result into x (a NumPy array) and return x.

    Raises:
        ValueError: ``mean``/``std`` are not scalars or 1-d, any std is not > 0, their lengths
            differ, or (on call) their length is neither 1 nor x's C.
    """

    def __init__(self, mean, std, inplace=False):
        self.inplace = bool(inplace)
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError(f"Normalize: expected scalar or 1-d mean and std, "
                             f"got shapes {self.mean.shape} and {self.std.shape}")
        if not np.all(self.std > 0):
            raise ValueError(f"Normalize: expected std > 0, got {self.std.tolist()}")
        if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
            raise ValueError(f"Normalize: expected mean and std of the same length, "
                             f"got {len(self.mean)} and {len(self.std)}")

    def __call__(self, x):
        c = max(len(self.mean), len(self.std))
        if c != 1 and (x.ndim < 3 or x.shape[-3] != c):
            raise ValueError(f"Normalize: expected x of shape (..., {c}, H, W), got {x.shape}")
        shape = (-1, 1, 1) if c != 1 else ()
        mean, std = (np.broadcast_to(a, (c,)).reshape(shape).astype(x.dtype)
                     for a in (self.mean, self.std))
        if self.inplace:
            x -= mean
            x /= std
            return x
        return ((x - mean) / std).astype(x.dtype, copy=False)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()}, inplace={self.inplace})"


class ToTensor:
    """Images to float32 (C, H, W) arrays in [0, 1], as torchvision's ``ToTensor``: a uint8
    array (H, W) or (H, W, C), or a PIL image (anything ``np.asarray`` makes one of those), is
    scaled by 1/255 and put channels first; other integer dtypes are put channels first and
    keep their dtype, unscaled; a float (H, W) array gets a channel axis, unscaled.

    A float array of 3 or 4 dimensions is taken as what tinyconv's datasets hand to transforms,
    (C, H, W) or (N, C, H, W) already in [0, 1], and returned unchanged; so ``ToTensor()``
    leads a pipeline given to :class:`MNIST` as it does in PyTorch. Unlike torchvision, a float
    (H, W, C) array is therefore not transposed (transpose it yourself), and the result is a
    NumPy array, not a Tensor.

    Raises:
        TypeError: ``pic`` is not an array or image of numbers.
        ValueError: an integer array of other than 2 or 3 dimensions.
    """

    def __call__(self, pic):
        array = pic if isinstance(pic, np.ndarray) else np.asarray(pic) if hasattr(pic, "__array_interface__") \
            or hasattr(pic, "__array__") else None
        if array is None or array.dtype.kind not in "biuf":
            raise TypeError(f"pic: expected a PIL image or a numeric ndarray, got {type(pic).__name__}")
        if array.dtype.kind == "f":
            return array[None] if array.ndim == 2 else array
        if array.ndim not in (2, 3):
            raise ValueError(f"pic: expected an image (H, W) or (H, W, C), got shape {array.shape}")
        chw = np.ascontiguousarray(array[None] if array.ndim == 2 else array.transpose(2, 0, 1))
        return chw.astype(np.float32) / np.float32(255) if array.dtype == np.uint8 else chw

    def __repr__(self):
        return "ToTensor()"


class Lambda:
    """Apply the callable ``lambd`` as a transform, as torchvision's ``Lambda``.

    Raises:
        TypeError: ``lambd`` is not callable.
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"lambd: expected a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self):
        return "Lambda()"


class RandomShift:
    """Shift each image of a batch by its own random offset of at most ``max_shift`` pixels in
    each direction, filling with ``fill`` (a crop of the zero-padded image; the common MNIST
    augmentation, e.g. Simard, Steinkraus & Platt 2003 use such small distortions). Works on
    (C, H, W) or (N, C, H, W) arrays, vectorised over the batch; keeps the dtype.

    Args:
        max_shift: non-negative int. fill: the value shifted in (apply before Normalize for 0 to
            be the background). rng: numpy Generator (default: the framework's seeded one).

    Raises:
        ValueError: ``max_shift`` is not a non-negative int; (on call) x has fewer than 3 dims.
    """

    def __init__(self, max_shift, fill=0.0, rng=None):
        if isinstance(max_shift, bool) or not isinstance(max_shift, (int, np.integer)) or max_shift < 0:
            raise ValueError(f"max_shift: expected a non-negative int, got {max_shift!r}")
        self.max_shift, self.fill, self.rng = int(max_shift), fill, resolve_rng(rng)

    def __call__(self, x):
        if x.ndim < 3:
            raise ValueError(f"RandomShift: expected x of shape (C, H, W) or (N, C, H, W), got {x.shape}")
        batch = x if x.ndim == 4 else x[None]
        s = self.max_shift
        n, c, h, w = batch.shape
        padded = np.pad(batch, ((0, 0), (0, 0), (s, s), (s, s)), constant_values=self.fill)
        dy, dx = self.rng.integers(0, 2 * s + 1, (2, n))
        rows = (dy[:, None] + np.arange(h))[:, None, :, None]
        cols = (dx[:, None] + np.arange(w))[:, None, None, :]
        out = padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]
        return out if x.ndim == 4 else out[0]

    def __repr__(self):
        return f"RandomShift(max_shift={self.max_shift}, fill={self.fill})"


class Compose:
    """Apply ``transforms`` (callables on arrays) one after another.

    Raises:
        TypeError: an element of ``transforms`` is not callable.
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"transforms[{i}]: expected a callable, got {type(t).__name__}")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class RandomApply:
    """Apply ``transforms`` one after another to an image with probability ``p`` (torchvision's
    RandomApply, same arguments and default p=0.5); the other images pass unchanged. Works on
    (C, H, W) or (N, C, H, W): on a batch each image draws its own, as tinyconv's other random
    transforms do (torchvision draws once for the whole tensor). The transforms must keep the
    shape and dtype.

    Raises:
        TypeError: an element of ``transforms`` is not callable, or ``p`` is not a number.
        ValueError: ``p`` is not in [0, 1]; (on call) x is not 3-d or 4-d.
    """

    def __init__(self, transforms, p=0.5, rng=None):
        self.transforms = Compose(transforms)
        self.p = float(number("p", p, 0, 1, finite=True))
        self.rng = resolve_rng(rng)

    def __call__(self, x):
        batch = _as_batch("RandomApply", x)
        chosen = self.rng.random(batch.shape[0]) < self.p
        out = batch.copy()
        if chosen.any():
            out[chosen] = self.transforms(batch[chosen])
        return out if x.ndim == 4 else out[0]

    def __repr__(self):
        return f"RandomApply({self.transforms.transforms!r}, p={self.p})"


def _as_batch(name, x):
    if x.ndim not in (3, 4):
        raise ValueError(f"{name}: expected x of shape (C, H, W) or (N, C, H, W), got {x.shape}")
    return x if x.ndim == 4 else x[None]


def _bilinear_sample(batch, ys, xs, fill=0.0):
    """Sample ``batch`` (N, C, H, W) at source coordinates ``ys``, ``xs`` (N, H', W') with
    bilinear interpolation; points outside the image read ``fill``. Returns (N, C, H', W')
    in batch's dtype."""
    n, c, h, w = batch.shape
    padded = np.pad(batch.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=fill)
    padded = padded.reshape(n, c, -1)  # each image's pixels in one row: one gather per corner
    ys = np.clip(np.asarray(ys, dtype=np.float64) + 1, 0, h + 1)
    xs = np.clip(np.asarray(xs, dtype=np.float64) + 1, 0, w + 1)
    out_shape = ys.shape[-2:]
    y0 = np.minimum(np.floor(ys).astype(np.intp), h)
    x0 = np.minimum(np.floor(xs).astype(np.intp), w)
    wy, wx = (ys - y0).reshape(n, 1, -1), (xs - x0).reshape(n, 1, -1)
    corner = (y0 * (w + 2) + x0).reshape(n, 1, -1)

    def at(offset):
        return np.take_along_axis(padded, corner + offset, axis=2)
    out = ((1 - wy) * ((1 - wx) * at(0) + wx * at(1))
           + wy * ((1 - wx) * at(w + 2) + wx * at(w + 3)))
    return out.reshape(n, c, *out_shape).astype(batch.dtype, copy=False)


def _rotate(batch, degrees, fill=0.0):
    """Rotate each image of ``batch`` (N, C, H, W) by ``degrees[i]`` (counter-clockwise, as
    np.rot90) about its centre, bilinear; inverse-maps the output grid."""
    n, _, h, w = batch.shape
    theta = np.deg2rad(np.asarray(degrees, dtype=np.float64)).reshape(n, 1, 1)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    cos, sin = np.cos(theta), np.sin(theta)
    # image rows point down: a counter-clockwise turn on screen; the source of output (y, x)
    src_x = cos * xx - sin * yy + cx
    src_y = sin * xx + cos * yy + cy
    return _bilinear_sample(batch, src_y, src_x, fill)


class RandomCrop:
    """Pad each image by ``padding`` pixels of ``fill`` on every side, then crop a random
    ``size`` x ``size`` window per image (output H = W = size). Works on (C, H, W) or
    (N, C, H, W), vectorised over the batch; keeps the dtype.

    Raises:
        TypeError: ``size`` or ``padding`` is not an int.
        ValueError: ``size`` < 1, ``padding`` < 0; (on call) x is not 3-d or 4-d, or the padded image is smaller than ``size``.
    """

    def __init__(self, size, padding=0, fill=0.0, rng=None):
        self.size, self.padding = integer("size", size, 1), integer("padding", padding, 0)
        self.fill = fill
        self.rng = resolve_rng(rng)

    def __call__(self, x):
        batch = _as_batch("RandomCrop", x)
        n, c, h, w = batch.shape
        p, s = self.padding, self.size
        if h + 2 * p < s or w + 2 * p < s:
            raise ValueError(f"RandomCrop: expected padded image of at least {s}x{s}, "
                             f"got {h + 2 * p}x{w + 2 * p}")
        padded = np.pad(batch, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill)
        dy = self.rng.integers(0, h + 2 * p - s + 1, n)
        dx = self.rng.integers(0, w + 2 * p - s + 1, n)
        rows = (dy[:, None] + np.arange(s))[:, None, :, None]
        cols = (dx[:, None] + np.arange(s))[:, None, None, :]
        out = padded[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]
        return out if x.ndim == 4 else out[0]

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill})"


class RandomHorizontalFlip:
    """Flip each image left-right with probability ``p``. Works on (C, H, W) or (N, C, H, W);
    keeps the dtype.

    Raises:
        TypeError: ``p`` is not a number.
        ValueError: ``p`` is not in [0, 1]; (on call) x is not 3-d or 4-d.
    """

    def __init__(self, p=0.5, rng=None):
        self.p = float(number("p", p, 0, 1, finite=True))
        self.rng = resolve_rng(rng)

    def __call__(self, x):
        batch = _as_batch("RandomHorizontalFlip", x)
        flip = self.rng.random(batch.shape[0]) < self.p
        out = np.where(flip[:, None, None, None], batch[..., ::-1], batch)
        return out if x.ndim == 4 else out[0]

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class RandomRotation:
    """Rotate each image about its centre by its own angle drawn uniformly from
    [-max_degrees, max_degrees], with bilinear interpolation (the output grid is inverse-mapped
    into the input); pixels from outside read ``fill``. Works on (C, H, W) or (N, C, H, W);
    keeps the dtype.

    Raises:
        TypeError: ``max_degrees`` is not a number.
        ValueError: ``max_degrees`` is not finite and >= 0; (on call) x is not
            3-d or 4-d.
    """

    def __init__(self, max_degrees, fill=0.0, rng=None):
        self.max_degrees = float(number("max_degrees", max_degrees, 0, finite=True))
        self.fill, self.rng = fill, resolve_rng(rng)

    def __call__(self, x):
        batch = _as_batch("RandomRotation", x)
        angles = self.rng.uniform(-self.max_degrees, self.max_degrees, batch.shape[0])
        out = _rotate(batch, angles, self.fill)
        return out if x.ndim == 4 else out[0]

    def __repr__(self):
        return f"RandomRotation(max_degrees={self.max_degrees}, fill={self.fill})"


def _gaussian_blur(fields, sigma):
    """Gaussian smoothing (std ``sigma``, kernel radius 4 sigma, zero padding) over the last two
    axes of ``fields`` (..., H, W): two matrix products with banded (H, H) and (W, W) kernels."""
    r = max(1, int(np.ceil(4 * sigma)))
    total = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).sum()

    def banded(n):  # banded(n)[i, j]: the weight of pixel j in output pixel i
        d = np.arange(n)[None, :] - np.arange(n)[:, None]
        return np.where(abs(d) <= r, np.exp(-0.5 * (d / sigma) ** 2), 0.0) / total
    h, w = fields.shape[-2:]
    return banded(h) @ fields @ banded(w).T


class ElasticDistortion:
    """Elastic distortion of Simard, Steinkraus & Platt, "Best practices for convolutional
    neural networks applied to visual document analysis" (ICDAR 2003): per image, random
    displacement fields uniform in [-1, 1] are smoothed by a Gaussian of std ``sigma``, scaled
    by ``alpha``, and the image is resampled bilinearly at the displaced positions (outside
    reads 0). Works on (C, H, W) or (N, C, H, W); keeps the dtype.

    Raises:
        TypeError: ``alpha`` or ``sigma`` is not a number.
        ValueError: ``alpha`` is not finite and >= 0 or ``sigma`` not finite and > 0; (on
            call) x is not 3-d or 4-d.
    """

    def __init__(self, alpha=34.0, sigma=4.0, rng=None):
        self.alpha = float(number("alpha", alpha, 0, finite=True))
        self.sigma = positive_real("sigma", sigma)
        self.rng = resolve_rng(rng)

    def __call__(self, x):
        batch = _as_batch("ElasticDistortion", x)
        n, _, h, w = batch.shape
        d = _gaussian_blur(self.rng.uniform(-1, 1, (2, n, h, w)), self.sigma) * self.alpha
        yy, xx = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
        out = _bilinear_sample(batch, yy + d[0], xx + d[1], 0.0)
        return out if x.ndim == 4 else out[0]

    def __repr__(self):
        return f"ElasticDistortion(alpha={self.alpha}, sigma={self.sigma})"
