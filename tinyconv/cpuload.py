"""How many cores other processes keep busy: the CPU time that the usable cores spent busy over
the last quarter of a second, less this process's own (Linux: ``/proc/stat`` and
:func:`os.times`). Answers follow a new competitor within a window, where the 1-minute load
average takes a minute, and never count this process's own threads (OpenBLAS's spin between
GEMMs). Where ``/proc/stat`` is missing, or before the first window is complete, the answer is
None and the caller falls back to the load average.
"""
import os
import threading
import time

WINDOW = 0.25  # seconds of CPU accounting behind each answer


def usable_cores():
    """The cores this process may run on (its affinity), at least 1."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def busy_seconds():
    """CPU seconds the usable cores have spent busy since boot (user, nice, system, irq, softirq
    and steal time of their ``/proc/stat`` lines), or None where there is no ``/proc/stat``."""
    cores = {f"cpu{i}" for i in os.sched_getaffinity(0)} if hasattr(os, "sched_getaffinity") else None
    try:
        with open("/proc/stat") as f:
            lines = [line.split() for line in f if line.startswith("cpu") and not line.startswith("cpu ")]
    except OSError:
        return None
    ticks = sum(sum(int(v) for v in (f[1:4] + f[6:9])) for f in lines if cores is None or f[0] in cores)
    return ticks / os.sysconf("SC_CLK_TCK")


def own_seconds():
    """CPU seconds this process (all its threads) has spent, user and system."""
    t = os.times()
    return t.user + t.system


class Meter:
    """The cores that other processes kept busy over the last complete window of at least
    ``WINDOW`` seconds, read anew at most once per window (a fraction of a millisecond)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._start = None  # (monotonic seconds, busy seconds, own seconds) at the window's start
        self._others = None

    def others(self):
        """Cores busy with other processes' work (a float >= 0), or None where unknown."""
        now = time.monotonic()
        with self._lock:
            if self._start is None or now - self._start[0] >= WINDOW:
                busy = busy_seconds()
                if busy is None:
                    return None
                sample = (now, busy, own_seconds())
                if self._start is not None:
                    spent = (sample[1] - self._start[1]) - (sample[2] - self._start[2])
                    self._others = max(0.0, spent / (now - self._start[0]))
                self._start = sample
            return self._others


meter = Meter()
