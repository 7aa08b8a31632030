"""Optimizers, learning-rate schedules and gradient clipping."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .clip import clip_grad_norm_
