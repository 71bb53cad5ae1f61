"""Word (.docx/.docm/.dotx) to blocks: paragraphs under their heading path, tables row by row.

python-docx opens the package and resolves parts; the text itself is read straight from the XML, because
python-docx's `Paragraph.text` skips runs inside content controls, tracked insertions and text boxes,
and its body iteration skips block-level content controls (which templates such as poi-tl's use a lot).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text
from indexing.parsers.ooxml import Package, check_package

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_STRICT_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

# Main-part content types of the Word family: document, template, and their macro-enabled twins.
_WORD_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
    "application/vnd.ms-word.document.macroEnabled.main+xml",
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
)
_OTHER_MAIN_TYPES = {
    "spreadsheetml": "an Excel workbook",
    "presentationml": "a PowerPoint presentation",
    "ms-excel": "an Excel workbook",
    "ms-powerpoint": "a PowerPoint presentation",
}
HEADER_LABEL = "Header"
FOOTER_LABEL = "Footer"
_MAX_HEADING_CHARS = 300  # a "heading" longer than this is body text someone styled as a heading
_PATH_SEP = " > "


def w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT, _CUSTOM_XML = (
    w("p"),
    w("tbl"),
    w("tr"),
    w("tc"),
    w("sdt"),
    w("sdtContent"),
    w("customXml"),
)
_MATH_T = "{http://schemas.openxmlformats.org/officeDocument/2006/math}t"  # equation text, read linearly
_T, _TAB, _BR, _CR, _NB_HYPHEN, _PTAB = w("t"), w("tab"), w("br"), w("cr"), w("noBreakHyphen"), w("ptab")
# Subtrees whose text is not what the reader sees: properties, deleted or moved-away text, and the
# Fallback copy of content that mc:AlternateContent already holds in its Choice.
_SKIP = frozenset({w("pPr"), w("rPr"), w("del"), w("moveFrom"), w("sectPr"), f"{{{_MC_NS}}}Fallback"})
_CONTAINERS = frozenset({_SDT, _SDT_CONTENT, _CUSTOM_XML})  # wrappers around block-level content
_HEADING_NAME = re.compile(
    r"^(?:heading|标题|標題|titre|überschrift|título|titolo|kop|rubrik|otsikko|nagłówek|заголовок|見出し)"
    r"\s*([1-9])$",
    re.IGNORECASE,
)
_TITLE_NAMES = frozenset({"title", "标题", "標題", "titre", "titel", "título", "titolo"})
_NUMERIC = re.compile(r"^[\s\d.,:/%+\-()¥$€£年月日]*$")


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    """Yield the document's blocks in reading order: headers, body (paragraphs and table rows), footers."""
    package = check_package(path, limits)
    _check_word_type(package)
    info.kind = "docx"
    part = _open_document_part(path)
    try:
        body = _body(part.element)
        reader = _BodyReader(
            _Styles(_related_element(part, "styles")), _Numbering(_related_element(part, "numbering"))
        )
        core_title = _core_title(part)
        count = 0
        for block in _header_footer_blocks(part, body, "headerReference", HEADER_LABEL):
            count += 1
            yield block
        for block in reader.read(body):
            count += 1
            yield block
        for block in _header_footer_blocks(part, body, "footerReference", FOOTER_LABEL):
            count += 1
            yield block
        # The caller may have put the file name in info.title: only a real title replaces it.
        if core_title or reader.title:
            info.title = core_title or reader.title
    except (KeyError, ValueError, IndexError, TypeError, AttributeError) as exc:
        raise FileProblem(ProblemKind.CORRUPT, f"Word document structure: {exc!r}") from exc
    if count == 0:
        raise FileProblem(ProblemKind.EMPTY, "no text in the document body, headers or footers")


# ---------------------------------------------------------------------------------------------- opening


