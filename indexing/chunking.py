"""Blocks -> passages of bounded size that never straddle a page, a heading section, a table or a sheet.

Size: the answering model (Qwen2.5 0.5B-1.5B on a CPU, 4k-8k context) reads the question and 4-6
passages. At most 320 estimated tokens a passage (the estimate runs ~5-15% above Qwen's real count for
Chinese): 6 passages with their citation labels take about 2,100 tokens, which leaves room in a 4k context
for the instructions (~400) and an answer of 512+ tokens, and keeps prompt processing on a CPU to seconds.
320 tokens are ~375 Chinese characters or ~250 English words: a paragraph or two, so a citation points
somewhere precise. Measured (tests/bench/bench_tokenizers.py --chunks, QA passages cut at each size,
tantivy): the answer is in one of the top 5 chunks for 98.4/99.3/98.9% of the questions (CMRC/DRCD/XQuAD)
at 320, 98.5/99.5/98.9% at 400, 97.7/99.0/98.7% at 240: larger chunks buy little at the top 5 and
cost prompt time on every question.

Order of splitting: structure first (blocks merge only when their `group` is equal), then an oversized
block at blank lines, sentence ends (。！？；… and . ! ? ; before a space), line breaks, commas, spaces, and
only as a last resort between two characters.
"""

from __future__ import annotations

import itertools
import math
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter

from indexing.blocks import Block
from indexing.chunks import Chunk
from indexing.locations import Location

DEFAULT_MAX_TOKENS = 320
DEFAULT_MIN_TOKENS = 64

# Qwen2.5's byte-level BPE, fitted on its vocabulary (151,643 merges, the same as Qwen 1's qwen.tiktoken)
# over the QA passages and table rows: a Chinese character costs 0.73 tokens in Simplified text and 0.83 in
# Traditional; each digit is a token; an English word is about one token (so: per space, plus a little per
# letter); an ASCII punctuation mark is nearly one. The estimate is within -18%/+30% of the real count for
# 98% of texts, median +4%.
_WIDE = 0.85  # per character of 3 UTF-8 bytes (CJK characters and punctuation)
_PUNCT = 0.85
_SPACE = 0.8
_OTHER = 0.08  # letters and the rest
_DIGIT_BYTES = b"0123456789"
_PUNCT_BYTES = string.punctuation.encode("ascii")

# Where an oversized text may be cut, strongest boundary first; a cut goes right after the match.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n\s*"),  # blank line: paragraph break
    re.compile(r"[。！？；…]+[”’」』）)\]\"']*\s*|[.!?;]+[”’」』）)\]\"']*\s+"),  # sentence end
    re.compile(r"\n\s*"),  # line break
    re.compile(r"[，、,：:]\s*"),  # clause
    re.compile(r"\s+"),  # between words
)


def approx_tokens(text: str) -> int:
    """Model tokens of `text`, roughly (Qwen2.5's byte-level BPE); fast enough to call per table row."""
    return math.ceil(_estimate(text))


def _estimate(text: str) -> float:
    # Counting on the UTF-8 bytes: bytes.translate(None, delete) runs at memory speed.
    data = text.encode("utf-8")
    chars = len(text)
    wide = (len(data) - chars) / 2  # CJK characters take 3 bytes, ASCII 1
    no_digits = data.translate(None, _DIGIT_BYTES)
    digits = len(data) - len(no_digits)
    punct = len(no_digits) - len(no_digits.translate(None, _PUNCT_BYTES))
    spaces = data.count(b" ") + data.count(b"\n")
    other = max(0.0, chars - wide - digits - punct - spaces)
    return wide * _WIDE + digits + punct * _PUNCT + spaces * _SPACE + other * _OTHER


@dataclass(slots=True)
class _Unit:
    """A block, or a piece of an oversized one, ready to pack."""

    text: str
    tokens: float
    location: Location
    heading: str | None
    is_heading: bool = False


def chunk_blocks(
    blocks: Iterable[Block], *, max_tokens: int = DEFAULT_MAX_TOKENS, min_tokens: int = DEFAULT_MIN_TOKENS
) -> Iterator[Chunk]:
    """Pack one document's blocks, in order, into chunks of at most `max_tokens` (estimated).

    Consecutive blocks of equal `group` merge up to the limit; a heading block goes with the text after
    it; a table's chunks each start with its header line; a group's last chunk smaller than `min_tokens`
    takes blocks from the one before it. Chunk ordinals count from 0 within the document.
    """
    ordinal = 0
    present = (block for block in blocks if block.text and not block.text.isspace())
    for _, run in itertools.groupby(present, key=attrgetter("group")):  # streams: a sheet is one group
        first = next(run)
        header = (first.header or "").strip() or None
        budget = _budget(header, max_tokens)
        units = (unit for block in itertools.chain((first,), run) for unit in _units(block, budget))
        for text, location, heading in _pack_group(units, header, budget, min_tokens):
            yield Chunk(text=text, location=location, heading=heading, ordinal=ordinal)
            ordinal += 1


def _budget(header: str | None, max_tokens: int) -> float:
    """Room for rows under a repeated table header (at least half a chunk, whatever the header)."""
    return max(max_tokens - (_estimate(header) + 1 if header else 0), max_tokens / 2)


