"""The CUDA kernels compile: Numba's type inference and libNVVM turn each of them into PTX, for
float32 and float64, without a GPU (``numba.cuda.compile_ptx``). The simulator runs the kernels
as Python and cannot see typing errors; this does. Skipped under the simulator and where Numba
finds no libNVVM (part of a CUDA toolkit).

Nothing here is kept by hand: the kernels are the public functions of
:mod:`tinyconv.kernels.reference`, called by their parameter names on small arrays
(:func:`example_arguments`); each CUDA launcher of the same name records the ``@cuda.jit``
kernels it launches and the argument types it passes, and those are what get compiled.
"""
import inspect
import types

import numpy as np
import pytest
from numba import config, typeof

if config.ENABLE_CUDASIM:
    pytest.skip("compiling to PTX needs the real numba.cuda, not the simulator", allow_module_level=True)

from numba import cuda  # noqa: E402
from numba.cuda.cudadrv import nvvm  # noqa: E402
from numba.cuda.dispatcher import CUDADispatcher  # noqa: E402

if not nvvm.is_available():
    pytest.skip("no libNVVM: install a CUDA toolkit to compile the CUDA kernels to PTX", allow_module_level=True)

from tinyconv.kernels import cuda as ck, reference as ref  # noqa: E402
from test_kernel_contract import KERNELS  # noqa: E402
# Stochastic pooling sums in float64 by contract (the same samples from the same draws on every
# kernel module); every other kernel keeps float32 inputs in float32 arithmetic.
FLOAT64_SUMS = "stochastic_pool"


def example_arguments(name, dtype):
    """The arguments of one small call of the reference kernel ``name``, by parameter name (the
    shape letters of kernels/reference.py); parameters with defaults keep them.

    Raises:
        KeyError: a parameter name this table does not know (add its example here).
    """
    # one channel: conv2d_one_channel's input (the other kernels compile the same for any C)
    n, c, h, w, kernel, stride, padding, dilation = 2, 1, 5, 4, (2, 2), (1, 1), (1, 0), (1, 1)
    oh, ow = h + 2 * padding[0] - kernel[0] + 1, w + 2 * padding[1] - kernel[1] + 1
    values = {
        "x": np.ones((n, c, h, w), dtype), "shape": (n, c, h, w),
        "col": np.ones((c * kernel[0] * kernel[1], n * oh * ow), dtype),
        "grad": np.ones((n, c, oh, ow), dtype), "argmax": np.zeros((n, c, oh, ow), np.int64),
        "u": np.full((n, c, oh, ow), 0.5), "kernel": kernel, "stride": stride, "padding": padding,
        "dilation": dilation, "weight": np.ones((3, c) + kernel, dtype),
        # the LSTM cell kernels: n rows, w hidden units
        "t": np.ones((n, 4 * w), dtype), "gates": np.ones((n, 4 * w), dtype),
        **{state: np.ones((n, w), dtype) for state in ("c", "tanh_c", "dh", "dc")},
    }
    parameters = inspect.signature(getattr(ref, name)).parameters.values()
    return [values[p.name] for p in parameters if p.default is inspect.Parameter.empty]


def launches(name, dtype):
    """{kernel: argument types} of the ``@cuda.jit`` kernels that the CUDA launcher ``name``
    launches on ``dtype`` arrays (recorded, not run)."""
    launched = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ck, "_launch", lambda kernel, count, blocks, threads, *args:
                      launched.setdefault(kernel, tuple(typeof(a) for a in args)))
        getattr(ck, name)(*example_arguments(name, dtype))
    return launched


@pytest.fixture
def target(monkeypatch):
    """Device functions compile for the current GPU's compute capability; without a GPU, for 8.0."""
    if not cuda.is_available():
        import numba.cuda.dispatcher as dispatcher
        if not hasattr(dispatcher, "get_current_device"):
            pytest.skip("this Numba CUDA target needs a GPU to compile device functions")
        monkeypatch.setattr(dispatcher, "get_current_device", lambda: types.SimpleNamespace(compute_capability=(8, 0)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", KERNELS)
def test_kernel_compiles_to_ptx(target, name, dtype):
    launched = launches(name, dtype)
    assert launched, f"{name} launches no kernel"
    for kernel, signature in launched.items():
        ptx, _ = cuda.compile_ptx(kernel.py_func, signature, cc=(8, 0))
        assert ".entry" in ptx
        if dtype == np.float32 and not name.startswith(FLOAT64_SUMS):
            assert ".f64" not in ptx, f"{kernel.py_func.__name__}: float32 kernels stay in float32 arithmetic"


def test_every_cuda_kernel_is_launched_by_a_reference_kernel():
    """So that the compile test above reaches every ``@cuda.jit`` kernel of kernels/cuda.py."""
    launched = {k for name in KERNELS for k in launches(name, np.float32)}
    defined = {k for k in vars(ck).values() if isinstance(k, CUDADispatcher) and not k.targetoptions["device"]}
    assert sorted(k.py_func.__name__ for k in defined - launched) == []
