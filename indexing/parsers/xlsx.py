"""Excel (.xlsx/.xlsm/.xltx) to blocks: one self-describing record per row, under the detected header.

How a sheet is read, and why (numbers from tests/bench/bench_xlsx.py):
- python-calamine (Rust) reads the cached values: ~180k rows/s, against ~12k rows/s for openpyxl's
  read-only mode. It gives formula results (never formula text) and dates as datetime, but no number
  formats, and it builds a dense width x height grid of the cells' bounding box: two cells at A1 and
  XFD1048576 make it allocate 500 GB and abort the process.
- So one cheap regex pass over the sheet XML (~0.25 s per 100k rows) runs first. It finds the real
  bounding box, the cells whose number format changes how a value reads (percentages, fixed decimals)
  and the merged ranges. A sheet whose box is too big for calamine's grid is streamed with openpyxl's
  sparse row parser instead: slower, but its memory follows the cells that exist.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from indexing.blocks import Block, DocumentInfo
from indexing.errors import FileProblem, ProblemKind
from indexing.limits import Limits
from indexing.locations import Location
from indexing.normalize import normalize_text
from indexing.parsers.ooxml import Package, check_package, read_part

_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
)
_OTHER_TYPES = {
    "wordprocessingml": "a Word document",
    "ms-word": "a Word document",
    "presentationml": "a PowerPoint presentation",
    "ms-powerpoint": "a PowerPoint presentation",
    "ms-excel.sheet.binary": "a binary workbook (.xlsb)",
}
_NS_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Above this many cells in a sheet's bounding box calamine's dense grid (32 bytes a cell) is not safe.
CELL_CAP = 16_000_000
_TEXT_CACHE = 50_000  # distinct cell texts whose normalized form is kept
_HEADER_SCAN_ROWS = 12  # the header is looked for among this many first non-empty rows
_SEP = " | "

# The scan pass: cell references (with the style index when written right after r, as Excel,
# openpyxl, POI and calamine's writers all do) and merged ranges.
_CELL_REF = re.compile(rb' r="([A-Z]{1,3})(\d{1,7})"(?:\s+s="(\d+)")?')
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')
_ANY_CELL = re.compile(rb"<(?:\w+:)?c[\s>]")
_NUMERIC_TEXT = re.compile(r"^\s*[-+]?[\d.,:/%\s]+\s*$")


def parse(path: Path, info: DocumentInfo, limits: Limits) -> Iterator[Block]:
    """Yield every worksheet's rows as self-describing records; chart sheets are skipped."""
    package = check_package(path, limits)
    _check_excel_type(package)
    info.kind = "xlsx"
    book = _Book(path, package)
    count = 0
    try:
        for sheet in book.worksheets():
            info.sheets.append(sheet.name)
            for block in _SheetRenderer(sheet.name, limits, info).render(book.rows(sheet)):
                count += 1
                yield block
    finally:
        book.close()
    if count == 0:
        raise FileProblem(ProblemKind.EMPTY, "no values in any worksheet")


def _check_excel_type(package: Package) -> None:
    if package.strict:
        raise FileProblem(ProblemKind.UNSUPPORTED, "Strict Open XML workbook (ISO 29500 Strict)")
    main = package.main_type
    if main in _MAIN_TYPES:
        return
    for fragment, what in _OTHER_TYPES.items():
        if fragment in main:
            kind = ProblemKind.UNSUPPORTED if "binary" in fragment else ProblemKind.WRONG_TYPE
            raise FileProblem(kind, f"the package is {what}, not an .xlsx workbook")
    raise FileProblem(ProblemKind.WRONG_TYPE, f"the package has no workbook part (main: {main or 'none'})")


# ---------------------------------------------------------------------------------------------- formats


@dataclass(frozen=True, slots=True)
class NumberFormat:
    """How a number format changes what a number reads as: percent, and the decimals shown."""

    percent: bool
    decimals: int | None  # None: as many as needed (General)


