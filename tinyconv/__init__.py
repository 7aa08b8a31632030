"""tinyconv: a small from-scratch deep-learning framework for image recognition."""
from .autograd import Function, no_grad, enable_grad, set_grad_enabled, is_grad_enabled
from .anomaly import detect_anomaly, is_anomaly_enabled, NonFiniteError, AnomalyError
from .tensor import Tensor, Parameter, tensor, as_tensor
from .backend import device
from .creation import (zeros, ones, full, empty, zeros_like, ones_like, full_like, empty_like, rand, randn, rand_like,
                       randn_like, randint, arange, linspace, eye, from_numpy)
from .dtypes import (float16, half, float32, float, float64, double, uint8, int8, int16, short, int32, int, int64,
                     long, bool, complex64, cfloat, complex128, cdouble)
from .functional import (abs, amax, amin, argmax, argmin, cat, clamp, concat, exp, flatten, log, log_softmax, matmul, max,
                         mean, min, permute, relu, reshape, sigmoid, softmax, sqrt, squeeze, stack, sum, tanh,
                         transpose, unbind, unsqueeze, where)
from .random import manual_seed, default_rng
from . import autograd, functional, nn, optim, data, cuda, utils
from . import snn
from . import metrics
from . import distributed
from .gradcheck import gradcheck
from .rbm import RBM
from .dbn import DBN
from .checkpoint import save, load

__version__ = "0.1.0"