def _units(block: Block, budget: float) -> Iterator[_Unit]:
    text = block.text.strip()
    tokens = _estimate(text)
    if tokens <= budget:
        yield _Unit(text, tokens, block.location, block.heading, block.is_heading)
        return
    for piece in split_text(text, budget):  # each piece keeps the whole block's location
        yield _Unit(piece, _estimate(piece), block.location, block.heading, block.is_heading)


def split_text(text: str, max_tokens: float) -> list[str]:
    """Cut `text` into stripped pieces of at most `max_tokens` each, at the strongest boundaries possible."""
    return [p.strip() for p in _split(text, max_tokens, 0) if p.strip()]


def _split(text: str, max_tokens: float, level: int) -> list[str]:
    tokens = _estimate(text)
    if tokens <= max_tokens:
        return [text]
    if level == len(_BOUNDARIES):
        return _hard_cut(text, tokens, max_tokens)
    parts = _cut_after(text, _BOUNDARIES[level])
    if len(parts) == 1:
        return _split(text, max_tokens, level + 1)
    pieces: list[str] = []
    for part in _balance(parts, tokens, max_tokens):
        pieces.extend(_split(part, max_tokens, level + 1))
    return pieces


def _cut_after(text: str, boundary: re.Pattern[str]) -> list[str]:
    cuts = [m.end() for m in boundary.finditer(text) if 0 < m.end() < len(text)]
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def _balance(parts: list[str], total: float, max_tokens: float) -> list[str]:
    """Join consecutive parts into pieces of about equal size (total / pieces needed), none above max."""
    target = total / math.ceil(total / max_tokens)
    out: list[str] = []
    current: list[str] = []
    size = 0.0
    for part in parts:
        part_tokens = _estimate(part)
        if current and (size + part_tokens > max_tokens or size >= target):
            out.append("".join(current))
            current, size = [], 0.0
        current.append(part)
        size += part_tokens
    if current:
        out.append("".join(current))
    return out


def _hard_cut(text: str, tokens: float, max_tokens: float) -> list[str]:
    """No boundary left (a long run of CJK characters or a very long word): cut between characters."""
    size = max(1, int(len(text) * max_tokens / tokens))
    size = math.ceil(len(text) / math.ceil(len(text) / size))  # even pieces, none longer than before
    return [text[i : i + size] for i in range(0, len(text), size)]


# ---------------------------------------------------------------- packing a group


def _pack_group(
    units: Iterable[_Unit], header: str | None, budget: float, min_tokens: int
) -> Iterator[tuple[str, Location, str | None]]:
    held: list[list[_Unit]] = []  # the last two chunks wait: a small tail may take from the one before
    for members in _greedy(units, budget):
        held.append(members)
        if len(held) > 2:
            yield _render(held.pop(0), header)
    if len(held) == 2:
        _rebalance_tail(held, budget, min_tokens)
    for members in held:
        yield _render(members, header)


def _render(members: list[_Unit], header: str | None) -> tuple[str, Location, str | None]:
    texts = [u.text for u in members]
    text = "\n".join([header, *texts] if header else texts)
    return text, _merge_locations([u.location for u in members]), members[0].heading


def _greedy(units: Iterable[_Unit], budget: float) -> Iterator[list[_Unit]]:
    """Fill chunks in order up to the budget; a heading at the end of a chunk moves to the next one."""
    current: list[_Unit] = []
    size = 0.0
    for unit in units:
        if current and size + unit.tokens + 1 > budget:
            carried: list[_Unit] = []
            while current and current[-1].is_heading:  # a heading introduces what follows it
                carried.insert(0, current.pop())
            if current:
                yield current
            current = carried
            size = sum(u.tokens + 1 for u in carried)
        current.append(unit)
        size += unit.tokens + 1  # + the line break that joins it
    if current:
        yield current


def _rebalance_tail(chunks: list[list[_Unit]], budget: float, min_tokens: int) -> None:
    """A small last chunk takes units from the end of the one before, while that evens them out."""
    previous, last = chunks[-2], chunks[-1]
    last_size = sum(u.tokens + 1 for u in last)
    prev_size = sum(u.tokens + 1 for u in previous)
    while last_size < min_tokens:
        start = len(previous) - 1
        while start > 0 and previous[start - 1].is_heading:  # a heading moves with what it introduces
            start -= 1
        moved = sum(u.tokens + 1 for u in previous[start:])
        if start == 0 or last_size + moved > budget or last_size + moved > prev_size - moved / 2:
            break
        last[:0] = previous[start:]
        del previous[start:]
        last_size += moved
        prev_size -= moved


def _merge_locations(locations: list[Location]) -> Location:
    """The first block's location with row and line ranges widened to cover all of them."""
    first = locations[0]
    if len(locations) == 1:
        return first
    rows = _union([loc.rows for loc in locations])
    lines = _union([loc.lines for loc in locations])
    paragraph = next((loc.paragraph for loc in locations if loc.paragraph is not None), None)
    if rows == first.rows and lines == first.lines and paragraph == first.paragraph:
        return first
    return Location(  # not dataclasses.replace: this runs once per chunk, and replace is slow
        page=first.page,
        page_label=first.page_label,
        sheet=first.sheet,
        rows=rows,
        heading=first.heading,
        paragraph=paragraph,
        table=first.table,
        lines=lines,
        slide=first.slide,
        title=first.title,
    )


def _union(spans: list[tuple[int, int] | None]) -> tuple[int, int] | None:
    present = [s for s in spans if s is not None]
    if not present:
        return None
    return min(s[0] for s in present), max(s[1] for s in present)
