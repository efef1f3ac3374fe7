"""The engine, state, session, file formats and command line never need Qt.

napari's model packages are tested with Qt uninstalled; here a meta-path
finder makes every Qt import fail in a fresh interpreter, and a static scan
checks that no module outside ``rnnviz/ui`` imports Qt (or rnnviz.ui) when it
is loaded -- imports inside functions, done only when the app opens, are fine.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rnnviz"
QT_ROOTS = ("PySide6", "shiboken6", "pyqtgraph", "PyQt4", "PyQt5", "PyQt6", "sip")

# Runs in a fresh interpreter: block Qt, import the modules named in argv, and
# check that neither Qt nor rnnviz.ui was loaded behind our back.
BLOCKED_RUN = r"""
import importlib
import importlib.abc
import sys

QT_ROOTS = __QT_ROOTS__


class QtBlocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in QT_ROOTS or name.startswith("PyQt"):
            raise ImportError(f"Qt is not installed here (blocked import of {name})")
        return None


sys.meta_path.insert(0, QtBlocker())
for name in sys.argv[1:]:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in QT_ROOTS or m.startswith("PyQt"))
assert not loaded, f"Qt was loaded: {loaded}"
ui = sorted(m for m in sys.modules if m == "rnnviz.ui" or m.startswith("rnnviz.ui."))
assert not ui, f"rnnviz.ui was loaded: {ui}"
print("imported", len(sys.argv) - 1, "modules without Qt")
""".replace("__QT_ROOTS__", repr(QT_ROOTS))


def _run_blocked(*modules: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCKED_RUN, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PACKAGE.parent,
    )


def _qt_free_files() -> list[Path]:
    """Every module of the package outside rnnviz/ui, as present right now."""
    return sorted(p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


ENGINE = ["rnnviz.engine", "rnnviz.engine.spec", "rnnviz.engine.gradcheck"]
# the non-UI layers, imported when their files exist (they are written in parallel)
OPTIONAL = [
    "rnnviz.io",
    "rnnviz.presets",
    "rnnviz.cli",
    "rnnviz.state",
    "rnnviz.session",
    "rnnviz.lessons",
]


def _present(name: str) -> bool:
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel.with_suffix(".py")).exists() or (
        PACKAGE.parent / rel / "__init__.py"
    ).exists()


def test_the_blocker_really_blocks_qt():
    result = _run_blocked("pyqtgraph")
    assert result.returncode != 0
    assert "blocked import of pyqtgraph" in result.stderr


def test_engine_imports_without_qt():
    result = _run_blocked(*ENGINE)
    assert result.returncode == 0, result.stderr
    assert f"imported {len(ENGINE)} modules" in result.stdout


def test_state_session_io_presets_and_cli_import_without_qt():
    names = [n for n in OPTIONAL if _present(n)]
    assert "rnnviz.engine" not in names  # the engine is covered above; these are extra layers
    result = _run_blocked(*ENGINE, *names)
    assert result.returncode == 0, result.stderr


def test_every_module_outside_ui_imports_without_qt():
    names = [_module_name(p) for p in _qt_free_files()]
    assert "rnnviz.engine.trace" in names and not any(n.startswith("rnnviz.ui") for n in names)
    result = _run_blocked(*names)
    assert result.returncode == 0, result.stderr


def _module_level_imports(tree: ast.Module):
    """Import statements executed when the module loads (not inside functions)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue  # runs later, if ever (e.g. when the app window opens)
        else:  # if/try/with blocks and class bodies run at import time
            stack.extend(ast.iter_child_nodes(node))


def _imported_names(node: ast.Import | ast.ImportFrom, path: Path) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: resolve against this file's package
        package = _module_name(path).split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, base] if base else package)
    # "from . import ui" imports the submodule rnnviz.ui
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def _is_forbidden(name: str) -> bool:
    root = name.split(".")[0]
    return (
        root in QT_ROOTS
        or root.startswith("PyQt")
        or name == "rnnviz.ui"
        or (name.startswith("rnnviz.ui."))
    )


@pytest.mark.parametrize("path", _qt_free_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_level_qt_or_ui_import(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = [
        f"line {node.lineno}: {name}"
        for node in _module_level_imports(tree)
        for name in _imported_names(node, path)
        if _is_forbidden(name)
    ]
    assert not bad, f"{path.relative_to(PACKAGE.parent)} imports Qt or rnnviz.ui: {bad}"


def test_the_static_scan_catches_qt_and_relative_ui_imports():
    """The scanner is not vacuous: it sees Qt, relative ui imports and imports in if/try."""
    fake = PACKAGE / "engine" / "fake_module.py"  # only its path is used, nothing is written
    source = (
        "import numpy\n"
        "try:\n    from PySide6 import QtCore\nexcept ImportError:\n    pass\n"
        "from ..ui import colors\n"
        "def later():\n    import pyqtgraph\n"
    )
    names = [
        n for node in _module_level_imports(ast.parse(source)) for n in _imported_names(node, fake)
    ]
    forbidden = sorted(n for n in names if _is_forbidden(n))
    assert forbidden == ["PySide6", "PySide6.QtCore", "rnnviz.ui", "rnnviz.ui.colors"]
    assert "pyqtgraph" not in names  # inside a function: allowed
