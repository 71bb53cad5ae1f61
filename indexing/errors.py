"""One exception tree for everything that can go wrong with a document.

Third-party exceptions (pypdfium2, python-docx, openpyxl, zipfile, lxml, ...) are translated at the
parser boundary with `raise FileProblem(...) from exc`, so callers only ever handle these.
"""

from __future__ import annotations

from enum import Enum


class ProblemKind(str, Enum):
    ENCRYPTED = "encrypted"  # needs a password
    NO_TEXT = "no_text"  # no text layer: probably scanned, OCR not supported
    EMPTY = "empty"  # empty file or no content
    CORRUPT = "corrupt"  # corrupt or truncated
    WRONG_TYPE = "wrong_type"  # not really the type its name says
    LEGACY = "legacy"  # .doc/.xls/.ppt: save as .docx/.xlsx
    UNSUPPORTED = "unsupported"  # a type we do not read
    TOO_LARGE = "too_large"  # over the size limit
    BOMB = "bomb"  # decompression bomb, entity expansion, XXE, zip-slip
    TIMEOUT = "timeout"  # took longer than the parse time limit
    UNREADABLE = "unreadable"  # permission denied, vanished, I/O error
    MISSING_LIBRARY = "missing_library"  # a Python module the parser needs is not installed
    INTERNAL = "internal"  # a bug in QwenRAG's own code (AttributeError, TypeError... raised there)


class QwenragError(Exception):
    """Base of every error this project raises on purpose."""


class FileProblem(QwenragError):
    """A document could not be read. `message` is for a person; `detail` is the technical cause."""

    def __init__(self, kind: ProblemKind, detail: str = "", *, message: str | None = None) -> None:
        from indexing.messages import problem_message

        self.kind = kind
        self.detail = detail
        self.message = message or problem_message(kind)
        super().__init__(f"{self.message} ({detail})" if detail else self.message)


class LibraryError(QwenragError):
    """The library itself (its folder or database) cannot be used."""


# Exception types that, raised in QwenRAG's own code, mean a bug there rather than a bad file. A damaged file
# must surface as a FileProblem the parser raised on purpose; these escaping from our code are our mistake.
_BUG_TYPES = (AttributeError, TypeError, NameError, KeyError, IndexError, AssertionError, ZeroDivisionError,
              RecursionError)
_OWN_PACKAGES = ("indexing", "qwenrag", "ui")


def unexpected_problem(exc: BaseException) -> FileProblem | None:
    """The FileProblem for an exception nobody translated, when it is not the file's fault: a missing
    module (named, so a person knows what to reinstall) or a bug raised in our own code (INTERNAL, with the
    place in the detail). None: let the caller treat it as a damaged file (library code choked on it)."""
    if isinstance(exc, ImportError):
        from indexing.messages import problem_message

        module = exc.name or str(exc)
        return FileProblem(ProblemKind.MISSING_LIBRARY, f"{type(exc).__name__}: {exc}",
                           message=problem_message(ProblemKind.MISSING_LIBRARY, module=module))
    if isinstance(exc, _BUG_TYPES):
        where = _raised_in_own_code(exc)
        if where:
            return FileProblem(ProblemKind.INTERNAL, f"{type(exc).__name__}: {exc} (at {where})"[:800])
    return None


def _raised_in_own_code(exc: BaseException) -> str:
    """'indexing/parsers/docx.py:120' when the innermost Python frame is in one of our packages, else ''."""
    import os

    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # beside indexing/: qwenrag/, ui/
    path = os.path.abspath(tb.tb_frame.f_code.co_filename)
    rel = os.path.relpath(path, root) if os.path.splitdrive(path)[0] == os.path.splitdrive(root)[0] else ""
    if rel.split(os.sep)[0] in _OWN_PACKAGES:
        return f"{rel.replace(os.sep, '/')}:{tb.tb_lineno}"
    return ""
