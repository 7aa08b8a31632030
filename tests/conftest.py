"""Hypothesis settings for the suite: no per-example deadline (the first call of an op can be
slow), and a modest number of examples, since gradient checks cost two forwards per element.
Run a deeper search with ``--hypothesis-profile=thorough``."""
from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=25)
settings.register_profile("thorough", deadline=None, max_examples=500)
settings.load_profile("default")
