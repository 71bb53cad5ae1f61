"""Finding a cited passage again in the document as displayed. Plain Python, no Qt.

The indexer normalised the chunk text (NFKC folds, spaces collapsed, control characters dropped) and the PDF
viewer's text layer keeps line breaks, soft hyphens and full-width forms, so an exact search often fails.
Both sides are compared without whitespace, NFKC-folded and case-folded, with a map back to the page text.
"""

from __future__ import annotations

import unicodedata

ANCHOR = 16  # characters: long enough to be distinctive, short enough to dodge a stray difference
MAX_TRIES = 400  # anchor positions tried from each end before giving up


def _fold(text: str) -> tuple[str, list[int]]:
    """text without whitespace and control characters, NFKC- and case-folded; and for each folded character
    the index of the original character it came from."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace() or unicodedata.category(ch)[0] == "C" or ch == "\u00ad":
            continue
        folded = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        for c in folded.casefold():
            if not c.isspace():
                chars.append(c)
                where.append(i)
    return "".join(chars), where


def find_passage(page_text: str, passage: str) -> tuple[int, int] | None:
    """(start, end) of `passage` in `page_text` (indexes into page_text, end exclusive), or None.

    When the passage is not there verbatim, the first and the last distinctive pieces that are found bound
    the span, so a difference in the middle (a ligature, a dropped footnote mark) costs nothing.
    """
    page, where = _fold(page_text)
    wanted, _ = _fold(passage)
    if not page or not wanted:
        return None
    at = page.find(wanted)
    if at >= 0:
        return where[at], where[at + len(wanted) - 1] + 1
    width = min(ANCHOR, len(wanted))
    last = len(wanted) - width
    start = end = -1
    for off in range(min(last, MAX_TRIES) + 1):
        start = page.find(wanted[off : off + width])
        if start >= 0:
            break
    if start < 0:
        return None
    for off in range(last, max(-1, last - MAX_TRIES), -1):
        hit = page.find(wanted[off : off + width], start)
        if hit >= 0:
            end = hit + width
            break
    if end <= start:
        end = start + width
    return where[start], where[end - 1] + 1


def parse_record(line: str) -> list[tuple[str, str]] | None:
    """'Header: value | Header: value' -> [(header, value), …]; None when the line is not a record.

    A cell whose column has no header name comes as a bare value and gets the header "".
    """
    cells: list[tuple[str, str]] = []
    named = 0
    for part in line.split(" | "):
        head, sep, value = part.partition(": ")
        if not sep:
            head, sep, value = part.partition("：")  # a Chinese colon after a Chinese header
        if sep and head.strip() and len(head) <= 80:
            cells.append((head.strip(), value.strip()))
            named += 1
        else:
            cells.append(("", part.strip()))
    return cells if named else None


def parse_table_chunk(text: str, sheet: str | None = None
                      ) -> tuple[list[str], list[tuple[list[tuple[str, str]] | None, str]]] | None:
    """A table or sheet chunk: its header line (when it starts with one) and, per following line, the row as
    a record (None for a line that is not one, such as a sheet's title) with the line itself.

    The indexer writes a Word table chunk as a "A | B | C" header line and one "A: 1 | B: 2" line per row; a
    sheet chunk prefixes each line with "Sheet name | ". None when most lines are not records (then the
    chunk is prose and is shown as text).
    """
    prefix = f"{sheet} | " if sheet else ""
    lines = [ln[len(prefix):] if prefix and ln.startswith(prefix) else ln for ln in text.splitlines() if ln.strip()]
    header: list[str] = []
    if lines and parse_record(lines[0]) is None and " | " in lines[0]:
        header = [h.strip() for h in lines[0].split(" | ")]
        lines = lines[1:]
    entries = [(parse_record(ln), ln) for ln in lines]
    records = sum(1 for r, _ in entries if r)
    if not records or records < (len(lines) + 1) // 2:
        return None
    return header, entries
