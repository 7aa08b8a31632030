"""Numba (``@njit``) CPU kernels: the same contracts as :mod:`tinyconv.kernels.reference`.

im2col follows Caffe's loop order (channel, kernel row, kernel col, then image, output row and
col), so each thread writes whole rows of the column buffer front to back; the rows of a window
offset that fall in the padding are filled apart, and each inside row of OW outputs is one loop
of selects (copy or pad value), which LLVM turns into masked vector copies. col2im and the pooling kernels give each thread whole (n, c) image planes, so no two
threads ever write the same element and every element adds its terms in the same order
whatever the thread count: no atomics and no reductions across threads, so results are
bit-for-bit the same on 1 or 2 threads. Arrays are indexed flat with unsigned indices (``_at``):
Numba then skips its negative-index wraparound, which keeps the inner loops vectorisable.
Numba's thread count (``NUMBA_NUM_THREADS`` or ``numba.set_num_threads``) decides how many
threads share the ``prange`` loops; the kernels in ``SERIAL`` (the LSTM cell's) have none. The
one-channel convolution gives each thread whole output planes, and its weight gradient whole
filters. Compiled code is cached on disk, in a user cache folder
(:func:`tinyconv.kernels.caching.cache_kernels`).
"""
import numpy as np
from numba import njit, prange
from numba.core import caching

from .caching import cache_kernels
from .geometry import output_size

CACHE = cache_kernels(caching)
_at = np.uint64  # a flat index known to be >= 0
SERIAL = {"lstm_cell_forward", "lstm_cell_backward"}  # the kernels without prange: they need no thread count set


