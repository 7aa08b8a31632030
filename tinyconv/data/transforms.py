"""Transforms applied by datasets to float image arrays of shape (..., C, H, W)."""
import numpy as np

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
