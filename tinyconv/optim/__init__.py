"""Optimizers, learning-rate schedules and gradient clipping."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam, AdamW
from .rmsprop import RMSprop
from .clip import clip_grad_norm_
from . import lr_scheduler
from .lr_scheduler import StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau
