"""The widgets a conversation is drawn with: question bubbles, answer cards (Markdown with [n] links), the
scrolling list. Source rows are in ui.source_list, colours in ui.chat_theme."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Collection, Sequence

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QGuiApplication,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QScrollArea,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from indexing.records import Passage
from qwenrag.conversations import Turn
from qwenrag.evidence import Quote
from ui.chat_theme import mix
from ui.source_label import CITE_SCHEME, cited_numbers, describe_location, link_citations
from ui.source_list import QuoteList, SourceList

RENDER_INTERVAL_MS = 80  # re-render the streaming Markdown at most ~12 times a second
_CURSOR = " ▍"  # shown at the end of an answer while it streams
# GitHub Markdown without raw HTML: a model's output is text, never markup to obey.
_MARKDOWN = QTextDocument.MarkdownFeature.MarkdownDialectGitHub | QTextDocument.MarkdownFeature.MarkdownNoHTML
_MARKER_RE = re.compile(r"\[\d{1,3}\]")  # a citation link's text, as rendered


# -- Markdown ----------------------------------------------------------------------------------------

class MarkdownView(QTextBrowser):
    """Read-only Markdown that is exactly as tall as its text (the surrounding list scrolls, not it); while
    it grows (a streaming answer) up to GROW_LINES lines taller."""

    citationClicked = Signal(int)
    GROW_LINES = 3

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewport().setAutoFillBackground(False)
        self.setStyleSheet("QTextBrowser { background: transparent; }")
        self.document().setDocumentMargin(2)
        self.anchorClicked.connect(self._on_anchor)
        self._markdown = ""
        self._growing = False

    @property
    def markdown(self) -> str:
        return self._markdown

    def set_markdown(self, text: str, citations: Collection[int] = (), *, growing: bool = False) -> None:
        """Render `text`; [n] for n in `citations` become links. `growing` (a streaming answer): the view
        only grows, and by GROW_LINES lines at a time, so the conversation around it is re-laid out every
        few lines of the answer instead of on every new line (each re-layout of the list took 5-20 ms)."""
        self._markdown = text
        self._growing = growing
        self.document().setMarkdown(link_citations(text, citations), _MARKDOWN)
        if citations:
            self._colour_citations()
        self._fit()

    def _colour_citations(self) -> None:
        """The Markdown importer colours links with the application's Link colour (dark blue, even on a
        dark theme); citations take the accent, mixed towards the text colour so it reads on either.

        The markers are found in the document's raw text and re-formatted in one edit block: a
        QTextDocument.find() and a mergeCharFormat() per marker re-laid out the text once per marker,
        and a long answer's 60 citations took a third of a second, on every streaming render."""
        pal = self.palette()
        colour = mix(pal.color(QPalette.ColorRole.Highlight), pal.color(QPalette.ColorRole.Text), 0.2)
        fmt = QTextCharFormat()
        fmt.setForeground(colour)
        fmt.setFontWeight(600)
        doc = self.document()
        raw = doc.toRawText()  # document positions, one per UTF-16 unit (frames and blocks included)
        cursor = QTextCursor(doc)
        cursor.beginEditBlock()
        at, utf16 = 0, 0
        for m in _MARKER_RE.finditer(raw):
            utf16 += len(raw[at:m.start()].encode("utf-16-le")) // 2
            at = m.start()
            cursor.setPosition(utf16)
            cursor.setPosition(utf16 + len(m.group()), QTextCursor.MoveMode.KeepAnchor)
            if cursor.charFormat().anchorHref().startswith(f"{CITE_SCHEME}:"):
                cursor.mergeCharFormat(fmt)
        cursor.endEditBlock()

    def _on_anchor(self, url: QUrl) -> None:
        if url.scheme() == CITE_SCHEME and url.path().isdigit():
            self.citationClicked.emit(int(url.path()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit()

    def _fit(self) -> None:
        doc = self.document()
        doc.setTextWidth(max(50, self.viewport().width()))
        height = math.ceil(doc.size().height()) + 2 * self.frameWidth()
        if self._growing:
            if height <= self.height():
                return  # still fits the room grown ahead
            height += self.GROW_LINES * self.fontMetrics().lineSpacing()
        if height != self.height():
            self.setFixedHeight(height)

    def sizeHint(self) -> QSize:
        return QSize(400, self.height())


# -- messages ---------------------------------------------------------------------------------------

class QuestionBubble(QWidget):
    """The person's question, on the right."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(60, 0, 0, 0)
        row.addStretch(1)
        self.label = QLabel(text)
        self.label.setObjectName("questionBubble")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.label, 0, Qt.AlignmentFlag.AlignRight)
        # The label's minimum width (set by _fit) must not become the bubble's: the window could then never
        # narrow it again and the question would be cut off (the view has no horizontal scroll bar).
        row.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)

    @property
    def text(self) -> str:
        return self.label.text()

    def minimumSizeHint(self) -> QSize:
        margins = self.layout().contentsMargins()
        return QSize(margins.left() + margins.right() + 40, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """One line when the question fits: a word-wrapped QLabel picks a narrow width by itself, which
        broke a short Chinese question (no spaces) over two lines."""
        fm = self.label.fontMetrics()
        widest = max((fm.horizontalAdvance(line) for line in self.label.text().splitlines()), default=0)
        padding = 24 + 4  # the style sheet's 12 px each side, and a little slack for rounding
        margins = self.layout().contentsMargins()
        room = self.width() - margins.left() - margins.right()
        wanted = min(widest + padding, room)
        if wanted > 0 and self.label.minimumWidth() != wanted:
            self.label.setMinimumWidth(wanted)


class AnswerCard(QFrame):
    """One answer while it streams and after: Markdown with [n] links, sources, Copy, and its states.

    States: waiting/working (a muted status line), streaming, answered, stopped, not found (a muted info card
    with the nearest passages), failed.
    """

    citationClicked = Signal(int)  # [n] in the answer
    sourceClicked = Signal(object)  # a Passage from the list below, or a Quote from the list above

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("answerCard")
        self.setProperty("state", "answer")
        self.sources: list[Passage] = []
        self.answer = ""
        self.found = True
        self.streaming = False
        self.stopped = False
        self.use_documents = True
        self.elapsed: float | None = None
        self._status_key = ""  # which status line to show, kept as a key so it retranslates
        self._status_text = ""  # or a line the core sent
        self._error = ""
        self._dirty = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 8)
        layout.setSpacing(6)
        self.headline = QLabel()  # "Not found in your documents"
        self.headline.setObjectName("headline")
        self.headline.setWordWrap(True)
        self.headline.hide()
        layout.addWidget(self.headline)
        self.quote_list = QuoteList(self)  # the documents' own words, first, before the model has written
        self.quote_list.quoteClicked.connect(self.sourceClicked)
        layout.addWidget(self.quote_list)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.hide()
        layout.addWidget(self.status)
        self.model_note = QLabel()  # why the model's text below is not the answer (unbacked, demo model)
        self.model_note.setObjectName("modelNote")
        self.model_note.setWordWrap(True)
        self.model_note.hide()
        layout.addWidget(self.model_note)
        self.verdict = ""  # "", "unbacked" or "demo"
        self.body = MarkdownView(self)
        self.body.citationClicked.connect(self.citationClicked)
        self.body.hide()
        layout.addWidget(self.body)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        layout.addWidget(self.error)
        self.source_list = SourceList(self)
        self.source_list.sourceClicked.connect(self.sourceClicked)
        layout.addWidget(self.source_list)

        footer = QHBoxLayout()
        footer.setSpacing(8)
        self.note = QLabel()
        self.note.setObjectName("note")
        footer.addWidget(self.note, 1)
        self.copy_button = QToolButton()
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setAutoRaise(True)
        self.copy_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.copy_button.clicked.connect(self.copy)
        self.copy_button.hide()
        footer.addWidget(self.copy_button)
        layout.addLayout(footer)

        self._render_timer = QTimer(self)
        self._render_timer.setInterval(RENDER_INTERVAL_MS)
        self._render_timer.timeout.connect(self._render_if_dirty)
        self.retranslateUi()

    # -- feeding -------------------------------------------------------------------------------------
    def set_waiting(self, key: str) -> None:
        """key: "model" (waiting for the model to load), "search" or "think"."""
        self._status_key, self._status_text = key, ""
        self._update_status()

    def set_status(self, text: str) -> None:
        self._status_key, self._status_text = "", text
        self._update_status()

    def set_quotes(self, quotes: Sequence[Quote]) -> None:
        self.quote_list.set_quotes(quotes)

    def set_verdict(self, grounded: bool | None, demo: bool) -> None:
        """After the answer: the model's text is the answer only when backed and not from the demo model."""
        self.verdict = "demo" if demo else ("unbacked" if grounded is False else "")
        self._update_model_note()

    def _update_model_note(self) -> None:
        text = {
            "demo": self.tr("Written by a small demo model and not checked: the quotes above are the answer. "
                            "For real answers choose a better model in Settings → Model."),
            "unbacked": self.tr("The model's reply below is not backed by the passages it cites, so it is not "
                                "the answer: the quotes above are what your documents say."),
        }.get(self.verdict, "")
        self.model_note.setText(text)
        self.model_note.setVisible(bool(text))

    def set_sources(self, sources: Sequence[Passage]) -> None:
        self.sources = list(sources)
        self.source_list.prepare(self.sources)  # built while the answer streams, listed when it ends

    def append(self, text: str) -> None:
        if not self.streaming:
            self.streaming = True
            self._status_key = self._status_text = ""
            self._update_status()
            self.body.show()
            self._render_timer.start()
        self.answer += text
        self._dirty = True
        if len(self.answer) == len(text):  # the first words show at once; the rest on the timer
            self._render()

    def finish(self, answer: str | None = None, *, stopped: bool = False, elapsed: float | None = None,
               sources: bool = True) -> None:
        """The answer is final. sources=False leaves the source list to show_sources() (the chat calls it
        on the next event-loop turn: rows shown and a card re-laid out in the same turn as the final
        render stalled the window at the end of every answer)."""
        self._render_timer.stop()
        self.streaming = False
        if answer is not None and (answer.strip() or not self.answer):
            self.answer = answer
        self.stopped = stopped
        self.elapsed = elapsed
        self._status_key = self._status_text = ""
        self._update_status()
        if self.found:
            self.body.setVisible(bool(self.answer.strip()))
            self._render()
            if sources:
                self.show_sources()
        self.copy_button.setVisible(bool(self.answer.strip()) and self.found)
        self._update_note()

    def show_sources(self) -> None:
        """List the sources under a finished answer: the cited ones, the rest behind "n more"."""
        if self.found:
            self.source_list.set_sources(self.sources, cited_numbers(self.answer, self.numbers))

    def show_not_found(self, nearest: Sequence[Passage], elapsed: float | None = None) -> None:
        self._render_timer.stop()
        self.streaming = False
        self.found = False
        self.sources = list(nearest)
        self.elapsed = elapsed
        self.setProperty("state", "notfound")
        self._restyle()
        self._status_key = self._status_text = ""
        self._update_status()
        self.body.hide()
        self.headline.show()
        self.source_list.set_sources(self.sources, excerpts=True)
        self.copy_button.hide()
        self.retranslateUi()

    def show_error(self, message: str) -> None:
        self._render_timer.stop()
        self.streaming = False
        self._error = message
        self.error.setText(message)
        self.error.show()
        self._status_key = self._status_text = ""
        self._update_status()
        if self.answer.strip():
            self._render()

    def load_turn(self, turn: Turn) -> None:
        """Draw a saved turn."""
        self.use_documents = turn.use_documents
        if not turn.found:
            self.show_not_found(turn.sources, turn.timings.get("total"))
        else:
            self.set_sources(turn.sources)
            self.set_quotes(turn.quotes)
            self.answer = turn.answer
            self.finish(turn.answer, stopped=turn.stopped, elapsed=turn.timings.get("total"))
            if turn.quotes or turn.demo:
                self.set_verdict(turn.grounded, turn.demo)
        if turn.error:
            self.show_error(turn.error)

    # -- actions -------------------------------------------------------------------------------------
    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.copy_text())

    def copy_text(self) -> str:
        """The answer and, below it, the sources it cites: ready to paste into an e-mail."""
        cited = cited_numbers(self.answer, self.numbers)
        lines = [self.answer.strip()]
        shown = [s for s in self.sources if s.n in cited]
        if shown:
            lines += ["", self.tr("Sources:")]
            lines += [f"[{s.n}] {s.name}, {describe_location(s.location)}".rstrip(", ") for s in shown]
        return "\n".join(lines)

    @property
    def numbers(self) -> set[int]:
        """The numbers this answer's sources are cited by."""
        return {s.n for s in self.sources}

    def source(self, n: int) -> Passage | None:
        return next((s for s in self.sources if s.n == n), None)

    # -- drawing -------------------------------------------------------------------------------------
    def _render_if_dirty(self) -> None:
        if self._dirty:
            self._render()

    def _render(self) -> None:
        self._dirty = False
        text = self.answer + (_CURSOR if self.streaming else "")
        started = time.perf_counter()
        self.body.set_markdown(text, self.numbers, growing=self.streaming)
        if self.streaming:  # a long answer renders slower: render it less often, so typing stays smooth
            cost_ms = (time.perf_counter() - started) * 1000
            self._render_timer.setInterval(int(min(500, max(RENDER_INTERVAL_MS, 5 * cost_ms))))

    def _update_status(self) -> None:
        text = self._status_text or self._waiting_text(self._status_key)
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _waiting_text(self, key: str) -> str:
        return {
            "model": self.tr("Waiting for the model to finish loading…"),
            "search": self.tr("Searching your documents…"),
            "think": self.tr("Thinking…"),
        }.get(key, "")

    def _update_note(self) -> None:
        bits: list[str] = []
        if self.stopped:
            bits.append(self.tr("Stopped"))
        if not self.use_documents:
            bits.append(self.tr("Without document search"))
        if self.elapsed is not None and not self.streaming:
            bits.append(self.tr("%1 s").replace("%1", f"{self.elapsed:.1f}"))
        self.note.setText(" · ".join(bits))

    def _restyle(self) -> None:
        self.style().unpolish(self)
        self.style().polish(self)

    def retranslateUi(self) -> None:
        self.headline.setText(self.tr("Not found in your documents"))
        if not self.found:
            if self.sources:
                self.status.setText(self.tr("None of your documents seems to answer this. "
                                            "These passages came closest:"))
            else:
                self.status.setText(self.tr("None of your documents seems to answer this. Try other words, "
                                            "or add the document that holds the answer."))
            self.status.show()
        else:
            self._update_status()
        self._update_model_note()
        self.copy_button.setText(self.tr("Copy"))
        self.copy_button.setToolTip(self.tr("Copy the answer and its sources"))
        self._update_note()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)


