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


SKIP_SHARED_ENV = "QWENRAG_SKIP_SHARED"
_shared_skips: list[str] = []


def shared_opt_out() -> bool:
    return os.environ.get(SKIP_SHARED_ENV, "") == "1"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared/corpora beside the project root. Missing, it is an error (CI must see the corpora), unless
    the developer opts out with QWENRAG_SKIP_SHARED=1; then those tests skip and the count is printed."""
    if not SHARED_CORPORA.is_dir():
        if shared_opt_out():
            pytest.skip(f"{SKIP_SHARED_ENV}=1 and ../shared/corpora is not present at {SHARED_CORPORA}")
        pytest.fail(
            f"../shared/corpora is missing at {SHARED_CORPORA}: the malformed-file, bomb, real-corpus and "
            f"retrieval tests need it. Put it there, or opt out explicitly with {SKIP_SHARED_ENV}=1.",
            pytrace=False,
        )
    return SHARED_CORPORA


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and SKIP_SHARED_ENV in str(report.longrepr):
        _shared_skips.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _shared_skips:
        terminalreporter.write_line(
            f"{len(_shared_skips)} tests skipped because ../shared/corpora is absent ({SKIP_SHARED_ENV}=1): "
            "they did not run.",
            yellow=True, bold=True,
        )


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES_DIR


def pytest_report_header(config: pytest.Config) -> str:
    state = "present" if SHARED_CORPORA.is_dir() else f"ABSENT ({SKIP_SHARED_ENV}={os.environ.get(SKIP_SHARED_ENV, '')})"
    return f"shared corpora: {state}; cores: {os.cpu_count()}"
