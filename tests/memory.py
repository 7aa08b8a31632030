"""Peak memory of a block of code, measured with tracemalloc (Python and NumPy allocations)."""
import contextlib
import tracemalloc


@contextlib.contextmanager
def peak_memory():
    """Yield a list that receives, when the block ends, the peak number of bytes allocated
    in it beyond what was allocated when it began. Tracing is stopped again afterwards unless
    it was on before."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    result = []
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1] - start)
        if not was_tracing:
            tracemalloc.stop()
