"""Plain text, Markdown and CSV/TSV: decoded with a detected encoding, read as a stream.

Encoding, in this order (tests/bench/bench_text_encodings.py measures it):
1. a byte-order mark (UTF-8, UTF-16, UTF-32) decides;
2. NUL bytes: UTF-16 without a BOM if they sit on one side of the byte pairs, else binary (step 5);
   valid UTF-8 is UTF-8 (plain ASCII included): other encodings are almost never valid UTF-8 by chance;
3. GB18030 (GBK) or Big5 (cp950), the encodings Chinese Windows saves text in: whichever decodes
   strictly and gives the larger share of *common* characters (GB2312 level 1 / Big5 level 1). Both
   codecs accept most byte pairs, so "decodes" alone cannot choose; a wrong choice yields rare characters.
   charset-normalizer alone picks Big5 or cp949 for short GBK texts ("年假", a two-column CSV);
4. otherwise charset-normalizer's guess (Latin-1 family, Shift_JIS, ...);
5. nothing fits: not a text file (WRONG_TYPE).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text

_SAMPLE = 64 * 1024
_MAX_BLOCK_CHARS = 2000  # a paragraph longer than this is cut into several blocks
_MAX_BLOCK_LINES = 60  # a log file without blank lines must not become one block
_CSV_FIELD_LIMIT = 16 * 1024 * 1024


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    kind = info.kind or "text"
    info.kind = kind
    encoding = detect_encoding(path)
    info.encoding = encoding
    with _open_text(path, encoding, newline="" if kind == "csv" else None) as stream:
        if kind == "csv":
            yield from _csv_blocks(stream, path)
        elif kind == "markdown":
            yield from _markdown_blocks(stream)
        else:
            yield from _text_blocks(stream)


def _open_text(path: Path, encoding: str, newline: str | None) -> io.TextIOWrapper:
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, detail=f"{type(exc).__name__}: {exc}") from exc
    # errors="replace": one bad byte deep in a large file should cost one character, not the file.
    return io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=newline)


# --- encoding -----------------------------------------------------------------------------------------

_BOMS: list[tuple[bytes, str]] = [
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
_WESTERN = "cp1252"
_MIN_COMMON_SHARE = 0.5  # below this share of common characters a CJK decoding is judged accidental


def detect_encoding(path: Path) -> str:
    """The codec name to read `path` with. Raises WRONG_TYPE for bytes that are no text at all."""
    return detect_bytes_encoding(_sample(path))


def detect_bytes_encoding(sample: bytes) -> str:
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name
    if b"\x00" in sample:
        # Text never holds NUL; UTF-16 without a BOM does (in every ASCII character), binary data too.
        return _utf16_without_bom(sample) or _library_guess(sample)
    if _is_utf8(sample):
        return "utf-8"
    return _chinese_encoding(sample) or _library_guess(sample)


def _sample(path: Path) -> bytes:
    """The start of the file; for a larger file whose start is plain ASCII, also its middle and end,
    so that a log with English headers and Chinese lines further down is not taken for ASCII."""
    try:
        with path.open("rb") as fh:
            head = fh.read(_SAMPLE)
            if not head.isascii() or len(head) < _SAMPLE:
                return head
            size = fh.seek(0, io.SEEK_END)
            parts = [head]
            for offset in (size // 2, max(size - _SAMPLE, _SAMPLE)):
                fh.seek(offset)
                part = fh.read(_SAMPLE)
                # Start after the first line break so a multi-byte character is not cut in half.
                cut = part.find(b"\n")
                parts.append(part[cut + 1 :] if cut >= 0 else part)
            return b"\n".join(parts)
    except OSError as exc:
        raise FileProblem(ProblemKind.UNREADABLE, detail=f"{type(exc).__name__}: {exc}") from exc


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 LE or BE when NULs sit mostly on one side of the byte pairs and the bytes decode."""
    pairs = len(sample) // 2
    if pairs == 0:
        return None
    odd = sample[1::2].count(0) / pairs  # the high byte of ASCII in little-endian
    even = sample[0::2].count(0) / pairs
    name = "utf-16-le" if odd > 0.3 > even * 3 else "utf-16-be" if even > 0.3 > odd * 3 else None
    if name is None:
        return None
    try:
        codecs.getincrementaldecoder(name)("strict").decode(sample[: pairs * 2], final=False)
    except UnicodeDecodeError:
        return None
    return name