class Welcome(QWidget):
    """What an empty conversation shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 48, 24, 24)
        layout.setSpacing(8)
        self.title = QLabel()
        self.title.setObjectName("welcomeTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel()
        self.hint.setObjectName("welcomeHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.model_hint = QLabel()
        self.model_hint.setObjectName("welcomeModelHint")
        self.model_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.model_hint.setWordWrap(True)
        self.model_hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self.model_hint)
        self.retranslateUi()

    def retranslateUi(self) -> None:
        self.title.setText(self.tr("Ask a question about your documents"))
        self.hint.setText(self.tr("Each answer lists the passages of your documents it was found in: click "
                                  "one to see it in the document. Turn off document search to chat with "
                                  "the model alone."))
        # Where the real model comes from; the app itself never downloads anything.
        self.model_hint.setText(self.tr(
            "For better answers, use Qwen2.5-0.5B-Instruct: in your web browser, download "
            "qwen2.5-0.5b-instruct-q4_k_m.gguf (398 MB) from Qwen's official GGUF repository on Hugging "
            "Face (huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF), then drop the file onto this window or "
            "choose it in Settings → Model. QwenRAG downloads nothing itself."))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        super().changeEvent(event)


class MessageList(QScrollArea):
    """The conversation, top to bottom. Follows the newest text unless the person scrolled up."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageList")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        inner.setObjectName("messageListInner")
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(18, 16, 18, 16)
        self._layout.setSpacing(12)
        self.welcome = Welcome(inner)
        self._layout.addWidget(self.welcome)
        self._layout.addStretch(1)
        self.setWidget(inner)
        self._follow = True
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_range)
        bar.valueChanged.connect(self._on_scroll)

    def add(self, widget: QWidget) -> None:
        self.welcome.hide()
        self._layout.insertWidget(self._layout.count() - 1, widget)
        widget.show()  # now, not on the next event loop turn as a layout would
        self._follow = True
        self.scroll_to_end()

    def clear(self) -> None:
        while self._layout.count() > 2:  # the welcome and the stretch stay
            item = self._layout.takeAt(1)
            if item is not None and item.widget() is not None:
                item.widget().hide()  # gone now; deleted when the event loop next runs
                item.widget().deleteLater()
        self.welcome.show()
        self._follow = True
        # Lay out now and go to the top: else the next paint shows the old scroll position over the old
        # conversation's height (a blank page, or the previous question, until the layout catches up).
        self._layout.activate()
        self.widget().resize(self.viewport().width(), self._layout.sizeHint().height())
        self.verticalScrollBar().setValue(0)

    def messages(self) -> list[QWidget]:
        out = []
        for i in range(1, self._layout.count() - 1):
            item = self._layout.itemAt(i)
            if item is not None and item.widget() is not None:
                out.append(item.widget())
        return out

    def scroll_to_end(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_range(self, _lo: int, hi: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(hi)

    def _on_scroll(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - 24
