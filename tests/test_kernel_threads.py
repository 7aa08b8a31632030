"""How many threads tinyconv's GEMMs (BLAS) and CPU kernels (Numba) run on: by default one BLAS
thread and the kernels on the cores other processes leave idle; a BLAS count above 1 leaves the
kernels one (never both pools on several unless the user sets both); the user's choice where
given; Numba's own setting is the same after each call."""
import os
import subprocess
import sys
import time

import numba
import numpy as np
import pytest

from tinyconv import backend, cpuload
from tinyconv.kernels import cpu

needs_two_threads = pytest.mark.skipif(numba.get_num_threads() < 2 or len(os.sched_getaffinity(0)) < 2,
                                       reason="needs two Numba threads on two usable cores")


def threads_inside_a_kernel(monkeypatch):
    """Call im2col through backend.kernels and return the Numba thread count the kernel saw."""
    seen = []
    monkeypatch.setattr(cpu, "im2col", lambda *args: seen.append(numba.get_num_threads()))
    backend.kernels(np.zeros((1, 1, 4, 4), np.float32)).im2col(None, (2, 2), (1, 1), (0, 0), (1, 1))
    return seen[0]


def others_busy(monkeypatch, cores):
    """Other processes keep ``cores`` cores busy, as tinyconv.cpuload measures."""
    monkeypatch.setattr(cpuload.meter, "others", lambda: cores)


def load_average(monkeypatch, load):
    """No CPU accounting (tinyconv.cpuload answers None): the 1-minute load average is ``load``."""
    monkeypatch.setattr(cpuload.meter, "others", lambda: None)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))


@pytest.fixture
def defaults(monkeypatch):
    """No thread count chosen by the user."""
    for name in ("TINYCONV_BLAS_THREADS", "TINYCONV_KERNEL_THREADS"):
        monkeypatch.delenv(name, raising=False)
    with backend.use_blas_threads(None), backend.use_kernel_threads(None):
        yield


@needs_two_threads
def test_a_busy_machine_runs_the_kernels_on_one_thread(monkeypatch, defaults):
    others_busy(monkeypatch, len(os.sched_getaffinity(0)) - 0.6)
    before = numba.get_num_threads()
    assert threads_inside_a_kernel(monkeypatch) == 1
    assert numba.get_num_threads() == before


@needs_two_threads
def test_a_quiet_machine_runs_the_kernels_on_every_numba_thread_and_the_gemms_on_one(monkeypatch, defaults):
    others_busy(monkeypatch, 0.1)
    assert threads_inside_a_kernel(monkeypatch) == min(numba.get_num_threads(), len(os.sched_getaffinity(0)))
    assert backend.blas_threads() == 1  # the bits of a run never depend on the load


@needs_two_threads
def test_gemms_on_several_threads_leave_the_kernels_one(monkeypatch, defaults):
    others_busy(monkeypatch, 0.0)
    with backend.use_blas_threads(2):
        assert threads_inside_a_kernel(monkeypatch) == 1
    monkeypatch.setenv("TINYCONV_BLAS_THREADS", "2")
    assert threads_inside_a_kernel(monkeypatch) == 1
    with backend.use_kernel_threads(2):  # both chosen: the user's choice, even two pools
        assert (backend.blas_threads(), threads_inside_a_kernel(monkeypatch)) == (2, 2)


@needs_two_threads
def test_without_cpu_accounting_the_load_average_decides(monkeypatch, defaults):
    load_average(monkeypatch, 2.0 + len(os.sched_getaffinity(0)))
    assert threads_inside_a_kernel(monkeypatch) == 1
    load_average(monkeypatch, 0.0)
    assert threads_inside_a_kernel(monkeypatch) == min(numba.get_num_threads(), len(os.sched_getaffinity(0)))


@needs_two_threads
def test_the_users_choice_wins_over_the_load(monkeypatch):
    others_busy(monkeypatch, 100.0)
    with backend.use_kernel_threads(2):
        assert backend.kernel_threads() == 2
        assert threads_inside_a_kernel(monkeypatch) == 2
    monkeypatch.setenv("TINYCONV_KERNEL_THREADS", "2")
    assert threads_inside_a_kernel(monkeypatch) == 2


def test_more_threads_than_numba_has_are_capped(monkeypatch):
    with backend.use_kernel_threads(numba.config.NUMBA_NUM_THREADS + 1):
        assert threads_inside_a_kernel(monkeypatch) == numba.get_num_threads()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_a_bad_thread_count_names_the_argument(bad):
    with pytest.raises((TypeError, ValueError), match="n: expected"):
        backend.set_kernel_threads(bad)


@pytest.mark.parametrize("text", ["0", "two", "-1"])
def test_a_bad_thread_variable_fails_when_used_and_names_it(monkeypatch, text):
    monkeypatch.setenv("TINYCONV_KERNEL_THREADS", text)
    with pytest.raises(ValueError, match=f"TINYCONV_KERNEL_THREADS: expected .*{text!r}"):
        backend.kernel_threads()




@needs_two_threads
def test_a_new_competitor_takes_the_kernels_to_one_thread_before_the_load_average_shows_it(monkeypatch, defaults):
    if cpuload.busy_seconds() is None or len(os.sched_getaffinity(0)) != 2:
        pytest.skip("needs /proc/stat and exactly two usable cores")
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))  # a minute behind: nothing yet
    monkeypatch.setattr(cpuload, "meter", cpuload.Meter())
    cpuload.meter.others()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # the spinner starts
        cpuload.meter.others()
        time.sleep(cpuload.WINDOW + 0.1)
        assert threads_inside_a_kernel(monkeypatch) == 1
    finally:
        spinner.kill()
        spinner.wait()
