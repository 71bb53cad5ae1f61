"""Stop and close are immediate (real demo model, real window); every uncaught exception reaches the one
error dialog and our own bugs say "internal error"; opening a source loads off the GUI thread; Repair and
Delete in the window."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from tests.conftest import SAMPLES_DIR
from ui.errors import ErrorPresenter, install_exception_hooks, plain_message
from ui.indexing_controller import RunSummary
from ui.main_window import CLOSE_WAIT_S, MainWindow
from ui.services import MODEL_LANE
from ui.source_view import SourceView

FILLER = "The committee reviewed the annual budget, the staffing plan and the office lease. "


def _window_with_model(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> MainWindow:
    from tests.model_fixtures import demo_model

    demo_model()  # skips without llama.cpp or the demo model
    window = make_window(load_model=True)
    qtbot.waitUntil(lambda: window.services.model.ready, timeout=60_000)
    return window


def _start_long_answer(qtbot: QtBot, window: MainWindow) -> tuple[Any, Any]:
    """An answer whose prompt is ~1,900 tokens, through the window's own path (services.ask on the model
    lane, as the chat runs it); returns once the model is evaluating the prompt."""
    engine = window.services._engine
    question = "Summarize: " + FILLER * (1900 // engine.count_tokens(FILLER))
    handle = window.runner.run_generator(window.services.ask(question, (), use_documents=False),
                                         on_item=lambda _e: None, lane=MODEL_LANE, name="answer")
    qtbot.waitUntil(lambda: engine._active is not None, timeout=30_000)
    qtbot.wait(300)  # inside the prompt: 1,900 tokens take seconds on the demo model
    return engine, handle


@pytest.mark.model
def test_stop_during_the_prompt_frees_the_model(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = _window_with_model(qtbot, make_window)
    engine, handle = _start_long_answer(qtbot, window)
    handle.cancel()  # Stop: the runner hands it to the answer stream, the engine aborts the prompt
    qtbot.waitUntil(lambda: engine.idle and window.runner.is_idle(), timeout=30_000)
    t = engine.last_timings
    assert t is not None and t.stop_reason == "cancelled"
    assert t.prompt_total > 1500 and t.prompt_tokens < t.prompt_total  # the prompt was not read to the end
    assert t.decode_tokens == 0


@pytest.mark.model
def test_closing_the_window_mid_answer_returns_at_once(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = _window_with_model(qtbot, make_window)
    engine, _handle = _start_long_answer(qtbot, window)
    started = time.perf_counter()
    window.close()
    took = time.perf_counter() - started
    # Everything stopped within the close's own short wait: nothing was left to finish in the background.
    assert window._closer is None
    assert not engine._thread.is_alive()  # the model was released
    t = engine.last_timings
    assert t is not None and t.stop_reason == "cancelled" and t.prompt_tokens < t.prompt_total
    assert took < 10 * CLOSE_WAIT_S  # (the 1 s bar is measured by tests/bench/bench_gui.py)


# -- one error path ---------------------------------------------------------------------------------------
@contextlib.contextmanager
def hooks() -> Iterator[None]:
    """Installed inside the test body: pytest swaps threading.excepthook around each test phase."""
    uninstall = install_exception_hooks(None)
    try:
        yield
    finally:
        uninstall()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_an_internal_error_with_a_report(qtbot: QtBot) -> None:
    def broken_slot() -> None:
        None.text()  # type: ignore[attr-defined]  # a bug of ours, in a Qt slot

    with hooks():
        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: ErrorPresenter.last is not None, timeout=5000)
    dialog = ErrorPresenter.last
    assert dialog is not None
    assert "internal error" in dialog.message and "damaged" not in dialog.message
    assert "AttributeError" in dialog.detail and "broken_slot" in dialog.detail
    assert "Python" in dialog.detail and "PySide6" in dialog.detail  # the report says on what it ran
    dialog.copy_details()
    from PySide6.QtWidgets import QApplication

    assert "AttributeError" in QApplication.clipboard().text()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_another_thread_is_shown_on_the_gui_thread(qtbot: QtBot) -> None:
    def worker() -> None:
        {}["missing"]  # KeyError in a thread nobody watches

    with hooks():
        t = threading.Thread(target=worker, name="stray")
        t.start()
        t.join()
        assert ErrorPresenter.last is None  # not shown from the worker thread ...
        qtbot.waitUntil(lambda: ErrorPresenter.last is not None, timeout=5000)  # ... but on the GUI thread
    dialog = ErrorPresenter.last
    assert dialog is not None and "internal error" in dialog.message and "KeyError" in dialog.detail


def test_the_app_installs_the_hooks(qtbot: QtBot) -> None:
    import sys

    from ui.app import create_main_window

    before = sys.excepthook, threading.excepthook
    window = create_main_window()
    qtbot.addWidget(window)
    try:
        assert sys.excepthook is not before[0] and threading.excepthook is not before[1]
    finally:
        sys.excepthook, threading.excepthook = before
        window.close()
        window.wait_closed(30)


def test_a_missing_module_is_named() -> None:
    try:
        import qwenrag_no_such_module  # type: ignore[import-not-found]  # noqa: F401
    except ImportError as exc:
        message = plain_message(exc)
    assert "qwenrag_no_such_module" in message and "internal error" not in message


# -- opening a source off the GUI thread --------------------------------------------------------------------
PDF = "员工手册_Employee_Handbook.pdf"
TXT = "常见问题FAQ.txt"


@pytest.fixture
def source_view(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[SourceView, Any]]:
    from indexing.library import Library
    from ui.tasks import TaskRunner

    if not (SAMPLES_DIR / PDF).is_file():
        pytest.skip("samples/ has not been generated")
    lib = Library.open(tmp_path / "lib")
    list(lib.add([SAMPLES_DIR / PDF, SAMPLES_DIR / TXT], workers=0))
    runner = TaskRunner()
    services = type("S", (), {"library": lib})()
    view = SourceView(services, runner=runner)
    qtbot.addWidget(view)
    view.resize(820, 720)
    view.show()
    qtbot.waitExposed(view)
    yield view, lib
    assert runner.shutdown(10)
    lib.close()


def test_a_pdf_source_loads_on_a_worker_behind_a_placeholder(qtbot: QtBot, source_view: tuple[SourceView, Any]
                                                             ) -> None:
    view, lib = source_view
    hit = next(h for h in lib.search("annual leave ten years 15 days", k=20)
               if Path(h.file).name == PDF and h.location.page == 4)
    gui = threading.current_thread()
    loaded_on: list[threading.Thread] = []
    import ui.source_view as sv

    real = sv.load_pdf_document

    def spy(path: str) -> Any:
        loaded_on.append(threading.current_thread())
        return real(path)

    sv.load_pdf_document = spy
    try:
        view.show_source(hit)
        assert view.loading and view.stack.currentIndex() == SourceView.MESSAGE  # the placeholder, at once
        assert PDF in view.message.text()
        qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    finally:
        sv.load_pdf_document = real
    assert loaded_on and loaded_on[0] is not gui
    assert view.stack.currentIndex() == SourceView.PDF
    assert view.pdf_view.highlight_page == 3 and view.pdf_view.highlight_rects()
    assert view.page_label.text() == "Page 4 of 7"
    # The same file again: the open document is reused, no placeholder.
    view.show_source(hit)
    assert not view.loading and view.stack.currentIndex() == SourceView.PDF


def test_a_text_source_reads_its_context_on_a_worker(qtbot: QtBot, source_view: tuple[SourceView, Any]) -> None:
    view, lib = source_view
    hit = next(h for h in lib.search("密码 忘记", k=20) if Path(h.file).name == TXT)
    view.show_source(hit)
    assert view.loading
    qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
    assert view.stack.currentIndex() == SourceView.TEXT
    assert hit.text.split("\n")[0].strip()[:20] in view.highlighted_text()


# -- repair, vanished files ---------------------------------------------------------------------------------
def test_repair_library_from_the_menu(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                      documents: list[Path]) -> None:
    window = make_window()
    window.controller.add([str(p) for p in documents])
    qtbot.waitUntil(lambda: window.runner.is_idle() and not window.controller.busy, timeout=120_000)
    lib = window.services.library
    query = "病假" if any(p.suffix == ".md" for p in documents) else "annual leave"
    before = [(h.file, h.chunk_id) for h in lib.search(query, k=3)]
    assert before
    lib.index.clear()  # the search index lost everything (the store still has it all)
    lib.index.commit()
    assert lib.search(query, k=3) == []
    assert window.repair_action in window.documents_menu.actions()
    window.repair_action.trigger()
    assert not window.repair_action.isEnabled()  # one repair at a time
    qtbot.waitUntil(lambda: window.repair_action.isEnabled(), timeout=60_000)
    assert [(h.file, h.chunk_id) for h in lib.search(query, k=3)] == before
    assert "repaired" in window.statusBar().currentMessage()


def test_files_gone_from_disk_are_noted(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    """The core's refresh reports a file deleted on disk as a "removed" file_done and counts it (the shape of
    Library.refresh in the library's own change): the row goes, and the status bar says why."""
    from indexing.records import IndexEvent
    from ui.documents_panel import DocRow

    window = make_window(start=False)
    model = window.documents.model
    model.upsert(DocRow("/docs/gone.pdf", status="indexed", passages=3))
    model.upsert(DocRow("/docs/kept.pdf", status="indexed", passages=2))
    model.apply(IndexEvent("file_done", path="/docs/gone.pdf", status="removed"))  # type: ignore[arg-type]
    assert [r.path for r in model.rows] == ["/docs/kept.pdf"]
    summary = RunSummary(user_started=False, counts={"removed": 2, "unchanged": 5})
    window.controller.run_finished.emit(summary)
    assert window.statusBar().currentMessage() == "Removed from the library, no longer on disk: 2 files."
    window.controller.run_finished.emit(RunSummary(user_started=False, counts={"removed": 1, "indexed": 3}))
    assert window.statusBar().currentMessage() == ("Removed from the library, no longer on disk: 1 file. "
                                                   "3 files indexed.")

