"""Layers and models."""
from ..tensor import Parameter
from .module import Module
from .container import Sequential, ModuleList, ModuleDict
from .linear import Identity, Linear
from .conv import Conv2d, ConvTranspose2d
from .batchnorm import BatchNorm1d, BatchNorm2d
from .normalization import LayerNorm, GroupNorm
from .pooling import MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, StochasticPool2d
from .activation import ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Softmax, LogSoftmax
from .flatten import Flatten, Unflatten
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .rnn import RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, MultiMarginLoss, NLLLoss
from . import functional, init, utils
