"""Word 97-2003 (.doc/.dot) and WPS Writer (.wps) binary documents to blocks, read from the piece table.

Why our own reader: no maintained pure-Python .doc reader exists on PyPI (textract and antiword shell out
to C programs; python-docx reads only OOXML). The text of a Word binary file is simple to find: the FIB
(File Information Block) at the start of the WordDocument stream points to the CLX in the table stream,
whose piece table maps character positions to byte ranges, each either UTF-16 or "compressed" cp1252.
Paragraph properties (the style, which tells headings; the table-row flag, which tells a row's end from
an empty cell) come from the PAPX pages. WPS Writer writes the same structure. Word 6/95 files (an older
FIB) are read from their single 8-bit text run in the file's code page.

Special characters in the text: \\r ends a paragraph, \\x07 ends a table cell (and a row), \\x0b is a line
break, \\x0c a page or section break; \\x13 code \\x14 result \\x15 is a field, of which the result is
what the reader sees.
"""

from __future__ import annotations

import bisect
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text
from indexing.parsers import better_title
from indexing.parsers.docx import _TITLE_NAMES
from indexing.parsers.legacy_ole import open_ole, read_stream
from indexing.parsers.tables import table_blocks

_WORD97_IDENT = 0xA5EC
_WORD6_IDENT = 0xA5DC
_F_COMPLEX = 0x0004
_F_ENCRYPTED = 0x0100
_F_WHICH_TABLE = 0x0200
_F_OBFUSCATED = 0x8000
_MAX_HEADING_CHARS = 300
_PATH_SEP = " > "
# Story order after the main text (FibRgLw97 ccp* fields 3..10).
_STORIES = ("text", "footnotes", "headers", "macros", "comments", "endnotes", "textboxes", "header textboxes")
_EXTRA_LABELS = {"footnotes": "Footnotes", "endnotes": "Endnotes", "comments": "Comments",
                 "textboxes": "Text boxes", "headers": "Header"}
# Word 6 language id -> code page for its 8-bit text (Chinese files are DBCS in GBK or Big5).
_LID_CODEPAGES = {0x0804: "gbk", 0x1004: "gbk", 0x0404: "big5", 0x0C04: "big5", 0x0411: "cp932",
                  0x0412: "cp949", 0x0419: "cp1251", 0x0422: "cp1251", 0x0423: "cp1251", 0x0402: "cp1251",
                  0x0408: "cp1253", 0x041F: "cp1254", 0x040D: "cp1255", 0x0401: "cp1256",
                  0x0425: "cp1257", 0x0426: "cp1257", 0x0427: "cp1257", 0x042A: "cp1258", 0x041E: "cp874",
                  0x0405: "cp1250", 0x0415: "cp1250", 0x040E: "cp1250", 0x041B: "cp1250"}
