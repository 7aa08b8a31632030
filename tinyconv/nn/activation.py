"""Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh (elementwise, any shape)."""
from .. import functional as F
from ..functional.activation import slope_arg
from .module import Module


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = slope_arg(negative_slope)

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)
