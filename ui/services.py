"""The adapter between the window and the core: the library, the settings, the model and answers.

Widgets use only this module to reach qwenrag (engine, pipeline, settings) — their API may change, and then
only this file changes. Everything here is plain data or plain generators; the widgets run the slow parts
through ui.tasks.TaskRunner:

    services = Services()                              # GUI thread; opens nothing slow
    services.library                                   # indexing.library.Library (opened on first use)
    services.start_model_load(runner)                  # loads on lane "model"; model_changed fires
    factory = services.ask("病假需要什么证明？", history, use_documents=True)
    runner.run_generator(factory, on_item=..., lane=MODEL_LANE)   # AnswerEvents, in order

For the chat panel:
- `ask()` returns a generator FACTORY; run it on lane MODEL_LANE. The model loads on that same lane, so a
  question asked while loading waits behind the load: show "waiting for the model" while
  `services.model.state is ModelState.LOADING` and clear it on the first event.
- Events, in order: zero or more "status" (a short line for a person), then "sources" (the numbered
  passages the answer may cite; omitted for plain chat), then "token"* (append `text`), then exactly one of
  "done" (text = the whole answer, cleaned; `sources` = every passage it may cite, including ones from
  earlier turns) or "not_found" (no passage answers it; `text` = a sentence in the question's language,
  `sources` = the nearest passages). Cancelling (Stop) stops the model at once, also while it is still
  reading the prompt (the factory's iterator has a `cancel()` that the task runner calls from the GUI
  thread), then the runner closes it; no "done" arrives, the text so far stands.
- Answers come from qwenrag.pipeline (search, prompt, citations, not-found); it pauses indexing while
  the model runs. Follow-ups continue the pipeline's conversation when `history` matches it.
- Errors raise from the generator (on_error gets them): pass them to ui.errors.show_error.
- `history` is the conversation so far, oldest first, as (role, text) pairs with role "user"/"assistant".
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PySide6.QtCore import QObject, Signal

from indexing.records import Passage
from qwenrag import paths
from ui import cpu_share

if TYPE_CHECKING:
    from indexing.library import Library
    from indexing.records import IndexEvent
    from ui.tasks import TaskHandle, TaskRunner

MODEL_LANE = "model"  # the one thread that owns the llama.cpp object
INDEX_LANE = "index"  # the one writer thread of the library
QWEN_MODEL_FILE = "qwen2.5-0.5b-instruct-q4_k_m.gguf"

ChatTurn = tuple[str, str]  # (role "user" | "assistant", text)


# -- plain data the widgets see ---------------------------------------------------------------------------
class ModelState(str, Enum):
    NONE = "none"  # not asked to load yet
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class ModelStatus:
    state: ModelState = ModelState.NONE
    name: str = ""  # file name, for the status bar
    path: str = ""
    size_bytes: int = 0
    is_demo: bool = False  # the tiny bundled model: the window shows a badge and a hint
    error: str = ""  # a sentence for a person (FAILED)
    detail: str = ""  # the technical cause, for "Copy details"

    @property
    def ready(self) -> bool:
        return self.state is ModelState.READY


# One numbered passage an answer may cite as [n]: the library's one passage type, under the window's name.


@dataclass(frozen=True)
class AnswerEvent:
    kind: Literal["status", "sources", "token", "done", "not_found"]
    text: str = ""
    sources: tuple[Passage, ...] = ()
    quotes: tuple[Any, ...] = ()  # qwenrag.evidence.Quote: the documents' own words ("sources", "done")
    grounded: bool | None = None  # "done": the model's text was backed by its passages (None: no model text)
    model_text: str | None = None  # "done": what the model wrote (the answer only when grounded, not demo)
    demo: bool = False  # "done": written by the small demo model


@dataclass(frozen=True)
class UiSettings:
    """What the Settings dialog edits. Saved through qwenrag.settings when present (atomic write)."""

    model_path: str = ""  # empty: the Qwen model in the models folder, else the bundled demo model
    threads: int = 0  # 0: automatic
    context_size: int = 4096
    temperature: float = 0.2
    passages: int = 5  # passages per answer
    answer_language: Literal["auto", "zh", "en"] = "auto"
    interface_language: Literal["auto", "zh_CN", "en"] = "auto"  # auto: the system's language
    ocr: bool = True  # read scanned pages and image files while indexing


# -- the service object -----------------------------------------------------------------------------------
class Services(QObject):
    """Holds the library, the settings and the model. Create once on the GUI thread; share with panels.

    Signals (GUI thread): `model_changed()` when `model` changes; `settings_changed()` after
    `save_settings`; `library_changed()` when documents were added, removed or re-indexed (emitted by
    whoever changed them through `notify_library_changed`).
    """

    model_changed = Signal()
    settings_changed = Signal()
    library_changed = Signal()

    def __init__(self, library_dir: str | os.PathLike[str] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._library_dir = paths.library_dir(library_dir)
        self._library: Library | None = None
        self._library_lock = threading.Lock()
        self._settings = load_settings()
        self._model = ModelStatus()
        self._engine: Any = None  # qwenrag.engine.Engine; replaced only on MODEL_LANE
        self._pipeline: Any = None  # qwenrag.pipeline.Pipeline and its Conversation: MODEL_LANE only
        self._conversation: Any = None
        self._load_handle: TaskHandle[Any] | None = None
        self.warmed_tokens = 0  # system-prompt tokens evaluated in the background after the last load
        # Made here, on the GUI thread: the model's thread steps aside between tokens when this thread
        # waits for a CPU (ui.cpu_share; None where the OS does not say).
        self.yield_to_gui = cpu_share.for_gui_thread()

    # library ---------------------------------------------------------------------------------------
    @property
    def library(self) -> Library:
        """The library, opened on first use (fast: a SQLite file and a search index folder)."""
        with self._library_lock:
            if self._library is None:
                from indexing.library import Library
                from indexing.limits import Limits

                self._library = Library.open(self._library_dir, Limits(ocr=self._settings.ocr))
            return self._library

    @property
    def library_dir(self) -> Path:
        return self._library_dir

    def notify_library_changed(self) -> None:
        self.library_changed.emit()

    def search(self, query: str, k: int | None = None) -> list[Passage]:
        """Passages for `query` (thread-safe; use from a worker for big libraries)."""
        return self.library.search(query, k or self._settings.passages)

    def repair_library(self) -> Iterator[IndexEvent]:
        """Rebuild the search index from the library's store (run on INDEX_LANE): "repair" progress events,
        then "finished" with counts. Nothing the person added is lost: the store is the source of truth."""
        return self.library.repair()

    def resume_indexing_if_open(self) -> None:
        with self._library_lock:
            if self._library is not None:
                self._library.resume_indexing()

    def stop_answers(self) -> None:
        """Any thread, returns at once: the model drops the answer it is generating (or the prompt it is
        reading) and any queued one. The window calls it when it closes."""
        engine = self._engine
        cancel_all = getattr(engine, "cancel_all", None)
        if cancel_all is not None:
            cancel_all()

    def close(self, engine_wait: float = 30.0) -> None:
        """After the runner has shut down: release the library and the model (waiting at most `engine_wait`
        seconds for the model's thread: it has been aborted, so that is milliseconds unless it is stuck)."""
        with self._library_lock:
            if self._library is not None:
                self._library.close()
                self._library = None
        self._close_engine(engine_wait)

    # settings --------------------------------------------------------------------------------------
    @property
    def settings(self) -> UiSettings:
        return self._settings

    def save_settings(self, new: UiSettings) -> None:
        """Write atomically; emits settings_changed. A changed model path or engine option needs
        `start_model_load` again (the main window does that)."""
        save_settings(new)
        self._settings = new
        with self._library_lock:
            if self._library is not None:  # the next indexing run reads scans, or not
                self._library.limits = replace(self._library.limits, ocr=new.ocr)
        self.settings_changed.emit()

    def model_settings_differ(self, other: UiSettings) -> bool:
        a, b = self._settings, other
        return (a.model_path, a.threads, a.context_size) != (b.model_path, b.threads, b.context_size)

    # model -----------------------------------------------------------------------------------------
    @property
    def model(self) -> ModelStatus:
        return self._model

    def models_dir(self) -> Path:
        return paths.models_dir()

    def resolve_model(self) -> tuple[Path | None, bool]:
        """(the model file to load, is it the demo model)."""
        return resolve_model_path(self._settings.model_path)

    def install_model(self, path: str) -> Iterator[Any]:
        """On a worker: validate a GGUF and copy it into the models folder (qwenrag.models.install_model:
        progress steps, the installed ModelInfo on the last). Raises ModelError for a bad file."""
        from qwenrag.models import install_model

        return install_model(path, paths.models_dir(), n_ctx=self._settings.context_size)

    def start_model_load(self, runner: TaskRunner) -> None:
        """Load (or reload) the model on MODEL_LANE; `model_changed` fires at start and end.

        Finding the file is quick (no reading); validating and loading run on the lane. The previous
        engine is closed first there, so two models are never in memory at once."""
        from qwenrag.errors import ModelError
        from qwenrag.models import find_model

        chosen = self._settings.model_path
        try:
            info = find_model(chosen or None)
        except ModelError as exc:
            self._set_model(ModelStatus(ModelState.FAILED, name=Path(chosen).name if chosen else "",
                                        path=chosen, error=_tr_no_model() if not chosen else
                                        _tr_load_failed(Path(chosen).name), detail=_detail(exc)))
            return
        status = ModelStatus(ModelState.LOADING, name=info.path.name, path=str(info.path),
                             size_bytes=info.size_bytes, is_demo=info.demo)
        self._set_model(status)
        opts = self._settings

        def load() -> None:
            self._close_engine()
            # Kept here, on the lane, not in the callback: a load that ends while the window closes must
            # still be closed by close() (callbacks no longer run then).
            self._engine = _load_engine(str(info.path), opts)
            if self.yield_to_gui is not None:
                self._engine.between_tokens = self.yield_to_gui
            # Still on the lane, so a question asked meanwhile waits behind it: the system prompt is
            # evaluated now, while the person reads the window, and the first answer skips it.
            self.warmed_tokens = warm_up(self._engine, opts)

        def loaded(_none: None) -> None:
            if self._model.path == status.path:  # else another model was chosen meanwhile
                self._set_model(replace(status, state=ModelState.READY))

        def failed(exc: BaseException) -> None:
            self._set_model(replace(status, state=ModelState.FAILED, error=_tr_load_failed(info.path.name),
                                    detail=_detail(exc)))

        self._load_handle = runner.run(load, on_done=loaded, on_error=failed, lane=MODEL_LANE, name="load model")

    def _close_engine(self, wait: float = 30.0) -> None:
        engine, self._engine = self._engine, None
        self._pipeline = self._conversation = None
        if engine is not None:
            close = getattr(engine, "close", None)
            if close is not None:
                close(wait)

    def _set_model(self, status: ModelStatus) -> None:
        self._model = status
        self.model_changed.emit()

    # answers ---------------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[ChatTurn] = (), use_documents: bool = True
            ) -> Callable[[], Iterator[AnswerEvent]]:
        """A generator factory for TaskRunner.run_generator(..., lane=MODEL_LANE). See the module doc."""
        turns = tuple(history)

        def generate() -> AnswerStream:
            engine = self._engine
            if engine is None:
                raise RuntimeError(self._model.error or "The model is not loaded.")
            conversation = self._pipeline_conversation(engine, turns)
            events = _answer_events(conversation.ask(question, use_documents=use_documents))
            return AnswerStream(events, conversation.cancel)

        return generate

    def _pipeline_conversation(self, engine: Any, history: tuple[ChatTurn, ...]) -> Any:
        """On MODEL_LANE: qwenrag.pipeline's Conversation for this history. Continuing the same chat keeps
        the pipeline's own turns (follow-up search, stable [n], the model's prompt cache); another chat
        starts a fresh one seeded with that chat's questions and answers."""
        from qwenrag.pipeline import Pipeline
        from qwenrag.prompt import HistoryTurn

        pipeline = self._pipeline
        if pipeline is None or pipeline._engine is not engine:
            pipeline = self._pipeline = Pipeline(self.library, engine, settings=core_settings())
            self._conversation = pipeline.conversation()
        else:
            pipeline.settings = core_settings()  # the dialog may have changed them since
        conv = self._conversation
        wanted = [(q, a.strip()) for (_r1, q), (_r2, a) in zip(history[::2], history[1::2], strict=False)]
        have = [(t.question, t.answer.strip()) for t in conv.turns]
        if have[-len(wanted):] != wanted or (not wanted and have):
            conv = self._conversation = pipeline.conversation()
            conv.turns.extend(HistoryTurn(q, q, a) for q, a in wanted)
        return conv


