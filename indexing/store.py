"""The library's SQLite database: documents and their chunks. The source of truth.

The BM25 index (search_index.py) is derived from the chunks table and can always be rebuilt from it.
Every file is written in one transaction, so a kill at any moment leaves either the old or the new
state of that file, never half of it. WAL mode lets searches read while indexing writes.

Re-indexing a file keeps its previous chunks, marked stale, until the search index has committed the new
ones (`finish`): a search from another process meanwhile resolves the hits it gets (the old version) and
the file is never missing from results halfway through its update.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from indexing.chunks import Chunk
from indexing.errors import LibraryError
from indexing.locations import Location
from indexing.records import DocumentRecord

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    size INTEGER NOT NULL DEFAULT 0,
    mtime REAL NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    chunks INTEGER NOT NULL DEFAULT 0,
    pages INTEGER,
    sheets TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    detail TEXT,
    indexed_at REAL NOT NULL DEFAULT 0,
    update_failed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY,
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    location TEXT NOT NULL,
    heading TEXT,
    stale INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
CREATE TABLE IF NOT EXISTS roots (path TEXT PRIMARY KEY, added_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS page_lines (
    doc_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    page INTEGER NOT NULL,
    lines TEXT NOT NULL,
    PRIMARY KEY (doc_id, page)
);
"""

_DOC_COLUMNS = (
    "id, path, kind, title, size, mtime, content_hash, status, chunks, pages, sheets, error, detail, indexed_at, "
    "update_failed"
)


