"""GUI-thread work that stalled the window (tests/bench/bench_gui.py --why named it), now spread over
event-loop turns or moved off the GUI thread. Real widgets; each test fails on the code before its change."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from indexing.locations import Location
from indexing.records import Passage
from qwenrag.evidence import Quote
from ui.source_list import ElidedLabel, QuoteList


def _event_filters_run_by(action: Callable[[], None]) -> list[CodeType]:
    """The Python event filters (their code objects) called on this thread while `action` runs."""
    calls: list[CodeType] = []

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        if event == "call" and frame.f_code.co_name == "eventFilter":
            calls.append(frame.f_code)

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return calls


def _quotes(count: int) -> list[Quote]:
    out = []
    for n in range(1, count + 1):
        text = f"Sentence {n} of the handbook says employees get {10 + n} days of leave."
        passage = Passage(n, f"/docs/handbook-{n}.pdf", Location(page=n), text)
        out.append(Quote(passage, 0, len(text)))
    return out


def test_steps_of_split_work_let_the_event_loop_go_round_between_them(qtbot: QtBot) -> None:
    """Work split over event-loop turns (quote rows, source rows, the end of an answer) was chained with 0 ms
    single shots: posted events, which Qt delivers in the same pass as the one that posted them, so the steps
    still ran back to back before any timer or input (bench_gui.py: several quote rows in one stall). With
    next_turn, what came due while a step ran (here a timer; a click, a paint) goes before the next step."""
    from PySide6.QtCore import QObject, QTimer

    from ui.tasks import next_turn

    order: list[str] = []
    holder = QObject()

    def first() -> None:
        order.append("first")
        QTimer.singleShot(2, holder, lambda: order.append("timer"))
        time.sleep(0.01)  # a step of GUI work: the timer comes due meanwhile
        next_turn(holder, lambda: order.append("second"))

    next_turn(holder, first)
    qtbot.waitUntil(lambda: len(order) == 3, timeout=5_000)
    assert order == ["first", "timer", "second"]


def test_the_next_answer_card_is_built_while_the_window_idles(make_window: Callable[..., Any],
                                                               qtbot: QtBot) -> None:
    """Building and styling the answer card on Send took several milliseconds of GUI time (most the first
    time in a window) in the turn that also lays out and paints the question. It is built hidden while the window
    idles; Send shows it; the next one is built once the answer has ended, not while it runs (built 400 ms
    after Send it was one 17 ms turn of GUI work in the middle of the answer's own)."""
    from ui.chat_panel import SPARE_CARD_MS

    window = make_window()  # no model loaded: the question waits for one, and the chat stays busy
    chat = window.chat
    qtbot.waitUntil(lambda: getattr(chat, "_spare_card", None) is not None, timeout=5_000)
    spare = chat._spare_card
    assert not spare.isVisible() and chat.cards() == []
    chat.ask("How many days of annual leave do employees get?")
    assert chat.cards() == [spare] and spare.isVisible()
    qtbot.wait(3 * SPARE_CARD_MS)
    assert chat.busy and chat._spare_card is None  # none built while the answer runs
    chat.stop()
    qtbot.waitUntil(lambda: not chat.busy, timeout=5_000)
    qtbot.waitUntil(lambda: chat._spare_card is not None, timeout=5_000)
    assert chat._spare_card is not spare and not chat._spare_card.isVisible()
    assert chat.cards() == [spare]  # the spare is not in the conversation


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice values are Linux's")
def test_background_lanes_yield_to_the_gui_thread_and_the_model_does_not(make_window: Callable[..., Any],
                                                                          qtbot: QtBot) -> None:
    """The default and index lanes' Python work shared a core with the GUI thread as an equal while a busy
    program held the other core; their threads now run at nice BACKGROUND_NICE, as the parsing workers do.
    The model's lane does not: llama.cpp's threads are started from it (the model loads there) and would
    inherit the lower priority, which an unprivileged process cannot undo."""
    import os
    import threading

    from tests.model_fixtures import demo_model
    from ui import services as services_mod
    from ui import tasks

    demo_model()  # skips without llama.cpp or the demo model
    window = make_window(load_model=True)
    qtbot.waitUntil(lambda: window.services.model.ready, timeout=60_000)
    nice: dict[str, int] = {}

    def mine() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    for lane in (tasks.DEFAULT_LANE, services_mod.INDEX_LANE, services_mod.MODEL_LANE):
        window.runner.run(mine, on_done=lambda value, lane=lane: nice.__setitem__(lane, value), lane=lane)
    qtbot.waitUntil(lambda: len(nice) == 3, timeout=10_000)
    assert nice == {tasks.DEFAULT_LANE: 5, services_mod.INDEX_LANE: 5, services_mod.MODEL_LANE: 0}
    llama = window.services._engine._thread
    assert llama.name == "qwenrag-llama" and os.getpriority(os.PRIO_PROCESS, llama.native_id) == 0
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == 0  # the GUI thread


def test_the_watched_files_are_checked_off_the_gui_thread(make_window: Callable[..., Any], qtbot: QtBot,
                                                           documents: list[Path],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """After an indexing run the window re-lists what it watches; it checked each indexed file's existence on
    the GUI thread, one stat per file, each waiting for the GIL while an answer's search held it
    (bench_gui.py --why: the streaming row's longest stall, 75 ms, 2 ms of it waiting for a CPU). The pool
    checks them now; the GUI thread only hands the list to the watcher."""
    import os
    import threading

    on_gui: list[str] = []
    exists = os.path.exists

    def spy(path: Any) -> bool:
        caller = sys._getframe(1).f_code.co_filename
        if threading.current_thread() is threading.main_thread() and caller.endswith("indexing_controller.py"):
            on_gui.append(str(path))
        return exists(path)

    monkeypatch.setattr(os.path, "exists", spy)
    window = make_window()
    window.controller.add([str(documents[0].parent)])
    qtbot.waitUntil(lambda: window.runner.is_idle() and not window.controller.busy, timeout=120_000)
    qtbot.waitUntil(lambda: str(documents[0]) in window.controller.watched_paths(), timeout=10_000)
    assert on_gui == []


def test_a_repaint_runs_no_python_event_filter_but_the_drop_catchers(make_window: Callable[..., Any],
                                                                     qtbot: QtBot, documents: list[Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Python call a paint makes waits for the GIL while a worker runs Python (bench_gui.py --dispatch:
    a 9 ms paint took 47 ms while the answer's evidence ran). The window's filter on the source view (for its
    Hide) and the status bar's on the demo badge (for a click) ran for every event of those widgets, every
    paint included: now a signal from the view's hideEvent and a label that says when it is clicked. The drop
    catcher's filter on the editable text boxes remains (a box would paste a dropped file's path)."""
    from PySide6.QtWidgets import QWidget

    from ui import main_window

    window = make_window()
    pdf = next(p for p in documents if p.suffix == ".pdf")
    window.show_source(Passage(1, str(pdf), Location(page=1), "", kind="pdf"))
    qtbot.waitUntil(lambda: window.source_view.isVisible(), timeout=10_000)
    window.model_status.badge.show()  # (shown for the demo model; its filter ran on its paints)
    QApplication.processEvents()

    def repaint_all() -> None:
        for w in [window, *window.findChildren(QWidget)]:
            w.update()
        window.repaint()
        QApplication.processEvents()

    calls = {code.co_qualname for code in _event_filters_run_by(repaint_all)}
    assert calls <= {"_DropCatcher.eventFilter"}, sorted(calls)
    window.source_view.hide()  # the lists still come back
    assert window.side.isVisible()
    shown: list[object] = []
    monkeypatch.setattr(main_window, "show_demo_hint", shown.append)
    qtbot.mouseClick(window.model_status.badge, Qt.MouseButton.LeftButton)  # and the badge still answers
    assert shown == [window]


def _shown_quote_list(qtbot: QtBot) -> tuple[QuoteList, list[Any]]:
    """A shown QuoteList and the quotes its clicks report."""
    quotes = QuoteList()
    qtbot.addWidget(quotes)
    quotes.resize(600, 300)
    quotes.show()
    clicked: list[Any] = []
    quotes.quoteClicked.connect(clicked.append)
    return quotes, clicked


def test_quote_rows_are_built_one_per_event_loop_turn(qtbot: QtBot) -> None:
    """Three word-wrapped rich-text rows built in the answer's "sources" callback were one long stall: the
    first quote shows at once, each further one on a turn of its own, in order."""
    quotes, clicked = _shown_quote_list(qtbot)
    given = _quotes(3)
    quotes.set_quotes(given)
    assert [r.quote for r in quotes.rows] == given[:1] and quotes.pending == 2 and quotes.isVisible()
    time.sleep(0.002)  # (the next row is due NEXT_TURN_MS later)
    QApplication.processEvents()  # one turn of the event loop: one more row
    assert [r.quote for r in quotes.rows] == given[:2] and quotes.pending == 1
    qtbot.waitUntil(lambda: quotes.pending == 0)
    assert [r.quote for r in quotes.rows] == given
    assert "Sentence 3 of the handbook" in quotes.rows[2].text() and "[3]" in quotes.rows[2].text()
    quotes.rows[1].clicked.emit(quotes.rows[1].quote)
    assert clicked == [given[1]]

    # New quotes replace the old ones, also while the old ones are still being built.
    quotes.set_quotes(_quotes(3))
    quotes.set_quotes(given[2:])
    qtbot.waitUntil(lambda: quotes.pending == 0)
    qtbot.wait(20)
    assert [r.quote for r in quotes.rows] == given[2:]
    quotes.set_quotes([])
    assert quotes.rows == [] and not quotes.isVisible()


def test_a_quote_row_is_plain_text_and_reads_number_sentences_and_place(qtbot: QtBot) -> None:
    """A quote row was one word-wrapped rich-text label, laid out as a QTextDocument in turns that came while
    the answer streamed (bench_gui --dispatch: 5-8 ms of GUI CPU per row; --widget-costs-only: a row 2.35 ->
    1.80 ms). Two plain-text labels now: the number and the sentences, and where they are; a click on either
    is the row's."""
    from PySide6.QtWidgets import QLabel

    quotes, clicked = _shown_quote_list(qtbot)
    given = _quotes(1)
    quotes.set_quotes(given)
    row = quotes.rows[0]
    labels = row.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert [label.text() for label in labels] == [
        "[1] “Sentence 1 of the handbook says employees get 11 days of leave.”", "— handbook-1.pdf, p. 1"]
    qtbot.waitExposed(row)
    qtbot.mouseClick(labels[0], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(labels[1], Qt.MouseButton.LeftButton)
    assert clicked == given * 2


def test_an_elided_label_ends_its_painter_when_painting_ends(qtbot: QtBot) -> None:
    """A profiler (bench_gui --why samples the GUI thread's frames) or a traceback can keep paintEvent's
    frame, and with it its QPainter, alive after painting: Qt then warned "endPaint() called with active
    painter" and the bench crashed. The painter is ended explicitly."""
    label = ElidedLabel("a_rather_long_file_name_that_is_elided.pdf", Qt.TextElideMode.ElideMiddle)
    qtbot.addWidget(label)
    label.resize(120, 24)
    label.show()
    qtbot.waitExposed(label)
    kept: list[FrameType] = []

    def keep_paint_frames(frame: FrameType, event: str, _arg: object) -> None:
        if event == "return" and frame.f_code.co_name == "paintEvent":
            kept.append(frame)

    sys.setprofile(keep_paint_frames)
    try:
        label.grab()  # paints the label now, into a pixmap
    finally:
        sys.setprofile(None)
    assert kept, "paintEvent did not run"
    assert not kept[0].f_locals["painter"].isActive()



def test_citations_are_coloured_in_one_document_change(qtbot: QtBot) -> None:
    """Colouring each [n] with its own find() and mergeCharFormat() re-laid out the answer once per
    citation: 60 citations took ~0.3 s on every streaming render. Now one edit block: the document reports
    a handful of changes, whatever the number of citations, and every cited marker (only those) is coloured,
    also after characters outside the BMP, in lists and in tables."""
    from ui.chat_view import MarkdownView

    view = MarkdownView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    changes: list[int] = []
    view.document().contentsChanged.connect(lambda: changes.append(1))
    view.set_markdown("Leave is 15 days [1] and sick leave needs a note [2]. " * 30, {1, 2})
    assert len(changes) <= 3
    marked = _marker_formats(view, "[1]") + _marker_formats(view, "[2]")
    assert len(marked) == 60 and all(weight == 600 and href.startswith("cite:") for weight, href in marked)

    view.set_markdown("😀 first [1]\n\n- item 𝒳 [2]\n- [3] is no source\n\n| a | b |\n|---|---|\n| 表 [1] | x |\n\n"
                      "`[1]` is code", {1, 2})
    assert _marker_formats(view, "[1]") == [(600, "cite:1"), (600, "cite:1"), (400, "")]
    assert _marker_formats(view, "[2]") == [(600, "cite:2")]
    assert _marker_formats(view, "[3]") == [(400, "")]


def _marker_formats(view: Any, marker: str) -> list[tuple[int, str]]:
    """(font weight, link target) of each occurrence of `marker` in the rendered document."""
    doc = view.document()
    out = []
    cursor = doc.find(marker)
    while not cursor.isNull():
        out.append((cursor.charFormat().fontWeight(), cursor.charFormat().anchorHref()))
        cursor = doc.find(marker, cursor)
    return out


def test_the_source_view_is_built_while_the_window_idles(make_window: Callable[..., Any], qtbot: QtBot,
                                                         documents: list[Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Importing Qt's PDF modules and building the source view on the first citation click made that click
    the longest stall of a session: both happen hidden after start-up, and the click only shows it. The
    splitter keeps its two panes until then (its saved state is restored into two)."""
    import ui.main_window as main_window

    monkeypatch.setattr(main_window, "PREBUILD_SOURCE_VIEW_MS", 50)
    window = make_window()
    qtbot.waitUntil(lambda: window.source_view is not None, timeout=10_000)
    view = window.source_view
    assert not view.isVisible() and window.splitter.count() == 2

    from ui.source_view import SourceView

    built: list[object] = []
    init = SourceView.__init__
    monkeypatch.setattr(SourceView, "__init__", lambda self, *a, **kw: (built.append(self), init(self, *a, **kw)))
    pdf = next(p for p in documents if p.suffix == ".pdf")
    window.show_source(Passage(1, str(pdf), Location(page=1), "", kind="pdf"))
    assert built == [] and window.source_view is view and view.isVisible()
    assert window.splitter.indexOf(view) == 2 and window.splitter.sizes()[2] > 0
    qtbot.waitUntil(lambda: view.stack.currentIndex() == SourceView.PDF, timeout=10_000)
    view.hide()  # closed: the list comes back at its width
    assert window.side.isVisible()


def test_the_document_list_formats_a_row_once_not_on_every_repaint(qtbot: QtBot,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """data() runs in Python for every visible cell and role on each repaint, and the list repaints on
    every indexing progress update: a row's texts (translated and formatted) are made once per version of
    the row, roles the model has nothing for return at once, and a language change makes them again."""
    from PySide6.QtWidgets import QTableView

    from ui import documents_panel as dp

    made: list[str] = []
    status_label = dp.status_label
    monkeypatch.setattr(dp, "status_label", lambda row: (made.append(row.name), status_label(row))[1])
    model = dp.DocumentsModel()
    for i in range(5):
        model.upsert(dp.DocRow(f"/docs/handbook-{i}.pdf", kind="pdf", pages=7, passages=12))
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(500, 300)
    view.show()
    view.grab()
    assert sorted(made) == [f"handbook-{i}.pdf" for i in range(5)]
    view.grab()
    view.grab()
    assert len(made) == 5  # repaints reuse the texts
    assert [model.data(model.index(0, c)) for c in range(4)] == ["handbook-0.pdf", "PDF, 7 pages", "12", "Indexed"]
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole) is None
    model.upsert(dp.DocRow("/docs/handbook-0.pdf", kind="pdf", pages=7, status="indexing", units_done=3,
                           units_total=7))
    assert model.data(model.index(0, 3)) == "Indexing 3/7" and model.data(model.index(0, 2)) == ""
    assert len(made) == 6  # the new version of that one row
    model.clear_texts()  # after a language change
    view.grab()
    assert len(made) == 6 + 5


def test_the_window_filters_no_events_but_drops_on_text_boxes(make_window: Callable[..., Any],
                                                               qtbot: QtBot) -> None:
    """An application-wide event filter in Python ran for every event of every widget, each call waiting
    for the GIL while a worker ran Python: repaints and layouts of the whole window crawled. The window's
    drop catcher now sits on the editable text boxes only (their drops are covered by test_documents);
    events elsewhere never enter Python for it."""
    from PySide6.QtCore import QEvent

    window = make_window(start=False)

    def send_events() -> None:
        for widget in (window.documents.table.viewport(), window.chat.messages.viewport(), window.statusBar()):
            QApplication.sendEvent(widget, QEvent(QEvent.Type.User))

    assert not [c for c in _event_filters_run_by(send_events) if c.co_filename.endswith("main_window.py")]


def test_a_streaming_answer_grows_a_few_lines_at_a_time(qtbot: QtBot) -> None:
    """Each new line of a streaming answer made its view taller, and every height change re-laid out the
    whole conversation: while streaming, the view grows by a few lines at once (never shrinks), and the
    finished answer is exactly as tall as its text."""
    import math

    from ui.chat_view import AnswerCard, MessageList

    messages = MessageList()
    qtbot.addWidget(messages)
    messages.resize(700, 600)
    messages.show()
    card = AnswerCard()
    messages.add(card)
    heights: list[int] = []
    for n in range(1, 13):
        card.append(f"Line {n} of the answer.\n\n")
        card._render()  # as the render timer does
        if not heights or heights[-1] != card.body.height():
            heights.append(card.body.height())
    assert "Line 12 of the answer." in card.body.toPlainText()
    assert heights == sorted(heights) and len(heights) <= 5  # 12 lines, at most 5 re-layouts
    card.finish()
    doc = card.body.document()
    assert card.body.height() == math.ceil(doc.size().height()) + 2 * card.body.frameWidth()
    assert card.body.height() <= heights[-1]  # the room grown ahead is given back


def test_the_app_lets_the_gui_thread_take_the_gil_quickly() -> None:
    """Each call from Qt into Python on the GUI thread waits for the GIL while a worker runs Python, up to
    the switch interval each: the app shortens it from CPython's 5 ms to 0.25 ms (bench_gui
    --switch-interval-only measures a whole-window repaint under such a worker)."""
    import os
    import subprocess

    from tests.conftest import PROJECT_ROOT

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QWENRAG_QUIT_AFTER_SHOWN="1")
    code = ("import sys; from ui.app import run; code = run(sys.argv[:1]); "
            "print('switch interval', sys.getswitchinterval()); sys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("switch interval"))
    assert float(line.split()[-1]) <= 0.00025 + 1e-9  # a quarter of a millisecond (CPython's default: 5 ms)


def test_a_pdf_passage_is_located_on_the_worker_that_opens_the_file(qtbot: QtBot, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a page's text, matching the passage in it (Python) and asking PDFium for its lines took ~60 ms
    on the GUI thread once a 100-page PDF had loaded: they run on the worker that opens the file, before
    any view uses the document; the GUI thread only shows the page with the highlight."""
    import threading

    from indexing.library import Library
    from tests.conftest import SAMPLES_DIR
    from ui import pdf_view
    from ui.source_view import SourceView
    from ui.tasks import TaskRunner

    pdf = SAMPLES_DIR / "员工手册_Employee_Handbook.pdf"
    if not pdf.is_file():
        pytest.skip("samples/ has not been generated")
    lib = Library.open(tmp_path / "lib")
    list(lib.add([pdf], workers=0))
    hit = next(h for h in lib.search("annual leave ten years 15 days", k=20) if h.location.page == 4)
    matched_on: list[threading.Thread] = []
    find = pdf_view.find_passage
    monkeypatch.setattr(pdf_view, "find_passage",
                        lambda text, passage: (matched_on.append(threading.current_thread()), find(text, passage))[1])
    runner = TaskRunner()
    view = SourceView(type("S", (), {"library": lib})(), runner=runner)
    qtbot.addWidget(view)
    view.resize(820, 720)
    view.show()
    try:
        view.show_source(hit)
        qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
        assert view.stack.currentIndex() == SourceView.PDF
        assert view.pdf_view.highlight_page == 3 and view.pdf_view.highlight_rects()
        assert matched_on and threading.main_thread() not in matched_on
    finally:
        assert runner.shutdown(10)
        lib.close()


class _PaintCounter(QObject):
    def __init__(self, widget: Any) -> None:
        super().__init__()
        self.paints = 0
        widget.installEventFilter(self)

    def eventFilter(self, _obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_a_waiting_indexing_run_does_not_animate_the_file_bar(make_window: Callable[..., Any], qtbot: QtBot) -> None:
    """While the current file's progress is unknown (a run just started, or its workers wait for an answer
    to end) the file bar was a busy indicator: its animation repainted it, and the panels beneath it, ~90
    times a second (half of the GUI thread's CPU in bench_gui's "all at once" phase). It is hidden then,
    keeping its room, and shows the file's progress as soon as there is one."""
    from indexing.records import IndexEvent
    from ui.indexing_controller import RunSummary

    window = make_window(start=False)
    panel = window.documents
    counter = _PaintCounter(panel.file_progress)
    box_height = panel.progress_box.sizeHint().height()
    summary = RunSummary(user_started=True, total=3)
    window.controller._current = summary  # as when the run's first event arrives
    window.controller.run_started.emit(summary)
    qtbot.wait(500)
    assert counter.paints <= 1 and not panel.file_progress.isVisible()
    assert panel.progress_box.isVisible()
    panel._on_event(IndexEvent("progress", path="/docs/handbook.pdf", units_done=2, units_total=8))
    qtbot.waitUntil(lambda: panel.file_progress.isVisible())
    assert (panel.file_progress.value(), panel.file_progress.maximum()) == (2, 8)
    assert panel.progress_box.sizeHint().height() == box_height  # the bar's room was kept: no re-layout


def test_a_citation_click_opens_the_source_in_the_lists_place_and_the_chat_keeps_its_width(
        make_window: Callable[..., Any], qtbot: QtBot, documents: list[Path]) -> None:
    """Opening the source beside the chat narrowed the chat: the answer being read re-wrapped under the
    reader, and re-laying out the whole chat was the largest part of the click's cost (and of the GUI's
    longest stall while an answer streams; bench_gui.py). The lists step aside instead and the source
    takes their width; closing it brings them back as they were. A narrow list gives the source at least
    SOURCE_MIN_WIDTH, from the chat."""
    from ui import main_window

    min_width = getattr(main_window, "SOURCE_MIN_WIDTH", 460)
    window = make_window()
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.width() == 1280, timeout=5_000)
    window.splitter.setSizes([470, 810])
    QApplication.processEvents()
    sizes = window.splitter.sizes()
    assert sizes[0] >= min_width  # (the window's default: a list wider than that)
    chat_width = window.chat.width()
    resized: list[int] = []

    class Watch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Resize:
                resized.append(window.chat.width())
            return False

    watch = Watch()
    window.chat.installEventFilter(watch)
    pdf = next(p for p in documents if p.suffix == ".pdf")
    window.show_source(Passage(1, str(pdf), Location(page=1), "", kind="pdf"))
    view = window.source_view
    qtbot.waitUntil(lambda: view.isVisible() and view.width() > 0, timeout=10_000)
    QApplication.processEvents()
    assert not window.side.isVisible()
    assert window.chat.width() == chat_width and resized == []  # not re-laid out, not re-wrapped
    assert abs(view.width() - sizes[0]) <= window.splitter.handleWidth() * 2
    view.hide()  # closed: the lists come back at their width, the chat keeps its own
    QApplication.processEvents()
    assert window.side.isVisible() and window.splitter.sizes()[:2] == sizes[:2]
    window.splitter.setSizes([300, sum(sizes) - 300])  # a narrow list: the source still gets its minimum
    QApplication.processEvents()
    window.show_source(Passage(1, str(pdf), Location(page=1), "", kind="pdf"))
    QApplication.processEvents()
    assert window.splitter.sizes()[2] >= min_width
    window.chat.removeEventFilter(watch)


def test_the_model_steps_aside_between_tokens_while_the_gui_thread_waits_for_a_cpu(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With both cores taken (llama.cpp's thread and one busy process), the GUI thread waited for a CPU for
    about half of its longest stall. After each token the model's thread looks at the scheduler's count of
    the GUI thread's waiting: when it grew and the GUI thread is still busy, it sleeps (so the GUI thread
    gets its core) until the GUI thread is done, at most MAX_PAUSE_S and at most as long as the token took;
    otherwise it goes straight on."""
    import threading
    import time

    from ui import cpu_share

    stop = threading.Event()
    ready = threading.Event()
    native: list[int] = []

    def gui(busy: bool) -> None:  # stands in for the GUI thread: painting (running) or idle (asleep)
        native.append(threading.get_native_id())
        ready.set()
        while not stop.is_set():
            if not busy:
                stop.wait()

    class Clock:  # the pause's own clock and sleep: its lengths are checked exactly, whatever the load
        now = 1000.0

        def perf_counter(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            self.now += seconds

    clock = Clock()
    monkeypatch.setattr(cpu_share, "time", clock)
    for busy in (True, False):
        stop.clear()
        ready.clear()
        native.clear()
        thread = threading.Thread(target=gui, args=(busy,), daemon=True)
        thread.start()
        ready.wait(5)
        gate = cpu_share.YieldToGui(native[0], sleep=clock.sleep)
        if gate._schedstat.exists() is False:
            stop.set()
            pytest.skip("no per-thread scheduler statistics on this OS")
        waited = [0]
        gate._waited_ns = lambda w=waited: w[0]  # type: ignore[method-assign,misc]
        gate._seen = 0
        deadline = time.monotonic() + 5
        while not busy and gate._gui_busy() and time.monotonic() < deadline:  # until it is asleep
            time.sleep(0.01)
        try:
            gate()  # it has not waited since the last token: no pause
            assert gate.pauses == 0 and gate.paused_s == 0
            waited[0] += cpu_share.WAITED_NS  # it waited 2 ms for a CPU meanwhile
            clock.now += 0.1  # a slow token (100 ms): the pause may take MAX_PAUSE_S
            gate()
            if busy:  # still busy: the model's thread sleeps, at most MAX_PAUSE_S
                assert gate.pauses == 1 and gate.paused_s == pytest.approx(cpu_share.MAX_PAUSE_S, abs=0.0021)
                waited[0] += cpu_share.WAITED_NS
                clock.now += 0.004  # a fast token (4 ms): the pause is no longer than the token
                before = gate.paused_s
                gate()
                assert gate.pauses == 2 and gate.paused_s - before == pytest.approx(0.004, abs=0.0021)
                gate.pauses = 1
            else:  # it waited, but is idle now: nothing to give
                assert gate.pauses == 0 and gate.paused_s == 0
            gate()  # the same count again: no new waiting, no pause
            assert gate.pauses == (1 if busy else 0)
        finally:
            stop.set()
            thread.join(5)


def test_stepping_aside_moves_the_gui_thread_onto_the_model_threads_core(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Pausing the model's thread freed its core, but a GUI thread queued behind another program on the
    other core stayed there (the scheduler keeps a thread that just ran where it ran). While the model's
    thread pauses, the GUI thread may run only on the model thread's core; afterwards anywhere again."""
    import os
    import threading

    from ui import cpu_share

    if not hasattr(os, "sched_setaffinity") or not Path("/proc/thread-self/stat").exists():
        pytest.skip("no thread affinity on this OS")
    cores = os.sched_getaffinity(0)
    if len(cores) < 2:
        pytest.skip("one core: nowhere to move to")
    stop = threading.Event()
    ready = threading.Event()
    native: list[int] = []

    def gui() -> None:  # the GUI thread, painting (running) all along
        native.append(threading.get_native_id())
        ready.set()
        while not stop.is_set():
            pass

    thread = threading.Thread(target=gui, daemon=True)
    thread.start()
    ready.wait(5)
    during: list[tuple[set[int], int]] = []

    def sleep(_seconds: float) -> None:  # the pause: where may the GUI thread run, where does this one
        mine = Path("/proc/thread-self/stat").read_text()
        during.append((os.sched_getaffinity(native[0]), int(mine[mine.rfind(")") + 2:].split()[36])))

    try:
        before = os.sched_getaffinity(native[0])
        gate = cpu_share.YieldToGui(native[0], sleep=sleep)
        gate._waited_ns = lambda: cpu_share.WAITED_NS  # type: ignore[method-assign]
        gate._gui_busy = lambda: not during  # type: ignore[method-assign]  # busy until one pause step
        gate._seen = 0
        gate._last -= 0.1  # the token took 100 ms
        gate()
        assert gate.pauses == 1 and len(during) >= 1
        allowed, my_core = during[0]
        assert allowed == {my_core}  # only this thread's core, while it sleeps
        assert os.sched_getaffinity(native[0]) == before  # then anywhere, as before
    finally:
        stop.set()
        thread.join(5)


def test_the_engine_calls_the_window_between_tokens_outside_the_governors_timing(
        make_window: Callable[..., Any], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window installs its YieldToGui (made on the GUI thread) as the engine's between-tokens hook when
    the model loads; the engine calls it once per token handed out, and the time it sleeps there is not
    decode time for the thread governor (else a pause would look like a slow token and cost a thread)."""
    import threading
    import time

    from qwenrag import engine as engine_mod
    from tests.model_fixtures import demo_model

    demo_model()  # skips without llama.cpp or the demo model
    window = make_window(load_model=True)
    qtbot.waitUntil(lambda: window.services.model.ready, timeout=60_000)
    gate = window.services.yield_to_gui
    if sys.platform.startswith("linux"):
        assert gate is not None and gate._schedstat.parent.name == str(threading.get_native_id())
    engine = window.services._engine
    assert engine.between_tokens is gate

    seen: list[float] = []
    token = engine_mod._GovernorSession.token
    monkeypatch.setattr(engine_mod._GovernorSession, "token",
                        lambda self, seconds: (seen.append(seconds), token(self, seconds))[1])
    calls: list[float] = []

    def hook() -> None:  # between tokens (not while the prompt is read: tests/test_engine.py)
        if engine._abort is None or engine._abort.hook is None:
            calls.append(time.perf_counter())
            time.sleep(0.3)

    engine.between_tokens = hook
    try:
        text = "".join(engine.generate([{"role": "user", "content": "Count from one to ten."}], max_tokens=4,
                                       temperature=0))
    finally:
        engine.between_tokens = gate
    assert text and len(calls) == 4 and len(seen) == 3  # one call per token; the first token has no time
    assert max(seen) < 0.3  # the 0.3 s pauses are not in the tokens' times


def test_an_opened_pdf_is_laid_out_without_asking_pdfium_on_the_gui_thread(qtbot: QtBot, tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The view computed where the pages lie from every page's size, asked of PDFium on the GUI thread on
    each zoom change (~300 calls for a 100-page PDF opened and zoomed twice), each under Qt's global PDFium
    lock that the page-rendering thread holds while it renders. The sizes are read once, on the worker that
    opens the file; the layout scales them; the highlight and the page geometry are as before."""
    import threading

    from PySide6.QtPdf import QPdfDocument
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from ui.source_view import SourceView
    from ui.tasks import TaskRunner

    path = tmp_path / "policy.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for page in range(1, 31):
        c.drawString(60, 800, f"Page {page}: hotel rates up to {100 + page} per night.")
        c.showPage()
    c.save()
    on_gui: list[int] = []
    size = QPdfDocument.pagePointSize
    monkeypatch.setattr(QPdfDocument, "pagePointSize", lambda doc, page: (
        on_gui.append(page) if threading.current_thread() is threading.main_thread() else None, size(doc, page))[1])
    runner = TaskRunner()
    view = SourceView(None, runner=runner)
    qtbot.addWidget(view)
    view.resize(700, 800)
    view.show()
    try:
        view.show_source(Passage(1, str(path), Location(page=20), "Page 20: hotel rates up to 120 per night.",
                                 kind="pdf"))
        qtbot.waitUntil(lambda: not view.loading, timeout=10_000)
        pdf = view.pdf_view
        pdf.zoom_by(1.25)
        pdf.set_fit_width()
        QApplication.processEvents()
        assert on_gui == []
        assert pdf.highlight_page == 19 and pdf.highlight_rects()
        # the geometry the layout gives is QPdfView's: page 20 lies below 19 pages and their spacing
        sizes = pdf._page_sizes()
        top = pdf.page_geometry(19).y() - pdf.documentMargins().top()
        assert top == sum(s.height() for s in sizes[:19]) + 19 * pdf.pageSpacing()
        assert pdf.page_geometry(19).height() == sizes[19].height() > 0
        assert 0 <= pdf.highlight_viewport_rect().top() < pdf.viewport().height()  # scrolled into view
    finally:
        assert runner.shutdown(10)


def test_the_source_view_is_prebuilt_in_steps_with_the_loop_running_between(
        qtbot: QtBot, make_window: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Built while the window idles after start-up: its modules one per step, then the view, each step a
    gap apart. Back to back (QtPdf's modules, then the view on the next turn) they held the event loop ~80 ms
    as one stall while a folder was being indexed (bench_gui.py --phases indexing --dispatch)."""
    import importlib
    import itertools
    import time

    import ui.main_window as main_window

    imported: list[tuple[str, float]] = []
    real = importlib.import_module

    def recording(name: str, package: str | None = None) -> object:
        imported.append((name, time.monotonic()))
        return real(name, package)

    window = make_window(start=False)
    monkeypatch.setattr(main_window.importlib, "import_module", recording)
    window._prebuild_source_view()
    assert window.source_view is None  # only the first step ran in this turn
    assert [name for name, _ in imported] == [main_window.PREBUILD_IMPORTS[0]]
    qtbot.waitUntil(lambda: window.source_view is not None, timeout=5000)
    assert [name for name, _ in imported] == list(main_window.PREBUILD_IMPORTS)
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(imported)]
    assert all(gap >= main_window.PREBUILD_STEP_GAP_MS / 1000 * 0.9 for gap in gaps), gaps
