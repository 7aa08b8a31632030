"""Convolution of one-channel input as im2col + GEMM, shared by the reference and CUDA kernels
(each passes its own im2col; the GEMM is the array library's: NumPy's BLAS or CuPy's cuBLAS).
Stride 1, no dilation. Imports nothing: arrays in, arrays out."""


def one_channel_product(unfold, x, weight, padding):
    """``conv2d_one_channel`` of ``x`` (N, 1, H, W) and ``weight`` (O, 1, KH, KW) with the
    im2col function ``unfold``: returns (N, O, OH, OW), C-contiguous."""
    o, _, kh, kw = weight.shape
    oh, ow = x.shape[2] + 2 * padding[0] - kh + 1, x.shape[3] + 2 * padding[1] - kw + 1
    y = weight.reshape(o, kh * kw) @ unfold(x, (kh, kw), (1, 1), padding, (1, 1))
    return y.reshape(o, x.shape[0], oh, ow).transpose(1, 0, 2, 3).copy()


def one_channel_weight_product(unfold, x, grad, kernel, padding):
    """``conv2d_one_channel_weight_grad``: the weight gradient (O, 1, KH, KW) for the output
    gradient ``grad`` (N, O, OH, OW), with the im2col function ``unfold``."""
    col = unfold(x, kernel, (1, 1), padding, (1, 1))
    g2 = grad.transpose(1, 0, 2, 3).reshape(grad.shape[1], -1)
    return (g2 @ col.T).reshape(grad.shape[1], 1, *kernel)
