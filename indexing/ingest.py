"""Turning one file into chunks ready for the store and the search index (runs in parsing workers)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from indexing.blocks import DocumentInfo
from indexing.chunks import Chunk
from indexing.errors import FileProblem, ProblemKind, unexpected_problem
from indexing.limits import DEFAULT_LIMITS, Limits

ProgressFn = Callable[[int, int], None]


@dataclass(slots=True)
class ParsedFile:
    """Everything the library needs to write one file: picklable, sent back from a worker process."""

    path: str
    size: int
    mtime: float
    content_hash: str
    info: DocumentInfo | None = None
    chunks: list[Chunk] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)  # analyzed text per chunk: tokens joined by spaces
    problem: tuple[str, str, str] | None = None  # (ProblemKind value, message, detail)
    seconds: float = 0.0


def file_hash(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def index_body(title: str, heading: str | None, text: str) -> str:
    """What BM25 sees for a chunk: the document title and heading path, since questions name them."""
    from indexing.analysis import tokenize

    return " ".join(tokenize(f"{title}\n{heading}\n{text}" if heading else f"{title}\n{text}"))


def parse_file(path: str, limits: Limits = DEFAULT_LIMITS, progress: ProgressFn | None = None,
               password: str | None = None) -> ParsedFile:
    """Parse, chunk and analyze one file. Never raises for a bad file: the problem is in the result.

    `password` opens a password-protected file for this parse only (never part of the result).
    """
    from indexing.chunking import chunk_blocks
    from indexing.parsers import open_document

    started = time.perf_counter()
    p = Path(path)
    try:
        st = p.stat()
    except OSError as exc:
        return _failed(path, 0, 0.0, "", FileProblem(ProblemKind.UNREADABLE, f"{type(exc).__name__}: {exc}"))
    result = ParsedFile(path=path, size=st.st_size, mtime=st.st_mtime, content_hash="")
    try:
        if st.st_size > limits.max_file_bytes:
            raise FileProblem(ProblemKind.TOO_LARGE, f"{st.st_size} bytes > limit {limits.max_file_bytes}")
        try:
            result.content_hash = file_hash(p)
        except OSError as exc:
            raise FileProblem(ProblemKind.UNREADABLE, f"{type(exc).__name__}: {exc}") from exc
        doc = open_document(p, limits, password=password)
        blocks = _with_progress(doc.blocks, doc.info, progress)
        chunks = list(chunk_blocks(blocks))
        info = doc.info
        if not chunks:
            raise FileProblem(ProblemKind.NO_TEXT if info.kind == "pdf" else ProblemKind.EMPTY, "no text found")
        result.info = info
        result.chunks = chunks
        result.bodies = [index_body(info.title, c.heading, c.text) for c in chunks]
    except FileProblem as problem:
        result.problem = (problem.kind.value, problem.message, problem.detail)
    except MemoryError as exc:
        result.problem = _problem_tuple(FileProblem(ProblemKind.TOO_LARGE, f"MemoryError: {exc}"))
    except Exception as exc:  # a bug (chunking, analysis) must not stop the batch: this file's problem
        result.problem = _problem_tuple(unexpected_problem(exc) or FileProblem(
            ProblemKind.CORRUPT, f"{type(exc).__name__}: {exc}"))
    result.seconds = time.perf_counter() - started
    return result


def _with_progress(blocks, info: DocumentInfo, progress: ProgressFn | None):  # type: ignore[no-untyped-def]
    if progress is None:
        yield from blocks
        return
    last = time.monotonic()
    for n, block in enumerate(blocks, 1):
        yield block
        now = time.monotonic()
        if now - last >= 0.25:
            last = now
            done = block.location.page or n
            progress(done, info.pages or 0)


def _problem_tuple(problem: FileProblem) -> tuple[str, str, str]:
    return (problem.kind.value, problem.message, problem.detail)


def _failed(path: str, size: int, mtime: float, content_hash: str, problem: FileProblem) -> ParsedFile:
    return ParsedFile(path, size, mtime, content_hash, problem=_problem_tuple(problem))


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))
