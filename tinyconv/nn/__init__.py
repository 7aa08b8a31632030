"""Layers and models."""
from .module import Module
from .container import Sequential
from .linear import Linear
from .conv import Conv2d, ConvTranspose2d
from .batchnorm import BatchNorm1d, BatchNorm2d
from .pooling import MaxPool2d, AvgPool2d, StochasticPool2d
from .activation import ReLU, LeakyReLU, Sigmoid, Tanh
from .flatten import Flatten
from .dropout import Dropout
from .rnn import RNN, LSTM, GRU
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, MultiMarginLoss, NLLLoss
from . import functional, init
