"""The import rules of docs/architecture.md, checked by parsing the sources (nothing is imported).

Every module of ``tinyconv/`` and ``kernels/`` (installed as ``tinyconv.kernels``) sits in one
layer; a module imports only from its own layer and the layers below, except the few lazy
imports listed in ``UPWARD`` with the reason each is there.
"""
import ast
import configparser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first: (layer, module prefixes). A module belongs to the layer of its longest prefix.
LAYERS = (
    ("kernels", ("tinyconv.kernels",)),
    ("base", ("tinyconv.backend", "tinyconv.cpuload", "tinyconv.dtypes", "tinyconv.fileio", "tinyconv.random",
              "tinyconv.anomaly", "tinyconv.validation")),
    ("core", ("tinyconv.autograd", "tinyconv.tensor", "tinyconv.functional", "tinyconv.creation")),
    ("tools", ("tinyconv.gradcheck", "tinyconv.metrics", "tinyconv.checkpoint", "tinyconv.cuda")),
    ("building blocks", ("tinyconv.nn", "tinyconv.optim", "tinyconv.data", "tinyconv.utils")),
    ("models", ("tinyconv.rbm", "tinyconv.dbn", "tinyconv.snn", "tinyconv.distributed")),
    ("public face", ("tinyconv",)),
)

# The only upward imports: inside a function (never at import time), each for one reason.
UPWARD = {
    ("tinyconv.checkpoint", "tinyconv"): "save() records tinyconv.__version__",
}

# What the kernels may import from tinyconv: the helpers of their own folder.
KERNEL_HELPERS = ("tinyconv.kernels.geometry", "tinyconv.kernels.arrays", "tinyconv.kernels.caching",
                  "tinyconv.kernels.products")

# Who may import cupy and numba.cuda.
GPU_IMPORTERS = {
    "cupy": ("tinyconv.backend", "tinyconv.distributed.nccl"),
    "numba.cuda": ("tinyconv.backend", "tinyconv.kernels.cuda"),
}


def _sources():
    """(module name, is a package, path) of every library source file."""
    for folder, package in (("tinyconv", "tinyconv"), ("kernels", "tinyconv.kernels")):
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = [package] + list(path.relative_to(ROOT / folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            yield ".".join(parts[:-1] if is_package else parts), is_package, path


MODULES = {name for name, _, _ in _sources()}


def _imports(name, is_package, path):
    """(imported module, line, inside a function) for every import of the file; relative imports
    resolved, ``from package import name`` naming ``package.name`` where that is a module (always
    outside tinyconv: ``from numba import cuda`` is ``numba.cuda``)."""
    package = name if is_package else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES or not base.startswith("tinyconv")
                       else base for a in node.names]
        else:
            continue
        for target in dict.fromkeys(targets):
            yield target, node.lineno, id(node) in nested


IMPORTS = [(name, path, target, line, lazy) for name, is_package, path in _sources()
           for target, line, lazy in _imports(name, is_package, path)]


def _layer(module):
    matches = [(len(prefix), rank) for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1] if matches else None


def _where(path, line):
    return f"{path.relative_to(ROOT)}:{line}"


def test_every_library_module_has_a_layer():
    assert [name for name in sorted(MODULES) if _layer(name) is None] == []


def test_no_module_imports_upward():
    upward = []
    for name, path, target, line, lazy in IMPORTS:
        if _layer(target) is None or _layer(target) <= _layer(name):
            continue
        if not (lazy and (name, target) in UPWARD):
            upward.append(f"{_where(path, line)}: {name} ({LAYERS[_layer(name)][0]}) imports "
                          f"{target} ({LAYERS[_layer(target)][0]})")
    assert upward == []


def test_the_listed_upward_imports_exist():
    found = {(name, target) for name, _, target, _, lazy in IMPORTS if lazy}
    assert set(UPWARD) <= found


@pytest.mark.parametrize("outside", ["tinyconv.nn", "tinyconv.optim", "tinyconv.data"])
def test_functional_does_not_import_the_layers_above_it(outside):
    offenders = [_where(path, line) for name, path, target, line, _ in IMPORTS
                 if name.startswith("tinyconv.functional") and (target + ".").startswith(outside + ".")]
    assert offenders == []


def test_kernels_import_from_tinyconv_only_their_helpers():
    offenders = [f"{_where(path, line)}: {target}" for name, path, target, line, _ in IMPORTS
                 if name.startswith("tinyconv.kernels") and target.startswith("tinyconv")
                 and target not in KERNEL_HELPERS]
    assert offenders == []


def test_kernel_helpers_import_nothing_from_tinyconv():
    assert [target for name, _, target, _, _ in IMPORTS
            if name in KERNEL_HELPERS and target.startswith("tinyconv")] == []


@pytest.mark.parametrize("library", sorted(GPU_IMPORTERS))
def test_only_the_named_modules_import_cupy_or_numba_cuda(library):
    offenders = [_where(path, line) for name, path, target, line, _ in IMPORTS
                 if (target + ".").startswith(library + ".") and name not in GPU_IMPORTERS[library]]
    assert offenders == []


def test_every_package_folder_is_installed():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    installed = set(config["options"]["packages"].split())
    folders = {"tinyconv." + ".".join(p.parent.relative_to(ROOT / "tinyconv").parts)
               for p in (ROOT / "tinyconv").rglob("__init__.py") if p.parent != ROOT / "tinyconv"}
    assert folders | {"tinyconv", "tinyconv.kernels"} <= installed
