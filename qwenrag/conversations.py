"""Saved conversations: one JSON file per conversation under <data dir>/conversations.

    store = ConversationStore()                 # or ConversationStore(Path("…"))
    conv = store.new()                          # not on disk until saved
    conv.turns.append(Turn(question="…", answer="…", sources=[...]))
    store.save(conv)
    for summary in store.list():                # most recently updated first
        ...
    text = to_markdown(store.load(summary.id))

One file per conversation keeps a write small and a damaged file costs one conversation, not all of
them. Files are written atomically (temporary file, fsync, rename), so a crash mid-save leaves the old
version. No Qt here: the chat panel turns pipeline results into Turns and calls save().

A window must not wait for the disk (an fsync can take a tenth of a second), so it saves in two steps:

    store.stage(conv)              # GUI thread, cheap: load(), list() and summary() see it at once
    store.write_staged(conv.id)    # on a worker: the newest staged version reaches the disk
    store.flush()                  # when closing: whatever is still staged, written now

list() reads only what changed since it last looked (summaries are cached by file time and size).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from indexing.locations import Location
from indexing.records import Passage
from qwenrag import paths
from qwenrag.evidence import Quote

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
TITLE_CHARS = 60
_ID_RE = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


@dataclass(slots=True)
class Turn:
    """One question and its answer."""

    question: str
    answer: str = ""
    found: bool = True  # False: "not found in your documents"; sources are then the nearest passages
    citations: list[int] = field(default_factory=list)  # source numbers the answer actually cites
    sources: list[Passage] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    asked_at: float = field(default_factory=time.time)
    use_documents: bool = True  # False: plain chat with the model
    stopped: bool = False  # the person pressed Stop; the answer is partial
    error: str | None = None  # a sentence for a person when the answer failed
    quotes: list[Quote] = field(default_factory=list)  # the documents' own words, shown first
    grounded: bool | None = None  # the model's text was backed by its passages (None: no model text)
    demo: bool = False  # written by the small demo model: shown marked, never as the answer
    model_text: str = ""  # what the model wrote when it is not the answer (unbacked, or the demo model)

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question, "answer": self.answer, "found": self.found,
            "citations": list(self.citations), "sources": [s.to_record() for s in self.sources],
            "timings": dict(self.timings), "asked_at": self.asked_at, "use_documents": self.use_documents,
            "stopped": self.stopped, "error": self.error,
            "quotes": [{"n": q.n, "start": q.start, "end": q.end, "text": q.text} for q in self.quotes],
            "grounded": self.grounded, "demo": self.demo, "model_text": self.model_text,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        turn = cls(
            question=str(data.get("question", "")), answer=str(data.get("answer", "")),
            found=bool(data.get("found", True)),
            citations=[int(c) for c in data.get("citations") or [] if isinstance(c, int | str) and str(c).isdigit()],
            sources=[Passage.from_json(s) for s in data.get("sources") or [] if isinstance(s, dict)],
            timings={str(k): float(v) for k, v in (data.get("timings") or {}).items()
                     if isinstance(v, int | float)},
            asked_at=float(data.get("asked_at") or 0.0), use_documents=bool(data.get("use_documents", True)),
            stopped=bool(data.get("stopped", False)), error=data.get("error"),
            grounded=data.get("grounded") if isinstance(data.get("grounded"), bool) else None,
            demo=bool(data.get("demo", False)), model_text=str(data.get("model_text") or ""),
        )
        turn.quotes = _quotes_from_json(data.get("quotes"), turn.sources)
        return turn


def _quotes_from_json(data: Any, sources: list[Passage]) -> list[Quote]:
    """Quotes are saved as (n, start, end, text) into the turn's full passages; the turn's sources hold what
    the model read of them (an excerpt), so a quote is found again by its text; a span that no longer fits
    is dropped."""
    by_n = {s.n: s for s in sources}
    out = []
    for q in data if isinstance(data, list) else []:
        try:
            p, start, end = by_n.get(int(q["n"])), int(q["start"]), int(q["end"])
        except (KeyError, TypeError, ValueError):
            continue
        if p is None:
            continue
        text = q.get("text")
        if not isinstance(text, str) or p.text[start:end] == text:  # (older files: no text)
            if 0 <= start < end <= len(p.text):
                out.append(Quote(p, start, end))
        elif text and (at := p.text.find(text)) >= 0:  # the source holds the excerpt the model read
            out.append(Quote(p, at, at + len(text)))
        elif text:  # the quote is not inside the excerpt: it keeps its own words and the passage's place
            out.append(Quote(replace(p, text=text), 0, len(text)))
    return out


@dataclass(slots=True)
class Conversation:
    id: str
    title: str = ""
    created: float = field(default_factory=time.time)
    updated: float = 0.0
    turns: list[Turn] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.updated = self.updated or self.created

    @property
    def display_title(self) -> str:
        """The title, or the first question when the person never named it."""
        if self.title.strip():
            return self.title.strip()
        return default_title(self.turns[0].question) if self.turns else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION, "id": self.id, "title": self.title, "created": self.created,
            "updated": self.updated, "turns": [t.to_json() for t in self.turns],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            id=str(data["id"]), title=str(data.get("title", "")), created=float(data.get("created") or 0.0),
            updated=float(data.get("updated") or 0.0),
            turns=[Turn.from_json(t) for t in data.get("turns") or [] if isinstance(t, dict)],
        )


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """What the conversation list shows, without the turns."""

    id: str
    title: str
    created: float
    updated: float
    turns: int


def default_title(question: str) -> str:
    """The first line of the first question, shortened: what a person would call the chat."""
    line = " ".join(question.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


def new_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    return f"{stamp}-{secrets.token_hex(3)}"


class ConversationError(Exception):
    """A conversation could not be read or written; the message is for a person."""


class ConversationStore:
    """The saved conversations. Thread-safe; every call is short file I/O (or none, see stage())."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else paths.data_dir() / "conversations"
        self._lock = threading.Lock()  # the maps below; held briefly, never during I/O
        self._io_lock = threading.Lock()  # one writer at a time: the newest version is written last
        self._staged: dict[str, dict[str, Any]] = {}  # id -> the JSON of a version not yet on disk
        # id -> ((mtime_ns, size) of the file it was read from, or None: from a save or a stage; summary)
        self._summaries: dict[str, tuple[tuple[int, int] | None, ConversationSummary | None]] = {}
        self._deleted: set[str] = set()  # a write still queued must not bring a deleted conversation back

    def _path(self, conv_id: str) -> Path:
        if not _ID_RE.match(conv_id):  # ids name files: never let one climb out of the folder
            raise ConversationError(f"Not a conversation id: {conv_id!r}")
        return self.folder / f"{conv_id}.json"

    def new(self, title: str = "") -> Conversation:
        """A fresh conversation; it reaches the disk with its first save()."""
        return Conversation(id=new_id(), title=title)

    def save(self, conv: Conversation, *, touch: bool = True) -> None:
        """Write now (on the calling thread). A staged older version of it is superseded."""
        if touch:
            conv.updated = max(time.time(), conv.created)
        data = conv.to_json()
        path = self._path(conv.id)
        with self._io_lock:
            self._write(path, data)
            with self._lock:
                if self._staged.get(conv.id) is not None:
                    del self._staged[conv.id]
                self._deleted.discard(conv.id)
                self._summaries[conv.id] = (_file_key(path), _summary(data))

    def stage(self, conv: Conversation, *, touch: bool = True) -> None:
        """Keep this version in memory for write_staged(): cheap enough for a GUI thread. From now on
        load(), list() and summary() return it, so nothing in this process sees an older version."""
        if touch:
            conv.updated = max(time.time(), conv.created)
        data = conv.to_json()  # a snapshot: later changes to `conv` are not in it
        self._path(conv.id)  # a bad id fails here, on the caller's thread
        with self._lock:
            self._staged[conv.id] = data
            self._deleted.discard(conv.id)
            self._summaries[conv.id] = (None, _summary(data))

    def write_staged(self, conv_id: str) -> bool:
        """Write the newest staged version of `conv_id` (for a worker thread). False when there was
        none (an earlier call already wrote it, or it was deleted). Calls may run in any order."""
        with self._io_lock:
            with self._lock:
                data = self._staged.get(conv_id)
            if data is None:
                return False
            path = self._path(conv_id)
            self._write(path, data)
            with self._lock:
                if self._staged.get(conv_id) is data:  # else a newer one was staged meanwhile
                    del self._staged[conv_id]
                    self._summaries[conv_id] = (_file_key(path), _summary(data))
            return True

    def flush(self) -> None:
        """Write everything still staged (the window is closing)."""
        with self._lock:
            pending = list(self._staged)
        for conv_id in pending:
            self.write_staged(conv_id)

    def has_staged(self) -> bool:
        with self._lock:
            return bool(self._staged)

    def _write(self, path: Path, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False, indent=1)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, text)
        except OSError as exc:
            raise ConversationError(f"The conversation could not be saved in {self.folder}: {exc}") from exc

    def load(self, conv_id: str) -> Conversation:
        path = self._path(conv_id)
        with self._lock:
            staged = self._staged.get(conv_id)
        if staged is not None:
            return Conversation.from_json(staged)  # fresh objects: the snapshot itself stays untouched
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Conversation.from_json(data)
        except FileNotFoundError as exc:
            raise ConversationError("This conversation no longer exists.") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConversationError(f"The conversation file {path.name} cannot be read: {exc}") from exc

    def exists(self, conv_id: str) -> bool:
        with self._lock:
            if conv_id in self._staged:
                return True
        return self._path(conv_id).is_file()

    def summary(self, conv_id: str) -> ConversationSummary | None:
        """What the list shows for one conversation (from memory after a save or stage)."""
        with self._lock:
            cached = self._summaries.get(conv_id)
        if cached is not None and (cached[0] is None or cached[0] == _file_key(self._path(conv_id))):
            return cached[1]
        return next((s for s in self.list() if s.id == conv_id), None)

    def list(self) -> list[ConversationSummary]:
        """Saved conversations, most recently updated first. Unreadable files are skipped (and logged).
        Only files that changed since the last call are read, and only their summary is taken."""
        found: dict[str, ConversationSummary] = {}
        seen: set[str] = set()
        with self._lock:
            staged = {cid: self._summaries[cid][1] for cid in self._staged if cid in self._summaries}
            cache = dict(self._summaries)
            deleted = set(self._deleted)
        fresh: dict[str, tuple[tuple[int, int] | None, ConversationSummary | None]] = {}
        try:
            entries = list(os.scandir(self.folder))
        except OSError:  # no folder yet: nothing saved
            entries = []
        for entry in entries:
            conv_id = entry.name[:-5] if entry.name.endswith(".json") else ""
            if not _ID_RE.match(conv_id) or conv_id in deleted:
                continue
            seen.add(conv_id)
            if conv_id in staged:
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            key = (st.st_mtime_ns, st.st_size)
            hit = cache.get(conv_id)
            if hit is not None and hit[0] == key:
                summary = hit[1]
            else:
                summary = _read_summary(Path(entry.path))
                fresh[conv_id] = (key, summary)
            if summary is not None:
                found[conv_id] = summary
        for conv_id, summary in staged.items():
            if summary is not None and conv_id not in deleted:
                found[conv_id] = summary
        with self._lock:
            self._summaries.update(fresh)
            for conv_id in [c for c, v in self._summaries.items()
                            if v[0] is not None and c not in seen and c not in self._staged]:
                del self._summaries[conv_id]  # the file is gone
        out = list(found.values())
        out.sort(key=lambda s: (s.updated, s.created, s.id), reverse=True)
        return out

    def rename(self, conv_id: str, title: str) -> Conversation:
        conv = self.load(conv_id)
        conv.title = " ".join(title.split())
        self.save(conv, touch=False)  # renaming is not news: keep its place in the list
        return conv

    def delete(self, conv_id: str) -> None:
        path = self._path(conv_id)
        with self._lock:
            self._staged.pop(conv_id, None)
            self._summaries.pop(conv_id, None)
            self._deleted.add(conv_id)
        with self._io_lock:  # after a write in progress, never before it
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise ConversationError(f"The conversation could not be deleted: {exc}") from exc