def _is_utf8(sample: bytes) -> bool:
    # final=False: the sample may end inside a character; that is not an error.
    try:
        codecs.getincrementaldecoder("utf-8")("strict").decode(sample, final=len(sample) < _SAMPLE)
    except UnicodeDecodeError:
        return False
    return True


def _chinese_encoding(sample: bytes) -> str | None:
    best, best_share = None, 0.0
    for name, share_of_common in (("gb18030", _gb_common_share), ("cp950", _big5_common_share)):
        try:
            text = codecs.getincrementaldecoder(name)("strict").decode(sample, final=len(sample) < _SAMPLE)
        except UnicodeDecodeError:
            continue
        share = share_of_common(text)
        if share > best_share:  # ties (no signal at all) keep GB18030, the mainland default
            best, best_share = name, share
    return best if best_share >= _MIN_COMMON_SHARE else None


def _non_ascii(text: str) -> list[str]:
    # Punctuation and spaces say nothing about the script: a short title full of "（：；）" must not
    # dilute the share. A wrong decoding turns punctuation bytes into letters or symbols, which count.
    return [ch for ch in text if ord(ch) > 0x7F and unicodedata.category(ch)[0] not in "PZ"]


def _gb_common_share(text: str) -> float:
    """Share of non-ASCII characters among the 3,755 common hanzi of GB2312 level 1 (rows 0xB0-0xD7)."""
    chars = _non_ascii(text)
    if not chars:
        return 0.0
    common = 0
    for ch in chars:
        with contextlib.suppress(UnicodeEncodeError):
            common += 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
    return common / len(chars)


def _big5_common_share(text: str) -> float:
    """Share of non-ASCII characters among the 5,401 common hanzi of Big5 level 1 (0xA440-0xC67E)."""
    chars = _non_ascii(text)
    if not chars:
        return 0.0
    common = 0
    for ch in chars:
        try:
            code = ch.encode("big5")
        except UnicodeEncodeError:
            continue
        common += len(code) == 2 and 0xA440 <= int.from_bytes(code, "big") <= 0xC67E
    return common / len(chars)


def _library_guess(sample: bytes) -> str:
    from charset_normalizer import from_bytes

    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        raise FileProblem(ProblemKind.WRONG_TYPE, detail="named as text but the bytes are not text")
    # Single-byte code pages often tie on short texts (cp1250, cp1252, cp1257 all score the same on
    # French). Windows' Western default is by far the most common of them: take it on a tie.
    tied = {m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)}
    if _WESTERN in tied or _WESTERN in best.could_be_from_charset:
        return _WESTERN
    return best.encoding


# --- plain text -----------------------------------------------------------------------------------------


def _text_blocks(stream: Iterable[str]) -> Iterator[Block]:
    group = ("file",)
    for first, last, text in _paragraphs(_numbered(stream)):
        yield Block(text, Location(lines=(first, last)), group=group)


