"""Qt tests run offscreen on the real widgets; no test may leave a thread running."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time
from collections.abc import Iterator

import pytest

# Strict like qutebrowser: a Qt warning during a UI test fails it, except the offscreen platform's notes.
QT_LOG_IGNORE = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
    r"This plugin does not support grabbing the keyboard",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*QT_LOG_IGNORE))


def _settle(baseline: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while threading.active_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    return threading.active_count()


@pytest.fixture(autouse=True)
def _no_thread_left_behind() -> Iterator[None]:
    """Every thread a test starts (runner lanes, parse pools' feeders) must end with the test."""
    baseline = threading.active_count()
    before = {t.ident for t in threading.enumerate()}
    yield
    if _settle(baseline) > baseline:
        extra = [t.name for t in threading.enumerate() if t.ident not in before]
        pytest.fail(f"threads left running after the test: {extra}")


@pytest.fixture(autouse=True)
def _error_dialogs_do_not_block() -> Iterator[None]:
    from ui.errors import ErrorPresenter

    ErrorPresenter.modal = False
    yield
    ErrorPresenter.close_all()


# -- building the real window -----------------------------------------------------------------------------
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

from pytestqt.qtbot import QtBot  # noqa: E402

from tests.conftest import SAMPLES_DIR  # noqa: E402

SAMPLE_SUFFIXES = {".pdf", ".docx", ".xlsx", ".txt", ".md"}


@pytest.fixture
def documents(tmp_path: Path) -> list[Path]:
    """A few good documents: the project's samples (copied, so tests may change them), else small ones."""
    folder = tmp_path / "docs"
    folder.mkdir()
    samples = sorted(p for p in SAMPLES_DIR.glob("*") if p.suffix.lower() in SAMPLE_SUFFIXES) \
        if SAMPLES_DIR.is_dir() else []
    if samples:
        import shutil

        return [Path(shutil.copy2(p, folder / p.name)) for p in samples]
    (folder / "leave.md").write_text("# 请假制度\n\n病假需要提供医院证明。年假每年十天。\n", encoding="utf-8")
    (folder / "security.txt").write_text("Passwords must be changed every 90 days.\n", encoding="utf-8")
    return sorted(folder.iterdir())


@pytest.fixture
def make_window(qtbot: QtBot) -> Iterator[Callable[..., object]]:
    """Build MainWindow as the app does (its own Services and TaskRunner); closed after the test."""
    from ui.main_window import MainWindow
    from ui.services import Services
    from ui.tasks import TaskRunner

    made: list[MainWindow] = []

    def make(*, start: bool = True, load_model: bool = False) -> MainWindow:
        services = Services()
        runner = TaskRunner()
        window = MainWindow(services, runner)
        qtbot.addWidget(window)
        made.append(window)
        window.show()
        qtbot.waitExposed(window)
        if start:
            window.start_background_work(load_model=load_model)
        return window

    yield make
    for w in made:
        w.close()
        assert w.wait_closed(30.0)  # what could not stop within the close's short wait finishes off-GUI
        assert w.runner.is_idle() and w.runner.thread_count() == 0
