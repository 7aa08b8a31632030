"""tinyconv.cpuload: the cores other processes keep busy, from CPU time over a short window,
without counting this process's own threads."""
import subprocess
import sys
import time

import pytest

from tinyconv import cpuload


@pytest.fixture
def accounts(monkeypatch):
    """A fake clock, machine busy time and own CPU time, all in seconds."""
    now = {"clock": 0.0, "busy": 100.0, "own": 10.0}
    monkeypatch.setattr(cpuload.time, "monotonic", lambda: now["clock"])
    monkeypatch.setattr(cpuload, "busy_seconds", lambda: now["busy"])
    monkeypatch.setattr(cpuload, "own_seconds", lambda: now["own"])
    return now


def test_others_are_the_machine_s_busy_time_less_this_process_s(accounts):
    meter = cpuload.Meter()
    assert meter.others() is None  # no complete window yet
    accounts.update(clock=0.5, busy=101.5, own=10.5)  # 3 core-seconds per second busy, 1 of them ours
    assert meter.others() == pytest.approx(2.0)
    accounts.update(clock=0.6, busy=200.0)  # within the window: the last answer, nothing read
    assert meter.others() == pytest.approx(2.0)
    accounts.update(clock=1.0, busy=200.5, own=10.9)  # a new window from 0.5: (99 - 0.4) / 0.5
    assert meter.others() == pytest.approx(197.2)
    accounts.update(clock=1.5, busy=201.0, own=11.4)  # only this process was busy
    assert meter.others() == 0.0


def test_no_proc_stat_means_no_answer(accounts, monkeypatch):
    monkeypatch.setattr(cpuload, "busy_seconds", lambda: None)
    meter = cpuload.Meter()
    accounts["clock"] = 1.0
    assert meter.others() is None and meter.others() is None


def test_a_competing_process_is_seen_within_a_window():
    if cpuload.busy_seconds() is None:
        pytest.skip("no /proc/stat here")
    meter = cpuload.Meter()
    meter.others()
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # the spinner starts
        meter.others()
        time.sleep(cpuload.WINDOW + 0.1)
        assert meter.others() >= 0.5  # about one core; more where others are busy too
    finally:
        spinner.kill()
        spinner.wait()


def test_this_process_s_spinning_shows_in_both_accounts():
    """What the meter takes off (own CPU time) is part of what it reads (the cores' busy time)."""
    if cpuload.busy_seconds() is None:
        pytest.skip("no /proc/stat here")
    busy, own = cpuload.busy_seconds(), cpuload.own_seconds()
    end = time.monotonic() + 30  # CPU time, not wall time: other jobs may hold the cores
    while cpuload.own_seconds() - own < 0.3 and time.monotonic() < end:
        pass
    spun = cpuload.own_seconds() - own
    assert spun >= 0.3
    assert cpuload.busy_seconds() - busy >= 0.8 * spun - 0.02  # the machine's count: 10 ms ticks
