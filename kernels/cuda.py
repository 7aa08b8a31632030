"""numba.cuda GPU kernels: the same contracts as :mod:`tinyconv.kernels.reference`.

Every kernel is a grid-stride loop over its work items (``cuda.grid(1)`` up to the item count in
steps of ``cuda.gridsize(1)``), so any launch covers the whole array, even one with too few
blocks (the tests launch such grids on purpose). Indices and offsets are int64 (Numba computes
``cuda.grid`` and ``cuda.gridsize`` in 64 bits), so tensors of more than 2**31 elements index
correctly.

Work items, in the loop order of :mod:`tinyconv.kernels.cpu` (channel, kernel row, kernel col,
output row, output col):

- im2col: one thread per (channel, image, output row, output col) column entry; it writes the
  KH*KW rows of its channel, and neighbouring threads write neighbouring columns (coalesced).
- col2im, and the backward passes of max, average and probabilistic-weighting pooling: a
  *gather*, one thread per input pixel summing the entries of every window that holds it. No two
  threads write the same element: no atomics, and the sums are deterministic.
- pooling forward passes: one thread per output element.
- the LSTM cell kernels: one thread per element of the state (N, H).
- the one-channel convolution and its weight gradient: this module's im2col, then CuPy's GEMM.

Launchers take CuPy arrays (on a real GPU) and hand them to Numba through
``__cuda_array_interface__`` without copies, launching on CuPy's current stream
(:func:`cuda_stream`), so kernels and CuPy's own operations stay in order.
Under Numba's CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``) they take NumPy arrays. Each launcher
accepts ``blocks`` and ``threads`` (per block) to override the launch configuration; by default
one thread per work item, ``THREADS`` per block, at most ``MAX_BLOCKS`` blocks. GEMMs are not
here: CuPy's ``@`` sends them to cuBLAS.
"""
import functools

import numpy as np
from numba import config, cuda

from .arrays import array_module
from .caching import cache_kernels
from .geometry import output_size
from .products import one_channel_product, one_channel_weight_product


def _numba_caching():
    """Numba's caching module for CUDA kernels: the numba-cuda package has its own
    (``numba.cuda.core.caching``); Numba's built-in CUDA target shares the CPU one."""
    try:
        from numba.cuda.core import caching
    except ImportError:
        from numba.core import caching
    return caching


CACHE = cache_kernels(_numba_caching())

THREADS = 256
MAX_BLOCKS = 65535


# ------------------------------------------------------------------------------ launching

def _device_arg(a):
    if isinstance(a, np.ndarray):
        if not config.ENABLE_CUDASIM:
            raise TypeError("CUDA kernels take device (CuPy) arrays, got a NumPy array: "
                            "move it with tinyconv.backend.to_device(array, 'cuda')")
        return a
    if hasattr(a, "__cuda_array_interface__"):
        return cuda.as_cuda_array(a, sync=False)  # a view: no copy; the launch orders it on the stream
    return a