_BUILTIN_FORMATS = {1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 37: "#,##0 ;(#,##0)",
                    38: "#,##0 ;[Red](#,##0)", 39: "#,##0.00;(#,##0.00)", 40: "#,##0.00;[Red](#,##0.00)"}  # fmt: skip
_QUOTED = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def number_format(code: str) -> NumberFormat | None:
    """The reading-relevant part of an Excel number format code; None for General, text and dates."""
    plain = _QUOTED.sub("", code.split(";", 1)[0])
    if not plain or plain.lower() == "general" or re.search(r"[ymdhsYMDHS@]", plain):
        return None
    if not re.search(r"[0#?]", plain):
        return None
    decimals = re.search(r"\.([0#?]+)", plain)
    places = len(decimals.group(1)) if decimals else 0
    if "E" in plain.upper():  # scientific: the General rendering is as readable
        return None
    return NumberFormat(percent="%" in plain, decimals=places)


def _style_formats(zf: zipfile.ZipFile, styles_part: str | None) -> dict[int, NumberFormat]:
    """Cell style index (the s attribute) -> NumberFormat, for the styles that matter."""
    if not styles_part or styles_part not in zf.namelist():
        return {}
    root = read_part(zf, styles_part)
    codes: dict[int, str] = dict(_BUILTIN_FORMATS)
    for el in root.iter(_tag(root, "numFmt")):
        fmt_id = _to_int(el.get("numFmtId"))
        if fmt_id is not None:
            codes[fmt_id] = el.get("formatCode") or ""
    formats: dict[int, NumberFormat] = {}
    xfs = root.find(_tag(root, "cellXfs"))
    if xfs is None:
        return formats
    for index, xf in enumerate(xfs.findall(_tag(root, "xf"))):
        code = codes.get(_to_int(xf.get("numFmtId")) or 0, "")
        fmt = number_format(code) if code else None
        if fmt is not None:
            formats[index] = fmt
    return formats


def _to_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def display(value: Any, fmt: NumberFormat | None = None) -> str:
    """A cell value as Excel shows it, minus thousands separators and currency symbols (they split numbers
    into several search tokens): formula results, dates as dates, no float noise, percentages."""
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return _number(value, fmt)
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return _number(float(value), fmt) if fmt and fmt.percent else str(value)
    if isinstance(value, dt.datetime):
        if value.microsecond:  # Excel shows whole seconds, rounded
            value = (value + dt.timedelta(microseconds=500_000)).replace(microsecond=0)
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, dt.timedelta):
        minutes, seconds = divmod(round(value.total_seconds()), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if seconds else f"{hours}:{minutes:02d}"
    return str(value) if value is not None else ""


def _number(value: float, fmt: NumberFormat | None) -> str:
    if math.isnan(value) or math.isinf(value):
        return ""
    if fmt is None and value.is_integer() and -1e15 < value < 1e15:
        return str(int(value))  # the common case: counts, years, IDs
    if fmt is None:
        text = repr(value)
        # repr is the shortest exact form; with 15 digits or fewer it has no binary noise to hide.
        if "e" not in text and len(text) - ("." in text) - (text[0] == "-") <= 15:
            return text[:-2] if text.endswith(".0") else text
    suffix = ""
    if fmt is not None and fmt.percent:
        value, suffix = value * 100, "%"
    if fmt is not None and fmt.decimals is not None:
        value = round(value, fmt.decimals)
    # 15 significant digits: what a double holds reliably, and what removes 0.1 + 0.2 noise.
    text = f"{value:.15g}"
    if "e" in text:
        return text + suffix
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text) + suffix


# ---------------------------------------------------------------------------------------------- scan


