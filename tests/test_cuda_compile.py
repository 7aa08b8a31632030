"""The CUDA kernels compile: Numba's type inference and libNVVM turn each of them into PTX, for
float32 and float64, without a GPU (``numba.cuda.compile_ptx``). The simulator runs the kernels
as Python and cannot see typing errors; this does. Skipped under the simulator and where Numba
finds no libNVVM (part of a CUDA toolkit).
"""
import types

import pytest
from numba import config

if config.ENABLE_CUDASIM:
    pytest.skip("compiling to PTX needs the real numba.cuda, not the simulator", allow_module_level=True)

from numba import cuda, types as T  # noqa: E402
from numba.cuda.cudadrv import nvvm  # noqa: E402

if not nvvm.is_available():
    pytest.skip("no libNVVM: install a CUDA toolkit to compile the CUDA kernels to PTX", allow_module_level=True)

from tinyconv.kernels import cuda as ck  # noqa: E402

I = T.int64


def signatures(ft):
    a4, a2, i4, d4 = T.Array(ft, 4, "C"), T.Array(ft, 2, "C"), T.Array(T.int64, 4, "C"), T.Array(T.float64, 4, "C")
    return {  # the argument types the launchers pass
        "_im2col": (a4, a2) + (I,) * 10 + (ft,),
        "_col2im": (a2, a4) + (I,) * 10 + (ft,),
        "_max_pool_forward": (a4, a4, i4) + (I,) * 6 + (ft,),
        "_max_pool_backward": (a4, i4, a4) + (I,) * 6 + (ft,),
        "_avg_pool_forward": (a4, a4) + (I,) * 6 + (ft, ft),
        "_avg_pool_backward": (a4, a4) + (I,) * 6 + (ft, ft),
        "_stochastic_pool_forward": (a4, d4, a4, i4) + (I,) * 6 + (ft,),
        "_weighted_pool_forward": (a4, a4) + (I,) * 6,
        "_weighted_pool_coefficients": (a4, a4, d4, d4) + (I,) * 6,
        "_weighted_pool_backward": (a4, d4, d4, a4) + (I,) * 6,
    }


@pytest.fixture
def target(monkeypatch):
    """Device functions compile for the current GPU's compute capability; without a GPU, for 8.0."""
    if not cuda.is_available():
        import numba.cuda.dispatcher as dispatcher
        if not hasattr(dispatcher, "get_current_device"):
            pytest.skip("this Numba CUDA target needs a GPU to compile device functions")
        monkeypatch.setattr(dispatcher, "get_current_device", lambda: types.SimpleNamespace(compute_capability=(8, 0)))


@pytest.mark.parametrize("ft", [T.float32, T.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", sorted(signatures(T.float32)))
def test_kernel_compiles_to_ptx(target, name, ft):
    ptx, _ = cuda.compile_ptx(getattr(ck, name).py_func, signatures(ft)[name], cc=(8, 0))
    assert ".entry" in ptx
    if ft == T.float32 and name in ("_im2col", "_col2im", "_max_pool_forward", "_max_pool_backward",
                                    "_avg_pool_forward", "_avg_pool_backward"):
        assert ".f64" not in ptx  # float32 kernels stay in float32 arithmetic
