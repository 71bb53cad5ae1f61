"""The persistent library: documents in, cited passages out.

    lib = Library.open()                       # or Library.open(Path("…")), QWENRAG_LIBRARY
    for event in lib.add(["~/Documents/HR"]):  # a generator: stop iterating to cancel
        ...
    hits = lib.search("病假需要什么证明", k=5)

Crash safety: each file is written to SQLite in one transaction with status 'indexing' and added to
the search index; the search index is committed every second or so and only then are those files
marked 'indexed'. On open, files left 'indexing' are re-fed from SQLite to the search index, and
removals left half-done are finished. A kill at any moment therefore leaves a library that opens,
with no half-indexed file, and the next run continues where it stopped.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from indexing import page_lines
from indexing.discovery import expand
from indexing.errors import FileProblem, LibraryError, ProblemKind
from indexing.filetypes import is_supported_name
from indexing.ingest import ParsedFile, default_workers, file_hash, index_body, parse_file
from indexing.limits import DEFAULT_LIMITS, Limits
from indexing.messages import problem_message
from indexing.page_lines import PageLine
from indexing.records import DocumentRecord, IndexEvent, SearchHit
from indexing.search_index import INDEX_FORMAT, SearchIndex
from indexing.store import Store
from indexing.workers import ParsePool, Progress

COMMIT_SECONDS = 1.0  # how stale search may be while indexing runs
_LEGACY_SUFFIXES = {".doc", ".xls", ".ppt", ".dot", ".xlt", ".pps"}


def _default_dir() -> Path:
    env = os.environ.get("QWENRAG_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    base = os.environ.get("QWENRAG_DATA_DIR") or user_data_dir("QwenRAG", appauthor=False)
    return Path(base) / "library"


def _analyzer_version() -> str:
    from indexing import analysis

    return f"{INDEX_FORMAT}/{getattr(analysis, 'ANALYZER_VERSION', '0')}"


class Library:
    def __init__(self, folder: Path, limits: Limits = DEFAULT_LIMITS) -> None:
        self.folder = folder
        self.limits = limits
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LibraryError(f"The library folder {folder} cannot be created: {exc}") from exc
        self.store = Store(folder / "library.sqlite3")
        self.index = SearchIndex(folder / "bm25")
        self._running = threading.Event()
        self._running.set()
        self._write_lock = threading.Lock()  # one indexing run or removal at a time
        self._pool: ParsePool | None = None
        self._recover()

    @classmethod
    def open(cls, folder: str | os.PathLike[str] | None = None, limits: Limits = DEFAULT_LIMITS) -> Library:
        return cls(Path(folder).expanduser() if folder else _default_dir(), limits)

    def close(self) -> None:
        self.index.commit()
        self.index.release_writer()
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- recovery ---------------------------------------------------------------------------------
    def _recover(self) -> None:
        """Finish what a killed run left: re-feed 'indexing' files, finish removals, rebuild if stale."""
        with self._write_lock:
            removing = [d.doc_id for d in self.store.documents("removing")]
            if self.index.recreated or self.store.get_meta("index_format") != _analyzer_version():
                if self.store.count_chunks() or removing:
                    self._rebuild()
                self.store.set_meta("index_format", _analyzer_version())
            pending = self.store.documents("indexing")
            for doc in pending:
                chunks = self.store.chunks_of(doc.doc_id)
                self.index.replace_document(
                    doc.doc_id, [(cid, index_body(doc.title, h, t)) for cid, _o, t, _l, h in chunks]
                )
            for doc_id in removing:
                self.index.delete_document(doc_id)
            if pending or removing:
                self.index.commit()
                self.store.set_status((d.doc_id for d in pending), "indexed")
                self.store.delete_documents(removing)
            self.index.release_writer()

    def _rebuild(self) -> None:
        self.index.clear()
        for batch in self.store.iter_all_chunks():
            by_doc: dict[int, list[tuple[int, str]]] = {}
            for cid, doc_id, text, heading, title in batch:
                by_doc.setdefault(doc_id, []).append((cid, index_body(title, heading, text)))
            for doc_id, items in by_doc.items():
                self.index.replace_document(doc_id, items)
        self.index.commit()

    def rebuild_search_index(self) -> None:
        with self._write_lock:
            self._rebuild()
            self.index.release_writer()

    # -- pause (answers take priority over background indexing) -----------------------------------
    def pause_indexing(self) -> None:
        """Answers take the CPU: stop parsing workers now (POSIX) and hand out no new files."""
        self._running.clear()
        pool = self._pool
        if pool is not None:
            pool.set_paused(True)

    def resume_indexing(self) -> None:
        self._running.set()
        pool = self._pool
        if pool is not None:
            pool.set_paused(False)

    @property
    def indexing_paused(self) -> bool:
        return not self._running.is_set()

    # -- adding -----------------------------------------------------------------------------------
    def add(self, paths: Iterable[str | os.PathLike[str]], *, workers: int | None = None,
            force: bool = False) -> Iterator[IndexEvent]:
        """Index files and folders (recursively). A generator: each step is an IndexEvent; stopping the
        iteration cancels, keeping every file finished so far."""
        if not self._write_lock.acquire(blocking=False):
            raise LibraryError("Another indexing run is already changing this library.")
        try:
            yield from self._add(list(paths), workers, force)
        finally:
            self._write_lock.release()

    def _add(self, paths: list[str | os.PathLike[str]], workers: int | None, force: bool) -> Iterator[IndexEvent]:
        found = list(expand(paths))
        for root in {f.root for f in found if f.root is not None}:
            self.store.add_root(str(root))
        total = len(found)
        counts: Counter[str] = Counter()
        yield IndexEvent("scan", files_total=total)
        to_parse: list[str] = []
        position: dict[str, int] = {}
        for i, f in enumerate(found, 1):
            path = str(f.path)
            early = self._early_outcome(f.path, force)
            if early is None:
                to_parse.append(path)
                position[path] = i
                continue
            counts[early.status or ""] += 1
            yield IndexEvent("file_done", path=path, file_index=i, files_total=total, status=early.status,
                             chunks=early.chunks, reason=early.reason, detail=early.detail)
        pending: list[int] = []
        last_commit = time.monotonic()
        try:
            for item in self._parse(to_parse, workers):
                if isinstance(item, Progress):
                    yield IndexEvent("progress", path=item.path, file_index=position.get(item.path, 0),
                                     files_total=total, units_done=item.done, units_total=item.total)
                    continue
                event = self._write(item, position.get(item.path, 0), total, pending)
                counts[event.status or ""] += 1
                if time.monotonic() - last_commit >= COMMIT_SECONDS:
                    self._commit(pending)
                    last_commit = time.monotonic()
                yield event
                self._wait_while_paused()
        finally:
            self._commit(pending)
            self.index.release_writer()
        yield IndexEvent("finished", files_total=total, counts=dict(counts))

    def _wait_while_paused(self) -> None:
        while not self._running.wait(timeout=0.5):
            pass

    def _parse(self, paths: list[str], workers: int | None) -> Iterator[Progress | ParsedFile]:
        n = default_workers() if workers is None else workers
        if n <= 0 or not paths:  # in-process: for debugging and for measuring the bare parsers
            for path in paths:
                self._wait_while_paused()
                yield parse_file(path, self.limits)
            return
        with ParsePool(min(n, len(paths)), self.limits) as pool:
            self._pool = pool
            try:
                yield from pool.run(paths, is_paused=lambda: self.indexing_paused)
            finally:
                self._pool = None

    def _early_outcome(self, path: Path, force: bool) -> IndexEvent | None:
        """Decide without parsing: unsupported, unreadable, or unchanged since last time."""
        if not is_supported_name(path):
            kind = ProblemKind.LEGACY if path.suffix.lower() in _LEGACY_SUFFIXES else ProblemKind.UNSUPPORTED
            status = "failed" if kind is ProblemKind.LEGACY else "skipped"
            return IndexEvent("file_done", path=str(path), status=status, reason=problem_message(kind),
                              detail=f"{kind.value}: suffix {path.suffix or '(none)'}")
        try:
            st = path.stat()
        except OSError as exc:
            problem = FileProblem(ProblemKind.UNREADABLE, f"{type(exc).__name__}: {exc}")
            return IndexEvent("file_done", path=str(path), status="failed", reason=problem.message,
                              detail=f"{problem.kind.value}: {problem.detail}")
        old = self.store.document(str(path))
        if force or old is None or old.status != "indexed":
            return None
        if old.size == st.st_size and old.mtime == st.st_mtime:
            return IndexEvent("file_done", path=str(path), status="unchanged", chunks=old.chunks)
        if old.size == st.st_size:
            try:
                same = file_hash(path) == old.content_hash
            except OSError:
                same = False
            if same:  # touched, not changed
                self.store.touch_document(old.doc_id, st.st_size, st.st_mtime)
                return IndexEvent("file_done", path=str(path), status="unchanged", chunks=old.chunks)
        return None

    def _write(self, parsed: ParsedFile, index: int, total: int, pending: list[int]) -> IndexEvent:
        info = parsed.info
        if parsed.problem is not None:
            kind, message, detail = parsed.problem
            record = DocumentRecord(
                doc_id=0, path=parsed.path, kind=info.kind if info else "", title=Path(parsed.path).stem,
                size=parsed.size, mtime=parsed.mtime, content_hash=parsed.content_hash, status="failed",
                chunks=0, error=message, detail=f"{kind}: {detail}" if detail else kind,
            )
            doc_id, _ = self.store.write_document(record, [])
            self.index.delete_document(doc_id)
            return IndexEvent("file_done", path=parsed.path, file_index=index, files_total=total,
                              status="failed", reason=message, detail=record.detail)
        assert info is not None
        record = DocumentRecord(
            doc_id=0, path=parsed.path, kind=info.kind, title=info.title, size=parsed.size, mtime=parsed.mtime,
            content_hash=parsed.content_hash, status="indexing", chunks=len(parsed.chunks), pages=info.pages,
            sheets=tuple(info.sheets), indexed_at=time.time(),
        )
        lines = {page: page_lines.dumps(found) for page, found in info.page_lines.items()}
        doc_id, ids = self.store.write_document(record, parsed.chunks, lines)
        self.index.replace_document(doc_id, zip(ids, parsed.bodies, strict=False))
        pending.append(doc_id)
        return IndexEvent("file_done", path=parsed.path, file_index=index, files_total=total,
                          status="indexed", chunks=len(parsed.chunks))

    def _commit(self, pending: list[int]) -> None:
        if self.index.dirty:
            self.index.commit()
        if pending:
            self.store.set_status(pending, "indexed")
            pending.clear()

    # -- removing and refreshing ------------------------------------------------------------------
    def remove(self, paths: Iterable[str | os.PathLike[str]]) -> list[DocumentRecord]:
        """Remove files, or every file under a folder, from the library. Returns what was removed."""
        with self._write_lock:
            victims: dict[int, DocumentRecord] = {}
            for raw in paths:
                p = Path(raw).expanduser()
                p = p.resolve() if p.exists() else p.absolute()
                doc = self.store.document(str(p))
                if doc:
                    victims[doc.doc_id] = doc
                for d in self.store.documents_under(str(p)):
                    victims[d.doc_id] = d
                self.store.remove_root(str(p))
            if not victims:
                return []
            self.store.set_status(victims, "removing")
            for doc_id in victims:
                self.index.delete_document(doc_id)
            self.index.commit()
            self.store.delete_documents(victims)
            self.index.release_writer()
            return list(victims.values())

    def changed_paths(self) -> list[str]:
        """Files to look at again: documents changed on disk and new files in the folders the user added."""
        out: list[str] = []
        known = {d.path: d for d in self.store.documents()}
        for path, doc in known.items():
            try:
                st = os.stat(path)
            except OSError:
                continue  # vanished or unplugged: keep what was indexed
            if doc.status == "failed" or st.st_size != doc.size or st.st_mtime != doc.mtime:
                out.append(path)
        for root in self.store.roots():
            for f in expand([root]):
                if str(f.path) not in known and is_supported_name(f.path):
                    out.append(str(f.path))
        return out

    def refresh(self, *, workers: int | None = None) -> Iterator[IndexEvent]:
        """Re-index what changed since last time (at start, and when a watched folder changes)."""
        return self.add(self.changed_paths(), workers=workers)

    # -- reading ----------------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.store.documents()

    def document(self, path: str | os.PathLike[str]) -> DocumentRecord | None:
        return self.store.document(str(Path(path).expanduser().absolute()))

    def is_empty(self) -> bool:
        return not any(d.status == "indexed" for d in self.store.documents())

    def roots(self) -> list[str]:
        return self.store.roots()

    def search(self, query: str, k: int = 5) -> list[SearchHit]:
        from indexing.analysis import tokenize_query

        tokens = tokenize_query(query)
        if not tokens:
            return []
        scored = self.index.search(tokens, max(k * 3, k + 10))
        rows = self.store.chunks_by_ids([cid for _s, cid in scored])
        docs: dict[int, DocumentRecord | None] = {}
        hits: list[SearchHit] = []
        for score, cid in scored:
            row = rows.get(cid)
            if row is None:
                continue  # removed or replaced since the last commit
            doc_id, _ordinal, text, location, heading = row
            if doc_id not in docs:
                docs[doc_id] = self.store.document_by_id(doc_id)
            doc = docs[doc_id]
            if doc is None or doc.status not in ("indexed", "indexing"):
                continue
            hits.append(SearchHit(rank=len(hits) + 1, score=score, file=doc.path, location=location, text=text,
                                  title=doc.title, heading=heading, chunk_id=cid, doc_id=doc_id, kind=doc.kind))
            if len(hits) >= k:
                break
        return hits

    def unknown_words(self, query: str) -> frozenset[str]:
        """Query terms no document contains that search widened to near spellings (indexing.spelling)."""
        from indexing.analysis import tokenize_query

        return frozenset(self.index.unknown_terms(tokenize_query(query)))

    def page_lines(self, path: str | os.PathLike[str], page: int) -> list[PageLine]:
        """The recognised lines and boxes of an OCRed page (1-based); [] for a page read from its text layer."""
        doc = self.store.document(str(path))
        data = self.store.page_lines(doc.doc_id, page) if doc else None
        return page_lines.loads(data) if data else []

    def chunk_context(self, chunk_id: int, before: int = 2, after: int = 2) -> list[tuple[int, str, object, bool]]:
        """The chunk with its neighbours in reading order: (chunk id, text, location, is_the_chunk)."""
        row = self.store.chunks_by_ids([chunk_id]).get(chunk_id)
        if row is None:
            return []
        doc_id, ordinal = row[0], row[1]
        return [
            (cid, text, loc, cid == chunk_id)
            for cid, _o, text, loc, _h in self.store.chunks_of(doc_id, ordinal - before, ordinal + after + 1)
        ]
