"""Raw kernels: arrays in, arrays out; no Tensor, no autograd.

``reference`` holds the NumPy implementations (vectorised over the batch and channels, a
Python loop over kernel offsets): the readable path and the oracle that faster kernels are
tested against.
"""