def _check_word_type(package: Package) -> None:
    if package.strict:
        raise FileProblem(ProblemKind.UNSUPPORTED, "Strict Open XML document (ISO 29500 Strict)")
    main = package.main_type
    if main in _WORD_MAIN_TYPES:
        return
    for fragment, what in _OTHER_MAIN_TYPES.items():
        if fragment in main:
            raise FileProblem(ProblemKind.WRONG_TYPE, f"the package is {what}, not a Word document")
    raise FileProblem(
        ProblemKind.WRONG_TYPE, f"the package has no Word document part (main: {main or 'none'})"
    )


def _open_document_part(path: Path) -> Any:
    """The main DocumentPart, also for .docm/.dotx/.dotm, which python-docx's Document() refuses."""
    try:
        from docx.opc.part import PartFactory
        from docx.package import Package as DocxPackage
        from docx.parts.document import DocumentPart

        for content_type in _WORD_MAIN_TYPES:
            PartFactory.part_type_for.setdefault(content_type, DocumentPart)
        part = DocxPackage.open(str(path)).main_document_part
    except FileProblem:
        raise
    except Exception as exc:  # python-docx raises many types on a damaged package; all mean the same here
        raise FileProblem(ProblemKind.CORRUPT, f"python-docx could not open the package: {exc!r}") from exc
    if not isinstance(part, DocumentPart):
        raise FileProblem(ProblemKind.WRONG_TYPE, f"main part is {getattr(part, 'content_type', '?')}")
    return part


def _body(document: Any) -> Any:
    body = document.find(w("body"))
    if body is None:
        if document.tag.startswith(f"{{{_STRICT_NS}}}"):
            raise FileProblem(ProblemKind.UNSUPPORTED, "Strict Open XML document (ISO 29500 Strict)")
        raise FileProblem(ProblemKind.CORRUPT, "the document has no body")
    return body


def _related_element(part: Any, kind: str) -> Any:
    """The XML root of a related part (styles, numbering, ...) or None when the document has none."""
    for rel in part.rels.values():
        if not rel.is_external and rel.reltype.endswith(f"/{kind}"):
            return getattr(rel.target_part, "element", None)
    return None


def _core_title(part: Any) -> str:
    """docProps/core.xml's title. Read through the package relationship: python-docx's
    `core_properties` invents a part titled "Word Document" when the file has none."""
    try:
        for rel in part.package.rels.values():
            if not rel.is_external and rel.reltype.endswith("/core-properties"):
                return normalize_text(rel.target_part.core_properties.title or "")
    except Exception:  # a damaged docProps/core.xml must not cost the whole document
        return ""
    return ""


# ---------------------------------------------------------------------------------------------- text


def _text(el: Any) -> str:
    """What a reader sees of one paragraph (or any subtree), normalized."""
    parts: list[str] = []
    _collect(el, parts)
    return normalize_text("".join(parts))


def _collect(el: Any, parts: list[str]) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag in (_T, _MATH_T):
            parts.append(child.text or "")
        elif tag in (_TAB, _PTAB):
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NB_HYPHEN:
            parts.append("-")
        elif tag == _P:  # a paragraph nested in a text box: keep it apart from its neighbours
            _collect(child, parts)
            parts.append("\n")
        else:
            _collect(child, parts)


def _block_children(container: Any) -> Iterator[Any]:
    """Paragraphs and tables of a body, cell, header or footer, looking through content controls."""
    for child in container:
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag in _CONTAINERS:
            yield from _block_children(child)


def _children(container: Any, tag: str) -> Iterator[Any]:
    """Rows of a table or cells of a row, also when wrapped in content controls."""
    for child in container:
        if child.tag == tag:
            yield child
        elif child.tag in _CONTAINERS:
            yield from _children(child, tag)


def _val(el: Any, *path: str) -> str | None:
    """The w:val of a nested property element, e.g. _val(p, 'pPr', 'pStyle')."""
    for name in path:
        if el is None:
            return None
        el = el.find(w(name))
    return None if el is None else el.get(w("val"))


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


# ---------------------------------------------------------------------------------------------- styles


