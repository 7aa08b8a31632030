"""Anomaly detection: find the operation that first produced NaN or Inf, and the user's line
that created it.

    with tc.detect_anomaly():
        loss = F.softmax_cross_entropy(model(x), y)
        loss.backward()

Inside the block every Function records where it was created (the first stack frame outside
tinyconv: the user's line, plus the chain of tinyconv calls below it), checks its forward
outputs, and the backward engine checks every gradient it computes. The mode is per thread,
as in PyTorch: a block in one thread checks nothing in another. The first NaN or Inf raises
:class:`AnomalyError` naming the Function, forward or backward, which output or input, and the
creation site. Outside the block nothing is recorded or checked, so the hot path pays for one
flag test per operation.

:class:`NonFiniteError` (a ValueError) is what tinyconv raises whenever it meets NaN or Inf
where it cannot go on: non-finite data given to an RBM, and inside the block non-finite inputs to
``conv2d``, pooling, batch normalisation or the losses, and anomalies. Outside the block no op
reads its input to check it (a full pass over the data, and on the GPU a wait for the device,
on every call): NaN then propagates to the output, as in PyTorch. A training loop can catch it
to stop cleanly before saving broken weights.
It is defined with the argument checks (:mod:`tinyconv.validation`) and re-exported here.
"""
import contextlib
import linecache
import os
import sys
import threading

from .validation import NonFiniteError, require_finite


class _AnomalyMode(threading.local):
    enabled = False  # the class attribute is what every new thread starts with


_mode = _AnomalyMode()


class AnomalyError(NonFiniteError):
    """Raised inside :func:`detect_anomaly` when a forward output or a gradient holds NaN or
    Inf. Attributes: ``function`` (the Function object), ``phase`` ("forward" or "backward"),
    ``site`` (the user's (filename, lineno, function name) or None)."""

    def __init__(self, message, function=None, phase=None, site=None):
        super().__init__(message)
        self.function, self.phase, self.site = function, phase, site


def is_anomaly_enabled():
    """Return True inside :func:`detect_anomaly` in this thread (the mode is per thread, as
    in PyTorch: every thread starts with it off)."""
    return _mode.enabled


@contextlib.contextmanager
def detect_anomaly(enabled=True):
    """Context manager: check every forward output and every gradient for NaN and Inf.

    Args:
        enabled: False switches detection off inside the block (to exempt a region).

    Raises (from operations in the block):
        AnomalyError: the first Function whose forward output or backward gradient holds NaN
            or Inf; the message names the Function, which output or input, how many values
            are bad, and where the Function was created (file, line, source text; and the
            tinyconv calls that led there, e.g. through a Sequential and a layer).
    """
    previous, _mode.enabled = _mode.enabled, bool(enabled)
    try:
        yield
    finally:
        _mode.enabled = previous


def finite_under_anomaly(name, x):
    """Inside :func:`detect_anomaly`, raise :class:`NonFiniteError` (a ValueError) if ``x``
    holds NaN or Inf; outside, check nothing, so NaN propagates to the output as in PyTorch. The
    per-op checks of inputs use this: the check is a full pass over the data and, on the GPU, a
    wait for the device on every call."""
    if is_anomaly_enabled():
        require_finite(name, x)


def _library_folders():
    from . import kernels
    return tuple(os.path.join(os.path.dirname(os.path.abspath(f)), "") for f in (__file__, kernels.__file__))


_LIBRARY = None


def creation_site(skip=1):
    """Return the frames from ``skip`` levels above this call out to the first frame outside
    tinyconv, as ``[(filename, lineno, function name), ...]`` innermost first; the last one is
    the user's line (or the outermost frame when everything is inside tinyconv).
    ``Function.__call__`` passes ``skip=2`` so that its own frame is left out."""
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = _library_folders()
    frames = []
    frame = sys._getframe(skip)
    while frame is not None:
        code = frame.f_code
        frames.append((code.co_filename, frame.f_lineno, code.co_name))
        if not os.path.abspath(code.co_filename).startswith(_LIBRARY):
            break
        frame = frame.f_back
    return frames


def _describe_site(function):
    frames = getattr(function, "creation_site", None)
    name = type(function).__name__
    if not frames:
        return (f"{name} was created outside detect_anomaly(), so its origin is unknown: run the "
                f"forward pass inside the block too")
    filename, lineno, func = frames[-1]
    source = linecache.getline(filename, lineno).strip()
    text = f"{name} was created at {filename}:{lineno} in {func}" + (f"\n    {source}" if source else "")
    inner = [f"{os.path.basename(f)}:{n} {fn}" for f, n, fn in reversed(frames[:-1]) if fn != "__call__"]
    if inner:
        text += "\n  through tinyconv: " + " -> ".join(inner)
    return text


def _bad_values(array):
    """None if ``array`` is finite (or not floating point), else a short description."""
    dtype = getattr(array, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        return None
    from .backend import get_array_module
    xp = get_array_module(array)
    finite = xp.isfinite(array)
    if bool(finite.all()):
        return None
    nan = int(xp.isnan(array).sum())
    inf = int(array.size - int(finite.sum()) - nan)
    kinds = ", ".join(f"{count} {what}" for count, what in ((nan, "NaN"), (inf, "Inf")) if count)
    return f"{kinds} of {array.size} values (shape {tuple(array.shape)})"


def check_forward(function, inputs, outputs):
    """Raise AnomalyError if an output of ``function``'s forward holds NaN or Inf."""
    for index, out in enumerate(outputs):
        bad = _bad_values(out)
        if bad is None:
            continue
        sick = [i for i, x in enumerate(inputs) if _bad_values(x) is not None]
        cause = (f"; its input {', '.join(map(str, sick))} already held NaN or Inf (data or parameters "
                 f"that came from outside the block)" if sick else "; its inputs were finite")
        which = f"output {index}" if len(outputs) > 1 else "output"
        raise AnomalyError(f"detect_anomaly: {type(function).__name__}.forward produced {bad} in its {which}"
                           f"{cause}.\n{_describe_site(function)}",
                           function, "forward", _user_frame(function))


def check_backward(function, grad_outputs, grad_inputs):
    """Raise AnomalyError if a gradient returned by ``function.backward`` holds NaN or Inf."""
    for index, g in enumerate(grad_inputs):
        bad = None if g is None else _bad_values(g)
        if bad is None:
            continue
        sick = any(g_out is not None and _bad_values(g_out) is not None for g_out in grad_outputs)
        cause = "; the gradient it received already held NaN or Inf" if sick else \
            "; the gradient it received was finite"
        raise AnomalyError(f"detect_anomaly: {type(function).__name__}.backward produced {bad} in the gradient "
                           f"of its input {index}{cause}.\n{_describe_site(function)}",
                           function, "backward", _user_frame(function))


def check_root_gradient(grad):
    """Raise AnomalyError if the gradient that starts a backward pass holds NaN or Inf."""
    bad = _bad_values(grad)
    if bad is not None:
        raise AnomalyError(f"detect_anomaly: the gradient passed to backward() holds {bad}", None, "backward")


def _user_frame(function):
    frames = getattr(function, "creation_site", None)
    return frames[-1] if frames else None