class AnswerStream:
    """The events of one answer, plus `cancel()` from any thread: the model stops now, even in the middle
    of reading a long prompt, where no event would come for seconds (the runner's Stop calls it)."""

    def __init__(self, events: Iterator[AnswerEvent], cancel: Callable[[], None]) -> None:
        self._events = events
        self.cancel = cancel

    def __iter__(self) -> AnswerStream:
        return self

    def __next__(self) -> AnswerEvent:
        return next(self._events)

    def close(self) -> None:
        close = getattr(self._events, "close", None)
        if close is not None:
            close()


# -- settings storage (qwenrag.settings: one JSON file, written atomically) ------------------------------
_CORE_NAMES = {"passages": "top_k", "interface_language": "ui_language"}  # UiSettings -> core Settings


def load_settings() -> UiSettings:
    """The saved settings; defaults for anything missing or unreadable (never fails)."""
    from qwenrag import settings as core

    saved = core.load()
    values: dict[str, Any] = {}
    for f in fields(UiSettings):
        name = _CORE_NAMES.get(f.name, f.name)
        if hasattr(saved, name):
            values[f.name] = getattr(saved, name)
    values["model_path"] = str(values.get("model_path") or "")
    return UiSettings(**values)


def save_settings(s: UiSettings) -> None:
    """Through qwenrag.settings (atomic write; keys this window does not know are kept)."""
    from qwenrag import settings as core

    current = core.load()
    changes: dict[str, Any] = {}
    for f in fields(UiSettings):
        name = _CORE_NAMES.get(f.name, f.name)
        if hasattr(current, name):
            changes[name] = getattr(s, f.name)
    changes["model_path"] = s.model_path or None
    core.save(replace(current, **changes))


