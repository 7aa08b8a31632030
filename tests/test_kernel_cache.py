"""Numba's compiled-kernel cache lives in a user cache folder, never inside the installed
package: pip does not know such files, and a leftover ``tinyconv/kernels/__pycache__`` in
site-packages made ``tinyconv`` a namespace package that shadowed a later editable install.

Each test runs Python in a child process, so that Numba compiles the kernels afresh there,
with the environment (``TINYCONV_CACHE_DIR``) the test gives it."""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np

import tinyconv.kernels

REPO = Path(__file__).resolve().parent.parent
KERNELS = Path(tinyconv.kernels.__file__).resolve().parent
KERNEL_CALL = ("import numpy as np\n"
               "from tinyconv.kernels import cpu\n"
               "col = cpu.im2col(np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4), (2, 2), (1, 1), (0, 0), (1, 1))\n"
               "print(col.sum())\n")
KERNEL_SUM = sum(np.arange(16.0).reshape(4, 4)[i:i + 3, j:j + 3].sum() for i in (0, 1) for j in (0, 1))


def child_env(**extra):
    """This environment without Numba's or tinyconv's cache settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "TINYCONV_CACHE_DIR", "PYTHONPATH")}
    env.update(extra)
    return env


def run_python(python, code, cwd, env):
    done = subprocess.run([str(python), "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def snapshot(folder):
    """{path: (size, mtime)} of every file under ``folder``."""
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in Path(folder).rglob("*") if p.is_file()}


def test_a_kernel_call_caches_under_the_cache_folder_and_writes_nothing_in_the_package(tmp_path):
    before = snapshot(KERNELS)
    out = run_python(sys.executable, KERNEL_CALL, tmp_path, child_env(TINYCONV_CACHE_DIR=str(tmp_path / "cache")))
    assert float(out.stdout) == KERNEL_SUM
    assert list((tmp_path / "cache").rglob("*.nbi")), "no compiled kernel was cached in TINYCONV_CACHE_DIR"
    assert snapshot(KERNELS) == before


def test_the_cache_folder_expands_the_home_folder(tmp_path):
    env = child_env(HOME=str(tmp_path), TINYCONV_CACHE_DIR="~/kernel-cache")
    run_python(sys.executable, KERNEL_CALL, tmp_path, env)
    assert list((tmp_path / "kernel-cache").rglob("*.nbi"))


def test_an_unusable_cache_folder_compiles_without_caching(tmp_path):
    # A folder below a regular file can never be created, even by root (unlike a chmod).
    (tmp_path / "file").write_text("")
    before = snapshot(KERNELS)
    out = run_python(sys.executable, KERNEL_CALL, tmp_path, child_env(TINYCONV_CACHE_DIR=str(tmp_path / "file" / "cache")))
    assert float(out.stdout) == KERNEL_SUM
    assert "compiled kernels are not cached" in out.stderr and "TINYCONV_CACHE_DIR" in out.stderr
    assert snapshot(KERNELS) == before


def test_other_numba_functions_keep_numba_s_own_cache_and_import_changes_nothing(tmp_path):
    (tmp_path / "mine.py").write_text("from numba import njit\n\n@njit(cache=True)\ndef double(x):\n    return 2 * x\n")
    code = ("import numba.core.caching as caching\n"
            "locators = list(caching.CacheImpl._locator_classes)\n"
            "import tinyconv\n"
            "assert caching.CacheImpl._locator_classes == locators, 'import tinyconv changed Numba'\n"
            + KERNEL_CALL +
            "import mine\n"
            "print(mine.double(21))\n")
    out = run_python(sys.executable, code, tmp_path, child_env(TINYCONV_CACHE_DIR=str(tmp_path / "cache")))
    assert out.stdout.split()[-1] == "42"
    assert list((tmp_path / "__pycache__").glob("mine.double-*.nbi")), "Numba no longer caches next to mine.py"
    assert not list((tmp_path / "cache").rglob("mine*")), "tinyconv's cache folder took another module's function"


def make_venv(folder):
    """A venv without pip that sees this test environment's packages (numpy, numba, setuptools)
    through a .pth line; pip runs from here with ``--python``."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = folder / "bin" / "python"
    site = Path(run_python(python, "import sysconfig; print(sysconfig.get_path('purelib'))", folder, child_env()).stdout.strip())
    (site / "test_environment.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python, site


def pip_install(python, *args):
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                           "--no-build-isolation", "--no-index", *args],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def unrecorded_files(site):
    """Files under site/tinyconv that the installed distribution's RECORD does not list."""
    record = next(site.glob("tinyconv-*.dist-info")) / "RECORD"
    recorded = {line.split(",")[0] for line in record.read_text().splitlines()}
    return sorted(str(p.relative_to(site)) for p in (site / "tinyconv").rglob("*")
                  if p.is_file() and str(p.relative_to(site)) not in recorded)


def test_the_readme_s_two_installs_in_order_leave_the_editable_code_importable(tmp_path):
    src = tmp_path / "src"
    for name in ("tinyconv", "kernels"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    python, site = make_venv(tmp_path / "venv")
    env = child_env(TINYCONV_CACHE_DIR=str(tmp_path / "cache"))

    pip_install(python, str(src))
    assert float(run_python(python, KERNEL_CALL, tmp_path, env).stdout) == KERNEL_SUM
    assert unrecorded_files(site) == []

    pip_install(python, "-e", str(src))
    out = run_python(python, "import tinyconv; print(tinyconv.__file__); tinyconv.manual_seed(0)", tmp_path, env)
    assert out.stdout.strip() == str(src / "tinyconv" / "__init__.py")
