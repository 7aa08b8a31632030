"""Transforms applied by datasets to float image arrays of shape (..., C, H, W)."""
import numpy as np

from ..random import resolve_rng

#: Mean and standard deviation of the MNIST training pixels scaled to [0, 1].
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class Normalize:
    """``(x - mean) / std`` per channel, on arrays of shape (..., C, H, W); keeps x's dtype.

    Args:
        mean, std: a number (all channels) or a sequence of C numbers.

    Raises:
        ValueError: ``mean``/``std`` are not scalars or 1-d, any std is not > 0, their lengths
            differ, or (on call) their length is neither 1 nor x's C.
    """

    def __init__(self, mean, std):
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
        return ((x - mean) / std).astype(x.dtype, copy=False)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


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
