"""Recognised text lines of an OCRed page, with their boxes, so a citation can highlight them on the image.

Boxes are fractions of the page (or image) width and height, origin top left: the same numbers place a line
on the PDF page in points, on the image in pixels, at any zoom. They are kept beside the chunks
(indexing/store.py, one row per OCRed page) rather than in the chunk's Location: the --json `location`
contract stays {"page": n}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from indexing.normalize import normalize_text


@dataclass(frozen=True, slots=True)
class PageLine:
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the page's width and height
    score: float = 1.0  # the recogniser's confidence, 0..1


def page_text(lines: list[PageLine]) -> str:
    """The page's text as indexed: one recognised line per text line, in reading order."""
    return "\n".join(normalize_text(line.text) for line in lines if line.text.strip())


def dumps(lines: list[PageLine]) -> str:
    return json.dumps([[ln.text, *(round(v, 5) for v in ln.box), round(ln.score, 3)] for ln in lines],
                      ensure_ascii=False)


def loads(data: str) -> list[PageLine]:
    return [PageLine(row[0], (row[1], row[2], row[3], row[4]), row[5]) for row in json.loads(data)]


def lines_in_span(lines: list[PageLine], start: int, end: int) -> list[PageLine]:
    """The lines that [start, end) of `page_text(lines)` covers (indexes into that text)."""
    out: list[PageLine] = []
    at = 0
    for line in lines:
        text = normalize_text(line.text) if line.text.strip() else ""
        if not text:
            continue
        if at < end and start < at + len(text):
            out.append(line)
        at += len(text) + 1  # the "\n" that joins lines
    return out
