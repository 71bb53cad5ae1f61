"""Shared fixtures. Every test runs with its own data and config folders, never the user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = PROJECT_ROOT / "samples"
SHARED_CORPORA = PROJECT_ROOT.parent / "shared" / "corpora"


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("QWENRAG_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("QWENRAG_CONFIG_DIR", str(home / "config"))
    monkeypatch.delenv("QWENRAG_LIBRARY", raising=False)
    monkeypatch.delenv("QWENRAG_MODEL", raising=False)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared/corpora beside the project root; tests that need it skip where it is absent."""
    if not SHARED_CORPORA.is_dir():
        pytest.skip(f"../shared/corpora is not present at {SHARED_CORPORA} (only developers and CI have it)")
    return SHARED_CORPORA


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES_DIR


def pytest_report_header(config: pytest.Config) -> str:
    return f"shared corpora: {'present' if SHARED_CORPORA.is_dir() else 'absent'}; cores: {os.cpu_count()}"