# sprm codes read from paragraph properties.
_SPRM_IN_TABLE, _SPRM_TTP, _SPRM_INNER_TTP, _SPRM_OUTLINE = 0x2416, 0x2417, 0x244C, 0x2640
_SPRM_OPERAND = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}
_STI_TITLE = 62
# Heading style names of localized templates (those the .docx reader knows, and Greek), and title names.
_HEADING_NAME = re.compile(
    r"^(?:heading|标题|標題|titre|überschrift|título|titolo|kop|rubrik|otsikko|nagłówek|заголовок|見出し|"
    r"επικεφαλίδα)\s*([1-9])$",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Piece:
    cp_start: int
    cp_end: int
    offset: int  # byte offset in the WordDocument stream
    compressed: bool  # 8-bit (cp1252, or the Word 6 code page) rather than UTF-16


@dataclass(slots=True)
class _ParaProps:
    istd: int = 0
    in_table: bool = False
    row_end: bool = False
    outline: int | None = None


@dataclass(slots=True)
class _Paragraph:
    text: str
    end: str  # "\r", "\x07" or "" at the end of the story
    props: _ParaProps


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    info.kind = "doc"
    ole = open_ole(path)
    try:
        names = {"/".join(entry).lower(): "/".join(entry) for entry in ole.listdir()}
        if "worddocument" not in names:
            raise FileProblem(ProblemKind.UNSUPPORTED, f"no WordDocument stream: {_describe(names)}")
        word = read_stream(ole, names["worddocument"], limits)
        doc = _WordFile(word, lambda name: read_stream(ole, names[name], limits) if name in names else None)
        title = (ole.get_metadata().title or b"") if ole.exists("\x05SummaryInformation") else b""
    finally:
        ole.close()
    yield from doc.blocks()
    meta = _decode_meta(title)
    if meta:  # the file name wins unless it says nothing ("scan0001"), as for PDFs
        info.title = better_title(info.title or path.stem, meta)


def _describe(names: dict[str, str]) -> str:
    streams = sorted(names.values())
    if any(n.lower() in ("contents", "mn0") for n in streams):
        return "Microsoft Works document"
    return ", ".join(streams[:8])


def _decode_meta(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw.strip()
    for enc in ("utf-8", "gbk", "cp1252"):
        try:
            return raw.decode(enc).strip("\x00 ")
        except UnicodeDecodeError:
            continue
    return ""


class _WordFile:
    def __init__(self, word: bytes, stream) -> None:  # type: ignore[no-untyped-def]
        if len(word) < 0x60:
            raise FileProblem(ProblemKind.CORRUPT, "WordDocument stream too short for a FIB")
        ident, self.nfib = struct.unpack_from("<HH", word, 0)
        flags = struct.unpack_from("<H", word, 0x0A)[0]
        self.word = word
        if ident not in (_WORD97_IDENT, _WORD6_IDENT):
            raise FileProblem(ProblemKind.CORRUPT, f"WordDocument stream has no Word FIB (0x{ident:04X})")
        if flags & _F_ENCRYPTED:
            kind = "XOR-obfuscated" if flags & _F_OBFUSCATED else "RC4-encrypted"
            raise FileProblem(ProblemKind.ENCRYPTED, f"Word document is {kind}")
        self.codepage = _LID_CODEPAGES.get(struct.unpack_from("<H", word, 0x06)[0], "cp1252")
        self.papx: list[tuple[int, int, _ParaProps]] = []
        self.heading_istds: dict[int, int] = {}
        if ident == _WORD6_IDENT or self.nfib < 101:
            self._init_word6(flags)
            return
        table_name = "1table" if flags & _F_WHICH_TABLE else "0table"
        table = stream(table_name)
        if table is None:
            raise FileProblem(ProblemKind.CORRUPT, f"the {table_name} stream is missing")
        csw = struct.unpack_from("<H", word, 32)[0]
        lw_at = 32 + 2 + csw * 2
        cslw = struct.unpack_from("<H", word, lw_at)[0]
        self.ccps = list(struct.unpack_from("<8i", word, lw_at + 2 + 3 * 4))
        fc_at = lw_at + 2 + cslw * 4 + 2

        def fclcb(index: int) -> tuple[int, int]:
            return struct.unpack_from("<II", word, fc_at + 8 * index)

        fc_clx, lcb_clx = fclcb(33)
        self.pieces = _pieces(table[fc_clx : fc_clx + lcb_clx], unicode_possible=True)
        fc_stsh, lcb_stsh = fclcb(1)
        self.heading_istds = _heading_styles(table[fc_stsh : fc_stsh + lcb_stsh])
        fc_bte, lcb_bte = fclcb(13)
        self.papx = _papx_runs(word, table[fc_bte : fc_bte + lcb_bte], long_pn=True)

    def _init_word6(self, flags: int) -> None:
        word = self.word
        fc_min, fc_mac = struct.unpack_from("<II", word, 0x18)
        self.ccps = list(struct.unpack_from("<8i", word, 0x34))
        if flags & _F_COMPLEX:
            fc_clx, lcb_clx = struct.unpack_from("<II", word, 0x1A2)
            self.pieces = _pieces(word[fc_clx : fc_clx + lcb_clx], unicode_possible=False)
        else:
            total = max(0, min(fc_mac - fc_min, len(word) - fc_min))
            self.pieces = [_Piece(0, total, fc_min, True)]
        fc_bte, lcb_bte = struct.unpack_from("<II", word, 0xC0)
        self.papx = _papx_runs(word, word[fc_bte : fc_bte + lcb_bte], long_pn=False)

    # -- text ---------------------------------------------------------------------------------------
    def _chars(self, cp_start: int, cp_end: int) -> Iterator[tuple[str, int, int]]:
        """(text, byte offset of its first character, bytes a character) per piece in [cp_start, cp_end)."""
        for piece in self.pieces:
            lo, hi = max(cp_start, piece.cp_start), min(cp_end, piece.cp_end)
            if lo >= hi:
                continue
            if piece.compressed:
                at = piece.offset + (lo - piece.cp_start)
                raw = self.word[at : at + (hi - lo)]
                yield raw.decode(self.codepage, "replace"), at, 1
            else:
                at = piece.offset + 2 * (lo - piece.cp_start)
                raw = self.word[at : at + 2 * (hi - lo)]
                yield raw.decode("utf-16-le", "replace"), at, 2

    def _paragraphs(self, cp_start: int, cp_end: int) -> Iterator[_Paragraph]:
        fields: list[bool] = []  # per open field: True once its separator (result part) was seen
        buf: list[str] = []
        for text, offset, width in self._chars(cp_start, cp_end):
            for i, ch in enumerate(text):
                if ch == "\x13":
                    fields.append(False)
                elif ch == "\x14":
                    if fields:
                        fields[-1] = True
                elif ch == "\x15":
                    if fields:
                        fields.pop()
                elif fields and not fields[-1]:
                    continue  # field code, e.g. HYPERLINK "…" or PAGE: not shown to the reader
                elif ch in "\r\x07":
                    yield _Paragraph("".join(buf), ch, self._props_at(offset + i * width))
                    buf = []
                else:
                    buf.append(_visible(ch))
        if buf:
            yield _Paragraph("".join(buf), "", _ParaProps())

    def _props_at(self, fc: int) -> _ParaProps:
        i = bisect.bisect_right(self.papx_starts, fc) - 1
        if 0 <= i < len(self.papx) and fc < self.papx[i][1]:
            return self.papx[i][2]
        return _ParaProps()

    # -- blocks -------------------------------------------------------------------------------------
    def blocks(self) -> Iterator[Block]:
        self.papx_starts = [run[0] for run in self.papx]
        main_end = max(0, self.ccps[0])
        yield from _BodyBlocks(self.heading_istds).read(self._paragraphs(0, main_end))
        cp = main_end
        for name, ccp in zip(_STORIES[1:], self.ccps[1:], strict=True):
            start, cp = cp, cp + max(0, ccp)
            label = _EXTRA_LABELS.get(name)
            if label is None or ccp <= 0:
                continue
            seen: set[str] = set()
            for para in self._paragraphs(start, cp):
                text = normalize_text(para.text)
                if not text or text in seen or (name == "headers" and text.strip().isdigit()):
                    continue
                seen.add(text)
                yield Block(text, Location(heading=label), group=(label.lower(),))


def _visible(ch: str) -> str:
    if ch == "\x0b":
        return "\n"
    if ch == "\x0c":
        return "\n"
    if ch == "\x1e":
        return "-"
    if ch in "\x1f\x01\x02\x03\x04\x05\x06\x08":
        return ""
    return ch


class _BodyBlocks:
    """Paragraphs and tables in reading order under their heading path, as the .docx reader does."""

    def __init__(self, heading_istds: dict[int, int]) -> None:
        self._levels = heading_istds
        self._path: list[tuple[int, str]] = []
        self._paragraph = 0
        self._table = 0
        self._title = ""

    def _heading(self) -> str | None:
        return _PATH_SEP.join(text for _, text in self._path) or self._title or None

    def read(self, paragraphs: Iterator[_Paragraph]) -> Iterator[Block]:
        rows: list[list[str]] = []
        cells: list[str] = []
        cell: list[str] = []
        for para in paragraphs:
            if para.props.in_table or para.end == "\x07":
                if para.props.row_end:
                    rows.append(cells)
                    cells, cell = [], []
                    continue
                cell.append(normalize_text(para.text))
                if para.end == "\x07":
                    cells.append(" ".join(c for c in cell if c))
                    cell = []
                continue
            if rows or cells:
                yield from self._table_blocks(rows + ([cells] if cells else []))
                rows, cells, cell = [], [], []
            block = self._paragraph_block(para)
            if block is not None:
                yield block
        if rows or cells:
            yield from self._table_blocks(rows + ([cells] if cells else []))

    def _table_blocks(self, rows: list[list[str]]) -> Iterator[Block]:
        if not any(any(row) for row in rows):
            return
        self._table += 1
        yield from table_blocks(rows, self._table, self._heading())

    def _paragraph_block(self, para: _Paragraph) -> Block | None:
        text = normalize_text(para.text)
        if not text:
            return None
        self._paragraph += 1
        level = para.props.outline
        level = self._levels.get(para.props.istd) if level is None else level
        if level is None or len(text) > _MAX_HEADING_CHARS or "\n" in text:
            heading = self._heading()
            location = Location(heading=heading, paragraph=self._paragraph)
            return Block(text, location, group=("section", heading), heading=heading)
        title = " ".join(text.split())
        if level == 0:  # the document's title: the heading of what comes before the first heading
            self._title = self._title or title
            self._path = []
        else:
            self._path = [(lvl, name) for lvl, name in self._path if lvl < level] + [(level, title)]
        heading = self._heading()
        location = Location(heading=heading, paragraph=self._paragraph)
        return Block(title, location, group=("section", heading), heading=heading, is_heading=True)


# ------------------------------------------------------------------------------------------- structures


def _pieces(clx: bytes, *, unicode_possible: bool) -> list[_Piece]:
    """The piece table (PlcPcd) inside the CLX, after any Prc (property modifier) entries."""
    pos = 0
    while pos < len(clx) and clx[pos] == 0x01:
        (size,) = struct.unpack_from("<H", clx, pos + 1)
        pos += 3 + size
    if pos >= len(clx) or clx[pos] != 0x02:
        raise FileProblem(ProblemKind.CORRUPT, "no piece table in the document's CLX")
    (lcb,) = struct.unpack_from("<I", clx, pos + 1)
    plc = clx[pos + 5 : pos + 5 + lcb]
    count = (len(plc) - 4) // 12
    if count <= 0:
        raise FileProblem(ProblemKind.CORRUPT, "empty piece table")
    cps = struct.unpack_from(f"<{count + 1}i", plc, 0)
    pieces = []
    for i in range(count):
        fc = struct.unpack_from("<I", plc, 4 * (count + 1) + 8 * i + 2)[0]
        compressed = bool(fc & 0x40000000) or not unicode_possible
        offset = (fc & 0x3FFFFFFF) // 2 if unicode_possible and compressed else fc & 0x3FFFFFFF
        if cps[i + 1] > cps[i]:
            pieces.append(_Piece(cps[i], cps[i + 1], offset, compressed))
    return pieces


def _heading_styles(stsh: bytes) -> dict[int, int]:
    """Style index -> heading level (0 for the document title): from each style's built-in identifier
    (sti 1-9 = Heading 1-9, 62 = Title), or from its name where a localized template made the headings
    user-defined styles ("Επικεφαλίδα 1", "标题 1", "Überschrift 1")."""
    if len(stsh) < 6:
        return {}
    (cb_stshi,) = struct.unpack_from("<H", stsh, 0)
    cstd, cb_base = struct.unpack_from("<HH", stsh, 2)
    pos = 2 + cb_stshi
    out: dict[int, int] = {}
    for istd in range(cstd):
        if pos + 2 > len(stsh):
            break
        (cb,) = struct.unpack_from("<H", stsh, pos)
        if cb >= 2 and cb_base >= 2 and pos + 2 + cb <= len(stsh):
            std = stsh[pos + 2 : pos + 2 + cb]
            sti = struct.unpack_from("<H", std, 0)[0] & 0x0FFF
            level = sti if 1 <= sti <= 9 else (0 if sti == _STI_TITLE else _level_from_name(std, cb_base))
            if level is not None:
                out[istd] = level
        pos += 2 + cb
    return out


def _level_from_name(std: bytes, cb_base: int) -> int | None:
    if len(std) < cb_base + 2:
        return None
    (count,) = struct.unpack_from("<H", std, cb_base)
    name = std[cb_base + 2 : cb_base + 2 + 2 * count].decode("utf-16-le", "replace").strip()
    match = _HEADING_NAME.match(name)
    if match:
        return int(match.group(1))
    return 0 if name.casefold() in _TITLE_NAMES else None


def _papx_runs(word: bytes, plc: bytes, *, long_pn: bool) -> list[tuple[int, int, _ParaProps]]:
    """(fc start, fc end, properties) of every paragraph run in the PAPX formatted-disk pages."""
    entry = 4 if long_pn else 2
    count = (len(plc) - 4) // (4 + entry)
    runs: list[tuple[int, int, _ParaProps]] = []
    for i in range(max(0, count)):
        pn = struct.unpack_from("<I" if long_pn else "<H", plc, 4 * (count + 1) + entry * i)[0] & 0x3FFFFF
        page = word[pn * 512 : pn * 512 + 512]
        if len(page) < 512:
            continue
        crun = page[511]
        if crun == 0 or 4 * (crun + 1) + 13 * crun > 511:
            continue
        fcs = struct.unpack_from(f"<{crun + 1}I", page, 0)
        for r in range(crun):
            b_offset = page[4 * (crun + 1) + (13 if long_pn else 7) * r] * 2
            runs.append((fcs[r], fcs[r + 1], _papx(page, b_offset, long_pn)))
    runs.sort(key=lambda run: run[0])
    return runs


def _papx(page: bytes, at: int, long_pn: bool) -> _ParaProps:
    if at <= 0 or at >= 511:
        return _ParaProps()
    cb = page[at]
    if long_pn:
        size, start = (2 * cb - 1, at + 1) if cb else (2 * page[at + 1], at + 2)
    else:
        size, start = 2 * cb, at + 1
    data = page[start : min(start + size, 511)]
    if len(data) < 2:
        return _ParaProps()
    props = _ParaProps(istd=struct.unpack_from("<H", data, 0)[0] if long_pn else data[0])
    if long_pn:
        _read_sprms(data[2:], props)
    return props


def _read_sprms(grpprl: bytes, props: _ParaProps) -> None:
    pos = 0
    while pos + 2 <= len(grpprl):
        (sprm,) = struct.unpack_from("<H", grpprl, pos)
        pos += 2
        spra = sprm >> 13
        if spra == 6:
            if pos >= len(grpprl):
                return
            size = grpprl[pos] + 1
            if sprm == 0xC615 and grpprl[pos] == 255:  # sprmPChgTabs with its long form: give up here
                return
        else:
            size = _SPRM_OPERAND[spra]
        operand = grpprl[pos : pos + size]
        pos += size
        if not operand:
            return
        if sprm == _SPRM_IN_TABLE:
            props.in_table = operand[0] != 0
        elif sprm in (_SPRM_TTP, _SPRM_INNER_TTP):
            props.row_end = props.row_end or operand[0] != 0
        elif sprm == _SPRM_OUTLINE and operand[0] < 9:
            props.outline = operand[0] + 1
