"""tinyconv: a small from-scratch deep-learning framework for image recognition."""
from .autograd import Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .anomaly import detect_anomaly, is_anomaly_enabled, NonFiniteError, AnomalyError
from .tensor import Tensor, Parameter, tensor, as_tensor
from .random import manual_seed, default_rng
from . import functional, nn, optim, data, cuda, utils
from . import snn
from . import metrics
from . import distributed
from .gradcheck import gradcheck
from .rbm import RBM
from .dbn import DBN
from .checkpoint import save, load

__version__ = "0.1.0"