@dataclass(slots=True)
class SheetScan:
    """What the regex pass learned about one sheet's XML."""

    min_row: int = 0  # 1-based, 0 when the sheet has no cell references
    max_row: int = 0
    min_col: int = 0  # 0-based
    max_col: int = -1
    formats: dict[tuple[int, int], NumberFormat] = field(default_factory=dict)  # (row 1-based, col 0-based)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 (1-based rows)
    unreferenced: bool = False  # cells without an r attribute (allowed, rare): positions are implicit

    @property
    def cells(self) -> int:
        if not self.max_row:
            return 0
        return (self.max_row - self.min_row + 1) * (self.max_col - self.min_col + 1)


def column_index(letters: bytes | str) -> int:
    """'A' -> 0, 'Z' -> 25, 'AA' -> 26."""
    index = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        index = index * 26 + ord(ch) - 64
    return index - 1


_FIRST, _SECOND = operator.itemgetter(0), operator.itemgetter(1)


@functools.lru_cache(maxsize=4096)
def _column(letters: bytes) -> int:
    return column_index(letters)


def scan_sheet(zf: zipfile.ZipFile, member: str, formats: dict[int, NumberFormat]) -> SheetScan:
    """One streamed pass over the sheet XML: bounding box, formatted cells, merged ranges."""
    scan = SheetScan()
    letters: set[bytes] = set()
    rows: list[int] = []
    styled = {str(k).encode(): v for k, v in formats.items()}
    tail = b""
    with zf.open(member) as fh:
        while True:
            chunk = fh.read(4 * 1024 * 1024)
            buf = tail + chunk
            cut = buf.rfind(b"<") if chunk else len(buf)  # no tag straddles two chunks
            body, tail = buf[:cut], buf[cut:]
            refs = _CELL_REF.findall(body)
            if refs:  # map/itemgetter keep the per-cell work in C: this runs for every cell of the sheet
                letters.update(map(_FIRST, refs))
                numbers = list(map(int, map(_SECOND, refs)))
                rows.extend((min(numbers), max(numbers)))
                if styled:
                    for col, row, style in [ref for ref in refs if ref[2] in styled]:
                        scan.formats[(int(row), _column(col))] = styled[style]
            elif not scan.unreferenced and _ANY_CELL.search(body):
                scan.unreferenced = True
            for c0, r0, c1, r1 in _MERGE_REF.findall(body):
                scan.merges.append((int(r0), column_index(c0), int(r1 or r0), column_index(c1 or c0)))
            if not chunk:
                break
    if rows:
        columns = [column_index(col) for col in letters]
        scan.min_row, scan.max_row = min(rows), max(rows)
        scan.min_col, scan.max_col = min(columns), max(columns)
    return scan


# ---------------------------------------------------------------------------------------------- workbook


@dataclass(frozen=True, slots=True)
class _Sheet:
    name: str
    member: str  # path of the sheet XML inside the package


Row = tuple[int, dict[int, Any]]  # (Excel row number, {0-based column: value}) with empty cells left out