@njit(cache=CACHE)
def _span(offset, stride, size, count):
    """The outputs ``k`` in [first, end) of ``count`` whose input ``offset + k*stride`` lies in [0, size)."""
    first = min(count, max(0, (stride - 1 - offset) // stride))
    return first, max(first, min(count, (size - offset + stride - 1) // stride))


@njit(cache=CACHE)
def _fill(a, start, stop, value):
    for k in range(start, stop):
        a[_at(k)] = value


@njit(cache=CACHE, parallel=True)
def _im2col(x, col, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, pad_value):
    n, c, h, w = x.shape
    xf, colf = x.reshape(-1), col.reshape(-1)
    for row in prange(c * kh * kw):
        ci, i, j = row // (kh * kw), row // kw % kh, row % kw
        y0, y1 = _span(i * dh - ph, sh, h, oh)
        x0, x1 = _span(j * dw - pw, sw, w, ow)
        for ni in range(n):
            out = (row * n + ni) * oh * ow
            _fill(colf, out, out + y0 * ow, pad_value)
            _fill(colf, out + y1 * ow, out + oh * ow, pad_value)
            for y in range(y0, y1):
                start = out + y * ow
                src = ((ni * c + ci) * h + y * sh - ph + i * dh) * w + j * dw - pw
                for xo in range(ow):  # a select per element: LLVM makes it a masked vector copy
                    colf[_at(start + xo)] = xf[_at(src + xo * sw)] if x0 <= xo < x1 else pad_value


@njit(cache=CACHE, parallel=True)
def _col2im(col, x, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
    n, c, h, w = x.shape
    xf, colf = x.reshape(-1), col.reshape(-1)
    for task in prange(c * n):  # one thread owns a plane: the scatter never races
        ci, ni = task // n, task % n  # channel-major: neighbouring tasks read neighbouring columns
        plane = ni * c + ci
        _fill(xf, plane * h * w, (plane + 1) * h * w, 0)
        for i in range(kh):
            y0, y1 = _span(i * dh - ph, sh, h, oh)
            for j in range(kw):
                x0, x1 = _span(j * dw - pw, sw, w, ow)
                row = (((ci * kh + i) * kw + j) * n + ni) * oh * ow
                for y in range(y0, y1):
                    src = row + y * ow
                    dst = (plane * h + y * sh - ph + i * dh) * w + j * dw - pw
                    for xo in range(x0, x1):
                        xf[_at(dst + xo * sw)] += colf[_at(src + xo)]


def _geometry(shape, kernel, stride, padding, dilation):
    return (output_size(shape[2], kernel[0], stride[0], padding[0], dilation[0]),
            output_size(shape[3], kernel[1], stride[1], padding[1], dilation[1]))


def im2col(x, kernel, stride, padding, dilation, pad_value=0.0):
    """Unfold ``x`` (N, C, H, W) into ``col`` (C*KH*KW, N*OH*OW); see the reference kernel."""
    n, c = x.shape[:2]
    oh, ow = _geometry(x.shape, kernel, stride, padding, dilation)
    col = np.empty((c * kernel[0] * kernel[1], n * oh * ow), dtype=x.dtype)
    _im2col(np.ascontiguousarray(x), col, *kernel, *stride, *padding, *dilation, oh, ow, x.dtype.type(pad_value))
    return col


def col2im(col, shape, kernel, stride, padding, dilation):
    """Fold ``col`` (C*KH*KW, N*OH*OW) into an image of ``shape`` (N, C, H, W), summing the overlaps."""
    oh, ow = _geometry(shape, kernel, stride, padding, dilation)
    x = np.empty(shape, dtype=col.dtype)
    _col2im(np.ascontiguousarray(col), x, *kernel, *stride, *padding, *dilation, oh, ow)
    return x


# Convolution of one-channel input, directly: each output plane is computed on rows as wide as
# the padded input (WP), so that kernel tap (i, j) adds w[i, j] times the padded image read from
# flat offset i*WP + j, one contiguous run of OH*WP values (the WP - OW extra columns of each row
# are dropped at the end). Taps go five at a time (the weights padded with zeros to a multiple of
# 5), so each pass loads and stores the accumulator once per five multiply-adds.
TAPS = 5


def _one_channel_input(x, kernel, padding):
    """``x`` (N, 1, H, W) zero-padded and flattened per image, with a zero tail for the reads of
    the padding taps: returns ((N, HP*WP + taps), WP, taps), taps = KW rounded up to 5."""
    n, _, h, w = x.shape
    (ph, pw), taps = padding, -(-kernel[1] // TAPS) * TAPS
    hp, wp = h + 2 * ph, w + 2 * pw
    flat = np.zeros((n, hp * wp + taps), dtype=x.dtype)
    flat[:, :hp * wp].reshape(n, hp, wp)[:, ph:ph + h, pw:pw + w] = x[:, 0]
    return flat, wp, taps


@njit(cache=CACHE, parallel=True, fastmath={"contract"})
def _conv_one_channel(xflat, w5, y, wp):
    n, o_, oh, ow = y.shape
    kh, taps = w5.shape[1], w5.shape[2]
    size = oh * wp
    for task in prange(n * o_):  # one thread owns an output plane
        ni, o = task // o_, task % o_
        acc = np.zeros(size, dtype=y.dtype)
        for i in range(kh):
            for j in range(0, taps, TAPS):
                w0, w1, w2, w3, w4 = w5[o, i, j], w5[o, i, j + 1], w5[o, i, j + 2], w5[o, i, j + 3], w5[o, i, j + 4]
                src = xflat[ni, i * wp + j:i * wp + j + size + TAPS - 1]
                for p in range(size):
                    acc[p] += w0 * src[p] + w1 * src[p + 1] + w2 * src[p + 2] + w3 * src[p + 3] + w4 * src[p + 4]
        for a in range(oh):
            row, wide = y[ni, o, a], acc[a * wp:a * wp + ow]
            for q in range(ow):
                row[q] = wide[q]


@njit(cache=CACHE, fastmath={"contract", "reassoc"})
def _filter_grad(xflat, grad, o, wp, out):
    """out (KH, taps) = the gradient of filter ``o``: grad[:, o] on wide rows (zeros past OW)
    dotted with the padded images at each tap's offset, five taps per pass, image by image."""
    n, _, oh, ow = grad.shape
    size = oh * wp
    wide = np.zeros(size, dtype=grad.dtype)
    out[:] = 0
    for ni in range(n):
        for a in range(oh):
            row, dst = grad[ni, o, a], wide[a * wp:a * wp + ow]
            for q in range(ow):
                dst[q] = row[q]
        for i in range(out.shape[0]):
            for j in range(0, out.shape[1], TAPS):
                src = xflat[ni, i * wp + j:i * wp + j + size + TAPS - 1]
                s0 = s1 = s2 = s3 = s4 = out.dtype.type(0)
                for p in range(size):
                    g = wide[p]
                    s0 += g * src[p]
                    s1 += g * src[p + 1]
                    s2 += g * src[p + 2]
                    s3 += g * src[p + 3]
                    s4 += g * src[p + 4]
                r = out[i]
                r[j] += s0
                r[j + 1] += s1
                r[j + 2] += s2
                r[j + 3] += s3
                r[j + 4] += s4


@njit(cache=CACHE, parallel=True)
def _conv_one_channel_weight_grad(xflat, grad, dw5, wp):
    for o in prange(dw5.shape[0]):  # one thread owns a filter: its sums run in one order on any thread count
        _filter_grad(xflat, grad, o, wp, dw5[o])  # a serial function: the parallel loop compiles in 1 s, not 5


def conv2d_one_channel(x, weight, padding):
    """The convolution of a one-channel batch, as the reference kernel, computed directly (see
    above; LeNet-5's first layer: 105 against 376 µs for im2col + GEMM on two threads). Float
    tolerance against the reference: another summation order, with fused multiply-adds."""
    o, _, kh, kw = weight.shape
    xflat, wp, taps = _one_channel_input(x, (kh, kw), padding)
    w5 = np.zeros((o, kh, taps), dtype=weight.dtype)
    w5[:, :, :kw] = weight[:, 0]
    oh, ow = _geometry(x.shape, (kh, kw), (1, 1), padding, (1, 1))
    y = np.empty((x.shape[0], o, oh, ow), dtype=x.dtype)
    _conv_one_channel(xflat, w5, y, wp)
    return y


def conv2d_one_channel_weight_grad(x, grad, kernel, padding):
    """The weight gradient of :func:`conv2d_one_channel`, as the reference kernel, directly: one
    dot product over the wide rows per weight, five weights per pass."""
    xflat, wp, taps = _one_channel_input(x, kernel, padding)
    dw5 = np.empty((grad.shape[1], kernel[0], taps), dtype=grad.dtype)
    _conv_one_channel_weight_grad(xflat, np.ascontiguousarray(grad), dw5, wp)
    return np.ascontiguousarray(dw5[:, None, :, :kernel[1]])


@njit(cache=CACHE, parallel=True)
def _max_pool_forward(x, y, argmax, kh, kw, sh, sw, ph, pw):
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    xf, yf, argmaxf = x.reshape(-1), y.reshape(-1), argmax.reshape(-1)
    for plane in prange(n * c):
        for yo in range(oh):
            h0 = yo * sh - ph
            i0, i1 = max(0, -h0), min(kh, h - h0)
            for xo in range(ow):
                w0 = xo * sw - pw
                best, best_k = -np.inf, 0  # padding counts as -inf: index 0 if nothing beats it
                for i in range(i0, i1):
                    row = (plane * h + h0 + i) * w + w0
                    for j in range(max(0, -w0), min(kw, w - w0)):
                        value = xf[_at(row + j)]
                        take = value > best  # selects, not branches: which one wins is unpredictable
                        best = value if take else best
                        best_k = i * kw + j if take else best_k
                out = (plane * oh + yo) * ow + xo
                yf[_at(out)] = best
                argmaxf[_at(out)] = best_k


@njit(cache=CACHE, parallel=True)
def _max_pool_backward(grad, argmax, dx, kw, sh, sw, ph, pw):
    """dx = 0, then dx[window's argmax] += grad, plane by plane (overlapping windows never race)."""
    n, c, oh, ow = grad.shape
    h, w = dx.shape[2], dx.shape[3]
    gradf, argmaxf, dxf = grad.reshape(-1), argmax.reshape(-1), dx.reshape(-1)
    for plane in prange(n * c):
        _fill(dxf, plane * h * w, (plane + 1) * h * w, 0)
        for yo in range(oh):
            for xo in range(ow):
                out = (plane * oh + yo) * ow + xo
                k = argmaxf[_at(out)]
                hi, wi = yo * sh - ph + k // kw, xo * sw - pw + k % kw
                if 0 <= hi < h and 0 <= wi < w:  # a window of -inf padding only has no input
                    dxf[_at((plane * h + hi) * w + wi)] += gradf[_at(out)]


@njit(cache=CACHE, parallel=True)
def _max_pool_2x2_forward(x, y, argmax):
    """``_max_pool_forward`` for 2x2 windows, stride 2, no padding (the common case), unrolled:
    the same comparisons in the same order, about five times faster than the general loops."""
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    xf, yf, argmaxf = x.reshape(-1), y.reshape(-1), argmax.reshape(-1)
    for plane in prange(n * c):
        for yo in range(oh):
            for xo in range(ow):
                corner = (plane * h + 2 * yo) * w + 2 * xo
                best, best_k = -np.inf, 0
                for k, offset in enumerate((0, 1, w, w + 1)):
                    value = xf[_at(corner + offset)]
                    take = value > best
                    best = value if take else best
                    best_k = k if take else best_k
                out = (plane * oh + yo) * ow + xo
                yf[_at(out)] = best
                argmaxf[_at(out)] = best_k


@njit(cache=CACHE, parallel=True)
def _max_pool_2x2_backward(grad, argmax, dx):
    """``_max_pool_backward`` for 2x2 windows, stride 2, no padding: the windows never overlap, so
    each output writes its window (0 + grad at the argmax, 0 elsewhere) instead of scattering."""
    n, c, oh, ow = grad.shape
    h, w = dx.shape[2], dx.shape[3]
    gradf, argmaxf, dxf = grad.reshape(-1), argmax.reshape(-1), dx.reshape(-1)
    zero = dx.dtype.type(0)
    for plane in prange(n * c):
        if h % 2 or w % 2:  # an odd last row or column lies in no window
            _fill(dxf, plane * h * w, (plane + 1) * h * w, 0)
        for yo in range(oh):
            for xo in range(ow):
                out = (plane * oh + yo) * ow + xo
                g, k = zero + gradf[_at(out)], argmaxf[_at(out)]
                corner = (plane * h + 2 * yo) * w + 2 * xo
                for q, offset in enumerate((0, 1, w, w + 1)):
                    dxf[_at(corner + offset)] = g if k == q else zero


def _is_2x2(kernel, stride, padding):
    return tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and tuple(padding) == (0, 0)


@njit(cache=CACHE, parallel=True)
def _avg_pool(x, y, kh, kw, sh, sw, ph, pw, backward):
    """Forward (``backward`` False): y = window means of x. Backward: x += y / (KH*KW) spread
    over each window (serial within a plane, so the overlapping windows never race)."""
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    scale = 1.0 / (kh * kw)
    for plane in prange(n * c):
        ni, ci = plane // c, plane % c
        for yo in range(oh):
            for xo in range(ow):
                acc = 0.0
                share = y[ni, ci, yo, xo] * scale
                for i in range(kh):
                    hi = yo * sh - ph + i
                    for j in range(kw):
                        wi = xo * sw - pw + j
                        if 0 <= hi < h and 0 <= wi < w:
                            if backward:
                                x[ni, ci, hi, wi] += share
                            else:
                                acc += x[ni, ci, hi, wi]
                if not backward:
                    y[ni, ci, yo, xo] = acc * scale


def _pooled_shape(shape, kernel, stride, padding):
    return shape[:2] + _geometry(shape, kernel, stride, padding, (1, 1))


def max_pool_forward(x, kernel, stride, padding):
    """Max pooling, -inf padding; returns ``(y, argmax)`` as the reference kernel."""
    out_shape = _pooled_shape(x.shape, kernel, stride, padding)
    y = np.empty(out_shape, dtype=x.dtype)
    argmax = np.empty(out_shape, dtype=np.int64)
    x = np.ascontiguousarray(x)
    if _is_2x2(kernel, stride, padding):
        _max_pool_2x2_forward(x, y, argmax)
    else:
        _max_pool_forward(x, y, argmax, *kernel, *stride, *padding)
    return y, argmax


def max_pool_backward(grad, argmax, shape, kernel, stride, padding):
    """Route ``grad`` (N, C, OH, OW) to each window's argmax; returns an array of ``shape``."""
    dx = np.empty(shape, dtype=grad.dtype)
    grad, argmax = np.ascontiguousarray(grad), np.ascontiguousarray(argmax)
    if _is_2x2(kernel, stride, padding):
        _max_pool_2x2_backward(grad, argmax, dx)
    else:
        _max_pool_backward(grad, argmax, dx, kernel[1], *stride, *padding)
    return dx


def avg_pool_forward(x, kernel, stride, padding):
    """Average pooling counting padded zeros; returns (N, C, OH, OW)."""
    y = np.empty(_pooled_shape(x.shape, kernel, stride, padding), dtype=x.dtype)
    _avg_pool(np.ascontiguousarray(x), y, *kernel, *stride, *padding, False)
    return y


def avg_pool_backward(grad, shape, kernel, stride, padding):
    """Spread ``grad`` (N, C, OH, OW) evenly over each window; returns an array of ``shape``."""
    dx = np.zeros(shape, dtype=grad.dtype)
    _avg_pool(dx, np.ascontiguousarray(grad), *kernel, *stride, *padding, True)
    return dx


@njit(cache=CACHE, parallel=True)
def _stochastic_pool_forward(x, u, y, index, kh, kw, sh, sw, ph, pw):
    """Inverse-CDF sampling in each window, float64 sums in row-major window order: the
    reference kernel's arithmetic, so both pick the same locations from the same ``u``. The
    sample is the last positive location whose preceding cumulative sum is <= u * total."""
    n, c, h, w = x.shape
    oh, ow = y.shape[2], y.shape[3]
    for plane in prange(n * c):
        ni, ci = plane // c, plane % c
        for yo in range(oh):
            h0 = yo * sh - ph
            i0, i1 = max(0, -h0), min(kh, h - h0)
            for xo in range(ow):
                w0 = xo * sw - pw
                j0, j1 = max(0, -w0), min(kw, w - w0)
                total = 0.0
                for i in range(i0, i1):
                    for j in range(j0, j1):
                        total += x[ni, ci, h0 + i, w0 + j]
                target = u[ni, ci, yo, xo] * total
                cumulative = 0.0
                value, k = x.dtype.type(0), 0
                for i in range(i0, i1):
                    for j in range(j0, j1):  # selects, not branches: the draws are unpredictable
                        a = x[ni, ci, h0 + i, w0 + j]
                        take = (cumulative <= target) & (a > 0)
                        value = a if take else value
                        k = i * kw + j if take else k
                        cumulative += a
                y[ni, ci, yo, xo] = value
                index[ni, ci, yo, xo] = k


@njit(cache=CACHE, parallel=True)
def _stochastic_pool_weighted(x, grad, out, kh, kw, sh, sw, ph, pw, backward):
    """Forward (``backward`` False): out[window] = sum a^2 / sum a (``grad`` only gives the
    output shape; pass ``out``). Backward: out[j] +=
    grad[window] * (2 a_j - y) / sum a over the windows holding j (serial within a plane, so
    overlapping windows never race). Sums in float64; windows that sum to 0 give 0."""
    n, c, h, w = x.shape
    oh, ow = grad.shape[2], grad.shape[3]
    for plane in prange(n * c):
        ni, ci = plane // c, plane % c
        for yo in range(oh):
            h0 = yo * sh - ph
            i0, i1 = max(0, -h0), min(kh, h - h0)
            for xo in range(ow):
                w0 = xo * sw - pw
                j0, j1 = max(0, -w0), min(kw, w - w0)
                total = squares = 0.0
                for i in range(i0, i1):
                    for j in range(j0, j1):
                        a = np.float64(x[ni, ci, h0 + i, w0 + j])
                        total += a
                        squares += a * a
                if not backward:
                    out[ni, ci, yo, xo] = squares / total if total > 0 else 0.0
                elif total > 0:
                    value = squares / total
                    share = grad[ni, ci, yo, xo] / total
                    for i in range(i0, i1):
                        for j in range(j0, j1):
                            out[ni, ci, h0 + i, w0 + j] += share * (2.0 * x[ni, ci, h0 + i, w0 + j] - value)


def stochastic_pool_forward(x, kernel, stride, padding, u):
    """Stochastic pooling by sampling with the uniform draws ``u`` (N, C, OH, OW); returns
    ``(y, index)`` as the reference kernel (the same locations from the same ``u``)."""
    out_shape = _pooled_shape(x.shape, kernel, stride, padding)
    y = np.empty(out_shape, dtype=x.dtype)
    index = np.empty(out_shape, dtype=np.int64)
    _stochastic_pool_forward(np.ascontiguousarray(x), np.ascontiguousarray(u, dtype=np.float64), y, index,
                             *kernel, *stride, *padding)
    return y, index


def stochastic_pool_weighted_forward(x, kernel, stride, padding):
    """Probabilistic weighting, sum a^2 / sum a per window (0 where it sums to 0); returns (N, C, OH, OW)."""
    x = np.ascontiguousarray(x)
    y = np.empty(_pooled_shape(x.shape, kernel, stride, padding), dtype=x.dtype)
    _stochastic_pool_weighted(x, y, y, *kernel, *stride, *padding, False)
    return y


def stochastic_pool_weighted_backward(grad, x, kernel, stride, padding):
    """Gradient of the probabilistic weighting, (2 a_j - y) / sum a per window; returns an array shaped like ``x``."""
    dx = np.zeros(x.shape, dtype=grad.dtype)
    _stochastic_pool_weighted(np.ascontiguousarray(x), np.ascontiguousarray(grad), dx, *kernel, *stride, *padding, True)
    return dx


@njit(cache=CACHE)
def _lstm_cell_forward(t, c, c_next):
    """The reference's arithmetic in its order, in place in ``t``, one pass over the rows (serial,
    as the backward)."""
    size = c.shape[1]
    half = t.dtype.type(0.5)
    for b in range(c.shape[0]):
        i, f, g, o = t[b, :size], t[b, size:2 * size], t[b, 2 * size:3 * size], t[b, 3 * size:]
        cb, out = c[b], c_next[b]
        for k in range(size):
            i[k] = i[k] * half + half
            f[k] = f[k] * half + half
            o[k] = o[k] * half + half
            out[k] = f[k] * cb[k] + i[k] * g[k]


def lstm_cell_forward(t, c):
    """The arithmetic of one LSTM cell around its tanh, as the reference kernel (``t`` becomes
    the gates), to the same bits; one pass instead of six NumPy operations."""
    c = np.ascontiguousarray(c)
    c_next = np.empty_like(c)
    _lstm_cell_forward(t, c, c_next)
    return t, c_next


@njit(cache=CACHE)
def _lstm_cell_backward(gates, c, tanh_c, dh, dc, dgates, dc_prev):
    """The reference's arithmetic in its order, one pass over the rows; serial: a step of
    (64, 128) takes a few microseconds, less than waking a second thread."""
    size = c.shape[1]
    one = gates.dtype.type(1)  # a typed 1: an int would turn the loop into float64
    for b in range(c.shape[0]):
        i, f, g, o = gates[b, :size], gates[b, size:2 * size], gates[b, 2 * size:3 * size], gates[b, 3 * size:]
        di, df, dg, do = dgates[b, :size], dgates[b, size:2 * size], dgates[b, 2 * size:3 * size], dgates[b, 3 * size:]
        cb, tb, dhb, dcb, out = c[b], tanh_c[b], dh[b], dc[b], dc_prev[b]
        for k in range(size):
            d = dcb[k] + dhb[k] * o[k] * (one - tb[k] * tb[k])
            di[k] = d * g[k] * i[k] * (one - i[k])
            df[k] = d * cb[k] * f[k] * (one - f[k])
            dg[k] = d * i[k] * (one - g[k] * g[k])
            do[k] = dhb[k] * tb[k] * o[k] * (one - o[k])
            out[k] = d * f[k]


def lstm_cell_backward(gates, c, tanh_c, dh, dc):
    """The backward of one LSTM cell, as the reference kernel, to the same bits; in one pass
    over the arrays instead of some twenty NumPy operations (about 7x faster at (64, 128))."""
    arrays = [np.ascontiguousarray(a) for a in (gates, c, tanh_c, dh, dc)]
    dgates, dc_prev = np.empty_like(arrays[0]), np.empty_like(arrays[1])
    _lstm_cell_backward(*arrays, dgates, dc_prev)
    return dgates, dc_prev
