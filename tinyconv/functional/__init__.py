"""Differentiable operations: each file holds a family of Functions and their wrappers."""
from .math import (add, sub, mul, div, neg, pow, matmul, exp, log, sum, mean, max, min, amax, amin, argmax, argmin,
                   abs, sqrt, clamp, where, cast, clone, sum_to)
from .shape import (reshape, view, transpose, permute, unsqueeze, squeeze, flatten, getitem, cat, concat, stack, unbind,
                    take_along_dim)
from .activation import sigmoid, tanh, relu, leaky_relu, gelu, softmax, log_softmax
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, crammer_singer_loss, cross_entropy, l1_loss,
                   mse_loss, multi_margin_loss, nll_loss, one_hot, softmax_cross_entropy)
from .linear import linear
from .conv import conv2d, conv_transpose2d
from .pooling import max_pool2d, avg_pool2d, adaptive_avg_pool2d
from .dropout import dropout, dropout2d
from .embedding import embedding
from .stochastic_pooling import stochastic_pool2d
from .normalization import batch_norm, layer_norm, group_norm
from .recurrent import rnn_cell, lstm_cell, gru_cell, rnn, lstm, gru
