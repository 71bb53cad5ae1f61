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
