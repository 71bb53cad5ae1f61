"""One entry point for every format: decide the kind, pick the parser, translate every failure.

Callers handle FileProblem and nothing else: whatever a third-party library raises, while opening or
while the blocks are being read, comes out of here as a FileProblem with the original as its cause.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.filetypes import detect_kind
from indexing.limits import DEFAULT_LIMITS, Limits

# kind -> module in this package with `parse(path, info, limits) -> Iterator[Block]`.
PARSER_MODULES: dict[str, str] = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "text": "text",
    "markdown": "text",
    "csv": "text",
    "image": "image",
}


@dataclass
class ParsedDocument:
    """`info` is filled in while `blocks` is consumed: read it after the last block."""

    info: DocumentInfo
    blocks: Iterator[Block]


def open_document(path: Path, limits: Limits = DEFAULT_LIMITS) -> ParsedDocument:
    """Detect the kind and start the parser. Raises only FileProblem, here or while iterating blocks.

    A document that yields no block with text ends in FileProblem(EMPTY) (PDFs say NO_TEXT themselves).
    """
    path = Path(path)
    try:
        kind = detect_kind(path, limits)
        info = DocumentInfo(kind=kind, title=path.stem)
        module = _parser_module(kind)
        blocks = module.parse(path, info, limits)
    except FileProblem:
        raise
    except Exception as exc:  # any library failure is a problem with this file, never a crash
        raise translate_exception(exc) from exc
    return ParsedDocument(info=info, blocks=_guarded(blocks))


def _parser_module(kind: str) -> ModuleType:
    # Imported on first use: a parser whose library is missing must not stop the other formats.
    name = PARSER_MODULES[kind]
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ImportError as exc:
        raise FileProblem(ProblemKind.UNSUPPORTED, detail=f"no parser for {kind}: {exc}") from exc


def translate_exception(exc: BaseException) -> FileProblem:
    """The FileProblem for an exception a parser let escape."""
    if isinstance(exc, FileProblem):
        return exc
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, MemoryError):
        return FileProblem(ProblemKind.TOO_LARGE, detail=f"ran out of memory ({detail})")
    if isinstance(exc, OSError) and not _is_format_error(exc):
        return FileProblem(ProblemKind.UNREADABLE, detail=detail)
    return FileProblem(ProblemKind.CORRUPT, detail=detail)


def _is_format_error(exc: OSError) -> bool:
    # zipfile.BadZipFile and friends are not OSErrors, but some readers raise OSError subclasses
    # (e.g. "Not a gzipped file") for bad content; an errno means the operating system failed.
    return exc.errno is None


def _guarded(blocks: Iterator[Block]) -> Iterator[Block]:
    """Pass blocks through; turn any escaping exception into a FileProblem; EMPTY if nothing came."""
    yielded = 0
    try:
        for block in blocks:
            if not block.text.strip():
                continue
            yielded += 1
            yield block
    except FileProblem:
        raise
    except Exception as exc:  # includes MemoryError and RecursionError from deep or huge documents
        raise translate_exception(exc) from exc
    finally:
        # Closing the parser's generator runs its cleanup now (open file handles), not at collection.
        close = getattr(blocks, "close", None)
        if close is not None:
            close()
    if yielded == 0:
        raise FileProblem(ProblemKind.EMPTY, detail="no text in the document")


# --- titles -----------------------------------------------------------------------------------------

_JUNK_TITLE = re.compile(
    r"^(untitled|unknown|none|null|title|document\s*\d*|doc\d*|slide\s*\d*|powerpoint presentation|"
    r"microsoft (word|powerpoint|excel)\b.*|.*\.(docx?|pdf|pptx?|xlsx?|indd|tex|dvi|rtf|txt|qxd|p65))$",
    re.IGNORECASE,
)
_GENERIC_STEM = re.compile(
    r"^(img|image|scan|scanned|doc|document|download|file|untitled|new|copy|print|output|tmp|temp)"
    r"[\s_\-.]*\d*$",
    re.IGNORECASE,
)
_HEXISH = re.compile(r"^[0-9a-f_\-]{12,}$", re.IGNORECASE)


def better_title(stem: str, metadata_title: str) -> str:
    """The file name stem, unless it says nothing ("scan0001", "2206.01062_pg3") and the document's
    own title does. People search by the name they gave the file, so the stem wins whenever it is a name.
    """
    meta = " ".join(metadata_title.split())
    if not _meaningful(meta) or meta == stem:
        return stem
    return meta if _uninformative(stem) else stem


def _meaningful(title: str) -> bool:
    return 3 <= len(title) <= 200 and not _JUNK_TITLE.match(title) and sum(c.isalpha() for c in title) >= 2


def _uninformative(stem: str) -> bool:
    core = re.sub(r"\s*\(\d+\)$", "", stem.strip())  # "report (1)" from a second download
    if _GENERIC_STEM.match(core) or _HEXISH.match(core):
        return True
    # A CJK character carries about a word; Latin letters need several.
    weight = sum(3 if ord(c) > 0x2E80 else 1 for c in core if c.isalpha())
    return weight < 4
