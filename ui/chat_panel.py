"""The chat: ask, watch the answer stream in with its sources, stop, copy, start again.

    chat = ChatPanel(services, runner, store)      # store: qwenrag.conversations.ConversationStore
    chat.sourceRequested.connect(source_view.show_source)    # a [n] or a source row was clicked
    ConversationsPanel(store).attach(chat)         # the saved conversations, both ways
    chat.stop_and_save()                           # before the runner shuts down (window closing)

Answers run through the one TaskRunner on the model lane (services.ask gives the generator factory). A
question asked before the model is ready waits in this panel (the card says so) and starts when
services.model_changed reports READY. Every finished turn (answered, not found, stopped or failed) is saved
at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from qwenrag.conversations import Conversation, ConversationError, ConversationStore, Turn
from ui import errors
from ui.chat_theme import chat_style, theme
from ui.chat_view import AnswerCard, MessageList, QuestionBubble
from ui.services import MODEL_LANE, ModelState, Services
from ui.source_label import cited_numbers
from ui.tasks import TaskHandle, TaskRunner, next_turn

HISTORY_TURNS = 3  # earlier turns sent along with a question (a small model's context is short)
# The next question's answer card is built and styled this long after the window starts or an answer ends
# (not while one runs): built on Send, it took several milliseconds of GUI time (most the first time in a
# window, when the chat's style sheet is first applied to its kinds of widget) inside the turn that also
# lays out and paints the new question.
SPARE_CARD_MS = 400


class ChatInput(QPlainTextEdit):
    """Enter sends, Shift+Enter starts a new line; grows with its text up to a few lines."""

    submitted = Signal()

    MAX_LINES = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatInput")
        self.setTabChangesFocus(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().documentLayout().documentSizeChanged.connect(lambda _s: self._fit())
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        if enter:  # Shift+Enter: a plain newline (QPlainTextEdit would insert a line separator)
            self.insertPlainText("\n")
            return
        super().keyPressEvent(event)

    def _fit(self) -> None:
        line = self.fontMetrics().lineSpacing()
        lines = max(1, min(self.MAX_LINES, int(self.document().size().height())))
        margins = self.contentsMargins()
        doc_margin = self.document().documentMargin()
        self.setFixedHeight(int(lines * line + 2 * doc_margin + margins.top() + margins.bottom()) + 2)


class ChatPanel(QWidget):
    """Signals: sourceRequested(Passage); conversationSaved(str id); busyChanged(bool);
    titleChanged(str)."""

    sourceRequested = Signal(object)
    conversationSaved = Signal(str)
    busyChanged = Signal(bool)
    titleChanged = Signal(str)

    def __init__(self, services: Services, runner: TaskRunner, store: ConversationStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPanel")
        self.services = services
        self.runner = runner
        self.store = store or ConversationStore()
        self.conversation: Conversation = self.store.new()
        self._handle: TaskHandle[Any] | None = None
        self._card: AnswerCard | None = None
        self._turn: Turn | None = None
        self._started = 0.0
        self._first_token = 0.0
        self._ended = False  # the generator sent "done" or "not_found"
        self._pending: tuple[str, list[tuple[str, str]], bool] | None = None  # waits for the model
        self._theme: dict[str, str] = {}
        # A finished answer's remaining steps, one per event-loop turn: ("sources" | "save", step).
        self._finishing: list[tuple[str, Callable[[], None]]] = []

        self.title = QLabel()
        self.title.setObjectName("chatTitle")
        self.new_button = QPushButton()
        self.new_button.setObjectName("newChatButton")
        self.new_button.clicked.connect(self.new_chat)
        top = QHBoxLayout()
        top.setContentsMargins(14, 8, 10, 8)
        top.addWidget(self.title, 1)
        top.addWidget(self.new_button)

        self.messages = MessageList(self)

        self.input = ChatInput(self)
        self.input.submitted.connect(self.send)
        self.input.textChanged.connect(self._update_buttons)
        self.send_button = QPushButton()
        self.send_button.setObjectName("sendButton")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send_or_stop)
        box = QFrame()
        box.setObjectName("inputBox")
        box_row = QHBoxLayout(box)
        box_row.setContentsMargins(10, 6, 6, 6)
        box_row.addWidget(self.input, 1)
        box_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)

        self.use_documents = QCheckBox()
        self.use_documents.setObjectName("useDocuments")
        self.use_documents.setChecked(True)
        self.use_documents.toggled.connect(lambda _on: self.retranslateUi())
        self.hint = QLabel()
        self.hint.setObjectName("inputHint")
        self.model_note = QLabel()  # "The model is loading…" under the input, before anyone asks
        self.model_note.setObjectName("modelNote")
        options = QHBoxLayout()
        options.setContentsMargins(2, 0, 2, 0)
        options.addWidget(self.use_documents)
        options.addStretch(1)
        options.addWidget(self.model_note)
        options.addWidget(self.hint)

        bottom = QVBoxLayout()
        bottom.setContentsMargins(14, 8, 14, 10)
        bottom.setSpacing(4)
        bottom.addWidget(box)
        bottom.addLayout(options)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.messages, 1)
        layout.addLayout(bottom)

        services.model_changed.connect(self._on_model_changed)
        self._apply_style()
        self.retranslateUi()
        self._update_buttons()
        self._spare_card: AnswerCard | None = None
        self._want_spare_card()

    # -- public -------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """An answer is running, a question waits for the model, or a finished answer is still being
        drawn and saved (a turn or two of the event loop)."""
        return self._handle is not None or self._pending is not None or bool(self._finishing)

    @property
    def waiting_for_model(self) -> bool:
        return self._pending is not None

    def cards(self) -> list[AnswerCard]:
        return [w for w in self.messages.messages() if isinstance(w, AnswerCard)]

    def ask(self, question: str) -> bool:
        """Ask as if typed and sent. False when there is nothing to ask or an answer is still running."""
        question = question.strip()
        if not question or self.busy:
            return False
        use_docs = self.use_documents.isChecked()
        self._turn = Turn(question=question, use_documents=use_docs)
        self._add_question(question)
        self._card = self._add_card()
        self._card.use_documents = use_docs
        self._started = time.monotonic()
        self._first_token = 0.0
        self._ended = False
        self._pending = (question, self._history(), use_docs)
        self._set_busy(True)
        if self.services.model.state is ModelState.NONE:
            self.services.start_model_load(self.runner)  # nobody started it yet: the question waits for it
        self._start_when_ready()
        return True

    def _start_when_ready(self) -> None:
        """Start the pending question once the model is ready; until then the card says it waits.
        (Waiting here rather than queueing behind the load keeps Stop instant and the card honest.)"""
        if self._pending is None or self._card is None:
            return
        model = self.services.model
        if model.state is ModelState.FAILED:
            self._pending = None
            if self._turn is not None:
                self._turn.error = model.error or self.tr("The model is not available.")
            self._finish_turn(stopped=False)
            return
        if model.state is not ModelState.READY:
            self._card.set_waiting("model")
            return
        question, history, use_docs = self._pending
        self._pending = None
        self._card.set_waiting("search" if use_docs else "think")
        factory = self.services.ask(question, history, use_documents=use_docs)
        turn = self._turn
        # Callbacks name their turn: after Stop, a late callback of the old task must not touch a new one.
        self._handle = self.runner.run_generator(
            factory,
            on_item=lambda event: self._on_event(event) if turn is self._turn else None,
            on_done=lambda: self._on_done() if turn is self._turn else None,
            on_error=lambda exc: self._on_error(exc) if turn is self._turn else None,
            lane=MODEL_LANE, name="answer",
        )

    def send(self) -> None:
        if self.busy:
            return  # Enter while answering does nothing; the button says Stop
        if self.ask(self.input.toPlainText()):
            self.input.clear()

    def stop(self) -> None:
        """Stop the answer; the text so far stays. The card is final at once: the model stops within a token
        on its lane (or, while it still reads the prompt, right after), and a next question queues behind."""
        self.stop_and_save()

    def new_chat(self) -> None:
        self.stop_and_save()
        self.conversation = self.store.new()
        self.messages.clear()
        self._update_title()
        self.input.setFocus()

    def load_conversation(self, conv_id: str) -> bool:
        if conv_id == self.conversation.id:
            return True
        try:
            conv = self.store.load(conv_id)
        except ConversationError as exc:
            errors.show_exception(self, exc)
            return False
        self.stop_and_save()
        self.conversation = conv
        self.messages.clear()
        for turn in conv.turns:
            self._add_question(turn.question)
            self._add_card().load_turn(turn)
        self._update_title()
        self._want_spare_card()  # (after an answer, _set_busy asks for it)
        return True

    def conversation_renamed(self, conv_id: str, title: str) -> None:
        if conv_id == self.conversation.id:
            self.conversation.title = title
            self._update_title()

    def conversation_deleted(self, conv_id: str) -> None:
        if conv_id == self.conversation.id:
            self._finishing = [x for x in self._finishing if x[0] != "save"]  # it must not come back
            self.stop_and_save(save=False)
            self.conversation = self.store.new()
            self.messages.clear()
            self._update_title()

    def stop_and_save(self, save: bool = True) -> None:
        """Cancel a running answer and keep what it said so far (also before the window closes)."""
        self._finish_now()
        if not self.busy:
            return
        handle, self._handle, self._pending = self._handle, None, None
        if handle is not None:
            handle.cancel()
        self._finish_turn(stopped=True, save=save)

    # -- the answer's events (GUI thread) -----------------------------------------------------------
    def _on_event(self, event: Any) -> None:
        card, turn = self._card, self._turn
        if card is None or turn is None:
            return
        kind = getattr(event, "kind", "")
        if kind == "status":
            card.set_status(event.text)
        elif kind == "sources":
            turn.sources = list(event.sources)
            turn.quotes = list(event.quotes)
            card.set_sources(turn.sources)
            card.set_quotes(turn.quotes)  # the documents' own words, before the model has written
            if not card.streaming:
                card.set_waiting("think")
        elif kind == "token":
            if not self._first_token:
                self._first_token = time.monotonic()
            turn.answer += event.text
            card.append(event.text)
        elif kind == "done":
            self._ended = True
            turn.grounded, turn.demo = event.grounded, event.demo
            if event.quotes and (event.demo or event.grounded is False) and event.model_text is not None:
                # Not the answer: the model's text stays visible below a note; the quotes above answer.
                turn.model_text = turn.answer = event.model_text
                turn.quotes = list(event.quotes)
            elif event.text:
                turn.answer = event.text  # cleaned by the pipeline (markers normalised)
            card.set_verdict(turn.grounded, turn.demo)
            if event.sources:  # also passages of earlier turns that this answer cites
                turn.sources = list(event.sources)
                card.set_sources(turn.sources)
            timings = getattr(event, "timings", None)  # kept when the core sends them (seconds)
            if isinstance(timings, dict):
                turn.timings.update({k: float(v) for k, v in timings.items() if isinstance(v, int | float)})
        elif kind == "not_found":
            self._ended = True
            turn.found = False
            turn.answer = event.text  # the pipeline's sentence, in the question's language
            turn.sources = list(event.sources)
            card.show_not_found(turn.sources)

    def _on_done(self) -> None:
        if self._handle is None:
            return  # already finished by stop_and_save
        stopped = self._handle.cancelled or not self._ended
        self._handle = None
        self._finish_turn(stopped=stopped, spread=True)

    def _on_error(self, exc: BaseException) -> None:
        self._handle = None
        if self._turn is not None:
            self._turn.error = errors.plain_message(exc)
        self._finish_turn(stopped=False)
        errors.show_exception(self, exc)

    def _finish_turn(self, *, stopped: bool, save: bool = True, spread: bool = False) -> None:
        """The turn is over: the card final, the turn in the conversation, saved. With `spread` (an answer
        that ended by itself) the steps take one event-loop turn each — the final render, the source list,
        the save and the list's update together were one long stall at the end of every answer — and
        `busy` stays true until the last one; anything that needs them done calls _finish_now()."""
        card, turn = self._card, self._turn
        self._card = self._turn = None
        if card is None or turn is None:
            self._set_busy(False)
            return
        elapsed = time.monotonic() - self._started
        turn.stopped = stopped
        turn.timings["total"] = round(elapsed, 3)
        if self._first_token:
            turn.timings["first_token"] = round(self._first_token - self._started, 3)
        turn.citations = cited_numbers(turn.answer, {x.n for x in turn.sources}) if turn.found else []
        if turn.found and turn.model_text:  # the model's text is not the answer: the quotes are what stands
            turn.citations = list(dict.fromkeys(q.n for q in turn.quotes))
        if turn.found:
            card.finish(turn.answer, stopped=stopped, elapsed=elapsed, sources=not spread)
        else:
            card.elapsed = elapsed
        if turn.error:
            card.show_error(turn.error)
        self.conversation.turns.append(turn)
        if not spread:
            self._set_busy(False)
            if save:
                self._save()
            return
        conversation = self.conversation
        self._finishing = [("sources", card.show_sources)]
        if save:
            self._finishing.append(("save", lambda: self._save(conversation)))
        self._set_busy(True)
        next_turn(self, self._finish_step)

    def _finish_step(self) -> None:
        if self._finishing:
            self._finishing.pop(0)[1]()
        if self._finishing:
            next_turn(self, self._finish_step)
        else:
            self._set_busy(False)

    def _finish_now(self) -> None:
        """Run a finished answer's remaining steps now (a new chat, another conversation, closing)."""
        if not self._finishing:
            return
        steps, self._finishing = self._finishing, []
        for _name, step in steps:
            step()
        self._set_busy(False)

    def _save(self, conversation: Conversation | None = None) -> None:
        """Staged at once (the list and a reload see it), written on a worker: the write ends in an fsync,
        which on the GUI thread stalled the window at the end of every answer."""
        conversation = conversation or self.conversation
        conv_id = conversation.id
        try:
            self.store.stage(conversation)
            if self.runner.closed:  # the window is closing: nobody is waiting for the loop any more
                self.store.write_staged(conv_id)
            else:
                self.runner.run(lambda: self.store.write_staged(conv_id), on_error=self._on_save_error,
                                name="save conversation")
        except ConversationError as exc:
            errors.show_exception(self, exc)
            return
        if conversation is self.conversation:
            self._update_title()
        self.conversationSaved.emit(conv_id)

    def _on_save_error(self, exc: BaseException) -> None:
        errors.show_exception(self, exc)  # still staged: flush_saves() tries again when the window closes

    def flush_saves(self) -> None:
        """Write what is still staged (after the runner has shut down, which drops queued writes)."""
        self._finish_now()
        try:
            self.store.flush()
        except ConversationError:
            logging.getLogger(__name__).exception("a conversation could not be saved while closing")

    # -- helpers ------------------------------------------------------------------------------------
    def _history(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for turn in self.conversation.turns[-HISTORY_TURNS:]:
            if turn.found and turn.answer.strip() and not turn.error:
                out += [("user", turn.question), ("assistant", turn.answer)]
        return out

    def _add_question(self, text: str) -> None:
        self.messages.add(QuestionBubble(text))

    def _want_spare_card(self) -> None:
        if self._spare_card is None:
            QTimer.singleShot(SPARE_CARD_MS, self, self._make_spare_card)

    def _make_spare_card(self) -> None:
        # Not while an answer runs (its end asks again): the build is one ~10-17 ms turn of GUI work, which
        # built 400 ms after Send landed in the middle of the answer's own turns (bench_gui.py --dispatch).
        if self._spare_card is None and not self.busy:
            card = AnswerCard(self.messages.widget())  # styled as the cards in the list, hidden
            card.hide()
            card.ensurePolished()
            self._spare_card = card

    def _add_card(self) -> AnswerCard:
        card, self._spare_card = self._spare_card or AnswerCard(), None
        card.citationClicked.connect(lambda n, c=card: self._open_citation(c, n))
        card.sourceClicked.connect(self.sourceRequested)
        self.messages.add(card)
        return card

    def _open_citation(self, card: AnswerCard, n: int) -> None:
        source = card.source(n)
        if source is not None:
            self.sourceRequested.emit(source)

    def _send_or_stop(self) -> None:
        if self.busy:
            self.stop()
        else:
            self.send()

    def _set_busy(self, busy: bool) -> None:
        self.send_button.setEnabled(True)
        self._update_buttons()
        self.busyChanged.emit(busy)
        if not busy:
            self._want_spare_card()

    def _update_buttons(self) -> None:
        if self.busy:
            self.send_button.setText(self.tr("Stop"))
            self.send_button.setToolTip(self.tr("Stop the answer (Esc)"))
        else:
            self.send_button.setText(self.tr("Send"))
            self.send_button.setToolTip(self.tr("Send (Enter)"))
            self.send_button.setEnabled(bool(self.input.toPlainText().strip()))

    def _on_model_changed(self) -> None:
        self._start_when_ready()
        self._update_model_note()

    def _update_model_note(self) -> None:
        state = self.services.model.state
        self.model_note.setText(self.tr("The model is loading…") if state is ModelState.LOADING else "")
        self.model_note.setVisible(state is ModelState.LOADING)

    def _update_title(self) -> None:
        title = self.conversation.display_title or self.tr("New chat")
        self.title.setText(title)
        self.titleChanged.emit(title)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.busy:
            self.stop()
            return
        super().keyPressEvent(event)

    def _apply_style(self) -> None:
        c = theme(self)
        if c == self._theme:
            return  # a style sheet change may itself raise PaletteChange: apply once per palette
        self._theme = c
        self.setStyleSheet(chat_style(self) + f"""
QLabel#chatTitle {{ font-weight: 600; }}
QFrame#inputBox {{ background: {c['base']}; border: 1px solid {c['border']}; border-radius: 10px; }}
QPlainTextEdit#chatInput {{ background: transparent; }}
QLabel#inputHint, QLabel#modelNote {{ color: {c['muted']}; font-size: 11px; }}
""")

    def retranslateUi(self) -> None:
        self.new_button.setText(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("Start a new conversation"))
        self.use_documents.setText(self.tr("Search my documents"))
        self.use_documents.setToolTip(self.tr("Off: chat with the model alone, without your documents"))
        self.input.setPlaceholderText(
            self.tr("Ask about your documents…") if self.use_documents.isChecked()
            else self.tr("Chat with the model…"))
        self.hint.setText(self.tr("Enter to send, Shift+Enter for a new line"))
        self._update_buttons()
        self._update_model_note()
        self._update_title()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslateUi()
        elif event.type() == QEvent.Type.PaletteChange:
            self._apply_style()
        super().changeEvent(event)

