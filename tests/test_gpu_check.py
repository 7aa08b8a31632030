"""benchmarks/gpu_check.py: one clear line and exit status 2 without a GPU; with one, the
RESULTS.md section it writes (the measurements replaced by fixed figures, so that the report
is checked on a machine without a GPU)."""
import importlib.util
import os
import subprocess
import sys

import pytest

from tinyconv import backend

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
SCRIPT = os.path.join(BENCHMARKS, "gpu_check.py")


@pytest.mark.skipif(backend.cuda_available(), reason="a GPU is present: the script would measure it")
def test_without_a_gpu_it_says_so_in_one_line_and_exits_2():
    done = subprocess.run([sys.executable, SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("gpu_check: no GPU to measure: device 'cuda' is not available")


@pytest.fixture
def gpu_check(monkeypatch):
    """The script as a module, its measurements replaced by fixed figures."""
    monkeypatch.syspath_prepend(BENCHMARKS)
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import conv_cpu_vs_gpu
    monkeypatch.setattr(module.backend, "require_cuda", lambda: None)
    monkeypatch.setattr(module, "cuda_torch", lambda: None)
    monkeypatch.setattr(module, "cuda_tests", lambda timeout: (1, "2 failed, 40 passed in 9.00s"))
    monkeypatch.setattr(module, "kernel_table", lambda repeats, torch: (
        "Test GPU", "device-to-device copy 4000 GB/s", ["| shape | ... |", "|---|---|"]))
    monkeypatch.setattr(conv_cpu_vs_gpu, "lenet_epoch", lambda args, torch: {"tinyconv": 3.0})
    return module


def test_the_section_names_the_gpu_the_date_the_command_and_the_failed_tests(gpu_check, tmp_path, monkeypatch, capsys):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmark results\n\nearlier figures\n")
    monkeypatch.setattr(gpu_check, "RESULTS", str(results))
    assert gpu_check.main(["--write", "--repeats", "3"]) == 0
    text = results.read_text()
    assert text.startswith("# Benchmark results\n\nearlier figures\n\n## GPU check: Test GPU, 20")
    assert "`python benchmarks/gpu_check.py --write --repeats 3`" in text
    assert "2 failed, 40 passed in 9.00s (exit status 1)" in text
    assert "| tinyconv | 3.00 |" in text and "device-to-device copy 4000 GB/s" in text
    assert text.endswith(capsys.readouterr().out)
