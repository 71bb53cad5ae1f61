"""Small builders for test documents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT


def write_text(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding=encoding)
    return path


def run_cli(*args: str, stdin: str | None = None, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `python -m qwenrag ...` as a user would, from the project root."""
    return subprocess.run(
        [sys.executable, "-m", "qwenrag", *args],
        cwd=PROJECT_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def json_lines(stdout: str) -> list:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
