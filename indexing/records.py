"""What the library hands out: documents, search hits and indexing progress events."""

from __future__ import annotations

from dataclasses import dataclass, field
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
class SearchHit:
    rank: int  # 1-based
    score: float
    file: str  # absolute path
    location: Location
    text: str
    title: str
    heading: str | None
    chunk_id: int
    doc_id: int
    kind: str = ""

    def to_json(self) -> dict[str, Any]:
        """The --json contract of `qwenrag search`."""
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "file": self.file,
            "location": self.location.to_json(),
            "text": self.text,
        }


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