@dataclass(slots=True)
class _Style:
    name: str
    based_on: str | None
    outline: int | None  # w:outlineLvl (0-based; 9 means body text)
    num_id: str | None
    num_ilvl: int | None


class _Styles:
    """Paragraph styles by id, enough to tell headings (by outline level or name) and their numbering."""

    def __init__(self, root: Any) -> None:
        self._styles: dict[str, _Style] = {}
        self.default_id: str | None = None
        if root is None:
            return
        for el in root.iter(w("style")):
            if el.get(w("type"), "paragraph") != "paragraph":
                continue
            style_id = el.get(w("styleId")) or ""
            ppr = el.find(w("pPr"))
            self._styles[style_id] = _Style(
                name=(_val(el, "name") or style_id).strip(),
                based_on=_val(el, "basedOn"),
                outline=_int(_val(ppr, "outlineLvl")),
                num_id=_val(ppr, "numPr", "numId"),
                num_ilvl=_int(_val(ppr, "numPr", "ilvl")),
            )
            if el.get(w("default")) in ("1", "true", "on"):
                self.default_id = style_id

    def _chain(self, style_id: str | None) -> Iterator[_Style]:
        seen: set[str] = set()
        while style_id and style_id in self._styles and style_id not in seen:
            seen.add(style_id)
            style = self._styles[style_id]
            yield style
            style_id = style.based_on

    def level(self, style_id: str | None) -> int | None:
        """1-9 for a heading, 0 for a title, None for body text."""
        for style in self._chain(style_id):
            if style.outline is not None:
                return style.outline + 1 if 0 <= style.outline < 9 else None
            match = _HEADING_NAME.match(style.name)
            if match:
                return int(match.group(1))
            if style.name.casefold() in _TITLE_NAMES:
                return 0
        return None

    def numbering(self, style_id: str | None) -> tuple[str | None, int | None]:
        for style in self._chain(style_id):
            if style.num_id is not None:
                return style.num_id, style.num_ilvl
        return None, None


# ---------------------------------------------------------------------------------------------- numbering

_CHINESE_DIGITS = "零一二三四五六七八九"


def _chinese(n: int) -> str:
    if n <= 0 or n >= 100:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CHINESE_DIGITS[ones]
    return ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十" + (_CHINESE_DIGITS[ones] if ones else "")


def _roman(n: int) -> str:
    out = []
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                       (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):  # fmt: skip
        count, n = divmod(n, value)
        out.append(sym * count)
    return "".join(out)


def _letters(n: int) -> str:
    # Word repeats the letter: 27 -> "aa", 28 -> "bb".
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if n > 0 else str(n)


def _format_number(n: int, fmt: str) -> str:
    formats = {
        "decimal": str,
        "decimalZero": lambda v: f"{v:02d}",
        "upperRoman": lambda v: _roman(v).upper(),
        "lowerRoman": _roman,
        "upperLetter": lambda v: _letters(v).upper(),
        "lowerLetter": _letters,
        "chineseCounting": _chinese,
        "chineseCountingThousand": _chinese,
        "ideographTraditional": lambda v: "甲乙丙丁戊己庚辛壬癸"[(v - 1) % 10],
        "japaneseCounting": _chinese,
        "decimalEnclosedCircle": lambda v: chr(0x2460 + v - 1) if 1 <= v <= 20 else str(v),
        "decimalFullWidth": str,
    }
    return formats.get(fmt, str)(n)


@dataclass(slots=True)
class _Level:
    start: int = 1
    fmt: str = "decimal"
    text: str = ""
    legal: bool = False


@dataclass(slots=True)
class _List:
    levels: dict[int, _Level] = field(default_factory=dict)
    counters: list[int] = field(default_factory=lambda: [0] * 9)


