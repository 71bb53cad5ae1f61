"""What the library hands out: documents, passages (search hits) and indexing progress events."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any, Literal

from indexing.locations import Location

DocStatus = Literal["indexed", "indexing", "failed", "removing"]
FileStatus = Literal["indexed", "unchanged", "skipped", "failed", "cancelled", "removed"]


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    doc_id: int
    path: str  # absolute
    kind: str  # pdf, docx, xlsx, text, markdown, csv
    title: str
    size: int
    mtime: float
    content_hash: str
    status: DocStatus
    chunks: int
    pages: int | None = None
    sheets: tuple[str, ...] = ()
    error: str | None = None  # message for a person
    detail: str | None = None  # technical cause
    indexed_at: float = 0.0
    # The file changed and its new version failed to index (error/detail say why): the text still
    # searchable is the last version that indexed.
    update_failed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "kind": self.kind,
            "title": self.title,
            "status": self.status,
            "chunks": self.chunks,
            "pages": self.pages,
            "sheets": list(self.sheets),
            "size": self.size,
            "mtime": self.mtime,
            "error": self.error,
            "update_failed": self.update_failed,
        }


@dataclass(frozen=True, slots=True)
class Passage:
    """One stored chunk as found by a search and carried to the screen: the one passage type.

    `n` is its rank in a search result (1-based) and, once an answer numbers its passages, the number it
    is cited by ([n]). The same object goes from Library.search through the evidence and the prompt to
    the window and the saved conversation; `numbered` gives it another number, nothing else changes.
    """

    n: int
    file: str  # absolute path
    location: Location
    text: str
    title: str = ""
    heading: str | None = None
    chunk_id: int | None = None
    doc_id: int | None = None
    kind: str = ""  # pdf, docx, xlsx, text, markdown, csv
    score: float = 0.0  # BM25 score of the search that found it (0 when read back from a conversation)

    @property
    def rank(self) -> int:
        """The search position: the same number as n until an answer renumbers the passage."""
        return self.n

    @property
    def file_name(self) -> str:
        return PurePath(self.file).name if self.file else self.title

    @property
    def name(self) -> str:
        return self.file_name

    def label(self) -> str:
        """'Handbook.pdf, p. 3' — how the prompt and the terminal name the passage."""
        where = self.location.describe()
        return f"{self.file_name}, {where}" if where else self.file_name

    def numbered(self, n: int) -> Passage:
        return self if n == self.n else replace(self, n=n)

    def to_search_json(self) -> dict[str, Any]:
        """The --json contract of `qwenrag search`."""
        return {
            "rank": self.n,
            "score": round(self.score, 6),
            "file": self.file,
            "location": self.location.to_json(),
            "text": self.text,
        }

    def to_json(self) -> dict[str, Any]:
        """One entry of `citations` / `sources` in `qwenrag ask --json` (the contract)."""
        return {"n": self.n, "file": self.file, "location": self.location.to_json(), "text": self.text}

    def to_record(self) -> dict[str, Any]:
        """As a saved conversation keeps it: enough to show the passage and open it again."""
        return {
            **self.to_json(), "chunk_id": self.chunk_id, "doc_id": self.doc_id, "title": self.title,
            "kind": self.kind, "heading": self.heading,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Passage:
        """Read back to_record() or to_json() (missing keys get defaults)."""
        heading = data.get("heading")
        return cls(
            n=int(data.get("n", 0) or 0), file=str(data.get("file", "")),
            location=Location.from_json(data.get("location") or {}), text=str(data.get("text", "")),
            title=str(data.get("title", "") or ""), heading=str(heading) if heading else None,
            chunk_id=_int_or_none(data.get("chunk_id")), doc_id=_int_or_none(data.get("doc_id")),
            kind=str(data.get("kind", "") or ""),
        )


@dataclass(frozen=True, slots=True)
class TermStats:
    """How rare each term of a question is in the library: the passages (chunks) holding it, out of all.

    From the search index's term dictionary (a lookup per term, no scan); evidence weighs the question's
    terms by it, so a name that the passages found lack counts for much more than a common word."""

    chunks: int  # chunks in the search index
    doc_freq: dict[str, int] = field(default_factory=dict)  # term -> chunks holding it (0: none)


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class IndexEvent:
    """One step of `Library.add`: yielded so a caller can show progress and cancel between steps.

    kind "scan": the file list is known (files_total set).
    kind "file_start": a file begins (path, file_index).
    kind "progress": units_done of units_total pages/sheets/rows inside a long file.
    kind "file_done": the file ended with status, chunks, reason, detail.
    kind "finished": the run ended; counts holds totals per status.
    kind "waiting": another process is changing the library; this run starts when it ends (reason says so).
    kind "repair": the search index is being rebuilt from the store (reason says why; units are passages).
    A file_done with status "removed" is a file that left the library (deleted or moved on disk: reason).
    """

    kind: Literal["scan", "file_start", "progress", "file_done", "finished", "waiting", "repair"]
    path: str = ""
    file_index: int = 0
    files_total: int = 0
    status: FileStatus | None = None
    chunks: int = 0
    reason: str | None = None
    detail: str | None = None
    units_done: int = 0
    units_total: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The per-file object of `qwenrag index --json`."""
        return {
            "file": self.path,
            "status": self.status,
            "chunks": self.chunks,
            "reason": self.reason,
            "detail": self.detail,
        }