def _file_key(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _summary(data: dict[str, Any]) -> ConversationSummary | None:
    """The list's line for a conversation's JSON, without building its turns and sources."""
    try:
        turns = [t for t in data.get("turns") or [] if isinstance(t, dict)]
        title = str(data.get("title") or "").strip()
        if not title and turns:
            title = default_title(str(turns[0].get("question", "")))
        created = float(data.get("created") or 0.0)
        return ConversationSummary(str(data["id"]), title, created, float(data.get("updated") or 0.0) or created,
                                   len(turns))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        log.warning("skipping unreadable conversation %s: %s", data.get("id") if isinstance(data, dict) else "",
                    exc)
        return None


def _read_summary(path: Path) -> ConversationSummary | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("skipping unreadable conversation %s: %s", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("skipping unreadable conversation %s: not an object", path)
        return None
    return _summary(data)


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# -- Markdown export ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExportLabels:
    """The words of an export; the window passes translated ones."""

    question: str = "Question"
    sources: str = "Sources"
    nearest: str = "Not found in your documents. The nearest passages:"
    stopped: str = "(stopped)"
    plain_chat: str = "(without document search)"
    exported: str = "Exported from QwenRAG on {date}"
    untitled: str = "Conversation"


def to_markdown(conv: Conversation, labels: ExportLabels | None = None,
                describe: Callable[[Location], str] | None = None, excerpt_chars: int = 300) -> str:
    """The conversation as a Markdown document, each answer followed by the passages it cites."""
    labels = labels or ExportLabels()
    describe = describe or Location.describe
    lines = [f"# {_md_line(conv.display_title or labels.untitled)}", ""]
    lines += [f"*{labels.exported.format(date=time.strftime('%Y-%m-%d %H:%M', time.localtime()))}*", ""]
    for i, turn in enumerate(conv.turns, 1):
        lines += [f"## {labels.question} {i}", ""]
        lines += [*_quoted(turn.question), ""]
        if not turn.found:
            lines += [f"*{labels.nearest}*", ""]
        elif turn.answer.strip():
            lines += [turn.answer.strip(), ""]
        if turn.error:
            lines += [f"*{_md_line(turn.error)}*", ""]
        notes = [labels.stopped] if turn.stopped else []
        if not turn.use_documents:
            notes.append(labels.plain_chat)
        if notes:
            lines += [f"*{' '.join(notes)}*", ""]
        shown = _sources_to_list(turn)
        if shown:
            if turn.found:
                lines += [f"**{labels.sources}**", ""]
            for src in shown:
                where = describe(src.location)
                head = f"{src.n}. {_md_line(src.name)}" + (f" — {_md_line(where)}" if where else "")
                lines.append(head)
                excerpt = _excerpt(src.text, excerpt_chars)
                if excerpt:
                    lines.append(f"   > {excerpt}")
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(conv: Conversation, path: Path, **kwargs: Any) -> None:
    """Export atomically: a half-written export never replaces a good one."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, to_markdown(conv, **kwargs))
    except OSError as exc:
        raise ConversationError(f"The conversation could not be exported to {path}: {exc}") from exc


def _sources_to_list(turn: Turn) -> list[Passage]:
    """Cited sources when the answer cites any, else all that were given (the nearest, when not found)."""
    if turn.found and turn.citations:
        cited = set(turn.citations)
        picked = [s for s in turn.sources if s.n in cited]
        if picked:
            return picked
    return list(turn.sources)


def _quoted(text: str) -> list[str]:
    return [f"> {line}" if line.strip() else ">" for line in text.strip().splitlines()] or [">"]


def _md_line(text: str) -> str:
    return " ".join(text.split())


def _excerpt(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def sources_from_hits(hits: Iterable[Passage]) -> list[Passage]:
    """Number search hits 1..n the way the answer cites them."""
    return [hit.numbered(i) for i, hit in enumerate(hits, 1)]
