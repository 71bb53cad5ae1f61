"""Imports point one way (ui -> qwenrag -> indexing) and the core never imports Qt or llama.cpp wrongly."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

# qwenrag/launcher.py opens the window for `qwenrag gui`: the single allowed upward import.
_ALLOWED = {("qwenrag/launcher.py", "ui")}
_RULES = {
    # package: top-level modules it must never import
    "indexing": {"PySide6", "shiboken6", "llama_cpp", "qwenrag", "ui"},
    "qwenrag": {"PySide6", "shiboken6", "ui"},
}


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_packages_never_import_qt_or_upper_layers() -> None:
    offences = []
    for package, forbidden in _RULES.items():
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            rel = path.relative_to(PROJECT_ROOT).as_posix()
            bad = {m for m in _imported_top_levels(path) & forbidden if (rel, m) not in _ALLOWED}
            if bad:
                offences.append(f"{path.relative_to(PROJECT_ROOT)} imports {sorted(bad)}")
    assert not offences, "\n".join(offences)


def test_import_linter_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is a test dependency (pip install -e .[dev])"
    result = subprocess.run([lint, "--no-cache"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_importing_the_core_loads_no_qt() -> None:
    code = "import sys, qwenrag.cli, indexing.library; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