class _Numbering:
    """Computes the labels Word shows before numbered paragraphs ("3.2", "第一章"), for heading paths.

    Simplified on purpose: counters live per abstract list and restart deeper levels; start overrides
    and legal numbering are honoured; lvlRestart and picture bullets are not.
    """

    def __init__(self, root: Any) -> None:
        self._abstract: dict[str, _List] = {}
        self._num: dict[str, tuple[str, dict[int, int]]] = {}  # numId -> (abstractNumId, start overrides)
        self._started: set[str] = set()
        if root is None:
            return
        for el in root.findall(w("abstractNum")):
            levels = {}
            for lvl in el.findall(w("lvl")):
                levels[_int(lvl.get(w("ilvl")), 0) or 0] = _Level(
                    start=_int(_val(lvl, "start"), 1) or 0,
                    fmt=_val(lvl, "numFmt") or "decimal",
                    text=_val(lvl, "lvlText") or "",
                    legal=lvl.find(w("isLgl")) is not None,
                )
            self._abstract[el.get(w("abstractNumId")) or ""] = _List(levels=levels)
        for el in root.findall(w("num")):
            overrides = {}
            for over in el.findall(w("lvlOverride")):
                start = _int(_val(over, "startOverride"))
                if start is not None:
                    overrides[_int(over.get(w("ilvl")), 0) or 0] = start
            self._num[el.get(w("numId")) or ""] = (_val(el, "abstractNumId") or "", overrides)

    def label(self, num_id: str | None, ilvl: int | None) -> str:
        """Advance the counter of (num_id, ilvl) and return the label, '' for bullets or no numbering."""
        if not num_id or num_id == "0" or num_id not in self._num:
            return ""
        abstract_id, overrides = self._num[num_id]
        lst = self._abstract.get(abstract_id)
        level = min(max(ilvl or 0, 0), 8)
        if lst is None or level not in lst.levels:
            return ""
        if num_id not in self._started:
            self._started.add(num_id)
            for lvl, start in overrides.items():
                if 0 <= lvl < 9:
                    lst.counters[lvl] = start - 1
        counters = lst.counters
        if counters[level] == 0 and lst.levels[level].start > 1:
            counters[level] = lst.levels[level].start - 1
        counters[level] += 1
        for deeper in range(level + 1, 9):
            counters[deeper] = 0
        spec = lst.levels[level]
        if spec.fmt in ("bullet", "none") or not spec.text:
            return ""
        return re.sub(r"%([1-9])", lambda m: self._part(lst, int(m.group(1)) - 1, spec.legal), spec.text)

    @staticmethod
    def _part(lst: _List, lvl: int, legal: bool) -> str:
        spec = lst.levels.get(lvl, _Level())
        value = lst.counters[lvl] or spec.start
        return str(value) if legal else _format_number(value, spec.fmt)


# ---------------------------------------------------------------------------------------------- body


class _BodyReader:
    """Walks the body in reading order, tracking the heading path and counting paragraphs and tables."""

    def __init__(self, styles: _Styles, numbering: _Numbering) -> None:
        self._styles = styles
        self._numbering = numbering
        self._path: list[tuple[int, str]] = []  # (level, text) of the headings in force
        self._paragraph = 0
        self._table = 0
        self.title = ""

    def read(self, body: Any) -> Iterator[Block]:
        for el in _block_children(body):
            if el.tag == _P:
                block = self._paragraph_block(el)
                if block is not None:
                    yield block
            else:
                self._table += 1
                yield from _table_blocks(el, self._table, self._heading())

    def _heading(self) -> str | None:
        names = [text for level, text in self._path if level > 0]
        if names:
            return _PATH_SEP.join(names)
        return self.title or None

    def _paragraph_block(self, p: Any) -> Block | None:
        ppr = p.find(w("pPr"))
        style_id = _val(ppr, "pStyle") or self._styles.default_id
        num_id, ilvl = _val(ppr, "numPr", "numId"), _int(_val(ppr, "numPr", "ilvl"))
        if num_id is None:
            num_id, style_ilvl = self._styles.numbering(style_id)
            ilvl = ilvl if ilvl is not None else style_ilvl
        label = self._numbering.label(num_id, ilvl)
        text = _text(p)
        if not text:
            return None
        self._paragraph += 1
        level = self._level(ppr, style_id, text)
        if level is None:
            heading = self._heading()
            location = Location(heading=heading, paragraph=self._paragraph)
            return Block(text, location, group=("section", heading), heading=heading)
        title = " ".join(f"{label} {text}".split()) if label else " ".join(text.split())
        if level == 0:
            self.title = self.title or title
            self._path = []
        else:
            self._path = [(lvl, name) for lvl, name in self._path if 0 < lvl < level] + [(level, title)]
        heading = self._heading()
        location = Location(heading=heading, paragraph=self._paragraph)
        return Block(title, location, group=("section", heading), heading=heading, is_heading=True)

    def _level(self, ppr: Any, style_id: str | None, text: str) -> int | None:
        if len(text) > _MAX_HEADING_CHARS:
            return None
        direct = _int(_val(ppr, "outlineLvl"))
        if direct is not None:
            return direct + 1 if 0 <= direct < 9 else None
        return self._styles.level(style_id)