def launch_config(count, blocks=None, threads=None):
    """Return ``(blocks, threads)`` for ``count`` work items: by default one thread per item,
    ``THREADS`` per block, at most ``MAX_BLOCKS`` blocks (the grid-stride loops do the rest).

    Raises:
        ValueError: ``blocks`` or ``threads`` is given and not a positive int.
    """
    for name, value in (("blocks", blocks), ("threads", threads)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"{name}: expected a positive int or None, got {value!r}")
    threads = THREADS if threads is None else int(threads)
    if blocks is None:
        blocks = min(max(1, -(-count // threads)), MAX_BLOCKS)
    return int(blocks), threads


_streams = {}


def cuda_stream(array):
    """Return the Numba stream on which kernels on ``array`` launch: CuPy's current stream, so
    that kernels and CuPy's operations run in order (0, the default stream, under Numba's CUDA
    simulator or for CuPy's default stream)."""
    if config.ENABLE_CUDASIM:
        return 0
    ptr = array_module(array).cuda.get_current_stream().ptr
    if ptr == 0:
        return 0
    stream = _streams.get(ptr)
    if stream is None:
        stream = _streams[ptr] = cuda.external_stream(ptr)
    return stream


def _launch(kernel, count, blocks, threads, *args):
    blocks, threads = launch_config(count, blocks, threads)
    if count == 0:
        return
    kernel[blocks, threads, cuda_stream(args[0])](*(_device_arg(a) for a in args))



def _contiguous(a, dtype=None):
    return array_module(a).ascontiguousarray(a, dtype=dtype)


def _geometry(shape, kernel, stride, padding, dilation=(1, 1)):
    return (output_size(shape[2], kernel[0], stride[0], padding[0], dilation[0]),
            output_size(shape[3], kernel[1], stride[1], padding[1], dilation[1]))


# ------------------------------------------------------------------------------ kernels
# Bounds are computed with conditionals rather than the builtins max and min, which Numba's CUDA
# target compiles as varargs overloads: plain integer code.

@cuda.jit(device=True)
def _nchw(t, c, h, w):
    """The (n, c, h, w) index of flat position ``t`` of a C-contiguous (N, C, H, W) array."""
    plane = t // (w * h)
    return plane // c, plane % c, t // w % h, t % w


@cuda.jit(device=True)
def _span(start, k, size):
    """The offsets [first, stop) of a window of length ``k`` starting at ``start`` that fall
    inside [0, size)."""
    first = -start if start < 0 else 0
    stop = size - start if size - start < k else k
    return first, stop


@cuda.jit(device=True)
def _windows(pos, pad, k, s, out):
    """The range [first, stop) of windows (output positions) along one axis that hold input
    position ``pos``: those with 0 <= pos + pad - o*s < k."""
    p = pos + pad
    first, stop = (p - k) // s + 1, p // s + 1
    return (first if first > 0 else 0), (stop if stop < out else out)


@cuda.jit(cache=CACHE)
def _im2col(x, col, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value):
    n, c, h, w = x.shape
    columns = n * oh * ow
    for t in range(cuda.grid(1), c * columns, cuda.gridsize(1)):
        ci, column = t // columns, t % columns
        ni, rest = column // (oh * ow), column % (oh * ow)
        h0, w0 = rest // ow * sh - ph, rest % ow * sw - pw
        row = ci * kh * kw
        for i in range(kh):
            hi = h0 + i * dh
            for j in range(kw):
                wi = w0 + j * dw
                if hi >= 0 and hi < h and wi >= 0 and wi < w:
                    col[row, column] = x[ni, ci, hi, wi]
                else:
                    col[row, column] = pad_value
                row += 1


@cuda.jit(cache=CACHE)
def _col2im(col, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, zero):
    n, c, h, w = x.shape
    for t in range(cuda.grid(1), n * c * h * w, cuda.gridsize(1)):
        ni, ci, hi, wi = _nchw(t, c, h, w)
        acc = zero
        for i in range(kh):  # the windows (output pixels) whose kernel offset (i, j) lands here
            ys = hi + ph - i * dh
            if ys >= 0 and ys % sh == 0 and ys // sh < oh:
                base = (ni * oh + ys // sh) * ow
                row = (ci * kh + i) * kw
                for j in range(kw):
                    xs = wi + pw - j * dw
                    if xs >= 0 and xs % sw == 0 and xs // sw < ow:
                        acc += col[row + j, base + xs // sw]
        x[ni, ci, hi, wi] = acc


@cuda.jit(cache=CACHE)
def _max_pool_forward(x, y, argmax, kh, kw, sh, sw, ph, pw, neg_inf):
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in range(cuda.grid(1), n * c * oh * ow, cuda.gridsize(1)):
        ni, ci, yo, xo = _nchw(t, c, oh, ow)
        h0, w0 = yo * sh - ph, xo * sw - pw
        best, best_k = neg_inf, 0  # padding counts as -inf: index 0 if nothing beats it
        i0, i1 = _span(h0, kh, h)
        j0, j1 = _span(w0, kw, w)
        for i in range(i0, i1):
            for j in range(j0, j1):
                v = x[ni, ci, h0 + i, w0 + j]
                if v > best:
                    best, best_k = v, i * kw + j
        y[ni, ci, yo, xo] = best
        argmax[ni, ci, yo, xo] = best_k


@cuda.jit(cache=CACHE)
def _max_pool_backward(grad, argmax, dx, kh, kw, sh, sw, ph, pw, zero):
    n, c, h, w = dx.shape
    oh, ow = grad.shape[2], grad.shape[3]
    for t in range(cuda.grid(1), n * c * h * w, cuda.gridsize(1)):
        ni, ci, hi, wi = _nchw(t, c, h, w)
        y0, y1 = _windows(hi, ph, kh, sh, oh)
        x0, x1 = _windows(wi, pw, kw, sw, ow)
        acc = zero
        for yo in range(y0, y1):
            k_row = (hi + ph - yo * sh) * kw
            for xo in range(x0, x1):
                if argmax[ni, ci, yo, xo] == k_row + wi + pw - xo * sw:
                    acc += grad[ni, ci, yo, xo]
        dx[ni, ci, hi, wi] = acc


@cuda.jit(cache=CACHE)
def _avg_pool_forward(x, y, kh, kw, sh, sw, ph, pw, scale, zero):
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in range(cuda.grid(1), n * c * oh * ow, cuda.gridsize(1)):
        ni, ci, yo, xo = _nchw(t, c, oh, ow)
        h0, w0 = yo * sh - ph, xo * sw - pw
        acc = zero
        i0, i1 = _span(h0, kh, h)
        j0, j1 = _span(w0, kw, w)
        for i in range(i0, i1):
            for j in range(j0, j1):
                acc += x[ni, ci, h0 + i, w0 + j]
        y[ni, ci, yo, xo] = acc * scale


@cuda.jit(cache=CACHE)
def _avg_pool_backward(grad, dx, kh, kw, sh, sw, ph, pw, scale, zero):
    n, c, h, w = dx.shape
    oh, ow = grad.shape[2], grad.shape[3]
    for t in range(cuda.grid(1), n * c * h * w, cuda.gridsize(1)):
        ni, ci, hi, wi = _nchw(t, c, h, w)
        y0, y1 = _windows(hi, ph, kh, sh, oh)
        x0, x1 = _windows(wi, pw, kw, sw, ow)
        acc = zero
        for yo in range(y0, y1):
            for xo in range(x0, x1):
                acc += grad[ni, ci, yo, xo]
        dx[ni, ci, hi, wi] = acc * scale


@cuda.jit(cache=CACHE)
def _stochastic_pool_forward(x, u, y, index, kh, kw, sh, sw, ph, pw, zero):
    """Inverse-CDF sampling, float64 sums in row-major window order: the reference kernel's
    arithmetic, so every kernel picks the same locations from the same ``u``."""
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for t in range(cuda.grid(1), n * c * oh * ow, cuda.gridsize(1)):
        ni, ci, yo, xo = _nchw(t, c, oh, ow)
        h0, w0 = yo * sh - ph, xo * sw - pw
        i0, i1 = _span(h0, kh, h)
        j0, j1 = _span(w0, kw, w)
        total = 0.0
        for i in range(i0, i1):
            for j in range(j0, j1):
                total += x[ni, ci, h0 + i, w0 + j]
        target = u[ni, ci, yo, xo] * total
        cumulative = 0.0
        value, k = zero, 0
        for i in range(i0, i1):
            for j in range(j0, j1):
                a = x[ni, ci, h0 + i, w0 + j]
                if cumulative <= target and a > 0:
                    value, k = a, i * kw + j
                cumulative += a
        y[ni, ci, yo, xo] = value
        index[ni, ci, yo, xo] = k


@cuda.jit(device=True)
def _weighted_window(x, ni, ci, h0, w0, kh, kw):
    """S = sum a and v = sum a^2 / S over one window (float64; v = 0 where S = 0)."""
    h, w = x.shape[2], x.shape[3]
    total = squares = 0.0
    i0, i1 = _span(h0, kh, h)
    j0, j1 = _span(w0, kw, w)
    for i in range(i0, i1):
        for j in range(j0, j1):
            a = 1.0 * x[ni, ci, h0 + i, w0 + j]
            total += a
            squares += a * a
    return total, (squares / total if total > 0 else 0.0)


@cuda.jit(cache=CACHE)
def _weighted_pool_forward(x, y, kh, kw, sh, sw, ph, pw):
    c = x.shape[1]
    oh, ow = y.shape[2], y.shape[3]
    for t in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        ni, ci, yo, xo = _nchw(t, c, oh, ow)
        y[ni, ci, yo, xo] = _weighted_window(x, ni, ci, yo * sh - ph, xo * sw - pw, kh, kw)[1]


@cuda.jit(cache=CACHE)
def _weighted_pool_coefficients(x, grad, scale, shift, kh, kw, sh, sw, ph, pw):
    """The per-window coefficients of the gradient: scale = grad / S, shift = grad * v / S
    (0 where S = 0), for :func:`_weighted_pool_backward`."""
    c = x.shape[1]
    oh, ow = grad.shape[2], grad.shape[3]
    for t in range(cuda.grid(1), grad.size, cuda.gridsize(1)):
        ni, ci, yo, xo = _nchw(t, c, oh, ow)
        total, value = _weighted_window(x, ni, ci, yo * sh - ph, xo * sw - pw, kh, kw)
        g = grad[ni, ci, yo, xo] / total if total > 0 else 0.0
        scale[ni, ci, yo, xo] = g
        shift[ni, ci, yo, xo] = g * value


@cuda.jit(cache=CACHE)
def _weighted_pool_backward(x, scale, shift, dx, kh, kw, sh, sw, ph, pw):
    """dx_j = sum over the windows holding j of grad * (2 a_j - v) / S = 2 a_j scale - shift."""
    n, c, h, w = dx.shape
    oh, ow = scale.shape[2], scale.shape[3]
    for t in range(cuda.grid(1), n * c * h * w, cuda.gridsize(1)):
        ni, ci, hi, wi = _nchw(t, c, h, w)
        y0, y1 = _windows(hi, ph, kh, sh, oh)
        x0, x1 = _windows(wi, pw, kw, sw, ow)
        a2 = 2.0 * x[ni, ci, hi, wi]
        acc = 0.0
        for yo in range(y0, y1):
            for xo in range(x0, x1):
                acc += a2 * scale[ni, ci, yo, xo] - shift[ni, ci, yo, xo]
        dx[ni, ci, hi, wi] = acc


# ------------------------------------------------------------------------------ launchers

def im2col(x, kernel, stride, padding, dilation, pad_value=0.0, blocks=None, threads=None):
    """Unfold ``x`` (N, C, H, W) into ``col`` (C*KH*KW, N*OH*OW); see the reference kernel."""
    x = _contiguous(x)
    n, c = x.shape[:2]
    oh, ow = _geometry(x.shape, kernel, stride, padding, dilation)
    col = array_module(x).empty((c * kernel[0] * kernel[1], n * oh * ow), dtype=x.dtype)
    _launch(_im2col, c * n * oh * ow, blocks, threads, x, col, *kernel, *stride, *padding, *dilation,
            oh, ow, x.dtype.type(pad_value))
    return col


def col2im(col, shape, kernel, stride, padding, dilation, blocks=None, threads=None):
    """Fold ``col`` (C*KH*KW, N*OH*OW) into an image of ``shape`` (N, C, H, W), summing the
    overlaps; one thread gathers each pixel."""
    col = _contiguous(col)
    oh, ow = _geometry(shape, kernel, stride, padding, dilation)
    x = array_module(col).empty(tuple(shape), dtype=col.dtype)
    _launch(_col2im, x.size, blocks, threads, col, x, *kernel, *stride, *padding, *dilation, oh, ow,
            col.dtype.type(0))
    return x


def conv2d_one_channel(x, weight, padding, blocks=None, threads=None):
    """As the reference kernel: this module's im2col, then CuPy's GEMM (cuBLAS)."""
    return one_channel_product(functools.partial(im2col, blocks=blocks, threads=threads), x, weight, padding)


def conv2d_one_channel_weight_grad(x, grad, kernel, padding, blocks=None, threads=None):
    """As the reference kernel: this module's im2col, then CuPy's GEMM (cuBLAS)."""
    return one_channel_weight_product(functools.partial(im2col, blocks=blocks, threads=threads), x, grad, kernel,
                                      padding)

def _pooled_shape(shape, kernel, stride, padding):
    return tuple(shape[:2]) + _geometry(shape, kernel, stride, padding)


def max_pool_forward(x, kernel, stride, padding, blocks=None, threads=None):
    """Max pooling, -inf padding; returns ``(y, argmax)`` as the reference kernel."""
    x = _contiguous(x)
    xp = array_module(x)
    out_shape = _pooled_shape(x.shape, kernel, stride, padding)
    y, argmax = xp.empty(out_shape, dtype=x.dtype), xp.empty(out_shape, dtype=np.int64)
    _launch(_max_pool_forward, y.size, blocks, threads, x, y, argmax, *kernel, *stride, *padding,
            x.dtype.type(-np.inf))
    return y, argmax


def max_pool_backward(grad, argmax, shape, kernel, stride, padding, blocks=None, threads=None):
    """Route ``grad`` (N, C, OH, OW) to each window's argmax; returns an array of ``shape``."""
    grad, argmax = _contiguous(grad), _contiguous(argmax, np.int64)
    dx = array_module(grad).empty(tuple(shape), dtype=grad.dtype)
    _launch(_max_pool_backward, dx.size, blocks, threads, grad, argmax, dx, *kernel, *stride, *padding,
            grad.dtype.type(0))
    return dx


def avg_pool_forward(x, kernel, stride, padding, blocks=None, threads=None):
    """Average pooling counting padded zeros; returns (N, C, OH, OW)."""
    x = _contiguous(x)
    y = array_module(x).empty(_pooled_shape(x.shape, kernel, stride, padding), dtype=x.dtype)
    _launch(_avg_pool_forward, y.size, blocks, threads, x, y, *kernel, *stride, *padding,
            x.dtype.type(1 / (kernel[0] * kernel[1])), x.dtype.type(0))
    return y


def avg_pool_backward(grad, shape, kernel, stride, padding, blocks=None, threads=None):
    """Spread ``grad`` (N, C, OH, OW) evenly over each window; returns an array of ``shape``."""
    grad = _contiguous(grad)
    dx = array_module(grad).empty(tuple(shape), dtype=grad.dtype)
    _launch(_avg_pool_backward, dx.size, blocks, threads, grad, dx, *kernel, *stride, *padding,
            grad.dtype.type(1 / (kernel[0] * kernel[1])), grad.dtype.type(0))
    return dx


def stochastic_pool_forward(x, kernel, stride, padding, u, blocks=None, threads=None):
    """Stochastic pooling by sampling with the uniform draws ``u`` (N, C, OH, OW); returns
    ``(y, index)`` as the reference kernel (the same locations from the same ``u``)."""
    x = _contiguous(x)
    xp = array_module(x)
    out_shape = _pooled_shape(x.shape, kernel, stride, padding)
    y, index = xp.empty(out_shape, dtype=x.dtype), xp.empty(out_shape, dtype=np.int64)
    _launch(_stochastic_pool_forward, y.size, blocks, threads, x, _contiguous(u, np.float64), y, index,
            *kernel, *stride, *padding, x.dtype.type(0))
    return y, index


def stochastic_pool_weighted_forward(x, kernel, stride, padding, blocks=None, threads=None):
    """Probabilistic weighting, sum a^2 / sum a per window (0 where it sums to 0); returns (N, C, OH, OW)."""
    x = _contiguous(x)
    y = array_module(x).empty(_pooled_shape(x.shape, kernel, stride, padding), dtype=x.dtype)
    _launch(_weighted_pool_forward, y.size, blocks, threads, x, y, *kernel, *stride, *padding)
    return y


def stochastic_pool_weighted_backward(grad, x, kernel, stride, padding, blocks=None, threads=None):
    """Gradient of the probabilistic weighting, (2 a_j - y) / sum a per window; returns an
    array shaped like ``x``. Two launches: the per-window coefficients, then a gather."""
    grad, x = _contiguous(grad), _contiguous(x)
    xp = array_module(x)
    scale, shift = xp.empty(grad.shape, dtype=np.float64), xp.empty(grad.shape, dtype=np.float64)
    _launch(_weighted_pool_coefficients, grad.size, blocks, threads, x, grad, scale, shift,
            *kernel, *stride, *padding)
    dx = xp.empty(x.shape, dtype=grad.dtype)
    _launch(_weighted_pool_backward, dx.size, blocks, threads, x, scale, shift, dx, *kernel, *stride, *padding)
    return dx


@cuda.jit(cache=CACHE)
def _lstm_cell_forward(t, c, c_next, half):
    """One thread per (n, k) element of the state; the reference's arithmetic, in place in ``t``."""
    rows, size = c.shape
    for e in range(cuda.grid(1), rows * size, cuda.gridsize(1)):
        b, k = e // size, e % size
        i, f = t[b, k] * half + half, t[b, size + k] * half + half
        t[b, k], t[b, size + k] = i, f
        t[b, 3 * size + k] = t[b, 3 * size + k] * half + half
        c_next[b, k] = f * c[b, k] + i * t[b, 2 * size + k]


def lstm_cell_forward(t, c, blocks=None, threads=None):
    """The arithmetic of one LSTM cell around its tanh, as the reference kernel (``t`` becomes
    the gates); returns (t, c')."""
    c = _contiguous(c)
    c_next = array_module(c).empty_like(c)
    _launch(_lstm_cell_forward, c.size, blocks, threads, t, c, c_next, t.dtype.type(0.5))
    return t, c_next


@cuda.jit(cache=CACHE)
def _lstm_cell_backward(gates, c, tanh_c, dh, dc, dgates, dc_prev, one):
    """One thread per (n, k) element of the state; the reference's arithmetic."""
    rows, size = c.shape
    for t in range(cuda.grid(1), rows * size, cuda.gridsize(1)):
        b, k = t // size, t % size
        i, f, g, o = gates[b, k], gates[b, size + k], gates[b, 2 * size + k], gates[b, 3 * size + k]
        d = dc[b, k] + dh[b, k] * o * (one - tanh_c[b, k] * tanh_c[b, k])
        dgates[b, k] = d * g * i * (one - i)
        dgates[b, size + k] = d * c[b, k] * f * (one - f)
        dgates[b, 2 * size + k] = d * i * (one - g * g)
        dgates[b, 3 * size + k] = dh[b, k] * tanh_c[b, k] * o * (one - o)
        dc_prev[b, k] = d * f


def lstm_cell_backward(gates, c, tanh_c, dh, dc, blocks=None, threads=None):
    """The backward of one LSTM cell, as the reference kernel; returns (dgates, dc_prev)."""
    arrays = [_contiguous(a) for a in (gates, c, tanh_c, dh, dc)]
    xp = array_module(gates)
    dgates, dc_prev = xp.empty_like(arrays[0]), xp.empty_like(arrays[1])
    _launch(_lstm_cell_backward, dc_prev.size, blocks, threads, *arrays, dgates, dc_prev, gates.dtype.type(1))
    return dgates, dc_prev
