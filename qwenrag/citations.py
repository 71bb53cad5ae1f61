"""Numbered passages and the [n] markers an answer cites them by.

The model is told to cite as [1], [2]. Small models also write 【1】, ［1］, [1,2], [1, 3-4], [1][2] or
[1、2]; all of them are read. Numbers that match no passage given to the model are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from indexing.records import Passage

__all__ = ["Citation", "Passage", "cited_numbers", "extract_citations", "find_markers", "normalize_markers"]


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    passage: Passage
    start: int  # character offsets of the first marker citing it, for highlighting
    end: int

    def to_json(self) -> dict[str, Any]:
        return self.passage.to_json()


_OPEN = re.escape("[【［〔")
_CLOSE = re.escape("]】］〕")
# A bracket holding numbers separated by commas (ASCII or CJK), 、 or spaces, with optional ranges 3-5.
_MARKER = re.compile(
    rf"[{_OPEN}]\s*(\d{{1,3}}(?:\s*[-–~]\s*\d{{1,3}})?(?:\s*[,，、;；]\s*\d{{1,3}}(?:\s*[-–~]\s*\d{{1,3}})?)*)\s*[{_CLOSE}]"
)
_MAX_RANGE = 20  # "[1-999]" is noise, not a citation of 999 passages


def _numbers(inner: str) -> list[int]:
    out: list[int] = []
    for part in re.split(r"[,，、;；]", inner):
        part = part.strip()
        m = re.fullmatch(r"(\d+)\s*[-–~]\s*(\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo <= hi and hi - lo <= _MAX_RANGE:
                out.extend(range(lo, hi + 1))
            continue
        if part.isdigit():
            out.append(int(part))
    return out


def find_markers(text: str) -> list[tuple[int, int, list[int]]]:
    """Every citation marker: (start, end, numbers)."""
    return [(m.start(), m.end(), _numbers(m.group(1))) for m in _MARKER.finditer(text)]


def cited_numbers(text: str) -> list[int]:
    """Numbers cited in `text`, in order of first appearance, without duplicates."""
    seen: dict[int, None] = {}
    for _s, _e, nums in find_markers(text):
        for n in nums:
            seen.setdefault(n, None)
    return list(seen)


def extract_citations(text: str, passages: Mapping[int, Passage] | Iterable[Passage]) -> list[Citation]:
    """Citations of `text` mapped to passages by number; numbers with no passage are dropped."""
    by_n = dict(passages) if isinstance(passages, Mapping) else {p.n: p for p in passages}
    out: dict[int, Citation] = {}
    for start, end, nums in find_markers(text):
        for n in nums:
            if n in by_n and n not in out:
                out[n] = Citation(n=n, passage=by_n[n], start=start, end=end)
    return list(out.values())


def normalize_markers(text: str, valid: Iterable[int]) -> str:
    """Rewrite markers as [1][2] and remove numbers that match no passage (for display and saving)."""
    ok = set(valid)

    def repl(m: re.Match[str]) -> str:
        nums = [n for n in dict.fromkeys(_numbers(m.group(1))) if n in ok]
        return "".join(f"[{n}]" for n in nums)

    return _MARKER.sub(repl, text)