# ---------------------------------------------------------------------------------------------- tables


@dataclass(slots=True)
class _Cell:
    col: int  # first grid column
    span: int
    text: str
    merge: str | None  # vertical merge: "restart", "continue" or None


@dataclass(slots=True)
class _Row:
    cells: list[_Cell]
    repeat_header: bool


def _cell_text(tc: Any) -> str:
    """A cell's paragraphs joined by spaces; a nested table flattened to 'a b; c d'."""
    parts = []
    for el in _block_children(tc):
        if el.tag == _P:
            parts.append(_text(el))
        else:
            rows = [" ".join(c.text for c in row.cells if c.text) for row in _table_rows(el)]
            parts.append("; ".join(r for r in rows if r))
    return " ".join(part for part in parts if part)


def _table_rows(tbl: Any) -> list[_Row]:
    rows: list[_Row] = []
    for tr in _children(tbl, _TR):
        trpr = tr.find(w("trPr"))
        col = _int(_val(trpr, "gridBefore"), 0) or 0
        repeat = trpr is not None and trpr.find(w("tblHeader")) is not None
        repeat = repeat and _val(trpr, "tblHeader") not in ("0", "false", "off")
        cells = []
        for tc in _children(tr, _TC):
            tcpr = tc.find(w("tcPr"))
            span = max(_int(_val(tcpr, "gridSpan"), 1) or 1, 1)
            vmerge = tcpr.find(w("vMerge")) if tcpr is not None else None
            merge = (
                None if vmerge is None else ("restart" if vmerge.get(w("val")) == "restart" else "continue")
            )
            cells.append(_Cell(col, span, _cell_text(tc), merge))
            col += span
        rows.append(_Row(cells, repeat))
    _fill_vertical_merges(rows)
    return rows


def _fill_vertical_merges(rows: list[_Row]) -> None:
    """A vertically merged cell's text applies to every row it spans, so each row stands alone."""
    above: dict[int, str] = {}
    for row in rows:
        for cell in row.cells:
            if cell.merge == "continue" and not cell.text:
                cell.text = above.get(cell.col, "")
            above[cell.col] = cell.text


def _grid_width(rows: list[_Row]) -> int:
    return max((c.col + c.span for row in rows for c in row.cells), default=0)


def _looks_like_header(row: _Row) -> bool:
    texts = [c.text for c in row.cells if c.text]
    if len(texts) < 2 or len(set(texts)) < 2:
        return False
    if texts[0].endswith((":", "：")):  # a form: "Name: | Zhang San" is a label/value row, not a header
        return False
    return all(len(t) <= 80 and not _NUMERIC.match(t) for t in texts)


