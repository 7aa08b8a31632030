"""Process-wide state: importing tinyconv changes nothing outside tinyconv, tinyconv's own BLAS
thread count applies to its own GEMMs only, every scoped setter restores what it changed, and
the suite's fixture (tests/conftest.py) notices a test that leaves such state changed."""
import ast
import os
import subprocess
import sys

import numpy as np
import pytest
import threadpoolctl

import tinyconv as tc
from tinyconv import backend, functional as F
from tinyconv.kernels import reference

import conftest


def blas_threads_now():
    """Thread counts of NumPy's BLAS (where PyTorch or SciPy are loaded too, theirs are not
    tinyconv's: it never changes them)."""
    infos = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]
    own = [i for i in infos if os.path.basename(os.path.dirname(i["filepath"])).startswith("numpy")]
    return [i["num_threads"] for i in own or infos]


def run_python(code, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TINYCONV_")}
    environ.update(env)
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_leaves_the_blas_thread_count_alone():
    out = run_python("import numpy, threadpoolctl\n"
                     "threadpoolctl.threadpool_limits(3, user_api='blas')\n"
                     "import tinyconv\n"
                     "print([i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'])")
    assert set(ast.literal_eval(out)) == {3}


def test_a_bad_blas_thread_variable_fails_when_used_and_names_it(monkeypatch):
    run_python("import tinyconv", TINYCONV_BLAS_THREADS="abc")  # the import itself does not read it
    monkeypatch.setenv("TINYCONV_BLAS_THREADS", "abc")
    with pytest.raises(ValueError, match=r"TINYCONV_BLAS_THREADS: expected a positive int, got 'abc'"):
        backend.blas_threads()
    monkeypatch.setenv("TINYCONV_BLAS_THREADS", "0")
    with pytest.raises(ValueError, match="TINYCONV_BLAS_THREADS.*'0'"):
        backend.blas_threads()



def test_a_bad_kernel_variable_names_it_instead_of_falling_back():
    code = ("import numpy as np, tinyconv as tc\n"
            "try:\n"
            "    tc.functional.max_pool2d(tc.Tensor(np.ones((1, 1, 4, 4))), 2)\n"
            "except ValueError as e:\n"
            "    print(e)\n")
    out = run_python(code, TINYCONV_KERNELS="nmuba")
    assert "TINYCONV_KERNELS: expected one of ('numba', 'reference'), got 'nmuba'" in out

def test_convolution_gemms_run_with_tinyconv_s_count_and_restore_the_library_s(monkeypatch):
    seen = []
    im2col = reference.im2col

    def spy(*args, **kwargs):
        seen.append(blas_threads_now())
        return im2col(*args, **kwargs)

    monkeypatch.setattr(reference, "im2col", spy)
    x = tc.Tensor(np.ones((2, 1, 6, 6), np.float32), requires_grad=True)
    w = tc.Tensor(np.ones((3, 1, 3, 3), np.float32), requires_grad=True)
    with threadpoolctl.threadpool_limits(3, user_api="blas"), backend.use_kernels("reference"), \
            backend.use_blas_threads(1):
        F.conv2d(x, w).sum().backward()
        after = blas_threads_now()
    assert seen and all(set(s) == {1} for s in seen)
    assert set(after) == {3}


def test_dense_layers_and_matmul_restore_the_library_s_count():
    x = tc.Tensor(np.ones((4, 5), np.float32), requires_grad=True)
    w = tc.Tensor(np.ones((3, 5), np.float32), requires_grad=True)
    with threadpoolctl.threadpool_limits(3, user_api="blas"), backend.use_blas_threads(1):
        (F.linear(x, w).sum() + (x @ w.T).sum()).backward()
        assert set(blas_threads_now()) == {3}


def test_use_blas_threads_sets_tinyconv_s_count_for_the_block_only(monkeypatch):
    monkeypatch.delenv("TINYCONV_BLAS_THREADS", raising=False)
    assert backend.blas_threads() == 1
    monkeypatch.setenv("TINYCONV_BLAS_THREADS", "2")
    assert backend.blas_threads() == 2
    with backend.use_blas_threads(3):
        assert backend.blas_threads() == 3
    assert backend.blas_threads() == 2
    with pytest.raises(ValueError, match="n: expected a positive int"):
        with backend.use_blas_threads(0):
            pass


def test_use_column_buffer_limit_restores_the_limit_even_after_an_error():
    before = backend.column_buffer_limit("cpu")
    with pytest.raises(KeyError):
        with backend.use_column_buffer_limit(1024):
            assert backend.column_buffer_limit("cpu") == 1024
            assert backend.column_buffer_limit("cuda") != 1024
            raise KeyError
    assert backend.column_buffer_limit("cpu") == before


def test_fork_rng_restores_the_default_generator_as_pytorch_s_does():
    tc.manual_seed(3)
    with pytest.raises(KeyError):
        with tc.random.fork_rng():
            tc.manual_seed(7)
            tc.default_rng().random(5)
            raise KeyError
    assert tc.default_rng().random() == np.random.default_rng(3).random()
    with tc.random.fork_rng(enabled=False):
        tc.default_rng().random()
    assert tc.default_rng().random() == np.random.default_rng(3).random(3)[2]


def test_the_fixture_names_each_piece_of_state_a_test_left_changed(monkeypatch):
    before = conftest.process_state()
    monkeypatch.setenv("TINYCONV_KERNELS", "reference")
    with backend.use_kernels("reference"), backend.use_column_buffer_limit(4096), tc.no_grad():
        changed = conftest.changes(before, conftest.process_state())
    assert sorted(changed) == ["column_buffer_limits", "environment", "grad mode", "kernels"]
    assert "TINYCONV_KERNELS" in changed["environment"]
    assert conftest.changes(before, conftest.process_state()) == {"environment": changed["environment"]}


class MatmulSpy(np.ndarray):
    """An array that records the BLAS thread counts at each matrix product it takes part in."""
    seen = []

    def __matmul__(self, other):
        MatmulSpy.seen.append(blas_threads_now())
        return np.asarray(self) @ np.asarray(other)

    def __rmatmul__(self, other):
        MatmulSpy.seen.append(blas_threads_now())
        return np.asarray(other) @ np.asarray(self)


def test_rbm_and_tempotron_products_run_with_tinyconv_s_count(monkeypatch):
    from tinyconv.rbm import learning, sampling
    from tinyconv.snn.tempotron import PeakPotential
    monkeypatch.setattr(MatmulSpy, "seen", [])
    rng = np.random.default_rng(0)
    spy = lambda *shape: rng.random(shape).view(MatmulSpy)  # noqa: E731
    m = sampling.Machine(rng.random((3, 5)), rng.random(5), rng.random(3), "bernoulli")
    peak = PeakPotential()
    peak.needs_input_grad = (True, True)
    with threadpoolctl.threadpool_limits(3, user_api="blas"), backend.use_blas_threads(1):
        sampling.hidden_probabilities(m, spy(4, 5))
        sampling.visible_mean(m, spy(4, 3))
        sampling.free_energy(m, spy(4, 5))
        learning.statistics(spy(4, 5), spy(4, 3), spy(4, 5), spy(4, 3))
        peak.forward(spy(2, 4, 5), rng.random((3, 5)))
        peak.backward(spy(4, 3))
        assert set(blas_threads_now()) == {3}
    assert len(MatmulSpy.seen) == 9 and all(set(s) == {1} for s in MatmulSpy.seen), MatmulSpy.seen
