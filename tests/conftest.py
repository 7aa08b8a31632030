"""Hypothesis settings for the suite: no per-example deadline (the first call of an op can be
slow), and a modest number of examples, since gradient checks cost two forwards per element.
Run a deeper search with ``--hypothesis-profile=thorough``. The ``device`` fixture runs a test
on each device; ``http_folder`` serves a folder over HTTP on loopback."""
import http.server
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