class _Book:
    """The workbook's sheet list and styles (read here) and the cell values (read by calamine)."""

    def __init__(self, path: Path, package: Package) -> None:
        self._path = path
        self._main = package.main_part
        try:
            self._zip = zipfile.ZipFile(path)
            self._sheets, styles_part = self._read_workbook()
            self._formats = _style_formats(self._zip, styles_part)
        except FileProblem:
            raise
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise FileProblem(ProblemKind.CORRUPT, f"workbook structure: {exc!r}") from exc
        self._calamine: Any = None

    def worksheets(self) -> list[_Sheet]:
        return self._sheets

    def close(self) -> None:
        self._zip.close()
        if self._calamine is not None:
            self._calamine.close()

    def _read_workbook(self) -> tuple[list[_Sheet], str | None]:
        root = read_part(self._zip, self._main)
        targets, styles_part = self._relationships()
        sheets = []
        sheets_el = root.find(_tag(root, "sheets"))
        for el in sheets_el if sheets_el is not None else []:
            target = targets.get(el.get(f"{{{_NS_RELS}}}id") or "")
            if target is None or target[1] != "worksheet":  # chart, dialog and macro sheets hold no rows
                continue
            sheets.append(_Sheet(name=el.get("name") or "", member=target[0]))
        return sheets, styles_part

    def _relationships(self) -> tuple[dict[str, tuple[str, str]], str | None]:
        base = PurePosixPath(self._main).parent
        rels_name = str(base / "_rels" / (PurePosixPath(self._main).name + ".rels"))
        targets: dict[str, tuple[str, str]] = {}
        styles_part = None
        for el in read_part(self._zip, rels_name):
            target = el.get("Target") or ""
            member = target.lstrip("/") if target.startswith("/") else _join(base, target)
            kind = (el.get("Type") or "").rsplit("/", 1)[-1]
            targets[el.get("Id") or ""] = (member, kind)
            if kind == "styles":
                styles_part = member
        return targets, styles_part

    def rows(self, sheet: _Sheet) -> tuple[Iterator[Row], SheetScan]:
        if sheet.member not in self._zip.namelist():
            raise FileProblem(ProblemKind.CORRUPT, f"sheet {sheet.name!r}: part {sheet.member} is missing")
        scan = scan_sheet(self._zip, sheet.member, self._formats)
        if scan.cells > CELL_CAP or (scan.cells == 0 and scan.unreferenced):
            return self._openpyxl_rows(sheet), scan
        if scan.cells == 0:
            return iter(()), scan
        return self._calamine_rows(sheet), scan

    def _calamine_rows(self, sheet: _Sheet) -> Iterator[Row]:
        import python_calamine

        try:
            if self._calamine is None:
                self._calamine = python_calamine.CalamineWorkbook.from_path(str(self._path))
            data = self._calamine.get_sheet_by_name(sheet.name)
            first_row, first_col = data.start if data.start else (0, 0)
            for offset, values in enumerate(data.iter_rows()):
                cells = {first_col + col: v for col, v in enumerate(values) if v != "" and v is not None}
                if cells:
                    yield first_row + offset + 1, cells
        except python_calamine.PasswordError as exc:
            raise FileProblem(ProblemKind.ENCRYPTED, str(exc)) from exc
        except (python_calamine.CalamineError, ValueError, KeyError) as exc:
            raise FileProblem(ProblemKind.CORRUPT, f"sheet {sheet.name!r}: {exc}") from exc

    def _openpyxl_rows(self, sheet: _Sheet) -> Iterator[Row]:
        """Sparse rows straight from openpyxl's row parser: no grid, no padding of missing rows.

        It is openpyxl's internal parser (what its read-only worksheets use); the public iter_rows()
        pads every row to the full width and yields every missing row, which is the blow-up we avoid.
        """
        import openpyxl
        from openpyxl.worksheet._reader import WorkSheetParser

        try:
            book = openpyxl.load_workbook(self._path, read_only=True, data_only=True)
            with self._zip.open(sheet.member) as src:
                parser = WorkSheetParser(
                    src,
                    book.shared_strings,
                    data_only=True,
                    epoch=book.epoch,
                    date_formats=book._date_formats,
                    timedelta_formats=book._timedelta_formats,
                )
                for number, cells in parser.parse():
                    values = {c["column"] - 1: c["value"] for c in cells if c["value"] not in (None, "")}
                    if values:
                        yield number, values
            book.close()
        except FileProblem:
            raise
        except Exception as exc:  # openpyxl raises many types on a damaged sheet: all mean the same
            raise FileProblem(ProblemKind.CORRUPT, f"sheet {sheet.name!r}: {exc!r}") from exc


def _join(base: PurePosixPath, target: str) -> str:
    parts: list[str] = []
    for part in (base / target).parts:
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)


def _tag(root: Any, local: str) -> str:
    """`local` in the root's namespace (transitional files use one, a few writers another)."""
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    return f"{{{namespace}}}{local}" if namespace else local


# ---------------------------------------------------------------------------------------------- render


