"""The BM25 index that serves queries: tantivy, fed text our own analyzer has already tokenized.

Why tantivy and not rank-bm25 for serving: measured here at 100k chunks rank-bm25 takes ~300 ms a
query and GB of memory and cannot add a document without a rebuild; tantivy answers in well under a
millisecond from a memory-mapped, persistent, incrementally updated index. rank-bm25's BM25Okapi stays
the reference that rankings are checked against in the tests.

The index is derived data: the SQLite store is the truth, and this can be rebuilt from it at any time
(see Library.rebuild_search_index). Tokens are joined by single spaces and indexed with tantivy's
whitespace tokenizer, so tantivy never re-tokenizes (it would split Chinese wrongly).

Opening never deletes anything: a damaged index is reported (`damaged`), and only the library, holding the
writer lock, resets it (`reset`), which deletes the files tantivy made and nothing else.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from pathlib import Path

import tantivy

from indexing.errors import LibraryError
from indexing.spelling import may_be_misspelled, one_edit

_WRITER_HEAP = 64 * 1024 * 1024
# Spelling tolerance (indexing.spelling): a Latin word that no chunk contains ("septicemia" when the text
# says "septicemic") is searched as the indexed words one edit away, each worth less than an exact match.
# Words the index knows are never widened, so correctly spelled queries rank exactly as before.
_FUZZY_BOOST = 0.7
_FUZZY_MAX_TERMS = 3
# Bump when the schema changes (analysis.ANALYZER_VERSION when the analyzer does): the index is then
# rebuilt from the store.
INDEX_FORMAT = "1"
INDEX_MARKER = ".qwenrag-index"
# The files tantivy writes into its folder: segment files (<uuid>.<ext>, deletes <uuid>.<opstamp>.del),
# its meta files and its lock files. reset() deletes these and nothing else.
_TANTIVY_FILE = re.compile(r"^(?:[0-9a-f]{32}(?:\.\d+)?\.[a-z]+|meta\.json|\.managed\.json|\.tantivy-[a-z]+\.lock)$")


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("chunk_id", stored=True, indexed=True, fast=True)
    sb.add_integer_field("doc_id", stored=False, indexed=True)
    # freq only: BM25 needs term frequencies, not positions (smaller, faster).
    sb.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
    return sb.build()


class SearchIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._schema = _schema()
        self._lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._dirty = False
        self._index: tantivy.Index | None = None
        self.problem: str | None = None  # why the index cannot be used (damaged), else None
        self._open()

    def _open(self) -> None:
        _check_ours(self.folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / INDEX_MARKER).touch()
            self._index = tantivy.Index(self._schema, path=str(self.folder), reuse=True)
            self.problem = None
        except (ValueError, OSError) as exc:
            self._index = None
            self.problem = f"{type(exc).__name__}: {exc}"

    @property
    def damaged(self) -> bool:
        return self._index is None

    def _idx(self) -> tantivy.Index:
        if self._index is None:
            raise LibraryError(f"The search index at {self.folder} is damaged ({self.problem}).")
        return self._index

    def reset(self) -> None:
        """Start an empty index: delete tantivy's files (only those) and create a new one. Writer lock held."""
        with self._lock:
            if self._writer is not None:
                self._writer.rollback()
                self._writer, self._dirty = None, False
            self._index = None
            _check_ours(self.folder)
            for f in self.folder.iterdir() if self.folder.is_dir() else ():
                if f.is_file() and _TANTIVY_FILE.match(f.name):
                    f.unlink(missing_ok=True)
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / INDEX_MARKER).touch()
                self._index = tantivy.Index(self._schema, path=str(self.folder), reuse=False)
                self.problem = None
            except (ValueError, OSError) as exc:
                raise LibraryError(f"The search index at {self.folder} cannot be created: {exc}") from exc

    # -- writing ----------------------------------------------------------------------------------
    def _w(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._idx().writer(heap_size=_WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                raise LibraryError(
                    "The library is being changed by another QwenRAG process; close it and try again."
                ) from exc
            # A writer killed mid-commit leaves files no commit refers to; this writer's next delete file
            # can get the same name (the opstamp restarts from the last commit) and the commit would fail.
            self._writer.garbage_collect_files()
        return self._writer

    def replace_document(self, doc_id: int, chunks: Iterable[tuple[int, str]]) -> None:
        """Remove a document's old chunks and add the new ones: (chunk id, space-joined tokens)."""
        with self._lock:
            writer = self._w()
            writer.delete_documents_by_term("doc_id", doc_id)
            for chunk_id, body in chunks:
                writer.add_document(tantivy.Document(chunk_id=chunk_id, doc_id=doc_id, body=body))
            self._dirty = True

    def add_chunks(self, doc_id: int, chunks: Iterable[tuple[int, str]]) -> None:
        """Add chunks without deleting first (rebuilding: a document's chunks may span several calls)."""
        with self._lock:
            writer = self._w()
            for chunk_id, body in chunks:
                writer.add_document(tantivy.Document(chunk_id=chunk_id, doc_id=doc_id, body=body))
            self._dirty = True

    def delete_document(self, doc_id: int) -> None:
        with self._lock:
            self._w().delete_documents_by_term("doc_id", doc_id)
            self._dirty = True

    def clear(self) -> None:
        with self._lock:
            self._w().delete_all_documents()
            self._dirty = True

    def commit(self) -> bool:
        """Make pending changes durable and visible to searches. Returns whether anything was written."""
        with self._lock:
            if not self._dirty or self._writer is None:
                return False
            self._writer.commit()
            self._dirty = False
            self._idx().reload()
            return True

    def release_writer(self) -> None:
        """Let another process write (tantivy allows one writer per index)."""
        with self._lock:
            if self._writer is not None:
                if self._dirty:
                    self._writer.rollback()
                    self._dirty = False
                writer, self._writer = self._writer, None
                writer.wait_merging_threads()

    @property
    def dirty(self) -> bool:
        return self._dirty

    # -- reading ----------------------------------------------------------------------------------
    def search(self, tokens: list[str], limit: int) -> list[tuple[float, int]]:
        """(score, chunk id) best first for a SHOULD query over the tokens."""
        if not tokens or limit <= 0:
            return []
        searcher = self._idx().searcher()
        distinct = list(dict.fromkeys(tokens))
        unknown = _unknown(searcher, distinct)
        terms = []
        for t in distinct:
            terms.append((tantivy.Occur.Should, tantivy.Query.term_query(self._schema, "body", t)))
            for near in _near_terms(searcher, t) if t in unknown else ():
                near_query = tantivy.Query.term_query(self._schema, "body", near)
                terms.append((tantivy.Occur.Should, tantivy.Query.boost_query(near_query, _FUZZY_BOOST)))
        query = tantivy.Query.boolean_query(terms)
        result = searcher.search(query, limit)
        return [(float(score), int(searcher.doc(addr)["chunk_id"][0])) for score, addr in result.hits]

    def unknown_terms(self, tokens: Iterable[str]) -> set[str]:
        """The tokens that search widens to near spellings: may be misspelled, and no chunk contains them."""
        return _unknown(self._idx().searcher(), tokens)

    def doc_freqs(self, tokens: Iterable[str]) -> tuple[int, dict[str, int]]:
        """(chunks in the index, {token: chunks holding it}) from one searcher: a term-dictionary lookup each."""
        searcher = self._idx().searcher()
        return int(searcher.num_docs), {t: int(searcher.doc_freq("body", t)) for t in dict.fromkeys(tokens)}

    def num_docs(self) -> int:
        return int(self._idx().searcher().num_docs)

    def reload(self) -> None:
        """See what other processes committed since. A failure (a segment merged away meanwhile, a damaged
        file) reopens the index; if that fails too, the index is `damaged`."""
        with self._lock:
            if self._index is not None:
                try:
                    self._index.reload()
                    return
                except (ValueError, OSError):
                    pass
            if self._writer is None:
                self._open()


def _check_ours(folder: Path) -> None:
    """Refuse a folder that holds files neither tantivy nor we made and has never been our index."""
    if not folder.is_dir() or (folder / INDEX_MARKER).exists() or (folder / "meta.json").exists():
        return
    others = [f.name for f in folder.iterdir() if not _TANTIVY_FILE.match(f.name)]
    if others:
        raise LibraryError(
            f"The folder {folder} holds files that are not QwenRAG's ({', '.join(sorted(others)[:3])}); "
            "move them elsewhere: QwenRAG keeps its search index there."
        )


def _unknown(searcher: tantivy.Searcher, tokens: Iterable[str]) -> set[str]:
    return {t for t in tokens if may_be_misspelled(t) and not searcher.doc_freq("body", t)}


def _near_terms(searcher: tantivy.Searcher, token: str) -> list[str]:
    """Indexed words one edit (or one swap of neighbours) from `token`, most frequent first."""
    # The first two letters anchor the walk of the term dictionary (typos there are rare).
    near = [term for term, _count in searcher.terms_with_prefix("body", token[:2]) if one_edit(term, token)]
    return near[:_FUZZY_MAX_TERMS]