class Store:
    """Thread-safe access to library.sqlite3: one connection, one lock (SQLite work here is short)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.executescript(_SCHEMA)
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(chunks)")}
            if "stale" not in columns:  # a library made before stale chunks were kept
                self._conn.execute("ALTER TABLE chunks ADD COLUMN stale INTEGER NOT NULL DEFAULT 0")
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(documents)")}
            if "update_failed" not in columns:
                self._conn.execute("ALTER TABLE documents ADD COLUMN update_failed INTEGER NOT NULL DEFAULT 0")
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"The library database {path} cannot be opened: {exc}") from exc
        self._lock = threading.RLock()
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(version) > SCHEMA_VERSION:
            raise LibraryError(f"The library at {path} was made by a newer QwenRAG (schema {version}).")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, params: Iterable[object] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # -- meta -------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    # -- documents --------------------------------------------------------------------------------
    def document(self, path: str) -> DocumentRecord | None:
        rows = self._query(f"SELECT {_DOC_COLUMNS} FROM documents WHERE path = ?", (path,))
        return _doc(rows[0]) if rows else None

    def document_by_id(self, doc_id: int) -> DocumentRecord | None:
        rows = self._query(f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = ?", (doc_id,))
        return _doc(rows[0]) if rows else None

    def documents(self, status: str | None = None) -> list[DocumentRecord]:
        if status is None:
            rows = self._query(f"SELECT {_DOC_COLUMNS} FROM documents ORDER BY path")
        else:
            rows = self._query(f"SELECT {_DOC_COLUMNS} FROM documents WHERE status = ? ORDER BY path", (status,))
        return [_doc(r) for r in rows]

    def documents_under(self, folder: str) -> list[DocumentRecord]:
        prefix = folder.rstrip("/\\")
        rows = self._query(
            f"SELECT {_DOC_COLUMNS} FROM documents WHERE path = ? OR substr(path, 1, ?) IN (?, ?)",
            (prefix, len(prefix) + 1, prefix + "/", prefix + "\\"),
        )
        return [_doc(r) for r in rows]

    def write_document(
        self,
        record: DocumentRecord,
        chunks: list[Chunk],
        page_lines: dict[int, str] | None = None,
    ) -> tuple[int, list[int]]:
        """Write a document and its new chunks in one transaction; returns (doc_id, chunk ids).

        The previous version's chunks stay, marked stale, until `finish` (after the search index commits);
        a document without chunks (failed) loses them at once.
        `page_lines`: page -> the OCRed page's recognised lines (indexing.page_lines.dumps)."""
        with self.transaction() as conn:
            doc_id = self._upsert(conn, record)
            conn.execute("DELETE FROM chunks WHERE doc_id = ? AND stale = 1", (doc_id,))
            if chunks:
                conn.execute("UPDATE chunks SET stale = 1 WHERE doc_id = ?", (doc_id,))
            else:
                conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            conn.execute("DELETE FROM page_lines WHERE doc_id = ?", (doc_id,))
            conn.executemany("INSERT INTO page_lines(doc_id, page, lines) VALUES (?, ?, ?)",
                             [(doc_id, page, lines) for page, lines in (page_lines or {}).items()])
            ids: list[int] = []
            for chunk in chunks:
                cur = conn.execute(
                    "INSERT INTO chunks(doc_id, ordinal, text, location, heading) VALUES (?, ?, ?, ?, ?)",
                    (doc_id, chunk.ordinal, chunk.text, chunk.location.dumps(), chunk.heading),
                )
                ids.append(int(cur.lastrowid or 0))
        return doc_id, ids

    def finish(self, doc_ids: Iterable[int]) -> None:
        """The search index holds these documents' new chunks: drop the old ones and mark them indexed."""
        ids = list(doc_ids)
        if not ids:
            return
        with self.transaction() as conn:
            for doc_id in ids:
                conn.execute("DELETE FROM chunks WHERE doc_id = ? AND stale = 1", (doc_id,))
                conn.execute("UPDATE documents SET status = 'indexed' WHERE id = ?", (doc_id,))

    def set_update_error(self, doc_id: int, error: str, detail: str) -> None:
        """A newer version of an indexed file failed: keep its indexed text, record why the update failed."""
        with self.transaction() as conn:
            conn.execute("UPDATE documents SET error = ?, detail = ?, update_failed = 1 WHERE id = ?",
                         (error, detail, doc_id))

    def touch_document(self, doc_id: int, size: int, mtime: float) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE documents SET size = ?, mtime = ? WHERE id = ?", (size, mtime, doc_id))

    def set_status(self, doc_ids: Iterable[int], status: str) -> None:
        ids = list(doc_ids)
        if not ids:
            return
        with self.transaction() as conn:
            conn.executemany("UPDATE documents SET status = ? WHERE id = ?", [(status, i) for i in ids])

    def delete_documents(self, doc_ids: Iterable[int]) -> None:
        with self.transaction() as conn:
            for doc_id in doc_ids:
                conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                conn.execute("DELETE FROM page_lines WHERE doc_id = ?", (doc_id,))
                conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))

    @staticmethod
    def _upsert(conn: sqlite3.Connection, r: DocumentRecord) -> int:
        values = (
            r.kind, r.title, r.size, r.mtime, r.content_hash, r.status, r.chunks, r.pages,
            json.dumps(list(r.sheets), ensure_ascii=False), r.error, r.detail, r.indexed_at or time.time(),
            int(r.update_failed),
        )
        row = conn.execute("SELECT id FROM documents WHERE path = ?", (r.path,)).fetchone()
        if row:
            conn.execute(
                "UPDATE documents SET kind=?, title=?, size=?, mtime=?, content_hash=?, status=?, chunks=?, "
                "pages=?, sheets=?, error=?, detail=?, indexed_at=?, update_failed=? WHERE id=?",
                (*values, row[0]),
            )
            return int(row[0])
        cur = conn.execute(
            "INSERT INTO documents(kind, title, size, mtime, content_hash, status, chunks, pages, sheets, "
            "error, detail, indexed_at, update_failed, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*values, r.path),
        )
        return int(cur.lastrowid or 0)

    # -- chunks -----------------------------------------------------------------------------------
    def chunks_by_ids(self, ids: list[int]) -> dict[int, tuple[int, int, str, Location, str | None]]:
        """chunk id -> (doc_id, ordinal, text, location, heading), for the ids that still exist."""
        out: dict[int, tuple[int, int, str, Location, str | None]] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            marks = ",".join("?" * len(part))
            for cid, doc_id, ordinal, text, loc, heading in self._query(
                f"SELECT id, doc_id, ordinal, text, location, heading FROM chunks WHERE id IN ({marks})", part
            ):
                out[cid] = (doc_id, ordinal, text, Location.loads(loc), heading)
        return out

    def chunks_of(self, doc_id: int, start: int = 0, stop: int | None = None, *,
                  stale: bool = False) -> list[tuple[int, int, str, Location, str | None]]:
        """(chunk id, ordinal, text, location, heading) of one document's current version (or, with stale,
        of the version being replaced), in reading order."""
        stop = 2**62 if stop is None else stop
        return [
            (cid, ordinal, text, Location.loads(loc), heading)
            for cid, ordinal, text, loc, heading in self._query(
                "SELECT id, ordinal, text, location, heading FROM chunks WHERE doc_id = ? AND stale = ? "
                "AND ordinal >= ? AND ordinal < ? ORDER BY ordinal",
                (doc_id, int(stale), start, stop),
            )
        ]

    def chunk_is_stale(self, chunk_id: int) -> bool:
        rows = self._query("SELECT stale FROM chunks WHERE id = ?", (chunk_id,))
        return bool(rows and rows[0][0])

    def page_lines(self, doc_id: int, page: int) -> str | None:
        """The recognised lines of an OCRed page (indexing.page_lines.loads), None for a text-layer page."""
        rows = self._query("SELECT lines FROM page_lines WHERE doc_id = ? AND page = ?", (doc_id, page))
        return rows[0][0] if rows else None

    def iter_all_chunks(self, batch: int = 2000) -> Iterator[list[tuple[int, int, str, str | None, str]]]:
        """(chunk id, doc_id, text, heading, title) in batches, for rebuilding the search index."""
        last = 0
        while True:
            rows = self._query(
                "SELECT c.id, c.doc_id, c.text, c.heading, d.title FROM chunks c JOIN documents d "
                "ON d.id = c.doc_id WHERE c.id > ? AND c.stale = 0 AND d.status IN ('indexed', 'indexing') "
                "ORDER BY c.id LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            yield rows
            last = rows[-1][0]

    def count_chunks(self) -> int:
        return int(self._query("SELECT count(*) FROM chunks WHERE stale = 0")[0][0])

    def quick_check(self) -> str:
        """SQLite's own consistency check: 'ok' or the first problems it found."""
        rows = self._query("PRAGMA quick_check(5)")
        return "; ".join(str(r[0]) for r in rows)

    # -- roots (folders the user added; watched for changes) --------------------------------------
    def add_root(self, path: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO roots(path, added_at) VALUES (?, ?)", (path, time.time()))

    def remove_root(self, path: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM roots WHERE path = ?", (path,))

    def roots(self) -> list[str]:
        return [r[0] for r in self._query("SELECT path FROM roots ORDER BY path")]


def _doc(row: tuple) -> DocumentRecord:
    (doc_id, path, kind, title, size, mtime, content_hash, status, chunks, pages, sheets, error, detail,
     indexed_at, update_failed) = row
    return DocumentRecord(
        doc_id=doc_id, path=path, kind=kind, title=title, size=size, mtime=mtime, content_hash=content_hash,
        status=status, chunks=chunks, pages=pages, sheets=tuple(json.loads(sheets or "[]")), error=error,
        detail=detail, indexed_at=indexed_at, update_failed=bool(update_failed),
    )