@dataclass(slots=True)
class _Header:
    rows: list[int]  # Excel row numbers of the header rows
    names: dict[int, str]  # 0-based column -> name
    line: str = ""  # "Name | Dept | Date": the distinct names in column order

    def __post_init__(self) -> None:
        self.line = _SEP.join(dict.fromkeys(name for _, name in sorted(self.names.items()) if name))


class _SheetRenderer:
    """Turns a sheet's sparse rows into blocks: rows above the header as they are, data rows as records.

    This loop runs once per row of 100k-row sheets, so it avoids per-cell work it can skip: plain ASCII
    text is not normalized, other text is normalized once per distinct value, formats are looked up per row.
    """

    def __init__(self, name: str, limits: Limits, info: DocumentInfo) -> None:
        self._name = name
        self._limits = limits
        self._info = info
        self._label = normalize_text(name) or name
        self._cache: dict[str, str] = {}

    def render(self, source: tuple[Iterator[Row], SheetScan]) -> Iterator[Block]:
        rows, scan = source
        filler = _MergeFiller(scan.merges)
        head: list[Row] = []
        for row in rows:
            head.append(row)
            if len(head) >= _HEADER_SCAN_ROWS:
                break
        if not head:
            return
        header = _find_header(head, scan)
        formats = _formats_by_row(scan.formats)
        group = ("sheet", self._name)
        emitted = 0
        for number, cells in _chain(head, rows):
            if header is not None and number <= header.rows[-1]:
                if number in header.rows:
                    continue
                names, line = {}, None  # a title or note above the header
            else:
                names, line = (header.names, header.line or None) if header is not None else ({}, None)
            text = self._record(filler.fill(number, cells), names, formats.get(number))
            if not text or (line is not None and text == line):
                continue  # empty, or the header repeated inside the data (printed pages, stacked exports)
            emitted += 1
            if emitted > self._limits.max_rows_per_sheet:
                limit = self._limits.max_rows_per_sheet
                self._info.warnings.append(f"sheet {self._name!r}: only the first {limit} rows were indexed")
                return
            location = Location(sheet=self._name, rows=(number, number))
            yield Block(self._label + _SEP + text, location, group=group, header=line)
        if emitted == 0 and header is not None and header.line:
            # Only a header (a template, or data removed): its column names are still the sheet's content.
            location = Location(sheet=self._name, rows=(header.rows[0], header.rows[-1]))
            yield Block(self._label + _SEP + header.line, location, group=group)

    def _record(
        self, cells: dict[int, Any], names: dict[int, str], formats: dict[int, NumberFormat] | None
    ) -> str:
        parts = []
        for col, value in cells.items():  # in column order: calamine and openpyxl yield them so
            if type(value) is str:
                text = self._text(value)
                if not text:
                    continue
            else:
                text = display(value, formats.get(col) if formats else None)
                if not text:
                    continue
            name = names.get(col)
            parts.append(f"{name}: {text}" if name and name != text else text)
        return _SEP.join(parts)

    def _text(self, value: str) -> str:
        """normalize_text for a cell, on one line; plain ASCII skips it, other text is cached because
        categories, departments and cities repeat down a column."""
        if value[:1] == "=" and value.startswith("=DISPIMG("):
            return ""  # WPS's in-cell picture: its cached "value" is the formula that places the image
        if value.isascii() and value.isprintable() and "  " not in value:
            return value.strip()
        text = self._cache.get(value)
        if text is None:
            text = " ".join(normalize_text(value).split())
            if len(self._cache) < _TEXT_CACHE:
                self._cache[value] = text
        return text


def _formats_by_row(formats: dict[tuple[int, int], NumberFormat]) -> dict[int, dict[int, NumberFormat]]:
    by_row: dict[int, dict[int, NumberFormat]] = {}
    for (row, col), fmt in formats.items():
        by_row.setdefault(row, {})[col] = fmt
    return by_row