def _is_caption(row: _Row, width: int) -> bool:
    texts = [c for c in row.cells if c.text]
    return len(texts) == 1 and width > 1 and texts[0].span >= max(2, width * 2 // 3)


def _header_layout(rows: list[_Row], width: int) -> tuple[int, int]:
    """(caption rows, header rows) at the top of a table."""
    marked = 0
    while marked < len(rows) and rows[marked].repeat_header:
        marked += 1
    if marked and marked < len(rows):
        return 0, marked
    caption = 1 if len(rows) >= 3 and _is_caption(rows[0], width) else 0
    if len(rows) - caption < 2 or not _looks_like_header(rows[caption]):
        return 0, 0
    if len(rows) - caption >= 3 and _grouped_header(rows[caption], rows[caption + 1]):
        return caption, 2
    return caption, 1


def _grouped_header(first: _Row, second: _Row) -> bool:
    """A two-level header: group names spanning columns above sub-names, and under every column that is
    not grouped the second row is empty or merged down from the first ("Name" over both rows)."""
    if not any(c.span > 1 for c in first.cells) or not _looks_like_header(second):
        return False
    below = {c.col: c for c in second.cells}
    for cell in first.cells:
        under = below.get(cell.col)
        if cell.span == 1 and under is not None and under.text and under.merge != "continue":
            return False
    return True


def _header_names(header_rows: list[_Row], width: int) -> list[str]:
    """One name per grid column; a spanned header cell fills across, two header rows combine."""
    names: list[list[str]] = [[] for _ in range(width)]
    for row in header_rows:
        for cell in row.cells:
            for col in range(cell.col, min(cell.col + cell.span, width)):
                if cell.text and cell.text not in names[col]:
                    names[col].append(cell.text)
    return [" ".join(parts) for parts in names]


def _render_row(row: _Row, names: list[str], width: int) -> str:
    cells = [c for c in row.cells if c.text]
    if len(cells) == 1 and _is_caption(row, width):
        return cells[0].text  # a label row spanning the table ("Part A") reads best on its own
    out = []
    for cell in cells:
        span_names = [names[c] for c in range(cell.col, min(cell.col + cell.span, width)) if names[c]]
        name = span_names[0] if span_names else ""
        out.append(f"{name}: {cell.text}" if name and name != cell.text else cell.text)
    return " | ".join(out)


def _table_blocks(tbl: Any, number: int, heading: str | None) -> Iterator[Block]:
    rows = _table_rows(tbl)
    width = _grid_width(rows)
    caption, header_count = _header_layout(rows, width)
    names = _header_names(rows[caption : caption + header_count], width) if header_count else [""] * width
    header = " | ".join(dict.fromkeys(n for n in names if n)) or None
    group = ("table", number)
    if caption:
        text = next(c.text for c in rows[0].cells if c.text)
        yield Block(text, Location(heading=heading, table=number), group=group, heading=heading)
    for index, row in enumerate(rows[caption + header_count :], start=1):
        text = _render_row(row, names, width)
        if not text:
            continue
        location = Location(heading=heading, table=number, rows=(index, index))
        yield Block(text, location, group=group, header=header, heading=heading)


# ---------------------------------------------------------------------------------------------- headers


def _header_footer_blocks(part: Any, body: Any, reference: str, label: str) -> Iterator[Block]:
    """Each distinct header (or footer) text once, however many sections repeat it."""
    seen: set[str] = set()
    for sect in body.iter(w("sectPr")):
        for ref in sect.findall(w(reference)):
            rel = part.rels.get(ref.get(f"{{{_R_NS}}}id") or "")
            element = getattr(rel.target_part, "element", None) if rel is not None else None
            if element is None:
                continue
            text = _plain_text(element)
            if not text or text in seen or _NUMERIC.match(text):  # page numbers alone say nothing
                continue
            seen.add(text)
            yield Block(text, Location(heading=label), group=(label.lower(),))


def _plain_text(container: Any) -> str:
    lines = []
    for el in _block_children(container):
        if el.tag == _P:
            lines.append(_text(el))
        else:
            lines.extend(" | ".join(c.text for c in row.cells if c.text) for row in _table_rows(el))
    return normalize_text("\n".join(line for line in lines if line))
