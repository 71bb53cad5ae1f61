"""The persistent library: documents in, cited passages out.

    lib = Library.open()                       # or Library.open(Path("…")), QWENRAG_LIBRARY
    for event in lib.add(["~/Documents/HR"]):  # a generator: stop iterating to cancel
        ...
    hits = lib.search("病假需要什么证明", k=5)

Crash safety: each file is written to SQLite in one transaction with status 'indexing' (its previous
chunks kept, marked stale) and added to the search index; the search index is committed every second or
so and only then are those files marked 'indexed' and their stale chunks dropped. Whoever next takes the
writer lock re-feeds files left 'indexing' from SQLite to the search index and finishes removals left
half-done. A kill at any moment therefore leaves a library that opens, with no half-indexed file, and the
next run continues where it stopped.

Concurrency: one process at a time changes a library (indexing.ownership.WriterLock; a second writer
waits, saying so with a "waiting" event). Readers (search, docs, ask) never take that lock: SQLite in WAL
mode and tantivy searchers read while the writer writes, and see each file before or after its update.
The search index is derived data: when it is damaged or its format changed, it is rebuilt from SQLite
(automatically, with a note in `take_notices()`, or on request with `repair()`).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

from indexing import page_lines
from indexing.discovery import expand
from indexing.errors import FileProblem, LibraryError, ProblemKind
from indexing.filetypes import is_supported_name
from indexing.ingest import ParsedFile, default_workers, file_hash, index_body, parse_file
from indexing.limits import DEFAULT_LIMITS, Limits
from indexing.locations import Location
from indexing.messages import problem_message
from indexing.notes import note
from indexing.ownership import DATABASE, LOCK_FILE, WriterLock, claim_folder
from indexing.page_lines import PageLine
from indexing.records import DocumentRecord, IndexEvent, Passage, TermStats
from indexing.search_index import INDEX_FORMAT, SearchIndex
from indexing.store import Store
from indexing.workers import ParsePool, Progress

COMMIT_SECONDS = 1.0  # how stale search may be while indexing runs
WAIT_POLL_SECONDS = 0.25  # how often a waiting writer looks whether the other one has finished
WAIT_EVENT_POLLS = 4  # a "waiting" event every this many looks
REMOVE_WAIT_SECONDS = 60.0  # how long a removal waits for another process's run before giving up
T = TypeVar("T")


def _default_dir() -> Path:
    env = os.environ.get("QWENRAG_LIBRARY")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    base = os.environ.get("QWENRAG_DATA_DIR") or user_data_dir("QwenRAG", appauthor=False)
    return Path(base) / "library"


def _index_version() -> str:
    """What the search index was built with; a change rebuilds it from the store."""
    from indexing import analysis

    return f"{INDEX_FORMAT}/{analysis.ANALYZER_VERSION}"


# What a damaged tantivy index raises: ValueError/OSError, or a Rust panic surfacing as pyo3's
# PanicException (a BaseException subclass).
def _index_failure(exc: BaseException) -> bool:
    return isinstance(exc, (ValueError, OSError, LibraryError)) or type(exc).__name__ == "PanicException"


class Library:
    def __init__(self, folder: Path, limits: Limits = DEFAULT_LIMITS) -> None:
        self.folder = folder
        self.limits = limits
        claim_folder(folder)
        self.store = Store(folder / DATABASE)
        try:
            self.index = SearchIndex(folder / "bm25")
        except BaseException:
            self.store.close()
            raise
        self._writer = WriterLock(folder / LOCK_FILE)
        self._running = threading.Event()
        self._running.set()
        self._write_lock = threading.Lock()  # one indexing run or removal at a time in this process
        self._pool: ParsePool | None = None
        self._notices: list[str] = []
        # Recovery needs the writer lock. When another process holds it, that process is alive and its
        # files in flight are not leftovers: open for reading only and leave them to it.
        with self._write_lock:
            if self._writer.try_acquire():
                try:
                    self._recover()
                finally:
                    self._release()

    @classmethod
    def open(cls, folder: str | os.PathLike[str] | None = None, limits: Limits = DEFAULT_LIMITS) -> Library:
        return cls(Path(folder).expanduser() if folder else _default_dir(), limits)

    def close(self) -> None:
        self._release()
        self.store.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_notices(self) -> list[str]:
        """Messages for the user about what the library did on its own (a rebuilt search index)."""
        out, self._notices = self._notices, []
        return out

    # -- the writer lock --------------------------------------------------------------------------
    def _exclusive(self, body: Iterator[IndexEvent]) -> Iterator[IndexEvent]:
        """Run `body` as this library's one writer; while another process writes, say so and wait."""
        if not self._write_lock.acquire(blocking=False):
            body.close()
            raise LibraryError("Another indexing run is already changing this library.")
        try:
            polls = 0
            while not self._writer.try_acquire():
                if polls % WAIT_EVENT_POLLS == 0:  # now and then: the caller may cancel between events
                    yield IndexEvent("waiting", reason=note("waiting"))
                polls += 1
                time.sleep(WAIT_POLL_SECONDS)
            try:
                self.index.reload()  # see what the previous writer committed
                self._recover()
                yield from body
            finally:
                self._release()
        finally:
            body.close()
            self._write_lock.release()

    def _exclusive_call(self, fn: Callable[[], T], wait: float = REMOVE_WAIT_SECONDS) -> T:
        with self._write_lock:
            deadline = time.monotonic() + wait
            while not self._writer.try_acquire():
                if time.monotonic() > deadline:
                    raise LibraryError(note("busy"))
                time.sleep(WAIT_POLL_SECONDS)
            try:
                self.index.reload()
                self._recover()
                return fn()
            finally:
                self._release()

    def _release(self) -> None:
        """Give up the writer lock. Work not committed by now was cut short: it is rolled back."""
        if self._writer.held:
            self.index.release_writer()
            self._writer.release()

    # -- recovery and repair (writer lock held) ---------------------------------------------------
    def _recover(self) -> None:
        """Finish what a killed run left: rebuild a damaged or outdated index, re-feed 'indexing' files,
        finish removals."""
        reason = None
        if self.index.damaged:
            reason = note("reason_open")
        elif self.store.get_meta("index_format") != _index_version():
            reason = note("reason_version")
        if reason is not None:
            if self.store.count_chunks():
                for _ in self._rebuild(reason):
                    pass
                self._notices.append(note("rebuilt", reason=reason, passages=self.store.count_chunks()))
            else:
                if self.index.damaged:
                    self.index.reset()
                self.store.set_meta("index_format", _index_version())
        pending = self.store.documents("indexing")
        removing = [d.doc_id for d in self.store.documents("removing")]
        for doc in pending:
            chunks = self.store.chunks_of(doc.doc_id)
            self.index.replace_document(
                doc.doc_id, [(cid, index_body(doc.title, h, t)) for cid, _o, t, _l, h in chunks]
            )
        for doc_id in removing:
            self.index.delete_document(doc_id)
        if pending or removing:
            self.index.commit()
            self.store.finish(d.doc_id for d in pending)
            self.store.delete_documents(removing)

    def _rebuild(self, reason: str, reset: bool = False) -> Iterator[IndexEvent]:
        """Refill the search index from the store (the current version of every indexed document)."""
        total = self.store.count_chunks()
        yield IndexEvent("repair", reason=reason, units_total=total)
        # Until the rebuilt index is committed, a kill or a cancel leaves it marked for rebuilding.
        self.store.set_meta("index_format", "rebuilding")
        if reset or self.index.damaged:
            self.index.reset()
        else:
            self.index.clear()
        done = 0
        for batch in self.store.iter_all_chunks():
            by_doc: dict[int, list[tuple[int, str]]] = {}
            for cid, doc_id, text, heading, title in batch:
                by_doc.setdefault(doc_id, []).append((cid, index_body(title, heading, text)))
            for doc_id, items in by_doc.items():
                self.index.add_chunks(doc_id, items)
            done += len(batch)
            yield IndexEvent("repair", reason=reason, units_done=done, units_total=total)
        self.index.commit()
        self.store.set_meta("index_format", _index_version())

    def repair(self) -> Iterator[IndexEvent]:
        """Rebuild the search index from the store, on request (`qwenrag repair`, the window's menu).
        A generator of "repair" progress events (units are passages), then "finished" with counts."""
        return self._exclusive(self._repair())

    def _repair(self) -> Iterator[IndexEvent]:
        check = self.store.quick_check()
        if check != "ok":
            raise LibraryError(note("store_damaged", path=self.store.path, reason=check, folder=self.folder))
        yield from self._rebuild(note("reason_request"), reset=True)
        docs = self.store.documents()
        yield IndexEvent("finished", files_total=len(docs),
                         counts={"documents": len(docs), "passages": self.store.count_chunks()})

    def rebuild_search_index(self) -> None:
        for _ in self.repair():
            pass

    # -- pause (answers take priority over background indexing) -----------------------------------
    def pause_indexing(self) -> None:
        """Answers take the CPU: workers wait at their next progress check and no new files are handed out."""
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
            force: bool = False, password: str | None = None) -> Iterator[IndexEvent]:
        """Index files and folders (recursively). A generator: each step is an IndexEvent; stopping the
        iteration cancels, keeping every file finished so far. While another process changes the library,
        the first event is "waiting" and the run starts when that process has finished.

        password: tried on every password-protected file of this run (and only this run: not stored).
        """
        return self._exclusive(self._add(list(paths), workers, force, password=password))

    def _add(self, paths: list[str | os.PathLike[str]], workers: int | None, force: bool,
             counts: Counter[str] | None = None, password: str | None = None) -> Iterator[IndexEvent]:
        found = list(expand(paths))
        for root in {f.root for f in found if f.root is not None}:
            self.store.add_root(str(root))
        total = len(found)
        counts = Counter() if counts is None else counts
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
            for item in self._parse(to_parse, workers, password):
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
        yield IndexEvent("finished", files_total=total, counts=dict(counts))

    def _wait_while_paused(self) -> None:
        while not self._running.wait(timeout=0.5):
            pass

    def _parse(self, paths: list[str], workers: int | None,
               password: str | None = None) -> Iterator[Progress | ParsedFile]:
        n = default_workers() if workers is None else workers
        if n <= 0 or not paths:  # in-process: for debugging and for measuring the bare parsers
            for path in paths:
                self._wait_while_paused()
                yield parse_file(path, self.limits, password=password)
            return
        with ParsePool(min(n, len(paths)), self.limits) as pool:
            self._pool = pool
            try:
                yield from pool.run(paths, is_paused=lambda: self.indexing_paused, password=password)
            finally:
                self._pool = None

    def _early_outcome(self, path: Path, force: bool) -> IndexEvent | None:
        """Decide without parsing: unsupported, unreadable, or unchanged since last time."""
        if not is_supported_name(path):
            kind = ProblemKind.UNSUPPORTED
            return IndexEvent("file_done", path=str(path), status="skipped", reason=problem_message(kind),
                              detail=f"{kind.value}: suffix {path.suffix or '(none)'}")
        try:
            st = path.stat()
        except OSError as exc:
            problem = FileProblem(ProblemKind.UNREADABLE, f"{type(exc).__name__}: {exc}")
            return IndexEvent("file_done", path=str(path), status="failed", reason=problem.message,
                              detail=f"{problem.kind.value}: {problem.detail}")
        old = self.store.document(str(path))
        if force or old is None or old.status != "indexed" or old.update_failed:
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
            old = self.store.document(parsed.path)
            if old is not None and old.status == "indexed" and old.chunks:
                # Keep the last good version searchable; the document carries the new error.
                full = f"{kind}: {detail}" if detail else kind
                self.store.set_update_error(old.doc_id, message, full)
                return IndexEvent("file_done", path=parsed.path, file_index=index, files_total=total,
                                  status="failed", reason=f"{message} {note('kept')}", detail=full)
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
            self.store.finish(pending)
            pending.clear()

    # -- removing and refreshing ------------------------------------------------------------------
    def remove(self, paths: Iterable[str | os.PathLike[str]]) -> list[DocumentRecord]:
        """Remove files, or every file under a folder, from the library. Returns what was removed. Waits
        (up to a minute) while another process changes the library."""
        items = list(paths)
        return self._exclusive_call(lambda: self._remove(items))

    def removing(self, paths: Iterable[str | os.PathLike[str]]) -> Iterator[IndexEvent]:
        """remove() as events, for a window: "waiting" (now and then, for as long as another process
        changes the library: the caller shows it and may cancel between events, there is no deadline), then
        a "file_done" with status "removed" per document removed, then "finished" with counts."""
        items = list(paths)

        def body() -> Iterator[IndexEvent]:
            removed = self._remove(items)
            for i, doc in enumerate(removed):
                yield IndexEvent("file_done", path=doc.path, file_index=i, files_total=len(removed),
                                 status="removed")
            yield IndexEvent("finished", files_total=len(removed), counts={"removed": len(removed)})

        return self._exclusive(body())

    def _remove(self, paths: list[str | os.PathLike[str]]) -> list[DocumentRecord]:
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
        self._drop(list(victims.values()))
        return list(victims.values())

    def _drop(self, docs: list[DocumentRecord]) -> None:
        if not docs:
            return
        ids = [d.doc_id for d in docs]
        self.store.set_status(ids, "removing")
        for doc_id in ids:
            self.index.delete_document(doc_id)
        self.index.commit()
        self.store.delete_documents(ids)

    def vanished(self) -> list[DocumentRecord]:
        """Documents whose file is gone: deleted or moved out of its folder, or its whole folder gone.

        A file whose folder and parent folder are both missing is kept: that is an unplugged drive or an
        unmounted share more often than a deletion, and it comes back."""
        out = []
        for doc in self.store.documents():
            path = Path(doc.path)
            if path.exists():
                continue
            if path.parent.is_dir() or path.parent.parent.is_dir():
                out.append(doc)
        return out

    def changed_paths(self) -> list[str]:
        """Files to look at again: documents changed on disk and new files in the folders the user added."""
        out: list[str] = []
        known = {d.path: d for d in self.store.documents()}
        for path, doc in known.items():
            try:
                st = os.stat(path)
            except OSError:
                continue  # vanished (see vanished()) or unplugged
            if (doc.status == "failed" or doc.update_failed or st.st_size != doc.size
                    or st.st_mtime != doc.mtime):
                out.append(path)
        for root in self.store.roots():
            for f in expand([root]):
                if str(f.path) not in known and is_supported_name(f.path):
                    out.append(str(f.path))
        return out

    def refresh(self, *, workers: int | None = None) -> Iterator[IndexEvent]:
        """Bring the library up to date with the disk (at start, and when a watched folder changes): files
        that are gone leave it (a "removed" file_done with the reason), changed and new files are indexed."""
        return self._exclusive(self._refresh(workers))

    def _refresh(self, workers: int | None) -> Iterator[IndexEvent]:
        gone = self.vanished()
        self._drop(gone)
        counts: Counter[str] = Counter(removed=len(gone)) if gone else Counter()
        for doc in gone:
            yield IndexEvent("file_done", path=doc.path, status="removed", chunks=doc.chunks,
                             reason=note("vanished"), detail="vanished: not found on disk")
        yield from self._add(self.changed_paths(), workers, False, counts)

    # -- reading ----------------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.store.documents()

    def document(self, path: str | os.PathLike[str]) -> DocumentRecord | None:
        return self.store.document(str(Path(path).expanduser().absolute()))

    def is_empty(self) -> bool:
        return not any(d.status == "indexed" for d in self.store.documents())

    def roots(self) -> list[str]:
        return self.store.roots()

    def search(self, query: str, k: int = 5) -> list[Passage]:
        from indexing.analysis import tokenize_query

        tokens = tokenize_query(query)
        if not tokens:
            return []
        limit = max(k * 3, k + 10)
        hits, complete = self._resolve(self._scored(tokens, limit), k)
        if not complete:  # another process committed a newer version and dropped the rows our view had
            self.index.reload()
            hits, _ = self._resolve(self._scored(tokens, limit), k)
        return hits

    def _scored(self, tokens: list[str], limit: int) -> list[tuple[float, int]]:
        try:
            return self.index.search(tokens, limit)
        except BaseException as exc:  # narrowed by _index_failure, the rest re-raised
            if not _index_failure(exc):
                raise
        self.index.reload()  # a segment merged away by another process's writer: look again
        try:
            return self.index.search(tokens, limit)
        except BaseException as exc:
            if not _index_failure(exc):
                raise
            problem = f"{type(exc).__name__}: {exc}"
        self._repair_damaged(problem)
        return self.index.search(tokens, limit)

    def _repair_damaged(self, problem: str) -> None:
        """A search failed twice: rebuild now if no one else is writing, else say exactly how to repair."""
        if self._write_lock.acquire(blocking=False):
            try:
                if self._writer.try_acquire():
                    try:
                        reason = note("reason_search")
                        for _ in self._rebuild(reason, reset=True):
                            pass
                        self._notices.append(note("rebuilt", reason=reason, passages=self.store.count_chunks()))
                        return
                    finally:
                        self._release()
            finally:
                self._write_lock.release()
        raise LibraryError(note("damaged", folder=self.folder, reason=problem))

    def _resolve(self, scored: list[tuple[float, int]], k: int) -> tuple[list[Passage], bool]:
        """Hits for (score, chunk id); complete is False when a chunk id no longer exists in the store."""
        rows = self.store.chunks_by_ids([cid for _s, cid in scored])
        docs: dict[int, DocumentRecord | None] = {}
        hits: list[Passage] = []
        complete = True
        for score, cid in scored:
            row = rows.get(cid)
            if row is None:
                complete = False
                continue  # removed or replaced since our view of the search index
            doc_id, _ordinal, text, location, heading = row
            if doc_id not in docs:
                docs[doc_id] = self.store.document_by_id(doc_id)
            doc = docs[doc_id]
            if doc is None or doc.status not in ("indexed", "indexing"):
                continue
            hits.append(Passage(n=len(hits) + 1, score=score, file=doc.path, location=location, text=text,
                                title=doc.title, heading=heading, chunk_id=cid, doc_id=doc_id, kind=doc.kind))
            if len(hits) >= k:
                break
        return hits, complete

    def unknown_words(self, query: str) -> frozenset[str]:
        """Query terms no document contains that search widened to near spellings (indexing.spelling)."""
        from indexing.analysis import tokenize_query

        return frozenset(self.index.unknown_terms(tokenize_query(query)))

    def term_stats(self, query: str) -> TermStats:
        """How many chunks hold each of the query's terms (for weighing them by rarity: qwenrag.evidence)."""
        from indexing.analysis import tokenize_query

        chunks, freqs = self.index.doc_freqs(tokenize_query(query))
        return TermStats(chunks, freqs)

    def passages(self, path: str | os.PathLike[str]) -> list[tuple[Location, str]]:
        """A document's passages as indexed, in reading order: what search sees of it."""
        doc = self.document(path)
        if doc is None:
            return []
        return [(loc, text) for _cid, _o, text, loc, _h in self.store.chunks_of(doc.doc_id)]

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
        stale = self.store.chunk_is_stale(chunk_id)  # a hit on the version being replaced: its neighbours
        return [
            (cid, text, loc, cid == chunk_id)
            for cid, _o, text, loc, _h in self.store.chunks_of(doc_id, ordinal - before, ordinal + after + 1,
                                                               stale=stale)
        ]