def _chain(head: list[Row], rest: Iterator[Row]) -> Iterator[Row]:
    yield from head
    yield from rest


class _MergeFiller:
    """Fills a vertically merged cell's value down into the rows it spans (a category column), so every
    row reads on its own. Only rows that have values of their own get the fill: a merged block over
    otherwise blank rows adds nothing. Memory follows the merges active at the current row."""

    def __init__(self, merges: list[tuple[int, int, int, int]]) -> None:
        self._starts: dict[int, list[tuple[int, int]]] = {}
        for r0, c0, r1, _c1 in merges:
            if r1 > r0:
                self._starts.setdefault(r0, []).append((c0, r1))
        self._active: list[tuple[int, int, Any]] = []  # (column, last row, value)

    def fill(self, number: int, cells: dict[int, Any]) -> dict[int, Any]:
        if not self._starts and not self._active:
            return cells
        self._active = [a for a in self._active if a[1] >= number]
        if self._active:
            missing = [(col, value) for col, _last, value in self._active if col not in cells]
            if missing:
                cells = dict(sorted([*cells.items(), *missing]))
        for col, last in self._starts.pop(number, ()):
            if col in cells:
                self._active.append((col, last, cells[col]))
        return cells


def _is_label(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not _NUMERIC_TEXT.match(value)


def _find_header(head: list[Row], scan: SheetScan) -> _Header | None:
    """The first row of mostly distinct text labels as wide as the data; a title row above it is skipped,
    a second header row below horizontally merged group names is combined with it."""
    width = max(len(cells) for _, cells in head)
    if width < 2:
        return None
    spans = _horizontal_merges(scan.merges)
    for index, (number, cells) in enumerate(head[:-1]):
        if not _header_like(cells, width):
            continue
        names = _names(number, cells, spans)
        rows = [number]
        following = head[index + 1]
        two_level = index + 2 < len(head) and spans.get(number)  # data must follow both header rows
        if two_level and _header_like(following[1], width) and _grouped(cells, following, spans[number]):
            for col, name in _names(following[0], following[1], spans).items():
                names[col] = f"{names[col]} {name}" if names.get(col) and names[col] != name else name
            rows.append(following[0])
        return _Header(rows=rows, names=names)
    return None


def _header_like(cells: dict[int, Any], width: int) -> bool:
    values = list(cells.values())
    labels = [v for v in values if _is_label(v)]
    distinct = {normalize_text(str(v)) for v in labels}
    if sum(v.rstrip().endswith((":", "：")) for v in labels) * 2 >= len(labels):
        return False  # a form row: "Package no.: | 1315 | Rev.: | A" pairs labels with values
    return len(distinct) >= 2 and len(labels) >= 0.8 * len(values) and len(values) >= max(2, width / 2)


def _horizontal_merges(merges: list[tuple[int, int, int, int]]) -> dict[int, list[tuple[int, int]]]:
    """Row -> column spans (c0, c1) of horizontal merges starting in that row."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for r0, c0, _r1, c1 in merges:
        if c1 > c0:
            spans.setdefault(r0, []).append((c0, c1))
    return spans


def _names(number: int, cells: dict[int, Any], spans: dict[int, list[tuple[int, int]]]) -> dict[int, str]:
    # One line per name, without the colon a label often ends with ("Package no.:" -> "Package no.").
    names = {
        col: " ".join(normalize_text(display(v)).split()).rstrip(":：").strip() for col, v in cells.items()
    }
    for c0, c1 in spans.get(number, ()):
        if c0 in names:  # a merged header cell names every column it spans
            for col in range(c0 + 1, c1 + 1):
                names.setdefault(col, names[c0])
    return names


def _grouped(cells: dict[int, Any], below: Row, spans: list[tuple[int, int]]) -> bool:
    """Group names over sub-names: outside the merged groups the row below is empty."""
    grouped = {col for c0, c1 in spans for col in range(c0, c1 + 1)}
    return all(col in grouped or col not in cells for col in below[1])
