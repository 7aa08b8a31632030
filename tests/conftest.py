"""Hypothesis settings for the suite: no per-example deadline (the first call of an op can be
slow), and a modest number of examples, since gradient checks cost two forwards per element.
Run a deeper search with ``--hypothesis-profile=thorough``. The ``device`` fixture runs a test
on each device; ``http_folder`` serves a folder over HTTP on loopback. An autouse fixture fails
every test that leaves process-wide state changed (``leaves_process_state_alone``)."""
import http.server
import os
import threading

import pytest
from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=25)
settings.register_profile("thorough", deadline=None, max_examples=500)
settings.load_profile("default")


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Runs a test once per device: "cpu" always, "cuda" where CuPy sees a GPU (else skipped)."""
    from tinyconv import backend
    if request.param == "cuda" and not backend.cuda_available():
        pytest.skip("no GPU: CuPy is not installed or sees no GPU")
    return request.param


@pytest.fixture
def http_folder(tmp_path):
    """(folder, url): files written into ``folder`` (tmp_path / "www") are served at ``url``
    by a quiet HTTP server on 127.0.0.1, shut down after the test."""
    folder = tmp_path / "www"
    folder.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(folder), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def process_state():
    """The process-wide state that a test must leave as it found it: tinyconv's backend
    settings (kernels, blas_threads, column_buffer_limits), the thread counts of the BLAS and
    OpenMP libraries loaded (threadpoolctl), Numba's thread count, grad and anomaly modes, and
    the environment variables TINYCONV_* and NUMBA_*."""
    import numba
    import threadpoolctl
    import tinyconv
    from tinyconv import backend
    return {
        **backend.settings(),
        "library threads": {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info()},
        "numba threads": numba.get_num_threads(),
        "grad mode": tinyconv.is_grad_enabled(),
        "anomaly mode": tinyconv.is_anomaly_enabled(),
        "environment": {k: v for k, v in os.environ.items() if k.startswith(("TINYCONV_", "NUMBA_"))},
    }


def changes(before, after):
    """{what: "before -> after"} for each piece of :func:`process_state` that differs (thread
    counts only of the libraries loaded in both)."""
    loaded = before["library threads"].keys() & after["library threads"].keys()

    def comparable(state):
        return {**state, "library threads": {k: state["library threads"][k] for k in sorted(loaded)}}

    before, after = comparable(before), comparable(after)
    return {what: f"{before[what]!r} -> {after[what]!r}" for what in before if before[what] != after[what]}


@pytest.fixture(autouse=True)
def leaves_process_state_alone():
    """Fails a test that leaves process-wide state changed (see :func:`process_state`), naming
    what changed. The default generator is the exception: tests seed it (``tc.manual_seed``)
    as scripts do, so its state is restored after each test instead."""
    import tinyconv
    generator = tinyconv.default_rng().bit_generator
    seed_state = generator.state
    before = process_state()
    yield
    generator.state = seed_state
    changed = changes(before, process_state())
    if changed:
        pytest.fail("the test left process-wide state changed: "
                    + "; ".join(f"{what}: {change}" for what, change in changed.items()), pytrace=False)