def core_settings() -> Any:
    from qwenrag import settings as core

    return core.load()


# -- model files (qwenrag.models) ------------------------------------------------------------------------
def resolve_model_path(chosen: str) -> tuple[Path | None, bool]:
    """(the model file that would be loaded for this choice, is it the demo model); (None, False) if none."""
    from qwenrag.errors import ModelError
    from qwenrag.models import find_model

    try:
        info = find_model(chosen or None)
    except ModelError:
        return None, False
    return info.path, info.demo


def size_text(n: int) -> str:
    """398 MB, 1.3 GB."""
    from qwenrag.models import size_text as core_size_text

    return core_size_text(n)


def demo_model_path() -> Path | None:
    from qwenrag.models import demo_model_path as core_demo

    return core_demo()


def _detail(exc: BaseException) -> str:
    message = getattr(exc, "message", "") or str(exc)
    detail = getattr(exc, "detail", "")
    return f"{message}\n{detail}".strip() if detail else f"{type(exc).__name__}: {message}"


def _tr_no_model() -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate(
        "Services", "No model file was found. Put %1 into the models folder.").replace("%1", QWEN_MODEL_FILE)


def _tr_load_failed(name: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("Services", "The model %1 could not be loaded.").replace("%1", name)


def _load_engine(chosen: str, s: UiSettings) -> Any:
    """On MODEL_LANE: find, validate and load (qwenrag.engine owns its llama.cpp thread)."""
    from qwenrag import engine as core_engine

    return core_engine.load(chosen or None, n_ctx=s.context_size, n_threads=s.threads or None)


def warm_up_language(s: UiSettings) -> str:
    """The language the first question will most likely be in: the answer language when fixed, else the
    interface language."""
    if s.answer_language in ("zh", "en"):
        return s.answer_language
    from ui import i18n

    return "zh" if i18n.resolve(s.interface_language).startswith("zh") else "en"


def warm_up(engine: Any, s: UiSettings) -> int:
    """On MODEL_LANE, after loading: put the document-answer system prompt into the KV cache. Only a
    speed-up: a failure here leaves the model usable, and the first question pays the prefix itself."""
    from qwenrag.prompt import SYSTEM_DOCS

    try:
        return int(engine.warm_up([{"role": "system", "content": SYSTEM_DOCS[warm_up_language(s)]}]))
    except Exception:
        logging.getLogger(__name__).warning("warming up the model failed", exc_info=True)
        return 0


def _answer_events(events: Iterator[Any]) -> Iterator[AnswerEvent]:
    """qwenrag.pipeline's events as AnswerEvents. Not found: the pipeline streams a fixed sentence as
    tokens; here it becomes one "not_found" event carrying the nearest passages."""
    nearest: tuple[Passage, ...] | None = None
    try:
        for ev in events:
            kind = getattr(ev, "kind", "")
            if kind == "status":
                yield AnswerEvent("status", text=ev.message)
            elif kind == "sources":
                srcs = tuple(ev.sources)
                if ev.found:
                    yield AnswerEvent("sources", sources=srcs, quotes=tuple(ev.quotes))
                else:
                    nearest = srcs
            elif kind == "token" and nearest is None:
                yield AnswerEvent("token", text=ev.text)
            elif kind == "done":
                result = ev.result
                if result.mode == "not_found":
                    yield AnswerEvent("not_found", text=result.answer, sources=nearest or ())
                else:
                    yield AnswerEvent("done", text=result.answer, sources=tuple(result.sources),
                                      quotes=tuple(result.quotes), grounded=result.grounded,
                                      model_text=result.model_text,
                                      demo=bool(result.model is not None and result.model.demo))
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()  # Stop: the pipeline closes its generation; the model stops within a token


__all__ = [
    "INDEX_LANE", "MODEL_LANE", "QWEN_MODEL_FILE", "AnswerEvent", "AnswerStream", "ChatTurn", "ModelState",
    "ModelStatus", "Services", "UiSettings", "demo_model_path", "load_settings", "resolve_model_path",
    "save_settings", "size_text",
]
