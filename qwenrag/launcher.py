"""The one place the core hands over to the window.

`qwenrag` with no arguments, `qwenrag gui` and `python -m qwenrag` open the desktop app, so the command
line must reach `ui`. That single upward import lives here, named as the only exception in the
import-linter contract (pyproject.toml) and in tests/test_architecture.py.
"""

from __future__ import annotations

import sys


def run_gui(argv: list[str]) -> int:
    try:
        from ui.app import run
    except ImportError as exc:
        print(f"qwenrag: the window cannot start: {exc}", file=sys.stderr)
        return 1
    return run(argv)
