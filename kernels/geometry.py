"""Sliding-window geometry shared by the kernels and the functional ops (pure integer code)."""


def output_size(size, kernel, stride, padding, dilation):
    """Output length of a sliding window: floor((size + 2P - D*(K-1) - 1) / S) + 1."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
