"""Hypothesis settings for the suite: no per-example deadline (the first call of an op can be
slow), and a modest number of examples, since gradient checks cost two forwards per element.
Run a deeper search with ``--hypothesis-profile=thorough``. The ``device`` fixture runs a test
on each device."""
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