def _numbered(stream: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        yield number, line.rstrip("\r\n")


def _paragraphs(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, text) of each blank-line separated paragraph, cut when too long."""
    buffer: list[tuple[int, str]] = []
    size = 0
    for number, line in lines:
        if not line.strip():
            yield from _flush(buffer)
            buffer, size = [], 0
            continue
        for piece in _split_long_line(line):
            if buffer and (size + len(piece) > _MAX_BLOCK_CHARS or len(buffer) >= _MAX_BLOCK_LINES):
                yield from _flush(buffer)
                buffer, size = [], 0
            buffer.append((number, piece))
            size += len(piece) + 1
    yield from _flush(buffer)


def _flush(buffer: list[tuple[int, str]]) -> Iterator[tuple[int, int, str]]:
    if buffer:
        text = normalize_text("\n".join(line for _, line in buffer))
        if text:
            yield buffer[0][0], buffer[-1][0], text


def _split_long_line(line: str) -> list[str]:
    """A line longer than a block (minified data, a paragraph saved as one line) in pieces, at spaces
    where there are any."""
    if len(line) <= _MAX_BLOCK_CHARS:
        return [line]
    pieces = []
    while len(line) > _MAX_BLOCK_CHARS:
        cut = line.rfind(" ", _MAX_BLOCK_CHARS // 2, _MAX_BLOCK_CHARS)
        cut = cut if cut > 0 else _MAX_BLOCK_CHARS
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    if line:
        pieces.append(line)
    return pieces


# --- Markdown -------------------------------------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _markdown_blocks(stream: Iterable[str]) -> Iterator[Block]:
    """Paragraphs grouped by the heading path in force; each ATX heading is its own block.

    A '#' line inside a fenced code block is code (a shell or Python comment), not a heading.
    """
    headings: list[tuple[int, str]] = []  # (level, title) of the open sections
    section: list[tuple[int, str]] = []  # lines of the current section, up to the next heading
    fence: str | None = None
    for number, line in _numbered(stream):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        heading = None if fence is not None or fence_match else _ATX.match(line)
        if heading is None:
            section.append((number, line))
            continue
        yield from _section_blocks(section, headings)
        section = []
        level, title = len(heading.group(1)), normalize_text(heading.group(2) or "")
        headings = [(lvl, t) for lvl, t in headings if lvl < level]
        if title:
            headings.append((level, title))
            path = _heading_path(headings)
            yield Block(
                title,
                Location(lines=(number, number)),
                group=("section", path),
                heading=path,
                is_heading=True,
            )
    yield from _section_blocks(section, headings)


def _section_blocks(section: list[tuple[int, str]], headings: list[tuple[int, str]]) -> Iterator[Block]:
    path = _heading_path(headings)
    for first, last, text in _paragraphs(section):
        yield Block(text, Location(lines=(first, last)), group=("section", path), heading=path or None)


def _heading_path(headings: list[tuple[int, str]]) -> str:
    return " > ".join(title for _, title in headings)


# --- CSV / TSV --------------------------------------------------------------------------------------------

_DELIMITERS = (",", "\t", ";", "|")
_NUMBER = re.compile(r"^[\s$€¥£%+\-]*[\d.,]+[\s%]*$|^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}")


def _csv_blocks(stream: io.TextIOWrapper, path: Path) -> Iterator[Block]:
    """One block per data row: "Name: Zhang San | Dept: IT", header "Name | Dept", physical lines."""
    head = stream.read(_SAMPLE)
    stream.seek(0)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else sniff_delimiter(head)
    csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(stream, delimiter=delimiter)
    header: list[str] | None = None
    previous_line = 0
    try:
        for row_index, row in enumerate(reader):
            first, last = previous_line + 1, reader.line_num
            previous_line = last
            cells = [normalize_text(cell) for cell in row]
            if not any(cells):
                continue
            if row_index == 0 and looks_like_header(cells):
                header = [cell or f"Column {i + 1}" for i, cell in enumerate(cells)]
                continue
            yield _row_block(cells, header, first, last)
    except csv.Error as exc:
        raise FileProblem(ProblemKind.CORRUPT, detail=f"CSV line {reader.line_num}: {exc}") from exc


def _row_block(cells: list[str], header: list[str] | None, first: int, last: int) -> Block:
    location = Location(lines=(first, last))
    if header is None:
        return Block(" | ".join(cells), location, group=("table",))
    names = header + [f"Column {i + 1}" for i in range(len(header), len(cells))]
    text = " | ".join(f"{name}: {value}" for name, value in zip(names, cells, strict=False) if value)
    return Block(text, location, group=("table",), header=" | ".join(header))


def sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the first lines into the same number (>= 2) of fields most often.

    csv.Sniffer guesses wrong on short files and on Chinese text; counting consistent field counts
    is simple and handles quoted fields, since csv.reader does the splitting.
    """
    lines = [line for line in sample.splitlines()[:50] if line.strip()]
    if sample and len(sample) >= _SAMPLE and len(lines) > 1:
        lines = lines[:-1]  # the sample may end in the middle of a line
    best, best_score = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if not counts:
            continue
        modal = max(set(counts), key=counts.count)
        if modal < 2:
            continue
        score = (counts.count(modal) / len(counts), modal)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def looks_like_header(cells: list[str]) -> bool:
    """A first row of distinct, non-numeric labels is a header; a row with numbers or dates is data."""
    filled = [cell for cell in cells if cell]
    if not filled or 2 * len(filled) < len(cells) or len(set(filled)) != len(filled):
        return False
    return not any(_NUMBER.match(cell) for cell in filled)
