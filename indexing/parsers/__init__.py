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
from indexing.errors import FileProblem, ProblemKind, unexpected_problem
from indexing.filetypes import detect_kind
from indexing.limits import DEFAULT_LIMITS, Limits

# kind -> module in this package with `parse(path, info, limits) -> Iterator[Block]`.
PARSER_MODULES: dict[str, str] = {
    "pdf": "pdf",
    "docx": "docx",
    "xlsx": "xlsx",
    "pptx": "pptx",
    "doc": "legacy_doc",
    "xls": "legacy_xls",
    "ppt": "legacy_ppt",
    "rtf": "markup",
    "wordml": "markup",
    "html": "markup",
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


# Kinds stored in an OLE2 container that Office can encrypt with a password (msoffcrypto decrypts them).
_OLE2_KINDS = frozenset({"doc", "xls", "ppt"})


def open_document(path: Path, limits: Limits = DEFAULT_LIMITS, password: str | None = None) -> ParsedDocument:
    """Detect the kind and start the parser. Raises only FileProblem, here or while iterating blocks.

    A document that yields no block with text ends in FileProblem(EMPTY) (PDFs say NO_TEXT themselves).
    `password` opens a password-protected Office file or PDF for this one parse; it is kept nowhere.
    """
    path = Path(path)
    try:
        try:
            kind = detect_kind(path, limits)
            if kind in _OLE2_KINDS:
                _check_legacy_encryption(path)
        except FileProblem as problem:
            if problem.kind is ProblemKind.ENCRYPTED and "rights-management" not in problem.detail:
                return _open_decrypted(path, limits, password, problem)
            raise
        info = DocumentInfo(kind=kind, title=path.stem)
        module = _parser_module(kind)
        blocks = module.parse(path, info, limits, password=password) if kind == "pdf" else module.parse(
            path, info, limits)
    except FileProblem:
        raise
    except Exception as exc:  # any library failure is a problem with this file, never a crash
        raise translate_exception(exc) from exc
    return ParsedDocument(info=info, blocks=_guarded(blocks))


def _check_legacy_encryption(path: Path) -> None:
    from indexing.parsers.encryption import is_encrypted

    if is_encrypted(path):
        raise FileProblem(ProblemKind.ENCRYPTED, detail=f"{path.suffix.lower()} file encrypted with a password")


def _open_decrypted(path: Path, limits: Limits, password: str | None, problem: FileProblem) -> ParsedDocument:
    """Decrypt to a private temporary copy and parse that; without a password, the problem stands.

    Excel's built-in password (a workbook that is only write-protected) is always tried: Excel opens
    those without asking.
    """
    from indexing.parsers.encryption import EXCEL_DEFAULT_PASSWORD, decrypt_to_temp, remove_temp

    tries = [password] if password else []
    if path.suffix.lower() in (".xls", ".xlt", ".et", ".ett", ".xlsx", ".xlsm"):
        tries.append(EXCEL_DEFAULT_PASSWORD)
    last = problem
    for attempt in tries:
        try:
            plain = decrypt_to_temp(path, attempt)
        except FileProblem as failed:
            last = failed if attempt == password else last
            continue
        try:
            doc = open_document(plain, limits)
        except BaseException:
            remove_temp(plain)
            raise
        doc.info.title = path.stem if doc.info.title == plain.stem else doc.info.title
        return ParsedDocument(info=doc.info, blocks=_removing(doc.blocks, plain))
    raise last


def _removing(blocks: Iterator[Block], temp: Path) -> Iterator[Block]:
    """Pass blocks through; the decrypted copy is deleted as soon as the parse ends, however it ends."""
    from indexing.parsers.encryption import remove_temp

    try:
        yield from blocks
    finally:
        close = getattr(blocks, "close", None)
        if close is not None:
            close()
        remove_temp(temp)


def _parser_module(kind: str) -> ModuleType:
    # Imported on first use: a parser whose library is missing must not stop the other formats.
    name = PARSER_MODULES[kind]
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ImportError as exc:  # a library the parser needs is missing: name it
        raise (unexpected_problem(exc) or FileProblem(ProblemKind.UNSUPPORTED, detail=str(exc))) from exc


def translate_exception(exc: BaseException) -> FileProblem:
    """The FileProblem for an exception a parser let escape."""
    if isinstance(exc, FileProblem):
        return exc
    own = unexpected_problem(exc)  # a missing module or our own bug: not "the file is damaged"
    if own is not None:
        return own
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
