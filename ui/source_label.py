"""Words and links shared by the chat and the source view: where a passage is, and [n] as a link.

Location.describe() in the core is English ("p. 3"); here the same description goes through Qt's
translation system (context "SourceLabels") so a Chinese interface says "第 3 页".
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from indexing.locations import Location
from qwenrag import citations

CITE_SCHEME = "cite"
SOURCE_SCHEME = "source"

_FENCE_RE = re.compile(r"(```.*?(?:```|\Z)|`[^`\n]*`)", re.S)


def describe_location(loc: Location) -> str:
    """'p. 3', 'Sheet1, rows 4-6', 'Leave > Sick leave, ¶7', 'lines 10-24' in the interface language."""
    # Literal QCoreApplication.translate calls, so that lupdate finds them (context "SourceLabels").
    parts: list[str] = []
    if loc.page is not None:
        if loc.page_label and loc.page_label != str(loc.page):
            text = QCoreApplication.translate("SourceLabels", "p. %1 (%2)")
            parts.append(text.replace("%1", str(loc.page)).replace("%2", loc.page_label))
        else:
            parts.append(QCoreApplication.translate("SourceLabels", "p. %1").replace("%1", str(loc.page)))
    if loc.sheet is not None:
        parts.append(loc.sheet)
    if loc.slide is not None:
        parts.append(QCoreApplication.translate("SourceLabels", "slide %1").replace("%1", str(loc.slide)))
        if loc.title:
            parts.append(loc.title)
    if loc.heading:
        parts.append(loc.heading)
    if loc.table is not None:
        parts.append(QCoreApplication.translate("SourceLabels", "table %1").replace("%1", str(loc.table)))
    if loc.paragraph is not None:
        parts.append(QCoreApplication.translate("SourceLabels", "¶%1").replace("%1", str(loc.paragraph)))
    if loc.rows is not None:
        parts.append(_span(QCoreApplication.translate("SourceLabels", "row %1"),
                           QCoreApplication.translate("SourceLabels", "rows %1–%2"), loc.rows))
    if loc.lines is not None:
        parts.append(_span(QCoreApplication.translate("SourceLabels", "line %1"),
                           QCoreApplication.translate("SourceLabels", "lines %1–%2"), loc.lines))
    return QCoreApplication.translate("SourceLabels", ", ").join(parts)


def _span(one: str, many: str, span: tuple[int, int]) -> str:
    if span[0] == span[1]:
        return one.replace("%1", str(span[0]))
    return many.replace("%1", str(span[0])).replace("%2", str(span[1]))


def file_name(path: str) -> str:
    return Path(path).name if path else ""


def cited_numbers(answer: str, valid: Collection[int] | None = None) -> list[int]:
    """The source numbers an answer cites, in order of first appearance, among `valid` when given (the
    pipeline numbers passages across a conversation, so [6] may be the first source of a later answer).
    Code spans and Markdown links "[1](…)" are not citations."""
    seen: dict[int, None] = {}
    for prose in _FENCE_RE.split(answer)[::2]:
        for _s, end, nums in citations.find_markers(prose):
            if prose[end : end + 1] == "(":
                continue
            for n in nums:
                if n >= 1 and (valid is None or n in valid):
                    seen.setdefault(n, None)
    return list(seen)


def link_citations(markdown: str, valid: Collection[int]) -> str:
    """Rewrite [n] (and 【n】, [1, 2], [1-3]) to Markdown links to cite:n when every number is a source of
    this answer; code is left alone."""
    if not valid:
        return markdown

    def rewrite(prose: str) -> str:
        out: list[str] = []
        last = 0
        for start, end, nums in citations.find_markers(prose):
            if prose[end : end + 1] == "(" or not nums or any(n not in valid for n in nums):
                continue
            out.append(prose[last:start])
            out.append("".join(f"[\\[{n}\\]]({CITE_SCHEME}:{n})" for n in dict.fromkeys(nums)))
            last = end
        out.append(prose[last:])
        return "".join(out)

    pieces = _FENCE_RE.split(markdown)
    # split() with one group: even indexes are prose, odd ones the code spans kept verbatim
    return "".join(p if i % 2 else rewrite(p) for i, p in enumerate(pieces))
